//! The `url` key: a `postgres://` URL read into a tokio-postgres config and a TLS mode,
//! without connecting, so `vinstream check` and `build` refuse the same things.
//!
//! tokio-postgres knows `sslmode` disable / prefer / require only and never verifies by
//! itself; the verification is ours (rustls, see [`crate::mqtt::tls`]), and there is no
//! mode without it:
//! - `disable`: plain TCP.
//! - `prefer`: TLS when the server offers it, plain TCP when it does not; a certificate
//!   that does not verify is an error. Someone on the path can still strip TLS (and read
//!   the password), so it is the default only for a server on loopback or a socket.
//! - no `sslmode`: `require` for a server elsewhere (libpq would `prefer`), `prefer` on
//!   loopback.
//! - `require`, `verify-ca`, `verify-full`: TLS, and the certificate must verify against
//!   `sslrootcert` (a PEM file, or `system`; default: the system's CA certificates) and
//!   name the host. libpq's `require` encrypts without verifying, and `verify-ca` skips
//!   the name: both are stricter here, on purpose (no switch disables verification).
//!
//! The URL carries the password: no message here quotes it.

use crate::mqtt::tls::{self, TlsFiles};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::{Host, SslMode};

/// What `sslmode` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    Disable,
    Prefer,
    Require,
}

/// Everything needed to connect, read from the URL.
#[derive(Clone)]
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: Tls,
    /// `sslrootcert`: `None` = the system's CA certificates.
    pub root_cert: Option<PathBuf>,
}

impl Target {
    /// `host:port/db` for logs and /readyz: no user, no password.
    pub fn describe(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "?".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self
            .config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("?");
        format!("{host}:{port}/{db}")
    }

    /// The rustls client config for `sslmode` prefer/require (`None` for disable).
    pub fn rustls(&self) -> Result<Option<Arc<rustls::ClientConfig>>, String> {
        if self.tls == Tls::Disable {
            return Ok(None);
        }
        let files = TlsFiles {
            ca_file: self.root_cert.clone(),
            client_cert: None,
            server_name: None,
        };
        tls::client_config(&files)
            .map(Some)
            .map_err(|e| format!("url: sslrootcert: {e}"))
    }
}

/// Server settings for the sink's sessions unless the URL sets `options`.
pub const STATEMENT_LIMITS: &str = "-c statement_timeout=60000 -c lock_timeout=30000";

/// A server on this machine: a Unix socket, `localhost` or a loopback address.
fn is_local(host: &Host) -> bool {
    match host {
        Host::Unix(_) => true,
        Host::Tcp(h) => {
            h.eq_ignore_ascii_case("localhost")
                || h.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    }
}

/// Read the URL. Errors start with `url: ` and never quote the URL.
pub fn parse(url: &str) -> Result<Target, String> {
    let url = url.trim();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err("url: must be a postgres:// or postgresql:// URL".into());
    }
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut kept = Vec::new();
    let mut tls = None;
    let mut root_cert = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value).map_err(|e| format!("url: {key}: {e}"))?;
        match key {
            "sslmode" => {
                tls = Some(match value.as_str() {
                    "disable" => Tls::Disable,
                    "prefer" | "allow" => Tls::Prefer,
                    "require" | "verify-ca" | "verify-full" => Tls::Require,
                    other => {
                        return Err(format!(
                            "url: sslmode `{other}` is not one of disable, allow, prefer, \
                             require, verify-ca, verify-full"
                        ))
                    }
                })
            }
            "sslrootcert" if value == "system" => root_cert = None,
            "sslrootcert" => root_cert = Some(PathBuf::from(value)),
            "sslcert" | "sslkey" | "sslpassword" | "sslcrl" => {
                return Err(format!(
                    "url: {key} is not supported (client certificates are not implemented)"
                ))
            }
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let mut config = tokio_postgres::Config::from_str(&rest)
        .map_err(|e| format!("url: not a valid PostgreSQL URL ({e})"))?;
    if config.get_hosts().is_empty() {
        return Err("url: names no host (postgres://user@HOST:5432/db)".into());
    }
    if config.get_user().is_none_or(str::is_empty) {
        return Err("url: names no user (postgres://USER@host:5432/db)".into());
    }
    let tls = tls.unwrap_or_else(|| {
        if config.get_hosts().iter().all(is_local) {
            Tls::Prefer
        } else {
            Tls::Require
        }
    });
    config.ssl_mode(match tls {
        Tls::Disable => SslMode::Disable,
        Tls::Prefer => SslMode::Prefer,
        Tls::Require => SslMode::Require,
    });
    if config.get_application_name().is_none() {
        config.application_name("vinstream");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    // A server that vanished without a reset (a cut cable, a frozen VM) must not hold a
    // batch for the kernel's default two hours of TCP keepalive.
    config.keepalives_idle(Duration::from_secs(30));
    config.keepalives_interval(Duration::from_secs(10));
    config.keepalives_retries(3);
    config.tcp_user_timeout(Duration::from_secs(60));
    // A batch waiting on a lock another session holds, or a statement that never ends,
    // fails (the batch is retried on a new connection, the sink reports why) instead of
    // holding every ack while the sink still looks ready. `options` in the URL wins.
    if config.get_options().is_none() {
        config.options(STATEMENT_LIMITS);
    }
    if let Some(path) = &root_cert {
        tls::load_certs(path).map_err(|e| format!("url: sslrootcert: {e}"))?;
    }
    Ok(Target {
        config,
        tls,
        root_cert,
    })
}

/// `%XX` escapes of a query value, as libpq reads them.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a `%` not followed by two hex digits")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 once decoded".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_spec_example_and_keeps_tls_verification_for_require() {
        let t = parse("postgres://vinstream:s3cr%40t@db.example.com:5433/fleet?sslmode=require")
            .unwrap();
        assert_eq!(t.tls, Tls::Require);
        assert_eq!(t.config.get_password(), Some(&b"s3cr@t"[..]));
        assert_eq!(t.config.get_user(), Some("vinstream"));
        assert_eq!(t.describe(), "db.example.com:5433/fleet");
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        for mode in ["verify-ca", "verify-full"] {
            let t = parse(&format!("postgresql://u@h/db?sslmode={mode}")).unwrap();
            assert_eq!(t.tls, Tls::Require, "{mode}");
        }
        // no sslmode: TLS required for a server elsewhere (no stripping to plain text),
        // preferred on loopback
        assert_eq!(parse("postgres://u@h/db").unwrap().tls, Tls::Require);
        assert_eq!(
            parse("postgres://u@db.example.com/db").unwrap().tls,
            Tls::Require
        );
        assert_eq!(
            parse("postgres://u@127.0.0.1:5433/db").unwrap().tls,
            Tls::Prefer
        );
        assert_eq!(parse("postgres://u@localhost/db").unwrap().tls, Tls::Prefer);
        assert_eq!(parse("postgres://u@[::1]/db").unwrap().tls, Tls::Prefer);
        assert_eq!(
            parse("postgres://u@h/db?sslmode=prefer").unwrap().tls,
            Tls::Prefer
        );
        // a lock wait or a hung statement fails the batch instead of holding acks forever
        let t = parse("postgres://u@h/db").unwrap();
        assert_eq!(t.config.get_options(), Some(STATEMENT_LIMITS));
        let t = parse("postgres://u@h/db?options=-c%20statement_timeout%3D5000").unwrap();
        assert_eq!(t.config.get_options(), Some("-c statement_timeout=5000"));
        assert_eq!(
            parse("postgres://u@h/db?sslmode=disable&application_name=x")
                .unwrap()
                .config
                .get_application_name(),
            Some("x")
        );
    }

    #[test]
    fn refuses_what_cannot_work_without_quoting_the_url() {
        for (url, wanted) in [
            ("mysql://u:hunter2@h/db", "postgres://"),
            ("postgres://u:hunter2@h/db?sslmode=sometimes", "sslmode"),
            ("postgres://u:hunter2@h/db?sslcert=/x.pem", "sslcert"),
            ("postgres://u:hunter2@h/db?bogus=1", "not a valid"),
            ("postgres://u:hunter2@h:notaport/db", "not a valid"),
            ("postgres://:hunter2@h/db", "no user"),
            (
                "postgres://u:hunter2@h/db?sslmode=require&sslrootcert=/nonexistent/ca.pem",
                "sslrootcert",
            ),
        ] {
            let e = parse(url).err().unwrap_or_else(|| panic!("{url} accepted"));
            assert!(e.starts_with("url: "), "{e}");
            assert!(e.contains(wanted), "{url}: {e}");
            assert!(!e.contains("hunter2"), "the password leaked: {e}");
        }
    }
}
