//! The pipeline with its committer, on an in-memory window and a sink that keeps what it
//! gets: what the gate lets through while a commit is still running.

use super::*;
use crate::sinks::SinkError;
use async_trait::async_trait;
use std::sync::Mutex;
use tokio::sync::Notify;

mod commit_faults;
mod fleet_tap;
mod off_runtime;
mod reload;

#[derive(Default)]
struct Kept {
    ids: Mutex<Vec<String>>,
    records: Mutex<Vec<Arc<Record>>>,
    arrived: Notify,
}

struct KeepSink(Arc<Kept>);

#[async_trait]
impl Sink for KeepSink {
    fn name(&self) -> &str {
        "keep"
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        let mut ids = self.0.ids.lock().unwrap();
        ids.extend(batch.iter().map(|r| r.message_id.clone()));
        self.0.records.lock().unwrap().extend(batch.iter().cloned());
        self.0.arrived.notify_waiters();
        Ok(())
    }
}

impl Kept {
    fn ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }

    /// Wait (with a deadline) until the sink holds `n` records.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let ids = self.ids();
            if ids.len() >= n {
                return ids;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("the sink got {ids:?}, not {n} records, within 10 s");
            }
        }
    }
}

fn delivery(message_id: &str) -> Msg {
    delivery_with(message_id, AckHandle::detached())
}

fn delivery_with(message_id: &str, ack: AckHandle) -> Msg {
    delivery_of(message_id, "{}", ack)
}

fn delivery_of(message_id: &str, data: &str, ack: AckHandle) -> Msg {
    let payload =
        format!(r#"{{"vin":"WVWZZZ1JZXW000001","message_id":"{message_id}","data":{data}}}"#);
    Msg::Delivery(Delivery {
        source: "hm".into(),
        topic: "t".into(),
        payload: payload.into_bytes().into(),
        received_at: chrono::Utc::now(),
        ack,
    })
}

struct Running {
    tx: mpsc::UnboundedSender<Msg>,
    kept: Arc<Kept>,
    reader: DedupReader,
    task: tokio::task::JoinHandle<()>,
    /// The state dir: the dead letter goes here.
    dir: tempfile::TempDir,
}

/// A second source for the dead-letter test: the malformed counter it waits on is global
/// to the test binary, and no other test feeds this source.
const HELD: &str = "hm-held";

/// Ask for a drain and check it has not replied after `wait`: something still holds
/// acks back. The receiver resolves once they are released.
async fn held_drain(p: &Running, wait: Duration, why: &str) -> oneshot::Receiver<()> {
    let (reply, mut done) = oneshot::channel();
    p.tx.send(Msg::Drain(reply)).unwrap();
    let early = tokio::time::timeout(wait, &mut done).await;
    assert!(early.is_err(), "{why}");
    done
}

fn start() -> Running {
    start_in(tempfile::tempdir().unwrap())
}

/// The sources of the pipelines these tests build: one High Mobility V2 provider `hm`.
fn hm_kinds() -> HashMap<Arc<str>, ProviderKind> {
    HashMap::from([(Arc::from("hm"), ProviderKind::HighMobilityV2)])
}

/// A pipeline of `sinks` for [`hm_kinds`], with an in-memory window and its dead letter
/// in `dir`, reloaded through `reconfigure` and feeding `fleet`.
fn hm_pipeline(
    dir: &std::path::Path,
    sinks: Vec<Arc<dyn Sink>>,
    reconfigure: &Reconfigure,
    fleet: crate::fleet::Feed,
) -> Pipeline {
    Pipeline {
        sinks,
        dedup: DedupWindow::in_memory(Duration::from_secs(3600), 1000),
        kinds: hm_kinds(),
        dead_letter: DeadLetter::new(dir),
        vehicles: Default::default(),
        reconfigure: reconfigure.clone(),
        fleet,
    }
}

/// Reload the pipeline to `sinks` (same sources) and wait until it took them: the
/// sinks it replaced.
async fn reload_to(reconfigure: &Reconfigure, sinks: Vec<Arc<dyn Sink>>) -> Vec<Arc<dyn Sink>> {
    let (done, old) = oneshot::channel();
    reconfigure.send(Reconfig {
        sinks,
        kinds: hm_kinds(),
        done,
    });
    tokio::time::timeout(Duration::from_secs(10), old)
        .await
        .expect("the reload was taken within 10 s")
        .unwrap()
}

fn start_in(dir: tempfile::TempDir) -> Running {
    let dedup = DedupWindow::in_memory(Duration::from_secs(3600), 1000);
    let reader = dedup.reader();
    let kept = Arc::new(Kept::default());
    let pipeline = Pipeline {
        sinks: vec![Arc::new(KeepSink(kept.clone()))],
        dedup,
        kinds: HashMap::from([
            (Arc::from("hm"), ProviderKind::HighMobilityV2),
            (Arc::from(HELD), ProviderKind::HighMobilityV2),
        ]),
        dead_letter: DeadLetter::new(dir.path()),
        vehicles: providers::Vehicles::load(dir.path()),
        reconfigure: Reconfigure::default(),
        fleet: Default::default(),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(pipeline.run(rx));
    Running {
        tx,
        kept,
        reader,
        task,
        dir,
    }
}

async fn drain(tx: &mpsc::UnboundedSender<Msg>) {
    let (reply, done) = oneshot::channel();
    tx.send(Msg::Drain(reply)).unwrap();
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("drained within 10 s")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_while_the_first_copy_is_being_committed_is_no_second_record() {
    let p = start();
    // Every commit now waits: the first copy stays "delivered, not committed".
    let held = p.reader.block_commits();
    p.tx.send(delivery("a")).unwrap();
    assert_eq!(p.kept.wait_for(1).await, ["a"]);
    p.tx.send(delivery("a")).unwrap();
    p.tx.send(delivery("b")).unwrap();
    // "b" comes after the repeat, so once it is out the repeat was judged
    assert_eq!(p.kept.wait_for(2).await, ["a", "b"]);
    let now = SystemTime::now();
    assert_eq!(
        p.reader.delivered(&["hm:a", "hm:b"], now).unwrap(),
        [false, false],
        "nothing committed while the write lock is held"
    );
    // A drain waits for the commits, which wait for the lock.
    let done = held_drain(
        &p,
        Duration::from_millis(200),
        "a drain replied before its batches were committed",
    )
    .await;
    drop(held);
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("drained within 10 s")
        .unwrap();
    let ids = |v: &[&str]| v.iter().map(|m| format!("hm:{m}")).collect::<Vec<_>>();
    let committed = ids(&["a", "b"]);
    let refs: Vec<&str> = committed.iter().map(String::as_str).collect();
    assert_eq!(p.reader.delivered(&refs, now).unwrap(), [true, true]);
    // and after the commit the window answers for them
    p.tx.send(delivery("b")).unwrap();
    p.tx.send(delivery("c")).unwrap();
    assert_eq!(p.kept.wait_for(3).await, ["a", "b", "c"]);
    drop(p.tx);
    p.task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_complete_once_every_sink_accepted_without_waiting_for_the_commit() {
    let p = start();
    let held = p.reader.block_commits();
    let (ack, acked) = AckHandle::observed();
    p.tx.send(delivery_with("a", ack)).unwrap();
    assert_eq!(p.kept.wait_for(1).await, ["a"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !acked.load(std::sync::atomic::Ordering::Acquire) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ack waited for the commit"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        p.reader.delivered(&["hm:a"], SystemTime::now()).unwrap(),
        [false],
        "committed although the write lock is held"
    );
    drop(held);
    drain(&p.tx).await;
    assert_eq!(
        p.reader.delivered(&["hm:a"], SystemTime::now()).unwrap(),
        [true]
    );
    drop(p.tx);
    p.task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_small_batches_are_all_committed_and_none_repeats() {
    let p = start();
    for i in 0..300 {
        p.tx.send(delivery(&format!("m{i}"))).unwrap();
        if i % 7 == 0 {
            // repeats of recent ids, committed or not
            p.tx.send(delivery(&format!("m{}", i / 2))).unwrap();
        }
    }
    drain(&p.tx).await;
    let got = p.kept.ids();
    assert_eq!(got.len(), 300, "{got:?}");
    let all: Vec<String> = (0..300).map(|i| format!("hm:m{i}")).collect();
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let seen = p.reader.delivered(&refs, SystemTime::now()).unwrap();
    assert!(seen.iter().all(|&s| s), "not all committed");
    drop(p.tx);
    p.task.await.unwrap();
}

/// A clean shutdown commits the group that is still lingering (it does not drop it, and
/// does not wait out the linger): the restarted daemon must know those ids.
#[tokio::test]
async fn closing_commits_the_group_still_waiting_for_its_linger() {
    let p = start();
    for id in ["x", "y", "z"] {
        p.tx.send(delivery(id)).unwrap();
    }
    // delivered, and closed long before the 250 ms linger would have committed them
    p.kept.wait_for(3).await;
    drop(p.tx);
    p.task.await.unwrap();
    let seen = p
        .reader
        .delivered(&["hm:x", "hm:y", "hm:z"], SystemTime::now())
        .unwrap();
    assert_eq!(seen, [true, true, true]);
}

/// How many payloads from `source` were judged malformed, read from the metrics text.
fn malformed_total(source: &str) -> u64 {
    let prefix = format!("vinstream_messages_malformed_total{{source=\"{source}\"}} ");
    crate::telemetry::metrics()
        .render()
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_delivery_is_acked_only_once_its_dead_letter_is_written() {
    let p = start();
    let path = p.dir.path().join("dead-letter.jsonl");
    // A directory where the file goes: opening it for append fails, even as root.
    std::fs::create_dir(&path).unwrap();
    let (ack, acked) = AckHandle::observed();
    p.tx.send(Msg::Delivery(Delivery {
        source: HELD.into(),
        topic: "live/level13/x".into(),
        payload: bytes::Bytes::from_static(b"not json"),
        received_at: chrono::Utc::now(),
        ack,
    }))
    .unwrap();
    // Counted as malformed: the first write attempt follows without an await in between,
    // so the window below is spent failing, not waiting for the pipeline to start.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while malformed_total(HELD) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the payload was not judged malformed within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The drain replies only once everything before it is acked.
    let done = held_drain(
        &p,
        Duration::from_millis(300),
        "the malformed delivery was acked while its dead letter could not be written",
    )
    .await;
    assert!(!acked.load(std::sync::atomic::Ordering::Acquire));
    std::fs::remove_dir(&path).unwrap();
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("acked within 10 s once the dead letter could be written")
        .unwrap();
    assert!(acked.load(std::sync::atomic::Ordering::Acquire));
    let text = std::fs::read_to_string(&path).unwrap();
    let letters: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        letters.len(),
        1,
        "failed attempts must leave nothing: {text}"
    );
    assert_eq!(letters[0]["source"], HELD);
    assert_eq!(letters[0]["payload"], "not json");
    drop(p.tx);
    p.task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_seat_report_turns_later_doors_and_survives_a_restart() {
    let seat = r#"{"vehicle_information":{"driver_seat_location":[{"data":"right"}]}}"#;
    let door = r#"{"doors":{"positions":[{"data":{"location":"front_left","position":"open"}}]}}"#;
    let p = start();
    p.tx.send(delivery_of("seat", seat, AckHandle::detached()))
        .unwrap();
    p.tx.send(delivery_of("door", door, AckHandle::detached()))
        .unwrap();
    p.kept.wait_for(2).await;
    let door_path = |p: &Running, i: usize| {
        p.kept.records.lock().unwrap()[i].signals[0]
            .path
            .to_string()
    };
    assert_eq!(
        door_path(&p, 1),
        "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen"
    );
    drop(p.tx);
    p.task.await.unwrap();
    // a new pipeline on the same state_dir (a restart) still knows the side
    let again = start_in(p.dir);
    again
        .tx
        .send(delivery_of("door2", door, AckHandle::detached()))
        .unwrap();
    again.kept.wait_for(1).await;
    assert_eq!(
        door_path(&again, 0),
        "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen"
    );
}
