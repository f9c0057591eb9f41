//! The sink driven directly (no MQTT), for what needs a batch of exactly chosen records:
//! odd values in one batch with good ones, the same batch twice, an older value after a
//! newer one, and a table that exists with a column of another type.

use super::*;
use std::borrow::Cow;
use std::sync::Arc;
use vinstream::config::values::Duration as ConfigDuration;
use vinstream::config::Secret;
use vinstream::record::{ProviderKind, Record, Signal};
use vinstream::sinks::postgres::config::PostgresSinkConfig;
use vinstream::sinks::postgres::PostgresSink;
use vinstream::sinks::Sink;

fn config(pg: &Postgres, schema: &str) -> PostgresSinkConfig {
    PostgresSinkConfig {
        kind: "postgres".into(),
        url: Secret::new(pg.url()),
        schema: schema.into(),
        batch_max_rows: 3,
        batch_timeout: ConfigDuration(Duration::from_millis(200)),
    }
}

fn signal(path: &'static str, value: Value, timestamp: Option<&str>) -> Signal {
    Signal {
        path: Cow::Borrowed(path),
        value,
        unit: None,
        timestamp: timestamp.map(Arc::from),
        origin: Arc::from(format!("origin.{path}")),
        failure: None,
    }
}

fn record(id: &str, vin: &str, signals: Vec<Signal>) -> Arc<Record> {
    Arc::new(Record {
        id: format!("hm:{id}"),
        vin: vin.into(),
        provider: ProviderKind::HighMobilityV2,
        source: "hm".into(),
        message_id: id.into(),
        received_at: "2026-11-21T22:40:00.123Z".parse().unwrap(),
        signals,
    })
}

/// A sink on `pg` in `schema` (batches of at most 3 rows per transaction).
pub(super) async fn open(pg: &Postgres, schema: &str) -> PostgresSink {
    PostgresSink::open("db", &config(pg, schema)).await.unwrap()
}

/// A record of one signal at `ts`.
pub(super) fn record_at(
    id: &str,
    vin: &str,
    path: &'static str,
    value: Value,
    ts: &str,
) -> Arc<Record> {
    record(id, vin, vec![signal(path, value, Some(ts))])
}

/// What the stdout sink would print for `r`, for [`expected_rows`].
fn as_json(r: &Record) -> Value {
    serde_json::from_slice(&r.to_json_line()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_values_never_abort_a_batch_and_a_repeated_batch_adds_no_row() {
    let pg = Postgres::start();
    let sink = PostgresSink::open("db", &config(&pg, "vinstream"))
        .await
        .unwrap();
    let mut failed = signal("Vehicle.Exterior.AirTemperature", Value::Null, None);
    failed.failure = Some(json!({"reason": "rate_limit", "description": "x\u{0}y"}));
    let mut with_unit = signal(
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
        json!(81.5),
        Some("2026-11-21T22:39:00Z"),
    );
    with_unit.unit = Some(Cow::Borrowed("percent"));
    let batch = vec![
        record("good-1", "VIN1", vec![with_unit]),
        record(
            "odd",
            "VIN\u{0}2",
            vec![
                // A path's usual number as a string, a boolean as a number, NULs, objects,
                // arrays, a huge integer, a timestamp that is no time, a failure.
                signal("Vehicle.Speed", json!("fast\u{0}er"), Some("not a time")),
                signal("Vehicle.IsMoving", json!(1), None),
                signal(
                    "HM.odd.object",
                    json!({"k\u{0}": [1, "x\u{0}"], "n": null}),
                    None,
                ),
                signal("HM.odd.array", json!([true, 2.5, "three"]), None),
                signal("HM.odd.huge", json!(u64::MAX), None),
                signal(
                    "HM.odd.nul\u{0}path",
                    json!(true),
                    Some("2026-11-21T22:00:00+05:00"),
                ),
                failed,
            ],
        ),
        record(
            "good-2",
            "VIN1",
            vec![signal("Vehicle.IsMoving", json!(false), None)],
        ),
    ];
    sink.accept(&batch).await.expect("the batch commits");
    let client = pg.client().await;
    let rows = signal_rows(&client, "vinstream").await;
    let printed: Vec<Value> = batch.iter().map(|r| as_json(r)).collect();
    assert_rows_match(&printed, &rows);
    assert_eq!(rows.len(), 9);

    // The same batch again (a redelivery after a crash): accepted, no row added.
    sink.accept(&batch).await.expect("a repeat commits");
    assert_eq!(signal_rows(&client, "vinstream").await, rows);
    assert_eq!(
        pg.try_count("SELECT count(*) FROM vinstream.records"),
        Some(3)
    );
    assert_latest(&client, "vinstream", &rows).await;

    // Signal rows without their record row (someone pruned `records` only): the direct
    // COPY meets the unique key, and the batch goes through the staging table instead.
    pg.psql("DELETE FROM vinstream.records");
    sink.accept(&batch).await.expect("commits through staging");
    assert_eq!(signal_rows(&client, "vinstream").await, rows);
    assert_eq!(
        pg.try_count("SELECT count(*) FROM vinstream.records"),
        Some(3)
    );
    sink.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_keeps_the_newest_value_whatever_order_batches_arrive_in() {
    let pg = Postgres::start();
    let sink = PostgresSink::open("db", &config(&pg, "fleet_a"))
        .await
        .unwrap();
    let soc = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current";
    let at = |id: &str, v: f64, ts: &str| record(id, "VIN1", vec![signal(soc, json!(v), Some(ts))]);
    sink.accept(&[at("b", 60.0, "2026-11-21T12:00:00Z")])
        .await
        .unwrap();
    // Older, arriving later (a redelivery): history grows, latest stays.
    sink.accept(&[at("a", 50.0, "2026-11-21T11:00:00Z")])
        .await
        .unwrap();
    // Two of one path in one batch: the newer wins, and the upsert does not trip over
    // touching one row twice.
    sink.accept(&[
        at("d", 80.0, "2026-11-21T14:00:00Z"),
        at("c", 70.0, "2026-11-21T13:00:00Z"),
    ])
    .await
    .unwrap();
    let client = pg.client().await;
    let row = client
        .query_one(
            "SELECT num, record_id FROM fleet_a.latest WHERE vin = 'VIN1'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, f64>(0), row.get::<_, String>(1)),
        (80.0, "hm:d".into())
    );
    assert_eq!(
        pg.try_count("SELECT count(*) FROM fleet_a.signals"),
        Some(4)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_that_differs_is_refused_naming_the_column() {
    let pg = Postgres::start();
    pg.psql(
        "CREATE SCHEMA legacy; CREATE TABLE legacy.signals (record_id text, vin text, \
         path text, origin text, ts timestamptz, received_at timestamptz, num text, \
         txt text, bool boolean, json jsonb, unit text, failure jsonb)",
    );
    let e = PostgresSink::open("db", &config(&pg, "legacy"))
        .await
        .err()
        .expect("refused");
    assert!(
        e.contains("column legacy.signals.num is text, expected double precision"),
        "{e}"
    );
    // Nothing was half-created: the check and the creation are one transaction.
    assert_eq!(
        pg.try_count(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'legacy'"
        ),
        Some(1)
    );
    pg.psql("ALTER TABLE legacy.signals ALTER COLUMN num TYPE double precision USING num::float8");
    let e = PostgresSink::open("db", &config(&pg, "legacy"))
        .await
        .err()
        .expect("refused");
    assert!(
        e.contains("no unique key on (origin, path, record_id)"),
        "{e}"
    );
    pg.psql("ALTER TABLE legacy.signals ADD UNIQUE (record_id, path, origin)");
    PostgresSink::open("db", &config(&pg, "legacy"))
        .await
        .expect("now it fits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_is_down_makes_the_sink_not_ready_and_batches_wait() {
    let mut pg = Postgres::start();
    pg.stop();
    let sink = PostgresSink::open("db", &config(&pg, "vinstream"))
        .await
        .unwrap();
    let batch = vec![record(
        "1",
        "VIN1",
        vec![signal("Vehicle.Speed", json!(1), None)],
    )];
    let e = sink.accept(&batch).await.expect_err("nothing to write to");
    assert!(e.to_string().contains("PostgreSQL"), "{e}");
    let problem = sink.problem().expect("not ready");
    assert!(problem.contains("127.0.0.1"), "{problem}");
    assert!(!problem.contains(PASSWORD), "{problem}");
    pg.start_again();
    // The pipeline retries a failed batch: so does this test, until the link is back.
    crate::support::wait::until_async("the batch to commit", T, || async {
        sink.accept(&batch).await.ok()
    })
    .await;
    assert_eq!(sink.problem(), None);
    assert_eq!(
        pg.try_count("SELECT count(*) FROM vinstream.signals"),
        Some(1)
    );
}

/// `batch_timeout` is how long a batch waits for others handed over with it, never for
/// ones that cannot come: the pipeline waits for each commit before handing over more.
/// (Before, the link sometimes saw the batch it had just taken as still on its way, and
/// lingered for it: a sixth of psql's throughput in bench/postgres.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_after_another_never_waits_for_batch_timeout() {
    let pg = Postgres::start();
    let mut c = config(&pg, "vinstream");
    c.batch_timeout = ConfigDuration(Duration::from_secs(60));
    let sink = PostgresSink::open("db", &c).await.unwrap();
    let started = std::time::Instant::now();
    for i in 0..30 {
        let r = record_at(
            &i.to_string(),
            "VIN1",
            "Vehicle.Speed",
            json!(i),
            "2026-11-21T10:00:00Z",
        );
        sink.accept(&[r]).await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "30 batches took {:?}: some waited for batch_timeout",
        started.elapsed()
    );
}

/// A role that may write the tables but not create anything in the database (the least
/// privilege an operator gives a writer): the schema exists, so the sink does not ask to
/// create it, and writes. `CREATE SCHEMA IF NOT EXISTS` failed for it on every connect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_may_only_write_the_tables_is_enough() {
    let pg = Postgres::start();
    let owner = open(&pg, "vinstream").await;
    owner.close().await.unwrap();
    pg.psql(
        "CREATE ROLE writer LOGIN PASSWORD 'w-pass'; \
         REVOKE CREATE ON DATABASE fleet FROM PUBLIC; \
         GRANT CONNECT, TEMPORARY ON DATABASE fleet TO writer; \
         GRANT USAGE ON SCHEMA vinstream TO writer; \
         GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA vinstream TO writer",
    );
    let mut limited = config(&pg, "vinstream");
    limited.url = Secret::new(format!(
        "postgres://writer:w-pass@127.0.0.1:{}/fleet?sslmode=disable",
        pg.port()
    ));
    let sink = PostgresSink::open("db", &limited)
        .await
        .expect("a writer opens the sink on existing tables");
    let r = record_at(
        "w1",
        "WBA00000000000001",
        "Vehicle.Speed",
        json!(42.0),
        "2026-11-21T22:39:00Z",
    );
    sink.accept(&[r]).await.expect("the writer's batch commits");
    assert_eq!(
        pg.try_count("SELECT count(*) FROM vinstream.records WHERE record_id = 'hm:w1'"),
        Some(1)
    );
}

/// A batch that waits on a lock another session holds fails at the lock timeout instead of
/// holding every ack (the sink reports it, the batch is retried), and goes in once the
/// lock is gone. The URL's `options` shortens the default 30 s lock timeout here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_stuck_behind_a_lock_fails_at_the_lock_timeout_and_goes_in_later() {
    let pg = Postgres::start();
    open(&pg, "vinstream").await.close().await.unwrap();
    let mut quick = config(&pg, "vinstream");
    quick.url = Secret::new(format!("{}&options=-c%20lock_timeout%3D1000", pg.url()));
    let sink = PostgresSink::open("db", &quick).await.unwrap();
    let mut holder = pg.client().await;
    let tx = holder.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE vinstream.records IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let r = record_at(
        "l1",
        "WBA00000000000001",
        "Vehicle.Speed",
        json!(7.0),
        "2026-11-21T22:39:00Z",
    );
    let stuck = tokio::time::timeout(
        Duration::from_secs(30),
        sink.accept(std::slice::from_ref(&r)),
    )
    .await
    .expect("the batch fails at the lock timeout, not never");
    let err = stuck.expect_err("a batch behind a lock is not accepted");
    assert!(format!("{err:?}").contains("lock"), "{err:?}");
    tx.rollback().await.unwrap();
    crate::support::wait::until_async("the batch to go in once the lock is gone", T, || async {
        sink.accept(std::slice::from_ref(&r)).await.ok()
    })
    .await;
    assert_eq!(
        pg.try_count("SELECT count(*) FROM vinstream.records WHERE record_id = 'hm:l1'"),
        Some(1)
    );
}
