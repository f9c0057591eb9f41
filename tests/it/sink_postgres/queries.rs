//! The example queries of docs/postgres.md, read from the doc and run against a day of
//! one vehicle written by the sink: what the doc promises is what they return.

use super::values::{open, record_at};
use super::*;
use tokio_postgres::SimpleQueryMessage;
use vinstream::sinks::Sink;

const SOC: &str = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current";
const CHARGING: &str = "Vehicle.Powertrain.TractionBattery.Charging.IsCharging";
const VIN: &str = "WBA00000000000001";

/// The ```sql blocks of the doc's "Example queries" section.
fn doc_queries() -> Vec<String> {
    let doc = std::fs::read_to_string("docs/postgres.md").unwrap();
    let section = doc
        .split("## Example queries")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("an Example queries section");
    section
        .split("```sql\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

/// Rows of every statement of `sql`, as text (NULL = None).
async fn run(client: &tokio_postgres::Client, sql: &str) -> Vec<Vec<Vec<Option<String>>>> {
    let mut out = vec![Vec::new()];
    for m in client.simple_query(sql).await.unwrap() {
        match m {
            SimpleQueryMessage::Row(r) => out
                .last_mut()
                .unwrap()
                .push((0..r.len()).map(|i| r.get(i).map(String::from)).collect()),
            SimpleQueryMessage::CommandComplete(_) => out.push(Vec::new()),
            _ => {}
        }
    }
    out.pop();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_queries_answer_what_the_doc_says() {
    let pg = Postgres::start();
    let sink = open(&pg, "vinstream").await;
    let day = |hm: &str| format!("2026-11-21T{hm}:00Z");
    let mut batch = Vec::new();
    for (i, (at, path, value)) in [
        ("08:00", SOC, json!(50.0)),
        ("08:00", CHARGING, json!(false)),
        ("08:30", CHARGING, json!(true)),
        ("09:00", SOC, json!(55.0)),
        ("09:00", CHARGING, json!(true)),
        ("10:00", SOC, json!(80.0)),
        ("10:00", CHARGING, json!(false)),
        ("19:00", SOC, json!(60.0)),
        ("20:00", CHARGING, json!(true)),
    ]
    .into_iter()
    .enumerate()
    {
        batch.push(record_at(&format!("q{i}"), VIN, path, value, &day(at)));
    }
    batch.push(record_at(
        "other",
        "WBA00000000000002",
        SOC,
        json!(33.0),
        &day("07:00"),
    ));
    sink.accept(&batch).await.unwrap();
    let client = pg.client().await;
    client.batch_execute("SET TIME ZONE 'UTC'").await.unwrap();
    let q = doc_queries();
    assert_eq!(
        q.len(),
        3,
        "fleet, state of charge (two statements), sessions"
    );

    let fleet = run(&client, &q[0]).await;
    let cells = |r: &Vec<Option<String>>| {
        r.iter()
            .map(|c| c.as_deref().unwrap_or("NULL").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(fleet[0].len(), 2, "one row per vehicle");
    assert_eq!(cells(&fleet[0][0])[..3], ["WBA00000000000001", "60", "t"]);
    assert_eq!(
        cells(&fleet[0][1])[..3],
        ["WBA00000000000002", "33", "NULL"]
    );

    let soc = run(&client, &q[1]).await;
    let values: Vec<String> = soc[0].iter().map(|r| cells(r)[1].clone()).collect();
    assert_eq!(
        values,
        ["50", "55", "80", "60"],
        "the day's values in order"
    );
    assert_eq!(soc[1].len(), 4, "one 15-minute bucket per value");

    let sessions: Vec<Vec<String>> = run(&client, &q[2]).await[0].iter().map(cells).collect();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(
        [
            &sessions[0][1],
            &sessions[0][2],
            &sessions[0][4],
            &sessions[0][5]
        ],
        [
            "2026-11-21 08:30:00+00",
            "2026-11-21 10:00:00+00",
            "50",
            "80"
        ]
    );
    assert_eq!(sessions[0][3], "01:30:00");
    assert_eq!(
        [
            &sessions[1][1],
            &sessions[1][2],
            &sessions[1][4],
            &sessions[1][5]
        ],
        ["2026-11-21 20:00:00+00", "NULL", "60", "60"],
        "still charging"
    );
}

/// The dashboard's SQL with Grafana's macros and `$vin` expanded as Grafana does.
fn dashboard_queries() -> Vec<(String, String)> {
    let dash: Value =
        serde_json::from_slice(&std::fs::read("docs/grafana/vinstream-postgres.json").unwrap())
            .unwrap();
    let (from, to) = ("'2026-11-21T00:00:00Z'", "'2026-11-22T00:00:00Z'");
    dash["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let sql = p["targets"][0]["rawSql"].as_str().unwrap();
            let sql = sql
                .replace("$__timeFilter(ts)", &format!("ts BETWEEN {from} AND {to}"))
                .replace("$__timeFrom()", &format!("{from}::timestamptz"))
                .replace("$__timeTo()", &format!("{to}::timestamptz"))
                .replace("$vin", &format!("'{VIN}','WBA00000000000002'"));
            assert!(!sql.contains('$'), "an unexpanded macro: {sql}");
            (p["title"].as_str().unwrap().to_string(), sql)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grafana_dashboard_queries_run_on_the_tables() {
    let pg = Postgres::start();
    let sink = open(&pg, "vinstream").await;
    let day = |hm: &str| format!("2026-11-21T{hm}:00Z");
    let batch = vec![
        record_at("a", VIN, SOC, json!(50.0), &day("08:00")),
        record_at("b", VIN, CHARGING, json!(true), &day("08:30")),
        record_at("c", VIN, SOC, json!(70.0), &day("09:30")),
        record_at("d", VIN, CHARGING, json!(false), &day("10:00")),
        record_at("e", "WBA00000000000002", SOC, json!(33.0), &day("07:00")),
    ];
    sink.accept(&batch).await.unwrap();
    let client = pg.client().await;
    let rows: Vec<(String, usize)> = {
        let mut out = Vec::new();
        for (title, sql) in dashboard_queries() {
            let n = client
                .query(&sql, &[])
                .await
                .unwrap_or_else(|e| panic!("{title}: {e:?}"))
                .len();
            out.push((title, n));
        }
        out
    };
    let counts: Vec<usize> = rows.iter().map(|(_, n)| *n).collect();
    assert_eq!(
        counts,
        [2, 3, 1],
        "fleet rows, SoC points, sessions: {rows:?}"
    );
}
