//! The admin endpoint (`daemon.admin_listen`): `/metrics` (Prometheus text), `/healthz`
//! (200 while the process runs) and `/readyz` (200 only when every provider is connected
//! and subscribed, every sink is usable and the dead letter and dedup store in `state_dir`
//! can be written; otherwise 503 with a JSON body naming what
//! is not ready). Also the once-a-second monitor that feeds gauges, systemd and the
//! periodic summary line. The fleet page's routes (`/`, `/api/*`) live in
//! [`crate::fleet::web`] and are merged in here; [`Health::status`] feeds its status strip.

use crate::mqtt::SessionWatch;
use crate::sinks::Sink;
use crate::telemetry;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tracing::info;

/// The providers and sinks running now.
type Parts = (Vec<SessionWatch>, Vec<Arc<dyn Sink>>);

/// What health checks look at; replaced on a config reload.
#[derive(Clone, Default)]
pub struct Health {
    inner: Arc<RwLock<Parts>>,
}

impl Health {
    pub fn set(&self, providers: Vec<SessionWatch>, sinks: Vec<Arc<dyn Sink>>) {
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = (providers, sinks);
    }

    fn snapshot(&self) -> Parts {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `None` when ready; otherwise what is not, by name.
    pub fn not_ready(&self) -> Option<Value> {
        let (provider_list, sink_list) = self.snapshot();
        let mut providers = serde_json::Map::new();
        for p in &provider_list {
            let st = p.status();
            let why = match (p.problem(), st.connected, st.subscribed) {
                (Some(problem), _, _) => Some(problem),
                (None, false, _) => Some("not connected".to_string()),
                (None, true, false) => Some("connected, not subscribed".to_string()),
                _ => None,
            };
            if let Some(why) = why {
                providers.insert(p.name().to_string(), Value::from(why));
            }
        }
        let mut sinks = serde_json::Map::new();
        for s in &sink_list {
            // The sink's own word first; else the pipeline's: its last batch failed.
            if let Some(problem) = s.problem().or_else(|| telemetry::sink_failing(s.name())) {
                sinks.insert(s.name().to_string(), Value::from(problem));
            }
        }
        let state: serde_json::Map<String, Value> = telemetry::state_problems()
            .into_iter()
            .map(|(part, problem)| (part.to_string(), Value::from(problem)))
            .collect();
        if providers.is_empty() && sinks.is_empty() && state.is_empty() {
            None
        } else {
            Some(json!({"ready": false, "providers": providers, "sinks": sinks, "state": state}))
        }
    }

    /// What the fleet page's status strip shows: each provider's connection, each
    /// sink's readiness and backlog, and the dead letters, from the same telemetry as
    /// `/metrics` and `/readyz`.
    pub fn status(&self) -> Value {
        let (provider_list, sink_list) = self.snapshot();
        let m = telemetry::metrics();
        let mut dead_letters = 0;
        let providers: Vec<Value> = provider_list
            .iter()
            .map(|p| {
                let st = p.status();
                let malformed = m.malformed_total(p.name());
                dead_letters += malformed;
                json!({"name": p.name(), "connected": st.connected, "ready": st.ready(),
                       "problem": p.problem(), "received": m.received_total(p.name()),
                       "malformed": malformed})
            })
            .collect();
        let sinks: Vec<Value> = sink_list
            .iter()
            .map(|s| {
                let problem = s.problem().or_else(|| telemetry::sink_failing(s.name()));
                let rejected = telemetry::sink_rejected_total(s.name());
                dead_letters += rejected;
                json!({"name": s.name(), "ready": problem.is_none(), "problem": problem,
                       "backlog_bytes": s.buffer_bytes(),
                       "delivered": m.delivered_total(s.name()), "rejected": rejected})
            })
            .collect();
        json!({"ready": self.not_ready().is_none(), "providers": providers, "sinks": sinks,
               "dead_letters": dead_letters})
    }

    fn update_gauges(&self) {
        let (providers, sinks) = self.snapshot();
        for p in &providers {
            telemetry::provider_ready(p.name(), p.status().ready());
        }
        for s in &sinks {
            telemetry::sink_buffer(s.name(), s.buffer_bytes());
        }
    }
}

/// Bind the admin listener now (so a bad address fails the start) and serve it, with
/// the fleet page's routes (`page`, see [`crate::fleet::web`]) beside the probes.
pub async fn serve(addr: &str, health: Health, page: Router) -> Result<(), String> {
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| format!("daemon.admin_listen: `{addr}` is not an address: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("daemon.admin_listen: cannot listen on {addr}: {e}"))?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(Arc::new(health))
        .merge(page);
    info!(%addr, "admin endpoint listening (/metrics /healthz /readyz, fleet page on /)");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "admin endpoint stopped");
        }
    });
    Ok(())
}

async fn metrics(State(health): State<Arc<Health>>) -> impl IntoResponse {
    health.update_gauges();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        telemetry::metrics().render(),
    )
}

async fn readyz(State(health): State<Arc<Health>>) -> impl IntoResponse {
    match health.not_ready() {
        None => (StatusCode::OK, Json(json!({"ready": true}))),
        Some(body) => (StatusCode::SERVICE_UNAVAILABLE, Json(body)),
    }
}

/// Once a second: gauges, systemd readiness and watchdog; every `summary_every`, one
/// info line so a person tailing the log sees the daemon is alive and what it does.
pub async fn monitor(health: Health, summary_every: Duration) {
    let watchdog = sd_notify::watchdog_enabled().map(|d| d / 2);
    let mut last_ping = Instant::now();
    let mut told_ready = false;
    let mut last_summary = Instant::now();
    let mut last_counts = counts(&health);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        health.update_gauges();
        if !told_ready && health.not_ready().is_none() {
            told_ready = true;
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
            info!("ready: every provider connected and subscribed, every sink usable");
        }
        if let Some(every) = watchdog {
            if last_ping.elapsed() >= every {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                last_ping = Instant::now();
            }
        }
        if last_summary.elapsed() >= summary_every {
            let now_counts = counts(&health);
            let secs = last_summary.elapsed().as_secs_f64();
            info!("{}", summary(&health, &last_counts, &now_counts, secs));
            last_counts = now_counts;
            last_summary = Instant::now();
        }
    }
}

fn counts(health: &Health) -> HashMap<String, u64> {
    let m = telemetry::metrics();
    let mut c = HashMap::new();
    let (providers, sinks) = health.snapshot();
    for p in &providers {
        c.insert(format!("p/{}", p.name()), m.received_total(p.name()));
    }
    for s in &sinks {
        c.insert(format!("s/{}", s.name()), m.delivered_total(s.name()));
    }
    c
}

fn summary(
    health: &Health,
    before: &HashMap<String, u64>,
    now: &HashMap<String, u64>,
    secs: f64,
) -> String {
    let rate = |k: &str| {
        now.get(k)
            .unwrap_or(&0)
            .saturating_sub(*before.get(k).unwrap_or(&0)) as f64
            / secs.max(1e-9)
    };
    let (provider_list, sink_list) = health.snapshot();
    let providers: Vec<String> = provider_list
        .iter()
        .map(|p| {
            let state = if p.status().ready() {
                ""
            } else {
                " (not ready)"
            };
            format!(
                "{} {:.1} msg/s{state}",
                p.name(),
                rate(&format!("p/{}", p.name()))
            )
        })
        .collect();
    let sinks: Vec<String> = sink_list
        .iter()
        .map(|s| {
            let backlog = s.buffer_bytes();
            let extra = if backlog > 0 {
                format!(", backlog {backlog} B")
            } else {
                String::new()
            };
            format!(
                "{} {:.1} rec/s{extra}",
                s.name(),
                rate(&format!("s/{}", s.name()))
            )
        })
        .collect();
    format!(
        "summary: providers [{}]; sinks [{}]",
        providers.join(", "),
        sinks.join(", ")
    )
}
