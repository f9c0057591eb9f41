//! Dedup commits that fail or stall: nothing is lost, the pipeline goes on, and a slow
//! commit is logged.

use super::*;

/// Log lines written on this thread while the guard lives (a current-thread runtime
/// keeps the pipeline's tasks here; blocking work logs nothing that is checked).
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> (tracing::subscriber::DefaultGuard, impl Fn() -> String) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || Captured(sink.clone()))
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (guard, move || {
        String::from_utf8(log.lock().unwrap().clone()).unwrap()
    })
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_commit_loses_nothing_and_the_pipeline_goes_on() {
    let (_guard, text) = capture_logs();
    let p = start();
    p.reader.fail_next_record();
    let (ack, acked) = AckHandle::observed();
    p.tx.send(delivery_with("a", ack)).unwrap();
    drain(&p.tx).await;
    // delivered and acked, but not recorded: the window does not know "a"
    assert!(acked.load(std::sync::atomic::Ordering::Acquire));
    let now = SystemTime::now();
    assert_eq!(p.reader.delivered(&["hm:a"], now).unwrap(), [false]);
    assert!(
        text().contains("could not record delivered ids"),
        "{}",
        text()
    );
    // so a repeat of "a" is a duplicate (the documented cost), never a loss, and the
    // pipeline and later commits go on
    p.tx.send(delivery("a")).unwrap();
    p.tx.send(delivery("b")).unwrap();
    drain(&p.tx).await;
    assert_eq!(p.kept.ids(), ["a", "a", "b"]);
    assert_eq!(
        p.reader
            .delivered(&["hm:a", "hm:b"], SystemTime::now())
            .unwrap(),
        [true, true]
    );
    drop(p.tx);
    p.task.await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_commit_that_takes_longer_than_half_a_second_is_logged() {
    let (_guard, text) = capture_logs();
    let p = start();
    // a quick commit says nothing
    p.tx.send(delivery("fast")).unwrap();
    drain(&p.tx).await;
    assert!(!text().contains("slow dedup commit"), "{}", text());
    // the disk "stalls": the commit waits for redb's write lock longer than the limit
    let held = p.reader.block_commits();
    p.tx.send(delivery("slow")).unwrap();
    p.kept.wait_for(2).await;
    // the stall itself is the stimulus here, not a wait for something to happen; the
    // commit begins once the group's linger is over
    tokio::time::sleep(commit::LINGER + commit::SLOW_COMMIT + Duration::from_millis(100)).await;
    drop(held);
    drain(&p.tx).await;
    assert!(text().contains("slow dedup commit"), "{}", text());
    drop(p.tx);
    p.task.await.unwrap();
}
