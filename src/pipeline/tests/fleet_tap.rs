//! The fleet page's tap: a record reaches the feed only once every sink accepted it.

use super::reload::DownSink;
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_feed_gets_a_record_only_after_every_sink_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let kept = Arc::new(Kept::default());
    let reconfigure = Reconfigure::default();
    let feed = crate::fleet::Feed::default();
    let mut page = feed.subscribe();
    let pipeline = hm_pipeline(
        dir.path(),
        vec![Arc::new(KeepSink(kept.clone())), Arc::new(DownSink)],
        &reconfigure,
        feed.clone(),
    );
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(pipeline.run(rx));
    tx.send(delivery("a")).unwrap();
    kept.wait_for(1).await;
    // One sink took it, the other refuses every try: the page must not see it yet.
    let early = tokio::time::timeout(Duration::from_millis(300), page.next("test")).await;
    assert!(
        early.is_err(),
        "the page saw a record a sink had not accepted"
    );
    reload_to(
        &reconfigure,
        vec![Arc::new(KeepSink(Arc::new(Kept::default())))],
    )
    .await;
    let shown = tokio::time::timeout(Duration::from_secs(10), page.next("test"))
        .await
        .expect("the record reached the page once every sink had it")
        .unwrap();
    assert_eq!(shown.id, "hm:a");
    drop(tx);
    task.await.unwrap();
}
