//! The fleet page's HTTP side on the admin listener (SPEC.md §7): `/` and its two
//! assets, all compiled into the binary (nothing is fetched from anywhere), and
//! `/api/vehicles`, `/api/vehicles/{vin}`, `/api/events` (Server-Sent Events),
//! `/api/status`.
//!
//! With `daemon.admin_token` set, all of these need the token, given as
//! `Authorization: Bearer TOKEN` or as `?token=TOKEN`, or the cookie `vinstream_token`
//! that opening `/?token=TOKEN` sets (a digest of the token) before it redirects to `/`:
//! a browser's EventSource cannot set headers, and the token leaves the address bar. `/metrics`,
//! `/healthz` and `/readyz` stay open for scrapers and probes.

use super::Fleet;
use crate::admin::Health;
use crate::config::Secret;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const INDEX: &str = include_str!("page/index.html");
const CSS: &str = include_str!("page/fleet.css");
const JS: &str = include_str!("page/fleet.js");
const COOKIE: &str = "vinstream_token";
/// The page loads only what this binary serves.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/// Open `/api/events` streams at most: each one costs a feed slot reader and a
/// serialization per record on the daemon's worker.
const MAX_STREAMS: usize = 32;

struct Web {
    fleet: Fleet,
    health: Health,
    token: Option<Secret>,
    streams: Arc<AtomicUsize>,
}

/// One open event stream, counted while it lives.
struct StreamSlot(Arc<AtomicUsize>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

type Shared = Arc<Web>;
type Params = Query<HashMap<String, String>>;

/// The page's routes, to merge into the admin router.
pub fn router(fleet: Fleet, health: Health, token: Option<Secret>) -> Router {
    let web = Arc::new(Web {
        fleet,
        health,
        token,
        streams: Arc::default(),
    });
    Router::new()
        .route("/", get(index))
        .route("/fleet.css", get(|| asset("text/css; charset=utf-8", CSS)))
        .route(
            "/fleet.js",
            get(|| asset("text/javascript; charset=utf-8", JS)),
        )
        .route("/api/vehicles", get(vehicles))
        .route("/api/vehicles/{vin}", get(vehicle))
        .route("/api/events", get(events))
        .route("/api/status", get(status))
        .route_layer(middleware::from_fn_with_state(web.clone(), guard))
        .with_state(web)
}

/// The token check; a `?token=` on `/` turns into a cookie and a redirect.
async fn guard(State(web): State<Shared>, req: Request, next: Next) -> Response {
    let Some(token) = &web.token else {
        // No token: only a page opened by address or as localhost. A web page elsewhere
        // could otherwise point its own name at 127.0.0.1 (DNS rebinding) and read the
        // fleet's positions from the browser of someone on this machine.
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        if host.is_none_or(host_is_safe) {
            return next.run(req).await;
        }
        return (
            StatusCode::FORBIDDEN,
            "without daemon.admin_token the fleet page answers only to an IP address or localhost\n",
        )
            .into_response();
    };
    let want = token.expose().as_bytes();
    let want_cookie = cookie_value(token);
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='));
    let query = Query::<HashMap<String, String>>::try_from_uri(req.uri())
        .ok()
        .and_then(|Query(mut m)| m.remove("token"));
    let mut by_cookie = cookie;
    let by_cookie = by_cookie.any(|c| same(c.as_bytes(), want_cookie.as_bytes()));
    if by_cookie || bearer.is_some_and(|t| same(t.as_bytes(), want)) {
        return next.run(req).await;
    }
    if query.as_deref().is_some_and(|t| same(t.as_bytes(), want)) {
        if req.uri().path() == "/" {
            let set = format!("{COOKIE}={want_cookie}; Path=/; HttpOnly; SameSite=Strict");
            return (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, set),
                    (header::LOCATION, "/".to_string()),
                ],
            )
                .into_response();
        }
        return next.run(req).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "the fleet page needs daemon.admin_token: open /?token=TOKEN or send Authorization: Bearer TOKEN\n",
    )
        .into_response()
}

/// A `Host` that no DNS name can stand behind: an IP address or `localhost`, any port.
fn host_is_safe(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => {
            return v6
                .split(']')
                .next()
                .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok())
        }
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// The cookie holds a digest of the token, not the token: any byte of a token is fine in
/// it, and the browser never stores the secret itself.
fn cookie_value(token: &Secret) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"vinstream fleet page cookie\0")
        .chain_update(token.expose().as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal bytes, in a time that does not tell how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX,
    )
        .into_response()
}

async fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// A body from the fleet thread; none only when that thread is gone.
fn json_bytes(body: Vec<u8>) -> Response {
    if body.is_empty() {
        let gone = json!({"error": "the fleet state is not available"});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(gone)).into_response();
    }
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Every vehicle (or `?vin=`) with the latest value of every path (or of the
/// comma-separated `?paths=`: the page's table asks for its columns only).
async fn vehicles(State(web): State<Shared>, Query(q): Params) -> Response {
    let paths = q
        .get("paths")
        .map(|p| p.split(',').map(str::to_string).collect());
    json_bytes(web.fleet.list(q.get("vin").cloned(), paths).await)
}

/// One vehicle with the recent battery levels and positions the plots draw.
async fn vehicle(State(web): State<Shared>, Path(vin): Path<String>) -> Response {
    match web.fleet.one(vin).await {
        Some(body) => json_bytes(body),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "unknown VIN"}))).into_response(),
    }
}

/// One `record` event per delivered record (the record as the stdout sink writes it);
/// `?vin=` keeps one vehicle's. A client that falls behind loses records (counted).
async fn events(State(web): State<Shared>, Query(q): Params) -> Response {
    let slot = StreamSlot(web.streams.clone());
    if web.streams.fetch_add(1, Ordering::SeqCst) >= MAX_STREAMS {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("at most {MAX_STREAMS} event streams at once\n"),
        )
            .into_response();
    }
    let vin = q.get("vin").cloned();
    let sub = web.fleet.feed().subscribe();
    let state = (sub, vin, slot);
    let stream = futures_util::stream::unfold(state, |(mut sub, vin, slot)| async move {
        loop {
            let r = sub.next("page").await?;
            if vin.as_deref().is_some_and(|v| v != r.vin) {
                continue;
            }
            let event = Event::default().event("record").data(r.json());
            return Some((Ok::<_, Infallible>(event), (sub, vin, slot)));
        }
    });
    // Sse sets `text/event-stream` and `Cache-Control: no-cache` itself.
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Providers, sinks, backlog and dead letters: the numbers `/metrics` has, as JSON.
async fn status(State(web): State<Shared>) -> Response {
    let mut body = web.health.status();
    let (count, evicted) = web.fleet.counts().await;
    body["vehicles"] = json!({"count": count, "max_vehicles": web.fleet.max_vehicles(),
                              "evicted": evicted});
    body["page_events_dropped"] = json!(crate::telemetry::metrics().fleet_dropped_total("page"));
    Json(body).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_compare_whole() {
        assert!(super::same(b"abc", b"abc"));
        assert!(!super::same(b"abc", b"abd"));
        assert!(!super::same(b"abc", b"abcd"));
        assert!(!super::same(b"", b"a"));
    }

    #[test]
    fn only_addresses_and_localhost_are_hosts_no_dns_name_can_rebind() {
        for ok in [
            "127.0.0.1:9464",
            "127.0.0.1",
            "10.0.0.5:80",
            "localhost:9464",
            "LOCALHOST",
            "app.localhost:1",
            "[::1]:9464",
            "[fe80::1]",
        ] {
            assert!(super::host_is_safe(ok), "{ok}");
        }
        for bad in [
            "evil.example:9464",
            "evil.example",
            "127.0.0.1.evil.example",
            "localhost.evil.example:80",
            "[evil]:1",
            "",
        ] {
            assert!(!super::host_is_safe(bad), "{bad}");
        }
    }

    /// The page loads nothing from elsewhere: no http(s) URL in its files.
    #[test]
    fn the_page_fetches_nothing_from_outside() {
        for (name, text) in [
            ("index.html", super::INDEX),
            ("fleet.css", super::CSS),
            ("fleet.js", super::JS),
        ] {
            for bad in ["http://", "https://", "//cdn", "@import"] {
                assert!(!text.contains(bad), "{name} refers to {bad}");
            }
        }
    }
}
