use super::*;
use crate::config::values::ByteSize;
use crate::record::testing;

mod write_faults;

fn record(i: usize) -> Arc<Record> {
    Arc::new(testing::record("V", &format!("{i:04}"), Vec::new()))
}

fn config(path: &Path, max_bytes: u64, max_files: usize) -> FileSinkConfig {
    FileSinkConfig {
        kind: "file".into(),
        path: path.to_path_buf(),
        max_bytes: ByteSize(max_bytes),
        max_files,
        fsync: true,
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn rotates_between_lines_and_keeps_max_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/out.jsonl");
    let sink = FileSink::open("f", &config(&path, 1000, 3)).unwrap();
    let batch: Vec<_> = (0..100).map(record).collect();
    sink.accept(&batch).await.unwrap();
    let mut all = Vec::new();
    for p in [
        sink.writer.numbered(3),
        sink.writer.numbered(2),
        sink.writer.numbered(1),
        path.clone(),
    ] {
        let size = std::fs::metadata(&p).unwrap().len();
        assert!(size <= 1000, "{} is {size} bytes", p.display());
        for l in lines(&p) {
            serde_json::from_str::<serde_json::Value>(&l).expect("whole lines only");
            all.push(l);
        }
    }
    assert!(!sink.writer.numbered(4).exists());
    // the newest lines are all there, in order, none split
    let ids: Vec<usize> = all
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["message_id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    assert_eq!(*ids.last().unwrap(), 99);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn reopen_follows_a_moved_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let sink = FileSink::open("f", &config(&path, 1 << 20, 2)).unwrap();
    sink.accept(&[record(1)]).await.unwrap();
    std::fs::rename(&path, dir.path().join("moved")).unwrap();
    sink.reopen().await.unwrap();
    sink.accept(&[record(2)]).await.unwrap();
    assert_eq!(lines(&path).len(), 1);
    assert_eq!(lines(&dir.path().join("moved")).len(), 1);
}

#[test]
fn an_unwritable_path_is_a_clear_error() {
    let err = FileSink::open("f", &config(Path::new("/proc/nope/out.jsonl"), 10, 1))
        .err()
        .unwrap();
    assert!(err.contains("/proc/nope"), "{err}");
}

#[test]
fn max_files_0_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let err = FileSink::open("f", &config(&path, 10, 0)).err().unwrap();
    assert!(err.starts_with("max_files: must be at least 1"), "{err}");
}
