//! Dead-letter I/O runs off the async workers (issue 19 item 6): a write that blocks (here
//! on a FIFO nobody reads, as a stalled disk would) must leave the runtime free for the
//! providers' keep-alives and acks. The runtime is single-threaded, so a blocking write
//! on it would stop every other task, which the ticker below would show.

use super::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const SOURCE: &str = "hm-fifo";

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what} within 10 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_dead_letter_write_that_blocks_leaves_the_runtime_running() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead-letter.jsonl");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &path,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let ticks = Arc::new(AtomicU64::new(0));
    let (ack, acked) = AckHandle::observed();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let runtime = {
        let (ticks, state) = (ticks.clone(), dir.path().to_path_buf());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let pipeline = Pipeline {
                    sinks: Vec::new(),
                    dedup: DedupWindow::in_memory(Duration::from_secs(3600), 100),
                    kinds: HashMap::from([(Arc::from(SOURCE), ProviderKind::HighMobilityV2)]),
                    dead_letter: DeadLetter::new(&state),
                    vehicles: providers::Vehicles::load(&state),
                    reconfigure: Reconfigure::default(),
                    fleet: Default::default(),
                };
                let (tx, rx) = mpsc::unbounded_channel();
                let task = tokio::spawn(pipeline.run(rx));
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        ticks.fetch_add(1, Ordering::Relaxed);
                    }
                });
                tx.send(Msg::Delivery(Delivery {
                    source: SOURCE.into(),
                    topic: "live/level13/x".into(),
                    payload: bytes::Bytes::from_static(b"not json"),
                    received_at: chrono::Utc::now(),
                    ack,
                }))
                .unwrap();
                let _ = stop_rx.await;
                drop(tx);
                let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
            })
        })
    };
    wait_until("the payload judged malformed", || {
        super::malformed_total(SOURCE) > 0
    });
    // The write is now blocked opening the FIFO; the runtime must go on.
    let before = ticks.load(Ordering::Relaxed);
    let progressed = AtomicBool::new(false);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if ticks.load(Ordering::Relaxed) >= before + 20 {
            progressed.store(true, Ordering::Relaxed);
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        !acked.load(Ordering::Acquire),
        "acked before its dead letter"
    );
    // Let the write through either way (a failed assertion must not leave it blocked):
    // move the FIFO aside and read it, so the retry writes a regular file at `path`.
    let aside = dir.path().join("fifo-aside");
    std::fs::rename(&path, &aside).unwrap();
    let copy = std::fs::read(&aside).unwrap();
    assert!(
        progressed.load(Ordering::Relaxed),
        "the runtime stood still while the dead letter blocked"
    );
    assert!(String::from_utf8_lossy(&copy).contains("not json"));
    wait_until("acked once the dead letter is on disk", || {
        acked.load(Ordering::Acquire)
    });
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("\"payload\":\"not json\""), "{text}");
    let _ = stop_tx.send(());
    runtime.join().unwrap();
}
