//! Write faults from a disk that fails on purpose (ENOSPC, EIO on write or fsync, a failed
//! open after rotation, a tail that cannot be cut off): no torn line, nothing written twice,
//! no older file deleted.

use super::*;

/// What the [`FaultyDisk`] does wrong now; tests change it between batches.
#[derive(Default)]
struct Faults {
    /// Bytes the disk still takes; then writes fail with `error` (a short write first
    /// when a write asks for more than is left).
    budget: Option<u64>,
    /// The error once `budget` is used up (ENOSPC unless set).
    error: Option<i32>,
    eio_fsync: bool,
    fail_open: bool,
    fail_truncate: bool,
    /// Renames of this file fail with EIO.
    fail_rename_from: Option<PathBuf>,
}

const ENOSPC: i32 = 28;
const EIO: i32 = 5;

#[derive(Clone, Default)]
struct FaultyDisk(Arc<Mutex<Faults>>);

impl FaultyDisk {
    fn set(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.0.lock().unwrap())
    }
    fn clear(&self) {
        *self.0.lock().unwrap() = Faults::default();
    }
}

struct FaultyFile {
    file: std::fs::File,
    faults: Arc<Mutex<Faults>>,
}

impl Disk for FaultyDisk {
    fn create_dir_all(&self, dir: &Path) -> std::io::Result<()> {
        Os.create_dir_all(dir)
    }
    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn LogFile>> {
        if self.0.lock().unwrap().fail_open {
            return Err(std::io::Error::from_raw_os_error(EIO));
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Box::new(FaultyFile {
            file,
            faults: self.0.clone(),
        }))
    }
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        if self.0.lock().unwrap().fail_rename_from.as_deref() == Some(from) {
            return Err(std::io::Error::from_raw_os_error(EIO));
        }
        Os.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        Os.remove_file(path)
    }
    fn exists(&self, path: &Path) -> std::io::Result<bool> {
        Os.exists(path)
    }
}

impl LogFile for FaultyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut f = self.faults.lock().unwrap();
        let n = match f.budget {
            Some(0) => return Err(std::io::Error::from_raw_os_error(f.error.unwrap_or(ENOSPC))),
            Some(left) => (buf.len() as u64).min(left) as usize,
            None => buf.len(),
        };
        let n = LogFile::write(&mut self.file, &buf[..n])?;
        if let Some(left) = &mut f.budget {
            *left -= n as u64;
        }
        Ok(n)
    }
    fn sync_data(&mut self) -> std::io::Result<()> {
        if self.faults.lock().unwrap().eio_fsync {
            return Err(std::io::Error::from_raw_os_error(EIO));
        }
        self.file.sync_data()
    }
    fn len(&self) -> std::io::Result<u64> {
        LogFile::len(&self.file)
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        if self.faults.lock().unwrap().fail_truncate {
            return Err(std::io::Error::from_raw_os_error(EIO));
        }
        LogFile::truncate(&mut self.file, len)
    }
}

fn faulty(path: &Path, max_bytes: u64, max_files: usize) -> (FileSink, FaultyDisk) {
    let disk = FaultyDisk::default();
    let sink = FileSink::with_disk(
        "f",
        &config(path, max_bytes, max_files),
        Arc::new(disk.clone()),
    )
    .unwrap();
    (sink, disk)
}

fn batch(ids: std::ops::Range<usize>) -> Vec<Arc<Record>> {
    ids.map(record).collect()
}

/// The length of one line (every test record has the same).
fn line_len() -> u64 {
    let mut buf = Vec::new();
    record(0).write_json_line(&mut buf);
    buf.len() as u64
}

/// The message ids in one file; panics on a torn line or a file not ending in `\n`.
fn ids_in(p: &Path) -> Vec<usize> {
    let text = std::fs::read_to_string(p).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{} ends in a torn line: {text:?}",
        p.display()
    );
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: torn line {l:?}: {e}", p.display()));
            v["message_id"].as_str().unwrap().parse().unwrap()
        })
        .collect()
}

/// The ids of the whole file set, oldest file first.
fn all_ids(sink: &FileSink, max_files: usize) -> Vec<usize> {
    let mut ids = Vec::new();
    for n in (1..=max_files + 1).rev() {
        ids.extend(ids_in(&sink.writer.numbered(n)));
    }
    ids.extend(ids_in(&sink.writer.path));
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn enospc_after_a_short_write_leaves_no_torn_line_and_the_retry_writes_each_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let (sink, disk) = faulty(&path, 1 << 20, 3);
    sink.accept(&batch(0..5)).await.unwrap();
    assert!(sink.problem().is_none());
    // room for 2.5 lines: the batch of 10 gets a short write, then ENOSPC
    disk.set(|f| f.budget = Some(line_len() * 5 / 2));
    let b = batch(5..15);
    for _ in 0..3 {
        let err = sink.accept(&b).await.unwrap_err().to_string();
        assert!(err.contains("No space left"), "{err}");
        assert_eq!(
            ids_in(&path),
            (0..5).collect::<Vec<_>>(),
            "no partial batch"
        );
        let problem = sink.problem().expect("a failing sink is not ready");
        assert!(problem.contains("No space left"), "{problem}");
        disk.set(|f| f.budget = Some(line_len() * 5 / 2));
    }
    disk.clear();
    sink.accept(&b).await.unwrap();
    assert_eq!(ids_in(&path), (0..15).collect::<Vec<_>>());
    assert!(sink.problem().is_none(), "cleared by the next success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn eio_on_write_halfway_leaves_no_torn_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let (sink, disk) = faulty(&path, 1 << 20, 3);
    sink.accept(&batch(0..3)).await.unwrap();
    disk.set(|f| {
        f.budget = Some(line_len() + 7);
        f.error = Some(EIO);
    });
    let b = batch(3..8);
    let err = sink.accept(&b).await.unwrap_err().to_string();
    assert!(err.contains("Input/output error"), "{err}");
    assert_eq!(ids_in(&path), [0, 1, 2]);
    disk.clear();
    sink.accept(&b).await.unwrap();
    assert_eq!(ids_in(&path), (0..8).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn eio_on_fsync_takes_the_batch_back_so_the_retry_does_not_duplicate_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let (sink, disk) = faulty(&path, 1 << 20, 3);
    sink.accept(&batch(0..3)).await.unwrap();
    disk.set(|f| f.eio_fsync = true);
    let b = batch(3..8);
    sink.accept(&b).await.unwrap_err();
    sink.accept(&b).await.unwrap_err();
    assert_eq!(ids_in(&path), [0, 1, 2], "the unsynced batch was cut off");
    assert!(sink.problem().is_some());
    disk.clear();
    sink.accept(&b).await.unwrap();
    assert_eq!(ids_in(&path), (0..8).collect::<Vec<_>>());
    assert!(sink.problem().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_fault_after_a_rotation_mid_batch_duplicates_nothing_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    // three lines a file; 10 files, so nothing is dropped by retention here
    let (sink, disk) = faulty(&path, line_len() * 3, 10);
    sink.accept(&batch(0..2)).await.unwrap();
    // the batch fills the live file (1 line), rotates, fills the next (3 lines), rotates
    // and runs out of space halfway through its 5th line
    disk.set(|f| f.budget = Some(line_len() * 4 + line_len() / 2));
    let b = batch(2..12);
    for _ in 0..3 {
        sink.accept(&b).await.unwrap_err();
        let ids = all_ids(&sink, 10);
        assert_eq!(
            ids,
            (0..6).collect::<Vec<_>>(),
            "the synced part only, once"
        );
        disk.set(|f| f.budget = Some(line_len() / 2));
    }
    disk.clear();
    sink.accept(&b).await.unwrap();
    assert_eq!(all_ids(&sink, 10), (0..12).collect::<Vec<_>>());
    for n in 1..=10 {
        if let Ok(m) = std::fs::metadata(sink.writer.numbered(n)) {
            assert!(m.len() <= line_len() * 3);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_failed_open_after_rotation_deletes_no_older_file_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let (sink, disk) = faulty(&path, line_len() * 2, 2);
    for i in [0, 2, 4] {
        sink.accept(&batch(i..i + 2)).await.unwrap();
    }
    assert_eq!(ids_in(&sink.writer.numbered(2)), [0, 1]);
    assert_eq!(ids_in(&sink.writer.numbered(1)), [2, 3]);
    assert_eq!(ids_in(&path), [4, 5]);
    disk.set(|f| f.fail_open = true);
    let b = batch(6..8);
    for _ in 0..4 {
        let err = sink.accept(&b).await.unwrap_err().to_string();
        assert!(err.contains("cannot open"), "{err}");
        // one rotation happened (0 and 1 aged out, as max_files = 2 says); no more
        assert_eq!(
            ids_in(&sink.writer.numbered(2)),
            [2, 3],
            "the oldest file survives"
        );
        assert_eq!(ids_in(&sink.writer.numbered(1)), [4, 5]);
        assert!(!path.exists());
        assert!(sink.problem().unwrap().contains("cannot open"));
    }
    disk.clear();
    sink.accept(&b).await.unwrap();
    assert_eq!(all_ids(&sink, 2), [2, 3, 4, 5, 6, 7]);
    assert!(!sink.writer.numbered(3).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_rotation_cut_short_resumes_without_deleting_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let (sink, disk) = faulty(&path, line_len(), 3);
    for i in 0..4 {
        sink.accept(&batch(i..i + 1)).await.unwrap();
    }
    assert_eq!(all_ids(&sink, 3), [0, 1, 2, 3]);
    // .3 (0) goes, .2 (1) moves to .3, then moving .1 (2) to .2 fails
    disk.set(|f| f.fail_rename_from = Some(sink.writer.numbered(1)));
    let b = batch(4..5);
    for _ in 0..3 {
        sink.accept(&b).await.unwrap_err();
        assert_eq!(ids_in(&sink.writer.numbered(3)), [1], "not deleted again");
        assert_eq!(ids_in(&sink.writer.numbered(1)), [2]);
        assert_eq!(ids_in(&path), [3]);
    }
    disk.clear();
    sink.accept(&b).await.unwrap();
    assert_eq!(all_ids(&sink, 3), [1, 2, 3, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_tail_that_cannot_be_cut_off_stops_appending_until_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let (sink, disk) = faulty(&path, 1 << 20, 3);
    sink.accept(&batch(0..2)).await.unwrap();
    let clean = std::fs::metadata(&path).unwrap().len();
    disk.set(|f| {
        f.budget = Some(line_len() / 2);
        f.fail_truncate = true;
    });
    let b = batch(2..5);
    let err = sink.accept(&b).await.unwrap_err().to_string();
    assert!(err.contains("failed too"), "{err}");
    let torn = std::fs::metadata(&path).unwrap().len();
    assert_eq!(torn, clean + line_len() / 2);
    // space is back, the truncation still fails: nothing may be appended after the tail
    disk.set(|f| f.budget = None);
    for _ in 0..2 {
        let err = sink.accept(&b).await.unwrap_err().to_string();
        assert!(err.contains("partial write after byte"), "{err}");
        assert!(sink.problem().unwrap().contains("cannot be cut off"));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), torn);
    }
    // a SIGHUP does not leave the torn tail behind either
    assert!(sink.reopen().await.is_err());
    disk.clear();
    sink.accept(&b).await.unwrap();
    assert_eq!(ids_in(&path), [0, 1, 2, 3, 4]);
    assert!(sink.problem().is_none());
}
