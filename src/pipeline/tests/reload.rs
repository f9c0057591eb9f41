//! A config reload while a batch waits: the new sinks get it, and a new instance of a sink
//! on the same store is not handed a batch the old one already took.

use super::*;

/// A sink whose platform is down: it never accepts.
pub(super) struct DownSink;

#[async_trait]
impl Sink for DownSink {
    fn name(&self) -> &str {
        "down"
    }

    async fn accept(&self, _: &[Arc<Record>]) -> Result<(), SinkError> {
        Err(std::io::Error::other("connection refused").into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_reaches_a_batch_stuck_on_a_down_sink() {
    // issue 19 item 2: the reload that fixes a down sink waited behind the batch that
    // retried it, forever. Now the batch takes the new sinks at its next retry.
    let dir = tempfile::tempdir().unwrap();
    let kept = Arc::new(Kept::default());
    let reconfigure = Reconfigure::default();
    let pipeline = hm_pipeline(
        dir.path(),
        vec![Arc::new(KeepSink(kept.clone())), Arc::new(DownSink)],
        &reconfigure,
        Default::default(),
    );
    let keep: Arc<dyn Sink> = Arc::new(KeepSink(kept.clone()));
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(pipeline.run(rx));
    let (ack, acked) = AckHandle::observed();
    tx.send(delivery_with("a", ack)).unwrap();
    kept.wait_for(1).await;
    // the down sink holds the ack (it refuses every try, so this cannot race)
    assert!(
        !acked.load(std::sync::atomic::Ordering::Acquire),
        "acked while a sink had not accepted"
    );
    // the reload replaces the down sink with a working one
    let fixed = Arc::new(Kept::default());
    let old = reload_to(&reconfigure, vec![keep, Arc::new(KeepSink(fixed.clone()))]).await;
    assert_eq!(old.len(), 2);
    assert_eq!(
        fixed.wait_for(1).await,
        ["a"],
        "the stuck batch went to the new sink"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !acked.load(std::sync::atomic::Ordering::Acquire) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not acked within 10 s of the reload"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(tx);
    task.await.unwrap();
}

/// A sink that keeps what it accepts in a durable store shared by its instances (as the
/// webhook spool is).
struct StoreSink(Arc<Kept>, std::path::PathBuf);

#[async_trait]
impl Sink for StoreSink {
    fn name(&self) -> &str {
        "store"
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        KeepSink(self.0.clone()).accept(batch).await
    }

    fn store(&self) -> Option<&std::path::Path> {
        Some(&self.1)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_does_not_give_a_batch_again_to_a_new_instance_on_the_same_store() {
    // issue 19 item 1: the old webhook sink had spooled the batch; the new one sends
    // that spool, so handing it the batch again sent it twice under two batch ids.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("sinks/hook");
    let old_kept = Arc::new(Kept::default());
    let reconfigure = Reconfigure::default();
    let pipeline = hm_pipeline(
        dir.path(),
        vec![
            Arc::new(StoreSink(old_kept.clone(), store.clone())),
            Arc::new(DownSink),
        ],
        &reconfigure,
        Default::default(),
    );
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(pipeline.run(rx));
    let (ack, acked) = AckHandle::observed();
    tx.send(delivery_with("a", ack)).unwrap();
    old_kept.wait_for(1).await;
    let new_kept = Arc::new(Kept::default());
    let fixed = Arc::new(Kept::default());
    reload_to(
        &reconfigure,
        vec![
            Arc::new(StoreSink(new_kept.clone(), store.clone())),
            Arc::new(KeepSink(fixed.clone())),
        ],
    )
    .await;
    assert_eq!(fixed.wait_for(1).await, ["a"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !acked.load(std::sync::atomic::Ordering::Acquire) {
        assert!(tokio::time::Instant::now() < deadline, "not acked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        new_kept.ids().is_empty(),
        "the new instance on the same store got the batch again"
    );
    // later batches go to the new instance
    tx.send(delivery("b")).unwrap();
    assert_eq!(new_kept.wait_for(1).await, ["b"]);
    drop(tx);
    task.await.unwrap();
}
