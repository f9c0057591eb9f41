//! The connection to NATS and what we know about it: connected or not (async-nats
//! reconnects by itself), whether the stream exists (checked at every (re)connect, created
//! when `create_stream`), and why the last batch failed — the sink's `problem()`.

use async_nats::connection::State;
use async_nats::jetstream::context::{CreateStreamErrorKind, GetStreamErrorKind};
use async_nats::jetstream::stream::{Config as StreamConfig, Info, StorageType};
use async_nats::jetstream::{self, ErrorCode};
use async_nats::{Client, ConnectOptions, Event, ServerAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

/// How often a stream that is missing (or could not be checked) is looked at again.
const RECHECK: Duration = Duration::from_secs(2);

/// The stream the sink publishes into, and how to create it.
#[derive(Debug, Clone)]
pub struct StreamPlan {
    pub name: String,
    pub create: bool,
    pub subjects: Vec<String>,
    pub max_age: Option<Duration>,
    pub duplicate_window: Duration,
}

/// Wakes the supervisor: a (re)connect, or a publish that found no stream.
#[derive(Debug)]
pub enum Signal {
    Connected,
    Recheck,
}

#[derive(Default)]
struct Known {
    /// `Some(Ok)` once the stream was found or created; `Some(Err(why))` when it was not.
    stream: Option<Result<(), String>>,
    /// Since when the connection is down (None while connected or before the first try).
    down_since: Option<Instant>,
    ever_connected: bool,
    last_connect_error: Option<String>,
    batch_error: Option<String>,
}

pub struct Status {
    known: Mutex<Known>,
    /// Bumped after every stream check and failed connect attempt, so `build` can wait
    /// for the first verdict.
    verdicts: watch::Sender<u64>,
}

impl Status {
    fn new() -> Status {
        Status {
            known: Mutex::new(Known::default()),
            verdicts: watch::channel(0).0,
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_batch_error(&self, error: Option<String>) {
        self.known().batch_error = error;
    }

    pub fn stream_problem(&self) -> Option<String> {
        match &self.known().stream {
            Some(Err(why)) => Some(why.clone()),
            _ => None,
        }
    }

    fn stream_ready(&self) -> bool {
        matches!(self.known().stream, Some(Ok(())))
    }
}

pub struct Link {
    pub client: Client,
    pub js: jetstream::Context,
    pub status: Arc<Status>,
    /// The servers as they may be shown: no user, password or token.
    pub servers: String,
    signals: mpsc::UnboundedSender<Signal>,
    supervisor: tokio::task::JoinHandle<()>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.supervisor.abort();
    }
}

impl Link {
    /// Start connecting (in the background: a NATS that is down is not an error here) and
    /// checking the stream. Only settings that can never work are errors.
    pub async fn open(
        name: &str,
        config: &super::config::NatsSinkConfig,
        plan: StreamPlan,
    ) -> Result<Link, String> {
        let addrs = parse_servers(&config.url)?;
        let servers = shown(&addrs);
        let timeout = config.timeout.0;
        let mut options = match &config.credentials_file {
            Some(path) => ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|e| format!("credentials_file {}: {e}", path.display()))?,
            None => ConnectOptions::new(),
        };
        if let Some(name) = &config.server_name {
            // Our own rustls config verifies against `server_name` instead of the dialled
            // host. (async-nats sends the URL's host as SNI; nats-server does not use SNI.)
            let tls = crate::mqtt::tls::client_config(&crate::mqtt::tls::TlsFiles {
                ca_file: config.ca_file.clone(),
                client_cert: None,
                server_name: Some(name.clone()),
            })
            .map_err(|e| format!("server_name / ca_file: {e}"))?;
            options = options.tls_client_config((*tls).clone()).require_tls(true);
        } else if let Some(ca) = &config.ca_file {
            std::fs::metadata(ca).map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        let status = Arc::new(Status::new());
        let (signals, rx) = mpsc::unbounded_channel();
        let on_event = {
            let (name, status, signals) = (name.to_string(), status.clone(), signals.clone());
            let servers = servers.clone();
            move |event: Event| {
                on_event(&name, &servers, &status, &signals, event);
                std::future::ready(())
            }
        };
        let client = options
            .name(format!("vinstream {name}"))
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connection_timeout(timeout.min(Duration::from_secs(10)))
            .request_timeout(Some(timeout))
            .event_callback(on_event)
            .connect(addrs)
            .await
            .map_err(|e| format!("url {servers}: {e}"))?;
        let js = jetstream::ContextBuilder::new()
            .timeout(timeout)
            .build(client.clone());
        let supervisor = tokio::spawn(supervise(
            name.to_string(),
            plan,
            js.clone(),
            client.clone(),
            status.clone(),
            rx,
        ));
        Ok(Link {
            client,
            js,
            status,
            servers,
            signals,
            supervisor,
        })
    }

    /// Waits (bounded) for the first verdict — the stream checked, or a connect attempt
    /// failed — so a daemon that starts with NATS up begins with a known stream instead of
    /// a failed first batch, and one that starts with NATS down does not wait long.
    pub async fn first_verdict(&self, within: Duration) {
        let mut verdicts = self.status.verdicts.subscribe();
        let _ = tokio::time::timeout(within, verdicts.wait_for(|n| *n > 0)).await;
    }

    pub fn recheck(&self) {
        let _ = self.signals.send(Signal::Recheck);
    }

    pub fn connected(&self) -> bool {
        self.client.connection_state() == State::Connected
    }

    /// Why records cannot be published now, if we know of a reason.
    pub fn problem(&self) -> Option<String> {
        let known = self.status.known();
        if !self.connected() {
            let since = match known.down_since {
                Some(t) => format!(" for {}s", t.elapsed().as_secs()),
                None if !known.ever_connected => " (never connected yet)".into(),
                None => String::new(),
            };
            let last = known
                .last_connect_error
                .as_deref()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default();
            return Some(format!(
                "not connected to NATS at {}{since}{last}",
                self.servers
            ));
        }
        if let Some(Err(why)) = &known.stream {
            return Some(why.clone());
        }
        known.batch_error.clone()
    }
}

fn on_event(
    name: &str,
    servers: &str,
    status: &Status,
    signals: &mpsc::UnboundedSender<Signal>,
    event: Event,
) {
    let mut known = status.known();
    match event {
        Event::Connected => {
            info!(sink = %name, servers = %servers, "connected to NATS");
            known.down_since = None;
            known.ever_connected = true;
            known.last_connect_error = None;
            let _ = signals.send(Signal::Connected);
        }
        Event::Disconnected => {
            warn!(sink = %name, servers = %servers, "lost the NATS connection; reconnecting");
            known.down_since = Some(Instant::now());
        }
        Event::ClientError(e) => {
            let e = e.to_string();
            // A connect attempt fails every few seconds while NATS is down: say it once.
            if known.last_connect_error.as_deref() != Some(e.as_str()) {
                warn!(sink = %name, servers = %servers, error = %e,
                    "cannot connect to NATS; retrying");
            } else {
                debug!(sink = %name, error = %e, "NATS connect attempt failed");
            }
            if known.down_since.is_none() && !known.ever_connected {
                known.down_since = Some(Instant::now());
            }
            known.last_connect_error = Some(e);
            status.verdicts.send_modify(|n| *n += 1);
        }
        Event::ServerError(e) => {
            warn!(sink = %name, servers = %servers, error = %e, "NATS server error");
            known.last_connect_error = Some(e.to_string());
        }
        other => info!(sink = %name, event = %other, "NATS connection event"),
    }
}

/// Checks the stream whenever the connection comes (back) and, while it is not usable,
/// every few seconds; creates it when the plan says so.
async fn supervise(
    name: String,
    plan: StreamPlan,
    js: jetstream::Context,
    client: Client,
    status: Arc<Status>,
    mut rx: mpsc::UnboundedReceiver<Signal>,
) {
    loop {
        if status.stream_ready() {
            if rx.recv().await.is_none() {
                return;
            }
        } else if let Ok(None) = tokio::time::timeout(RECHECK, rx.recv()).await {
            return;
        }
        while rx.try_recv().is_ok() {}
        if client.connection_state() != State::Connected {
            continue;
        }
        let result = ensure_stream(&name, &js, &plan).await;
        let mut known = status.known();
        if known.stream != Some(result.clone()) {
            match &result {
                Ok(()) => info!(sink = %name, stream = %plan.name, "JetStream stream ready"),
                Err(why) => {
                    warn!(sink = %name, stream = %plan.name, problem = %why,
                        "JetStream stream not usable")
                }
            }
        }
        known.stream = Some(result);
        drop(known);
        status.verdicts.send_modify(|n| *n += 1);
    }
}

async fn ensure_stream(
    name: &str,
    js: &jetstream::Context,
    plan: &StreamPlan,
) -> Result<(), String> {
    let missing = match js.get_stream(&plan.name).await {
        Ok(stream) => {
            check_window(name, plan, stream.cached_info());
            return Ok(());
        }
        Err(e) => match e.kind() {
            GetStreamErrorKind::JetStream(err)
                if err.error_code() == ErrorCode::STREAM_NOT_FOUND =>
            {
                format!("stream {} does not exist on the NATS server", plan.name)
            }
            GetStreamErrorKind::JetStream(err)
                if err.error_code() == ErrorCode::JETSTREAM_NOT_ENABLED
                    || err.error_code() == ErrorCode::JETSTREAM_NOT_ENABLED_FOR_ACCOUNT =>
            {
                return Err(no_jetstream());
            }
            GetStreamErrorKind::Request if e.to_string().contains("no responders") => {
                return Err(no_jetstream());
            }
            _ => return Err(format!("cannot look up stream {}: {e}", plan.name)),
        },
    };
    if !plan.create {
        return Err(format!(
            "{missing} and create_stream = false: create it (subjects {:?}) \
             or set create_stream = true",
            plan.subjects
        ));
    }
    let config = StreamConfig {
        name: plan.name.clone(),
        subjects: plan.subjects.clone(),
        max_age: plan.max_age.unwrap_or_default(),
        duplicate_window: plan.duplicate_window,
        storage: StorageType::File,
        ..Default::default()
    };
    match js.create_stream(config).await {
        Ok(stream) => {
            let c = &stream.cached_info().config;
            info!(sink = %name, stream = %c.name, subjects = ?c.subjects,
                duplicate_window = ?c.duplicate_window, max_age = ?c.max_age,
                "created the JetStream stream");
            Ok(())
        }
        Err(e) => {
            // Another replica may have created it a moment ago.
            if let Ok(stream) = js.get_stream(&plan.name).await {
                check_window(name, plan, stream.cached_info());
                return Ok(());
            }
            Err(match e.kind() {
                CreateStreamErrorKind::JetStreamUnavailable => no_jetstream(),
                _ => format!("cannot create stream {}: {e}", plan.name),
            })
        }
    }
}

fn no_jetstream() -> String {
    "JetStream is not enabled on the NATS server (or not for this account): \
     start it with -js or a `jetstream {}` block"
        .into()
}

/// The stream's duplicate window is what makes a retried batch harmless: say so when it is
/// shorter than the one configured for us.
fn check_window(name: &str, plan: &StreamPlan, info: &Info) {
    let window = info.config.duplicate_window;
    if window < plan.duplicate_window {
        warn!(sink = %name, stream = %plan.name, stream_window = ?window,
            configured = ?plan.duplicate_window,
            "the stream's duplicate window is shorter than duplicate_window: \
             a record retried after it lands twice");
    } else {
        debug!(sink = %name, stream = %plan.name, duplicate_window = ?window, "stream found");
    }
}

/// `url` may list several servers separated by commas.
pub fn parse_servers(url: &str) -> Result<Vec<ServerAddr>, String> {
    let addrs: Result<Vec<ServerAddr>, String> = url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| u.parse::<ServerAddr>().map_err(|e| format!("url: {e}")))
        .collect();
    let addrs = addrs?;
    if addrs.is_empty() {
        return Err("url: no NATS server given".into());
    }
    Ok(addrs)
}

/// Servers for logs and problems: scheme, host and port only (never user, password, token).
pub fn shown(addrs: &[ServerAddr]) -> String {
    addrs
        .iter()
        .map(|a| format!("{}://{}:{}", a.scheme(), a.host(), a.port()))
        .collect::<Vec<_>>()
        .join(",")
}
