//! TLS to a real PostgreSQL with `ssl = on` and a certificate of the test PKI: every mode
//! that uses TLS verifies the certificate, `require` included (stricter than libpq, on
//! purpose), and an unverifiable server never gets the batch, nor a plain-text fallback.

use super::values::record_at;
use super::*;
use crate::support::pki;
use std::path::Path as FsPath;
use vinstream::config::values::Duration as ConfigDuration;
use vinstream::config::Secret;
use vinstream::sinks::postgres::config::PostgresSinkConfig;
use vinstream::sinks::postgres::PostgresSink;
use vinstream::sinks::Sink;

fn sink_config(pg: &Postgres, query: &str) -> PostgresSinkConfig {
    PostgresSinkConfig {
        kind: "postgres".into(),
        url: Secret::new(format!(
            "postgres://vinstream:{PASSWORD}@127.0.0.1:{}/fleet?{query}",
            pg.port()
        )),
        schema: "vinstream".into(),
        batch_max_rows: 5000,
        batch_timeout: ConfigDuration(Duration::from_millis(100)),
    }
}

fn root(ca: &FsPath) -> String {
    format!("sslrootcert={}", ca.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tls_mode_verifies_the_server_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let pg = Postgres::start_tls(&pki.server_cert, &pki.server_key);
    let batch = vec![record_at(
        "tls",
        "VIN1",
        "Vehicle.Speed",
        json!(1.0),
        "2026-11-21T10:00:00Z",
    )];

    let mut open: Vec<PostgresSink> = Vec::new();
    for query in [
        format!("sslmode=require&{}", root(&pki.ca)),
        format!("sslmode=verify-full&{}", root(&pki.ca)),
        // prefer (the default): TLS, since the server offers it, and verified.
        root(&pki.ca),
    ] {
        let sink = PostgresSink::open("db", &sink_config(&pg, &query))
            .await
            .unwrap();
        sink.accept(&batch)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        open.push(sink);
    }
    let ssl = pg.psql(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE s.ssl AND a.application_name = 'vinstream'",
    );
    assert_eq!(ssl.trim(), "3", "the three sinks' sessions use TLS");
    drop(open);

    for query in [
        format!("sslmode=require&{}", root(&pki.untrusted_ca)),
        // The system's CAs do not know the test CA.
        "sslmode=require".to_string(),
        format!("sslmode=prefer&{}", root(&pki.untrusted_ca)),
    ] {
        let sink = PostgresSink::open("db", &sink_config(&pg, &query))
            .await
            .unwrap();
        let e = sink.accept(&batch).await.expect_err(&query);
        let problem = sink.problem().expect("not ready");
        assert!(
            problem.to_lowercase().contains("certificate"),
            "{query}: {problem} / {e}"
        );
        assert!(!problem.contains(PASSWORD));
    }
    assert_eq!(
        pg.try_count("SELECT count(*) FROM vinstream.records"),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_refuses_a_server_without_tls() {
    let pg = Postgres::start();
    let sink = PostgresSink::open("db", &sink_config(&pg, "sslmode=require"))
        .await
        .unwrap();
    let batch = vec![record_at(
        "plain",
        "VIN1",
        "Vehicle.Speed",
        json!(1.0),
        "2026-11-21T10:00:00Z",
    )];
    // Answered once the connection attempt failed.
    sink.accept(&batch).await.expect_err("no TLS, no batch");
    let problem = sink.problem().expect("not ready");
    assert!(problem.contains("127.0.0.1"), "{problem}");
    assert_eq!(
        pg.try_count("SELECT count(*) FROM pg_tables WHERE schemaname = 'vinstream'"),
        Some(0)
    );
}
