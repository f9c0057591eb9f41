//! `server_name` (SPEC §2): the name verified in the server's certificate *and* sent as
//! SNI when `host` is an address. The broker's certificate here names only `broker.test`;
//! it is reached at 127.0.0.1.

use crate::support::mosquitto::{Mosquitto, MosquittoOptions};
use crate::support::pki::Pki;
use rumqttc::tokio_rustls::{rustls, TlsAcceptor};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vinstream::mqtt::conn::{Conn, ConnectOptions, Ev, Protocol};
use vinstream::mqtt::tls::{client_config, TlsFiles};

const NAME: &str = "broker.test";

/// A PKI whose server certificate names only `broker.test`.
fn named_pki() -> (tempfile::TempDir, Pki) {
    let (td, mut pki) = Pki::temp();
    let (cert, key) = pki.issue_server("named-server", &[NAME]);
    pki.server_cert = cert;
    pki.server_key = key;
    (td, pki)
}

fn options(pki: &Pki, port: u16, server_name: Option<&str>) -> ConnectOptions {
    let tls = client_config(&TlsFiles {
        ca_file: Some(pki.ca.clone()),
        client_cert: Some((pki.client_cert.clone(), pki.client_key.clone())),
        server_name: server_name.map(String::from),
    })
    .unwrap();
    ConnectOptions {
        protocol: Protocol::V5,
        host: "127.0.0.1".into(),
        port,
        client_id: format!("tls-names-{}", fastrand::u32(..)),
        tls: Some(tls),
        server_name: server_name.map(String::from),
        credentials: None,
        keep_alive: Duration::from_secs(30),
        session_expiry_secs: 60,
        receive_maximum: 10,
        max_packet_size: 1 << 20,
        connect_timeout: Duration::from_secs(5),
        max_in_flight: 1 << 20,
    }
}

/// The first connect's outcome: Ok on CONNACK, the error sentence otherwise.
async fn first_connect(o: &ConnectOptions) -> Result<(), String> {
    let (_client, mut conn) = Conn::new(o);
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match conn.poll().await {
                Ok(Ev::ConnAck { .. }) => return Ok(()),
                Ok(_) => continue,
                Err(e) => return Err(e),
            }
        }
    })
    .await;
    outcome.unwrap_or_else(|_| Err("no CONNACK and no error within 10s".into()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_name_lets_an_address_reach_a_broker_whose_certificate_names_only_a_host() {
    let (_td, pki) = named_pki();
    let broker = Mosquitto::start(&pki, MosquittoOptions::mtls());

    first_connect(&options(&pki, broker.port(), Some(NAME)))
        .await
        .expect("server_name = broker.test verifies the broker's certificate");

    let err = first_connect(&options(&pki, broker.port(), None))
        .await
        .expect_err("127.0.0.1 is not a name in the certificate");
    assert!(
        err.contains(r#"certificate not valid for name "127.0.0.1""#)
            && err.contains("broker.test")
            && err.contains("set server_name"),
        "the error says the certificate is not valid for the name: {err}"
    );

    let err = first_connect(&options(&pki, broker.port(), Some("other.test")))
        .await
        .expect_err("other.test is not a name in the certificate either");
    assert!(
        err.contains(r#"certificate not valid for name "other.test""#),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_address_that_does_not_answer_is_named_in_the_error() {
    let (_td, pki) = named_pki();
    let port = crate::support::mosquitto::free_port(); // nothing listens there
    let err = first_connect(&options(&pki, port, Some(NAME)))
        .await
        .unwrap_err();
    assert!(
        err.contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "the real address is named, not the relay: {err}"
    );
}

/// A TLS server that records the SNI of every ClientHello and serves the broker.test cert.
#[derive(Debug)]
struct RecordSni {
    seen: Mutex<Vec<Option<String>>>,
    key: Arc<rustls::sign::CertifiedKey>,
}

impl rustls::server::ResolvesServerCert for RecordSni {
    fn resolve(
        &self,
        hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.seen
            .lock()
            .unwrap()
            .push(hello.server_name().map(String::from));
        Some(self.key.clone())
    }
}

async fn sni_server(cert: PathBuf, key: PathBuf) -> (u16, Arc<RecordSni>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = vinstream::mqtt::tls::load_certs(&cert).unwrap();
    let key = vinstream::mqtt::tls::load_key(&key).unwrap();
    let key = provider.key_provider.load_private_key(key).unwrap();
    let record = Arc::new(RecordSni {
        seen: Mutex::new(Vec::new()),
        key: Arc::new(rustls::sign::CertifiedKey::new(chain, key)),
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(record.clone());
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            // Handshake, then hang up: the MQTT client fails, the SNI is recorded.
            tokio::spawn(async move { drop(acceptor.accept(tcp).await) });
        }
    });
    (port, record)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_name_is_sent_as_sni() {
    let (_td, pki) = named_pki();
    let (port, record) = sni_server(pki.server_cert.clone(), pki.server_key.clone()).await;

    let _ = first_connect(&options(&pki, port, Some(NAME))).await;
    let _ = first_connect(&options(&pki, port, None)).await;

    let seen = record.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [Some(NAME.to_string()), None],
        "with server_name the ClientHello carries it; a bare address carries no SNI"
    );
}

fn webhook(
    url: &str,
    ca: &std::path::Path,
    server_name: Option<&str>,
) -> vinstream::sinks::webhook::config::WebhookSinkConfig {
    use vinstream::config::values::{ByteSize, Duration as D};
    vinstream::sinks::webhook::config::WebhookSinkConfig {
        kind: "webhook".into(),
        url: url.into(),
        headers: Default::default(),
        secret: None,
        batch_max_events: 10,
        batch_timeout: D(Duration::from_millis(50)),
        buffer_max_bytes: ByteSize(1 << 20),
        rejected_max_bytes: ByteSize(1 << 20),
        compression: vinstream::sinks::webhook::config::Compression::None,
        timeout: D(Duration::from_secs(5)),
        ca_file: Some(ca.to_path_buf()),
        server_name: server_name.map(String::from),
    }
}

fn record(id: &str) -> Arc<vinstream::record::Record> {
    Arc::new(vinstream::record::Record {
        id: format!("hm:{id}"),
        vin: "VIN1".into(),
        provider: vinstream::record::ProviderKind::HighMobilityV2,
        source: "hm".into(),
        message_id: id.into(),
        received_at: chrono::Utc::now(),
        signals: vec![],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_reached_by_address_is_verified_and_addressed_as_server_name() {
    use crate::support::http_server::{tls_front, HttpServer};
    let (_td, pki) = Pki::temp();
    let (cert, key) = pki.issue_server("hook", &["hook.test"]);
    let server = HttpServer::start().await;
    // tls_front answers on 127.0.0.1 with a certificate that names only hook.test
    let url = tls_front(&server, &cert, &key).replace("localhost", "127.0.0.1");
    let state = tempfile::tempdir().unwrap();

    let sink = vinstream::sinks::webhook::build(
        "named",
        &webhook(&url, &pki.ca, Some("hook.test")),
        state.path(),
    )
    .await
    .unwrap();
    sink.accept(&[record("named-1")]).await.unwrap();
    let delivered = server.wait_delivered(1, Duration::from_secs(20)).await;
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap();
    assert_eq!(
        delivered[0].header("host"),
        Some(format!("hook.test:{port}").as_str()),
        "the request is addressed to server_name"
    );
    sink.close().await.unwrap();

    // Without server_name the certificate does not fit 127.0.0.1: nothing gets through.
    let before = server.request_count();
    let state = tempfile::tempdir().unwrap();
    let sink =
        vinstream::sinks::webhook::build("bare", &webhook(&url, &pki.ca, None), state.path())
            .await
            .unwrap();
    sink.accept(&[record("bare-1")]).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await; // several attempts at 127.0.0.1
    assert_eq!(
        server.request_count(),
        before,
        "a request passed a certificate for another name"
    );
}
