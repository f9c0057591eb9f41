//! The PostgreSQL sink against real peers: a PostgreSQL server per test (initdb +
//! postgres in a temp dir, [`crate::support::postgres`]), Mosquitto with mutual TLS, the
//! built binary and a real MQTT 5 publisher. What is asserted is read back from the
//! tables: every signal of every record printed by the stdout sink is a row with the
//! same value, once — also across a SIGKILL of vinstream and a restart of the database.

mod faults;
mod queries;
mod tls;
mod values;

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::postgres::{Postgres, PASSWORD};
use crate::support::rig::BrokerRig;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

const APP: &str = "00000000-0000-0000-0000-000000000000";
const TOPIC: &str = "live/level13/00000000-0000-0000-0000-000000000000";
const T: Duration = Duration::from_secs(90);
/// The variable the config's `url` takes the password from.
const PASSWORD_VAR: &str = "VINSTREAM_TEST_PGPASSWORD";

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

/// `[sinks.db]` on `pg`, the password from the environment.
fn db_sink(pg: &Postgres, extra: &str) -> String {
    format!(
        "\n[sinks.db]\ntype = \"postgres\"\n\
         url = \"postgres://vinstream:${{{PASSWORD_VAR}}}@127.0.0.1:{}/fleet?sslmode=disable\"\n\
         {extra}\n",
        pg.port()
    )
}

impl BrokerRig {
    fn pg_daemon(&self, sinks: &str) -> Daemon {
        let config = configs::daemon(
            &self.state_dir(),
            "log_level = \"info\"\nshutdown_timeout = \"10s\"",
        ) + &configs::hm_v2(
            self.broker.port(),
            &self.pki,
            APP,
            "vinstream-pg",
            "",
            "keep_alive = \"5s\"\nreceive_maximum = 64",
        ) + sinks;
        let mut cmd = Daemon::command(bin(), self.dir.path());
        cmd.env(PASSWORD_VAR, PASSWORD);
        let d = Daemon::start_command(cmd, &config, self.dir.path());
        d.wait_stderr("subscribed", T);
        d
    }
}

/// An HM V2 message with an odometer and a charging status (four signals).
fn message(i: usize) -> (String, Vec<u8>) {
    let payload = json!({
        "version": 2, "application_id": APP, "message_id": format!("msg-{i:05}"),
        "vin": format!("VIN{:04}", i % 20),
        "data": {
            "diagnostics": {"odometer": [
                {"data": {"unit": "kilometers", "value": i}, "timestamp": "2026-11-21T10:00:00Z"}
            ]},
            "charging": {"status": [{"data": if i.is_multiple_of(2) { "charging" } else { "charging_complete" },
                                     "timestamp": "2026-11-21T10:00:01Z"}]}
        }
    });
    (TOPIC.to_string(), payload.to_string().into_bytes())
}

/// `(record_id, path, origin)` → the row's columns, as JSON for easy comparison.
type Rows = HashMap<(String, String, String), Row>;

#[derive(Debug, Clone, PartialEq)]
struct Row {
    vin: String,
    ts: DateTime<Utc>,
    received_at: DateTime<Utc>,
    num: Option<f64>,
    txt: Option<String>,
    bool: Option<bool>,
    json: Option<Value>,
    unit: Option<String>,
    failure: Option<Value>,
}

async fn signal_rows(client: &tokio_postgres::Client, schema: &str) -> Rows {
    let rows = client
        .query(
            &format!(
                "SELECT record_id, path, origin, vin, ts, received_at, num, txt, bool, json, \
                 unit, failure FROM {schema}.signals"
            ),
            &[],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                (r.get(0), r.get(1), r.get(2)),
                Row {
                    vin: r.get(3),
                    ts: r.get(4),
                    received_at: r.get(5),
                    num: r.get(6),
                    txt: r.get(7),
                    bool: r.get(8),
                    json: r.get(9),
                    unit: r.get(10),
                    failure: r.get(11),
                },
            )
        })
        .collect()
}

/// The row each signal of `record` (a stdout record) must be: SPEC.md §6, by JSON type.
fn expected_rows(record: &Value) -> Vec<((String, String, String), Row)> {
    let received_at: DateTime<Utc> = record["received_at"].as_str().unwrap().parse().unwrap();
    let nul = |s: &str| s.replace('\0', "\u{FFFD}");
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for s in record["signals"].as_array().unwrap() {
        let key = (
            nul(record["id"].as_str().unwrap()),
            nul(s["path"].as_str().unwrap()),
            nul(s["origin"].as_str().unwrap()),
        );
        // Unique on (record_id, path, origin): a repeat in one record is one row.
        if !seen.insert(key.clone()) {
            continue;
        }
        let v = &s["value"];
        let ts = s["timestamp"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or(received_at, |t| t.with_timezone(&Utc));
        out.push((
            key,
            Row {
                vin: nul(record["vin"].as_str().unwrap()),
                ts,
                received_at,
                num: v.as_f64(),
                txt: v.as_str().map(nul),
                bool: v.as_bool(),
                json: (v.is_object() || v.is_array()).then(|| without_nul(v)),
                unit: s["unit"].as_str().map(nul),
                failure: s.get("failure").map(without_nul),
            },
        ));
    }
    out
}

/// `v` with every NUL (in strings and keys) as U+FFFD, as the sink stores it.
fn without_nul(v: &Value) -> Value {
    let nul = |s: &str| s.replace('\0', "\u{FFFD}");
    match v {
        Value::String(s) => Value::String(nul(s)),
        Value::Array(a) => Value::Array(a.iter().map(without_nul).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (nul(k), without_nul(v))).collect())
        }
        other => other.clone(),
    }
}

/// Every signal of `records` is its row, value by value, and the table holds nothing else.
fn assert_rows_match(records: &[Value], rows: &Rows) {
    let mut wanted = 0;
    for record in records {
        for (key, row) in expected_rows(record) {
            wanted += 1;
            let got = rows
                .get(&key)
                .unwrap_or_else(|| panic!("no row for {key:?} of {record}"));
            assert_eq!(got, &row, "{key:?}");
        }
    }
    assert_eq!(rows.len(), wanted, "rows that no record has");
}

/// `latest` holds, per (vin, path), the signal with the greatest (ts, record_id).
async fn assert_latest(client: &tokio_postgres::Client, schema: &str, rows: &Rows) {
    let mut want: HashMap<(String, String), (DateTime<Utc>, String)> = HashMap::new();
    for ((id, path, _), row) in rows {
        let e = want
            .entry((row.vin.clone(), path.clone()))
            .or_insert((row.ts, id.clone()));
        if (row.ts, id) > (e.0, &e.1) {
            *e = (row.ts, id.clone());
        }
    }
    let got: HashMap<(String, String), (DateTime<Utc>, String)> = client
        .query(
            &format!("SELECT vin, path, ts, record_id FROM {schema}.latest"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3))))
        .collect();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixtures_in_rows_out_value_by_value() {
    let pg = Postgres::start();
    let rig = BrokerRig::new();
    let d = rig.pg_daemon(&(db_sink(&pg, "batch_max_rows = 7") + configs::STDOUT));
    let mut msgs = Vec::new();
    for entry in std::fs::read_dir("tests/fixtures/highmobility_v2").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            if doc["application_id"] == APP {
                msgs.push((TOPIC.to_string(), doc.to_string().into_bytes()));
            }
        }
    }
    assert!(msgs.len() >= 3, "the V2 fixtures");
    msgs.extend((0..40).map(message));
    msgs.push(odd_values_message());
    let p = rig.publisher().await;
    p.publish_all(msgs.clone()).await;
    // Two of the fixtures share a message id: one record, as a redelivery.
    let distinct: HashSet<String> = msgs
        .iter()
        .map(|(_, p)| serde_json::from_slice::<Value>(p).unwrap()["message_id"].to_string())
        .collect();
    let records = d.wait_records(distinct.len(), T);
    pg.wait_count(
        "SELECT count(*) FROM vinstream.records",
        distinct.len() as i64,
        T,
    );
    let client = pg.client().await;
    let rows = signal_rows(&client, "vinstream").await;
    assert_rows_match(&records, &rows);
    assert_latest(&client, "vinstream", &rows).await;
    let stored: Vec<(String, String, String, String, String, DateTime<Utc>)> = client
        .query(
            "SELECT record_id, vin, provider, source, message_id, received_at \
             FROM vinstream.records ORDER BY record_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    let mut want: Vec<_> = records
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            let at: DateTime<Utc> = s("received_at").parse().unwrap();
            (
                s("id"),
                s("vin"),
                s("provider"),
                s("source"),
                s("message_id"),
                at,
            )
        })
        .collect();
    want.sort();
    assert_eq!(stored, want);
    assert!(
        !d.stderr().contains(PASSWORD),
        "the password reached the log"
    );
    assert!(
        d.stderr().contains("created the PostgreSQL tables"),
        "{}",
        d.stderr()
    );
}

/// Values whose type is not the path's usual one, a NUL in a string, an object: the
/// batch they are in still commits.
fn odd_values_message() -> (String, Vec<u8>) {
    let payload = json!({
        "version": 2, "application_id": APP, "message_id": "odd-values", "vin": "VIN0001",
        "data": {
            "diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": 1.5}}]},
            "made_up": {
                "text_with_nul": [{"data": "a\u{0}b", "timestamp": "not a time"}],
                "nested": [{"data": {"k\u{0}": [1, "x\u{0}"], "n": null}}]
            }
        }
    });
    (TOPIC.to_string(), payload.to_string().into_bytes())
}

#[test]
fn check_rejects_a_bad_url_naming_the_key_and_not_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("vinstream.toml");
    let pki = crate::support::pki::generate(&dir.path().join("pki"));
    let write = |url: &str| {
        std::fs::write(
            &config,
            configs::daemon(&dir.path().join("state"), "")
                + &configs::hm_v2(8883, &pki, APP, "c", "", "")
                + &format!("[sinks.db]\ntype = \"postgres\"\nurl = \"{url}\"\n"),
        )
        .unwrap()
    };
    for (url, says) in [
        ("postgresx://u:hunter2@db/fleet", "postgres://"),
        ("postgres://u:hunter2@db/fleet?sslmode=maybe", "sslmode"),
        ("postgres://u:hunter2@db:99999/fleet", "not a valid"),
    ] {
        write(url);
        let out = crate::support::run_cli(bin(), &["check", "-c", config.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert!(err.contains("sinks.db.url"), "{url}: {err}");
        assert!(err.contains(says), "{url}: {err}");
        assert!(
            !err.contains("hunter2"),
            "{url}: the password leaked: {err}"
        );
    }
    write("postgres://u:hunter2@db.example.com/fleet?sslmode=verify-full");
    let out = crate::support::run_cli(bin(), &["check", "-c", config.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_table_that_differs_stops_the_daemon_naming_the_column() {
    let pg = Postgres::start();
    pg.psql("CREATE SCHEMA vinstream; CREATE TABLE vinstream.records (record_id text PRIMARY KEY, vin text)");
    let rig = BrokerRig::new();
    let config = configs::daemon(&rig.state_dir(), "")
        + &configs::hm_v2(rig.broker.port(), &rig.pki, APP, "vinstream-pg", "", "")
        + &db_sink(&pg, "");
    let mut cmd = Daemon::command(bin(), rig.dir.path());
    cmd.env(PASSWORD_VAR, PASSWORD);
    let mut d = Daemon::start_command(cmd, &config, rig.dir.path());
    let status = d.wait_exit(T).expect("the daemon exits");
    assert_eq!(status.code(), Some(1), "{}", d.stderr());
    assert!(
        d.stderr()
            .contains("sinks.db: schema: table vinstream.records has no column `provider`"),
        "{}",
        d.stderr()
    );
}
