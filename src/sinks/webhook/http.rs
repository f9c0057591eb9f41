//! One POST of a batch and what the answer means: the request (JSON array, optional
//! gzip, HMAC signature, batch id, custom headers), the retry policy and its backoff.

use super::config::{Compression, WebhookSinkConfig};
use crate::mqtt::tls::{self, TlsFiles};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE};
use sha2::Sha256;
use std::io::Write;
use std::time::{Duration, SystemTime};
use tracing::warn;

pub const BATCH_ID_HEADER: &str = "x-vinstream-batch-id";
pub const SIGNATURE_HEADER: &str = "x-vinstream-signature";
/// Set by the sink itself; a `headers` entry may not replace them.
const RESERVED: &[&str] = &[
    "content-type",
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "host",
    BATCH_ID_HEADER,
    SIGNATURE_HEADER,
];
/// How much of an error response is kept (for logs and rejected.jsonl).
const MAX_RESPONSE: usize = 4096;
/// Longest Retry-After we wait; a larger one is taken as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// A request body, ready to be sent as often as needed.
pub struct Prepared {
    pub body: Bytes,
    pub signature: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// A permanent refusal of this batch (a 4xx not in [`endpoint_status`]).
    Rejected {
        status: u16,
        response: String,
    },
    /// Send again later; `after` when the server said when (Retry-After). `attention`:
    /// the status an operator has to act on (a 4xx of [`endpoint_status`]), for /readyz.
    Retry {
        reason: String,
        after: Option<Duration>,
        attention: Option<String>,
    },
}

/// The 4xx that say the endpoint, not the batch, is wrong or busy, with what to check.
/// They are retried (the batch stays in the spool) until the endpoint or the config is
/// fixed: a wrong URL or expired credentials must not send every batch to rejected.jsonl.
/// Every other 4xx (400, 409, 411–418, 422, 431, 451, …) refuses the batch itself and
/// sends it to rejected.jsonl.
pub fn endpoint_status(code: u16) -> Option<&'static str> {
    Some(match code {
        401 | 403 => "check the credentials in `headers`",
        407 => "a proxy wants credentials",
        404 | 405 | 410 | 421 => "check `url`",
        408 | 425 | 429 => "the endpoint is busy",
        _ => return None,
    })
}

pub struct Endpoint {
    client: reqwest::Client,
    url: reqwest::Url,
    secret: Option<Vec<u8>>,
    gzip: bool,
    /// The URL for logs: no credentials, no query.
    pub shown: String,
}

/// `scheme://host:port/path` of a URL: what logs may show.
pub fn redact(url: &reqwest::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    ) + url.path()
}

fn custom_headers(config: &WebhookSinkConfig) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (k, v) in &config.headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| format!("headers: `{k}` is not a valid HTTP header name"))?;
        if RESERVED.contains(&name.as_str()) {
            return Err(format!("headers: `{k}` is set by the sink itself"));
        }
        // Never echo the value: it is usually a credential.
        let mut value = HeaderValue::from_str(v.expose())
            .map_err(|_| format!("headers.{k}: the value is not a valid HTTP header value"))?;
        value.set_sensitive(true);
        map.append(name, value);
    }
    Ok(map)
}

impl Endpoint {
    pub fn new(config: &WebhookSinkConfig) -> Result<Endpoint, String> {
        let url =
            reqwest::Url::parse(&config.url).map_err(|e| format!("url: not a valid URL ({e})"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(format!("url: scheme `{other}` (expected https or http)")),
        };
        if url.host_str().is_none_or(str::is_empty) {
            return Err("url: no host".into());
        }
        let secret = match &config.secret {
            Some(s) if s.is_empty() => return Err("secret: is empty".into()),
            Some(s) => Some(s.expose().as_bytes().to_vec()),
            None => None,
        };
        let timeout = config.timeout.0;
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vinstream/", env!("CARGO_PKG_VERSION")))
            .default_headers(custom_headers(config)?);
        let shown = redact(&url);
        let mut url = url;
        if https {
            let tls = tls::client_config(&TlsFiles {
                ca_file: config.ca_file.clone(),
                client_cert: None,
                server_name: config.server_name.clone(),
            })
            .map_err(|e| format!("ca_file / server_name: {e}"))?;
            builder = builder.use_preconfigured_tls((*tls).clone());
            if let Some(name) = &config.server_name {
                builder = server_name_route(builder, &mut url, name)?;
            }
        } else {
            let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if !loopback {
                warn!(endpoint = %redact(&url), "webhook url is plain http: records travel unencrypted");
            }
            if config.ca_file.is_some() || config.server_name.is_some() {
                warn!("webhook ca_file and server_name are only used with https urls");
            }
        }
        let client = builder
            .build()
            .map_err(|e| format!("HTTP client setup failed: {e}"))?;
        Ok(Endpoint {
            client,
            shown,
            url,
            secret,
            gzip: config.compression == Compression::Gzip,
        })
    }

    /// The body (a JSON array of the records, gzipped if configured) and its signature.
    pub fn prepare(&self, records: &[Vec<u8>]) -> Prepared {
        let json = json_array(records);
        let body = if self.gzip {
            let mut gz = flate2::write::GzEncoder::new(
                Vec::with_capacity(json.len() / 4),
                flate2::Compression::default(),
            );
            gz.write_all(&json).expect("writing to a Vec cannot fail");
            gz.finish().expect("writing to a Vec cannot fail")
        } else {
            json
        };
        let signature = self.secret.as_deref().map(|s| sign(s, &body));
        Prepared {
            body: Bytes::from(body),
            signature,
        }
    }

    pub async fn post(&self, batch_id: &str, p: &Prepared) -> Outcome {
        let mut req = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(BATCH_ID_HEADER, batch_id)
            .body(p.body.clone());
        if self.gzip {
            req = req.header(CONTENT_ENCODING, "gzip");
        }
        if let Some(sig) = &p.signature {
            req = req.header(SIGNATURE_HEADER, sig);
        }
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Retry {
                    reason: describe(e),
                    after: None,
                    attention: None,
                }
            }
        };
        let status = resp.status();
        let after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        let mut response = Vec::new();
        while response.len() < MAX_RESPONSE {
            match resp.chunk().await {
                Ok(Some(c)) => response.extend_from_slice(&c),
                _ => break,
            }
        }
        response.truncate(MAX_RESPONSE);
        let response = String::from_utf8_lossy(&response).into_owned();
        let code = status.as_u16();
        if status.is_success() {
            Outcome::Delivered
        } else if status.is_server_error() {
            Outcome::Retry {
                reason: format!("HTTP {status}"),
                after,
                attention: None,
            }
        } else if let Some(hint) = endpoint_status(code) {
            Outcome::Retry {
                reason: format!("HTTP {status} ({hint})"),
                after,
                attention: Some(format!("HTTP {status} ({hint})")),
            }
        } else if status.is_client_error() {
            Outcome::Rejected {
                status: code,
                response,
            }
        } else {
            Outcome::Retry {
                reason: format!(
                    "HTTP {status} (redirects are not followed: configure the final URL)"
                ),
                after: None,
                attention: None,
            }
        }
    }
}

/// A reqwest error with its causes, without the URL (it may carry credentials).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut out = format!("{kind}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}

/// `[r1,r2,…]` from records that are each one JSON object.
pub fn json_array(records: &[Vec<u8>]) -> Vec<u8> {
    let len = records.iter().map(|r| r.len() + 1).sum::<usize>() + 2;
    let mut out = Vec::with_capacity(len);
    out.push(b'[');
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(r);
    }
    out.push(b']');
    out
}

/// `sha256=<lowercase hex HMAC-SHA256(secret, body)>`, over the body as sent.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A Retry-After value (delay-seconds or an HTTP date), capped at ten minutes.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let at = SystemTime::from(at);
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Jittered exponential backoff: 0.5 s doubling to 60 s, each delay drawn from
/// [d/2, d] so that many senders do not retry in step.
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: BACKOFF_FIRST,
        }
    }
}

impl Backoff {
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        d.mul_f64(0.5 + 0.5 * fastrand::f64())
    }

    pub fn reset(&mut self) {
        self.next = BACKOFF_FIRST;
    }
}

/// `server_name` for an https webhook: the request goes to `https://{server_name}:{port}`
/// (so it is the SNI, the verified name and the `Host`), and that one name resolves to the
/// URL's own host, an address or an alias, looked up at each connect.
fn server_name_route(
    builder: reqwest::ClientBuilder,
    url: &mut reqwest::Url,
    name: &str,
) -> Result<reqwest::ClientBuilder, String> {
    let host = url.host_str().unwrap_or_default().to_string();
    if host.eq_ignore_ascii_case(name) {
        return Ok(builder);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    url.set_host(Some(name))
        .map_err(|e| format!("server_name: `{name}` is not a host name ({e})"))?;
    if url.host_str() != Some(&name.to_ascii_lowercase())
        || name.parse::<std::net::IpAddr>().is_ok()
    {
        return Err(format!("server_name: `{name}` must be a DNS name"));
    }
    let resolver = AliasResolver {
        name: name.to_ascii_lowercase(),
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port,
    };
    Ok(builder.dns_resolver(std::sync::Arc::new(resolver)))
}

/// Resolves `name` as `host` (reqwest dials the URL's port).
struct AliasResolver {
    name: String,
    host: String,
    port: u16,
}

impl reqwest::dns::Resolve for AliasResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let target = if name.as_str().eq_ignore_ascii_case(&self.name) {
            (self.host.clone(), self.port)
        } else {
            (name.as_str().to_string(), self.port)
        };
        Box::pin(async move {
            let addrs = tokio::net::lookup_host(target).await?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.collect::<Vec<_>>().into_iter());
            Ok(addrs)
        })
    }
}
