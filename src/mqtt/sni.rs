//! `server_name` for MQTT over TLS: the name sent as SNI and verified in the broker's
//! certificate while the TCP connection goes to `host` (an address, or an alias the
//! certificate does not name).
//!
//! rumqttc 0.25 uses one string, the broker address, both to dial TCP and as the rustls
//! `ServerName` (so as SNI); it has no hook to dial somewhere else. What it does have is
//! HTTP CONNECT proxy support, which dials the proxy and then runs TLS end to end with
//! the broker address as the name. So with a `server_name` we give rumqttc
//! `server_name` as the broker address and a proxy on loopback, started here, that
//! answers the one CONNECT it expects by dialling the real `host:port` and relaying bytes.
//! TLS stays inside rumqttc (same verifier, same client certificate, same errors); the
//! relay only ever sees ciphertext and only ever dials the configured broker, so a local
//! process that finds the port gains nothing it could not do by dialling the broker.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::debug;

/// Where rumqttc should "connect": the broker address it is given and, when
/// `server_name` differs from `host`, the loopback proxy that reaches `host`.
pub struct Route {
    /// The broker address for rumqttc's `MqttOptions` (also the TLS name).
    pub broker_addr: String,
    pub relay: Option<Relay>,
}

impl Route {
    /// `tls` = the connection uses TLS (a `server_name` means nothing without it).
    pub fn new(
        host: &str,
        port: u16,
        tls: bool,
        server_name: Option<&str>,
        dial_timeout: Duration,
    ) -> Route {
        match server_name {
            Some(name) if tls && !name.eq_ignore_ascii_case(host) => Route {
                broker_addr: name.to_string(),
                relay: Some(Relay::start(host, port, name, dial_timeout)),
            },
            _ => Route {
                broker_addr: host.to_string(),
                relay: None,
            },
        }
    }

    /// Turn a connection error into one sentence; a failed dial behind the relay shows up
    /// in rumqttc as a refused CONNECT, so say what really happened.
    pub fn explain(&self, error: String) -> String {
        match &self.relay {
            Some(r) if error.contains("Proxy") => match r.last_error() {
                Some(e) => e,
                None => error,
            },
            _ => error,
        }
    }
}

/// The loopback CONNECT proxy of one connection target. Dropping it stops accepting;
/// relayed connections end when either side closes.
pub struct Relay {
    port: u16,
    target: String,
    last_error: Arc<Mutex<Option<String>>>,
    accept: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    fn start(host: &str, port: u16, server_name: &str, dial_timeout: Duration) -> Relay {
        let target = format!("{host}:{port}");
        let last_error = Arc::new(Mutex::new(None));
        // Bound synchronously so the port is known before rumqttc first dials it.
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .and_then(|l| {
                let port = l.local_addr()?.port();
                Ok((TcpListener::from_std(l)?, port))
            });
        let (listener, local_port) = match listener {
            Ok(l) => l,
            Err(e) => {
                // rumqttc will fail to reach port 1 and the reason below is reported.
                *last_error.lock().unwrap() = Some(format!(
                    "cannot open the loopback relay that sends server_name as SNI: {e}"
                ));
                return Relay {
                    port: 1,
                    target,
                    last_error,
                    accept: None,
                };
            }
        };
        let expect = format!("{server_name}:{port}");
        let errors = last_error.clone();
        let dial = (host.to_string(), port);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, peer)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                if !peer.ip().is_loopback() {
                    continue;
                }
                let (expect, dial, errors) = (expect.clone(), dial.clone(), errors.clone());
                tokio::spawn(async move {
                    if let Err(e) = relay(client, &expect, &dial, dial_timeout).await {
                        debug!(error = %e, "SNI relay connection ended");
                        *errors.lock().unwrap() = Some(e);
                    }
                });
            }
        });
        Relay {
            port: local_port,
            target,
            last_error,
            accept: Some(accept),
        }
    }

    /// The proxy setting for rumqttc.
    pub fn proxy(&self) -> rumqttc::Proxy {
        rumqttc::Proxy {
            ty: rumqttc::ProxyType::Http,
            auth: rumqttc::ProxyAuth::None,
            addr: Ipv4Addr::LOCALHOST.to_string(),
            port: self.port,
        }
    }

    /// Why the last dial of the broker failed, if it did.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().unwrap().clone()
    }

    /// `host:port` really dialled.
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(task) = self.accept.take() {
            task.abort();
        }
    }
}

/// Answer one CONNECT for `expect`, dial the broker, then copy bytes both ways.
async fn relay(
    mut client: TcpStream,
    expect: &str,
    dial: &(String, u16),
    dial_timeout: Duration,
) -> Result<(), String> {
    // Read the request head byte by byte up to the blank line, so nothing of the TLS
    // stream after it is swallowed (the client speaks first in TLS, but be exact).
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 4096 {
            return Err("SNI relay: oversized CONNECT request".into());
        }
        match tokio::time::timeout(dial_timeout, client.read(&mut byte)).await {
            Ok(Ok(1)) => head.push(byte[0]),
            _ => return Ok(()), // the client went away before asking: nothing to report
        }
    }
    let head = String::from_utf8_lossy(&head);
    let asked = head
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("CONNECT "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or("");
    if !asked.eq_ignore_ascii_case(expect) {
        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
        return Err(format!(
            "SNI relay: refused CONNECT to `{asked}` (only {expect} is relayed)"
        ));
    }
    let target = format!("{}:{}", dial.0, dial.1);
    let broker = match tokio::time::timeout(dial_timeout, TcpStream::connect(dial_addr(dial))).await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return Err(format!("cannot connect to {target}: {e}"));
        }
        Err(_) => {
            let _ = client
                .write_all(b"HTTP/1.1 504 Gateway Timeout\r\n\r\n")
                .await;
            return Err(format!("timed out connecting to {target}"));
        }
    };
    let _ = broker.set_nodelay(true);
    let _ = client.set_nodelay(true);
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .map_err(|e| format!("SNI relay: {e}"))?;
    let (mut client, mut broker) = (client, broker);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut broker).await;
    Ok(())
}

/// `(host, port)` with an IPv6 literal's brackets removed, for `TcpStream::connect`.
fn dial_addr(dial: &(String, u16)) -> (String, u16) {
    let host = dial.0.trim_start_matches('[').trim_end_matches(']');
    (host.to_string(), dial.1)
}
