//! A loopback HTTP endpoint for the webhook sink tests: axum on 127.0.0.1:0, whose answer
//! the test switches at runtime ([`Mode`]: 200, any status, 429 with Retry-After, or
//! never answering), recording every request with its headers and decompressed body.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::wait;

/// How the endpoint answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 200 OK.
    Ok,
    /// This status with the body `refused with {status}` (503, 500, 400, …).
    Status(u16),
    /// 429 Too Many Requests with `Retry-After: {retry_after}`.
    TooMany { retry_after: u64 },
    /// Read the request, never answer (the client's timeout has to fire).
    Hang,
}

/// One request as the endpoint saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub at: Instant,
    /// What it was answered; `None` when the endpoint hung.
    pub status: Option<u16>,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    /// The body as received (gzip when compressed).
    pub raw: Vec<u8>,
    /// The body after `Content-Encoding: gzip` was undone.
    pub body: Vec<u8>,
    pub batch_id: Option<String>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The records of the body (a JSON array); panics if it is not one.
    pub fn records(&self) -> Vec<Value> {
        match serde_json::from_slice(&self.body) {
            Ok(Value::Array(v)) => v,
            other => panic!(
                "webhook body is not a JSON array ({other:?}): {}",
                String::from_utf8_lossy(&self.body)
            ),
        }
    }

    pub fn record_ids(&self) -> Vec<String> {
        self.records()
            .iter()
            .map(|r| r["id"].as_str().expect("record id").to_string())
            .collect()
    }
}

struct Inner {
    mode: Mode,
    requests: Vec<Request>,
}

type Shared = Arc<Mutex<Inner>>;

pub struct HttpServer {
    port: u16,
    inner: Shared,
}

async fn ingest(State(inner): State<Shared>, headers: HeaderMap, raw: Bytes) -> Response {
    let mode = inner.lock().unwrap().mode;
    let gzip = headers
        .get("content-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let body = if gzip {
        let mut out = Vec::new();
        match flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out) {
            Ok(_) => out,
            Err(e) => format!("<gzip body does not decode: {e}>").into_bytes(),
        }
    } else {
        raw.to_vec()
    };
    let status = match mode {
        Mode::Ok => Some(200),
        Mode::Status(s) => Some(s),
        Mode::TooMany { .. } => Some(429),
        Mode::Hang => None,
    };
    let request = Request {
        at: Instant::now(),
        status,
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        raw: raw.to_vec(),
        body,
        batch_id: headers
            .get("x-vinstream-batch-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    inner.lock().unwrap().requests.push(request);
    match mode {
        Mode::Ok => (StatusCode::OK, "ok").into_response(),
        Mode::Status(s) => (
            StatusCode::from_u16(s).expect("a valid status"),
            format!("refused with {s}"),
        )
            .into_response(),
        Mode::TooMany { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after.to_string())],
            "slow down",
        )
            .into_response(),
        Mode::Hang => std::future::pending().await,
    }
}

impl HttpServer {
    /// Serve on a free loopback port, on the current tokio runtime, answering 200.
    pub async fn start() -> HttpServer {
        let inner = Arc::new(Mutex::new(Inner {
            mode: Mode::Ok,
            requests: Vec::new(),
        }));
        let app = Router::new()
            .route("/ingest", post(ingest))
            .layer(DefaultBodyLimit::disable())
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        HttpServer { port, inner }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/ingest", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = mode;
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn request_count(&self) -> usize {
        self.inner.lock().unwrap().requests.len()
    }

    /// Record ids of every request answered 2xx.
    pub fn delivered_ids(&self) -> HashSet<String> {
        self.requests()
            .iter()
            .filter(|r| r.delivered())
            .flat_map(|r| r.record_ids())
            .collect()
    }

    /// Waits until the requests satisfy `done`; panics after `timeout` with a summary.
    pub async fn wait_requests(
        &self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&[Request]) -> bool,
    ) -> Vec<Request> {
        let got = wait::try_until_async(timeout, || {
            let r = self.requests();
            done(&r).then_some(r)
        })
        .await;
        got.unwrap_or_else(|| {
            panic!(
                "timed out after {timeout:?} waiting for {what}; requests: {}",
                summary(&self.requests())
            )
        })
    }

    /// Waits until at least `n` distinct record ids were answered 2xx.
    pub async fn wait_delivered(&self, n: usize, timeout: Duration) -> Vec<Request> {
        let what = format!("{n} delivered records");
        self.wait_requests(&what, timeout, |r| {
            r.iter()
                .filter(|r| r.delivered())
                .flat_map(|r| r.record_ids())
                .collect::<HashSet<_>>()
                .len()
                >= n
        })
        .await
    }
}

/// One line per request: status, batch id, number of records.
pub fn summary(requests: &[Request]) -> String {
    let mut out = format!("{} requests", requests.len());
    for r in requests.iter().rev().take(20).rev() {
        let n = serde_json::from_slice::<Vec<Value>>(&r.body).map_or(0, |v| v.len());
        out.push_str(&format!("\n  {:?} {:?} {n} records", r.status, r.batch_id));
    }
    out
}

/// The batch-id contract a receiver relies on: every request carries a batch id, every
/// copy of one batch id carries identical records, and after dropping repeated batch ids
/// no record appears twice. Returns the record ids of the delivered (2xx) batches in
/// delivery order.
pub fn check_batches(requests: &[Request]) -> Vec<String> {
    let mut bodies: HashMap<&str, &[u8]> = HashMap::new();
    for r in requests {
        let id = r
            .batch_id
            .as_deref()
            .expect("every request has X-Vinstream-Batch-Id");
        let first = *bodies.entry(id).or_insert(&r.body);
        assert!(
            first == r.body.as_slice(),
            "batch {id} was sent again with different records:\n{}\n{}",
            String::from_utf8_lossy(first),
            String::from_utf8_lossy(&r.body)
        );
    }
    let mut done = HashSet::new();
    let mut seen = HashMap::new();
    let mut order = Vec::new();
    for r in requests.iter().filter(|r| r.delivered()) {
        let batch = r.batch_id.clone().unwrap();
        if !done.insert(batch.clone()) {
            continue;
        }
        for id in r.record_ids() {
            if let Some(other) = seen.insert(id.clone(), batch.clone()) {
                panic!("record {id} was delivered in two batches: {other} and {batch}");
            }
            order.push(id);
        }
    }
    order
}

/// HTTPS in front of `server`: a TLS terminator (rustls with `cert`/`key`, e.g. the test
/// PKI's server certificate for `localhost` and 127.0.0.1) on another loopback port that
/// pipes each connection to the plain server. Returns the HTTPS URL of `/ingest`.
pub fn tls_front(server: &HttpServer, cert: &std::path::Path, key: &std::path::Path) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .expect("open server certificate")
        .collect::<Result<_, _>>()
        .expect("parse server certificate");
    let key = PrivateKeyDer::from_pem_file(key).expect("parse server key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server certificate and key");
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = server.port;
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let config = config.clone();
            std::thread::spawn(move || pipe_tls(conn, config, upstream));
        }
    });
    format!("https://localhost:{port}/ingest")
}

fn pipe_tls(tcp: std::net::TcpStream, config: Arc<rustls::ServerConfig>, upstream: u16) {
    use std::io::{ErrorKind, Write};
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let Ok(mut up) = std::net::TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let tick = Some(Duration::from_millis(5));
    if tcp.set_read_timeout(tick).is_err() || up.set_read_timeout(tick).is_err() {
        return;
    }
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = vec![0u8; 16 * 1024];
    let idle = |e: &std::io::Error| matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
    loop {
        match tls.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if up.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            Err(e) if idle(&e) => {}
            Err(_) => return,
        }
        match up.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if tls.write_all(&buf[..n]).and_then(|_| tls.flush()).is_err() {
                    return;
                }
            }
            Err(e) if idle(&e) => {}
            Err(_) => return,
        }
    }
}
