use super::config::PostgresSinkConfig;
use super::link::chunks;
use super::*;
use crate::config::values::Duration as ConfigDuration;
use crate::config::{Problem, Secret};
use crate::record::{ProviderKind, Signal};
use std::borrow::Cow;

fn config(url: &str) -> PostgresSinkConfig {
    PostgresSinkConfig {
        kind: "postgres".into(),
        url: Secret::new(url),
        schema: "vinstream".into(),
        batch_max_rows: 5000,
        batch_timeout: ConfigDuration(Duration::from_millis(500)),
    }
}

fn problems(c: &PostgresSinkConfig) -> Vec<Problem> {
    let mut list = Vec::new();
    check(c, &mut Problems::new("sinks.db", &mut list));
    list
}

#[test]
fn check_names_the_key_and_never_the_password() {
    assert!(problems(&config("postgres://u:pw@localhost/db?sslmode=require")).is_empty());
    let p = problems(&config("http://u:hunter2@localhost/db"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key, "sinks.db.url");
    assert!(!p[0].message.contains("hunter2"), "{p:?}");
    let mut c = config("postgres://u@localhost/db");
    c.batch_max_rows = 0;
    assert_eq!(problems(&c)[0].key, "sinks.db.batch_max_rows");
    c.batch_max_rows = 1;
    c.schema = String::new();
    assert_eq!(problems(&c)[0].key, "sinks.db.schema");
}

#[test]
fn the_config_debug_form_hides_the_url() {
    let c = config("postgres://u:hunter2@localhost/db");
    assert!(!format!("{c:?}").contains("hunter2"));
}

fn record(i: usize, signals: usize) -> Arc<Record> {
    Arc::new(Record {
        id: format!("hm:{i}"),
        vin: "VIN".into(),
        provider: ProviderKind::HighMobilityV2,
        source: "hm".into(),
        message_id: i.to_string(),
        received_at: chrono::Utc::now(),
        signals: (0..signals)
            .map(|_| Signal {
                path: Cow::Borrowed("Vehicle.Speed"),
                value: serde_json::json!(1),
                unit: None,
                timestamp: None,
                origin: Arc::from("x"),
                failure: None,
            })
            .collect(),
    })
}

#[test]
fn batches_split_at_max_rows_without_splitting_a_record() {
    let records: Vec<_> = [3, 3, 3, 9, 0, 1]
        .iter()
        .enumerate()
        .map(|(i, &n)| record(i, n))
        .collect();
    let sizes: Vec<usize> = chunks(&records, 6).iter().map(|c| c.len()).collect();
    assert_eq!(sizes, vec![2, 1, 1, 2], "3+3 | 3 | 9 alone | 0(counts 1)+1");
    assert_eq!(chunks(&records, 1000).len(), 1);
    assert!(chunks(&[], 10).is_empty());
}
