//! Faults mid-stream: vinstream SIGKILLed and restarted (what it wrote but had not acked
//! comes again and must add no row), and the database restarted (batches wait, nothing
//! is lost). Messages are published in paced chunks, so the fault lands mid-stream.

use super::*;
use crate::support::publisher::Publisher;

const N: usize = 1500;
/// Signals per [`message`]: the distance, and the charging status as three paths.
const PER_MESSAGE: i64 = 4;
const RECORDS: &str = "SELECT count(*) FROM vinstream.records";
const SIGNALS: &str = "SELECT count(*) FROM vinstream.signals";

/// Publish `message(0..N)` in chunks of 50, 40 ms apart: the stream lasts over a second.
fn publish_paced(p: Publisher) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for start in (0..N).step_by(50) {
            p.publish_all((start..(start + 50).min(N)).map(message))
                .await;
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    })
}

/// Every message is one `records` row and its signal rows, once.
async fn assert_all_once(pg: &Postgres) {
    pg.wait_count(RECORDS, N as i64, T);
    let client = pg.client().await;
    let ids: HashSet<String> = client
        .query("SELECT record_id FROM vinstream.records", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let missing: Vec<usize> = (0..N)
        .filter(|i| !ids.contains(&format!("hm:msg-{i:05}")))
        .collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    assert_eq!(ids.len(), N, "records that were not published");
    assert_eq!(
        pg.try_count(SIGNALS),
        Some(N as i64 * PER_MESSAGE),
        "missing or repeated signal rows"
    );
    let latest = pg.try_count("SELECT count(*) FROM vinstream.latest");
    assert_eq!(latest, Some(20 * PER_MESSAGE), "20 VINs x 4 paths");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_and_restart_leaves_no_missing_and_no_repeated_row() {
    let pg = Postgres::start();
    let rig = BrokerRig::new();
    // Small transactions: many commits, so the kill lands between and within them.
    let mut d = rig.pg_daemon(&db_sink(&pg, "batch_max_rows = 20"));
    let publishing = publish_paced(rig.publisher().await);
    pg.wait_count(RECORDS, 200, T);
    d.kill();
    let at_kill = pg.try_count(RECORDS).unwrap();
    assert!(
        at_kill < N as i64,
        "the kill came after the stream ({at_kill} records)"
    );
    d.restart();
    publishing.await.unwrap();
    assert_all_once(&pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_restarted_mid_stream_loses_nothing() {
    let mut pg = Postgres::start();
    let rig = BrokerRig::new();
    let d = rig.pg_daemon(&db_sink(&pg, "batch_max_rows = 50"));
    let publishing = publish_paced(rig.publisher().await);
    pg.wait_count(RECORDS, 200, T);
    let mark = d.stderr_mark();
    let before = pg.try_count(RECORDS).unwrap();
    pg.stop();
    assert!(
        before < N as i64,
        "the database went down after the stream ({before} records)"
    );
    d.wait_stderr_since(mark, "PostgreSQL sink not ready", T);
    pg.start_again();
    d.wait_stderr_since(mark, "reconnected=true", T);
    publishing.await.unwrap();
    assert_all_once(&pg).await;
    assert!(
        !d.stderr().contains(PASSWORD),
        "the password reached the log"
    );
}
