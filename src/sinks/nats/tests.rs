//! The sink without a server: settings that can never work are refused by `build`, and a
//! NATS that is down is a `problem()` and a failed batch, not a failed start. Publishing
//! against a real nats-server is tested in tests/it/sink_nats.rs.

use super::*;
use crate::config::values::Duration as ConfigDuration;
use crate::record::testing;

fn config(url: &str) -> NatsSinkConfig {
    NatsSinkConfig {
        kind: "nats".into(),
        url: url.into(),
        stream: "VEHICLES".into(),
        subject: "vehicles.{vin}".into(),
        create_stream: false,
        subjects: None,
        max_age: None,
        duplicate_window: ConfigDuration(Duration::from_secs(120)),
        credentials_file: None,
        ca_file: None,
        server_name: None,
        timeout: ConfigDuration(Duration::from_secs(2)),
    }
}

/// A local port nobody listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A record whose id is `id` as it is (no `hm:` prefix).
fn record(id: &str) -> Arc<Record> {
    let mut r = testing::record("VIN1", id, vec![]);
    r.id = id.into();
    Arc::new(r)
}

async fn build_err(c: &NatsSinkConfig) -> String {
    match build("bus", c, Path::new("/nonexistent")).await {
        Ok(_) => panic!("build accepted {c:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn settings_that_can_never_work_are_refused() {
    let url = format!("nats://127.0.0.1:{}", closed_port());
    assert_eq!(check_config(&config(&url)), Ok(()));
    let mut c = config(&url);
    c.timeout = ConfigDuration(Duration::ZERO);
    assert!(build_err(&c).await.contains("timeout"));

    let mut c = config(&url);
    c.subject = "vehicles.{model}".into();
    assert!(build_err(&c).await.contains("unknown field {model}"));

    let mut c = config(&url);
    c.stream = "VEHICLES.ALL".into();
    assert!(build_err(&c).await.contains("not a valid stream name"));

    let mut c = config(&url);
    c.subjects = Some(vec![]);
    assert!(build_err(&c).await.contains("subjects"));

    let c = config("http://127.0.0.1:4222");
    assert!(
        build_err(&c).await.contains("url"),
        "{}",
        build_err(&c).await
    );

    let mut c = config(&url);
    c.ca_file = Some("/nonexistent/ca.pem".into());
    assert!(build_err(&c).await.contains("ca_file /nonexistent/ca.pem"));

    let mut c = config(&url);
    c.credentials_file = Some("/nonexistent/user.creds".into());
    assert!(build_err(&c)
        .await
        .contains("credentials_file /nonexistent/user.creds"));
}

#[test]
fn the_created_stream_listens_on_the_template_with_wildcards_unless_told_otherwise() {
    let mut c = config("nats://localhost");
    c.subject = "fleet.{source}.{vin}".into();
    c.create_stream = true;
    c.max_age = Some(ConfigDuration(Duration::from_secs(3600)));
    let plan = stream_plan(&c).unwrap();
    assert_eq!(plan.subjects, vec!["fleet.*.*".to_string()]);
    assert!(plan.create);
    assert_eq!(plan.max_age, Some(Duration::from_secs(3600)));
    assert_eq!(plan.duplicate_window, Duration::from_secs(120));
    c.subjects = Some(vec!["fleet.>".into()]);
    assert_eq!(
        stream_plan(&c).unwrap().subjects,
        vec!["fleet.>".to_string()]
    );
}

#[test]
fn servers_are_shown_without_credentials() {
    let addrs =
        link::parse_servers("nats://alice:s3cret@127.0.0.1:4222, tls://token@nats.example:4443")
            .unwrap();
    let shown = link::shown(&addrs);
    assert_eq!(shown, "nats://127.0.0.1:4222,tls://nats.example:4443");
    assert!(link::parse_servers(" , ").is_err());
}

#[tokio::test]
async fn a_nats_that_is_down_is_a_problem_and_a_failed_batch_not_a_failed_start() {
    let c = config(&format!("nats://user:pw@127.0.0.1:{}", closed_port()));
    let sink = build("bus", &c, Path::new("/nonexistent"))
        .await
        .expect("build");
    let problem = sink.problem().expect("a problem while NATS is down");
    assert!(
        problem.contains("not connected to NATS at nats://127.0.0.1:"),
        "{problem}"
    );
    assert!(!problem.contains("pw"), "a password in {problem}");
    let started = std::time::Instant::now();
    let err = sink.accept(&[record("hm:1")]).await.unwrap_err();
    assert!(err.to_string().contains("not connected"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "accept should fail fast"
    );
    assert!(
        sink.accept(&[]).await.is_ok(),
        "an empty batch needs no NATS"
    );
}
