//! `vinstream run`: wire providers → pipeline → sinks, reload on SIGHUP, and own the
//! shutdown sequence: stop taking deliveries, let in-flight records reach every sink and
//! be acked, close the sessions cleanly, then close the sinks — within `shutdown_timeout`.

use crate::admin::{self, Health};
use crate::deadletter::DeadLetter;
use crate::dedup::DedupWindow;
use crate::mqtt::{DeliverFn, Session};
use crate::pipeline::{Msg, Pipeline, Reconfig, Reconfigure};
use crate::providers::ProviderConfig;
use crate::record::ProviderKind;
use crate::settings::{self, Config};
use crate::sinks::Sink;
use crate::sinks::SinkConfig;
use crate::{fleet, providers, sinks, telemetry};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};

mod runtime;
pub use runtime::runtime;

/// Run from a config file: SIGHUP reloads it.
pub async fn run(config: Config, path: Option<PathBuf>) -> Result<(), String> {
    run_with(config, path, false, std::future::pending()).await
}

/// What is running now, so a reload can change only what changed.
struct Running {
    state_dir: PathBuf,
    demo_plaintext: bool,
    config: Config,
    sessions: Vec<(String, Session)>,
    sinks: Vec<(String, Arc<dyn Sink>)>,
    tx: mpsc::UnboundedSender<Msg>,
    reconfigure: Reconfigure,
    health: Health,
}

fn kinds(config: &Config) -> HashMap<Arc<str>, ProviderKind> {
    config
        .providers
        .iter()
        .map(|(name, c)| (Arc::<str>::from(name.as_str()), providers::kind_of(c)))
        .collect()
}

async fn build_sink(name: &str, c: &SinkConfig, state_dir: &Path) -> Result<Arc<dyn Sink>, String> {
    telemetry::register_sink(name);
    sinks::build(name, c, state_dir)
        .await
        .map_err(|e| format!("sinks.{name}: {e}"))
}

impl Running {
    async fn start_provider(&mut self, name: &str, c: &ProviderConfig) -> Result<(), String> {
        telemetry::register_source(name);
        let tx = self.tx.clone();
        let received = telemetry::Received::for_source(name);
        let deliver: DeliverFn = Arc::new(move |d| {
            received.inc();
            // Fails only once the pipeline is gone (shutdown); the publish stays
            // unacked and the broker redelivers it.
            let _ = tx.send(Msg::Delivery(d));
        });
        let env = providers::Env {
            state_dir: &self.state_dir,
            demo_plaintext: self.demo_plaintext,
        };
        let session = providers::start(name, c, &env, deliver).await?;
        self.sessions.push((name.to_string(), session));
        Ok(())
    }

    /// Stop some sessions the graceful way: no new deliveries, everything forwarded is
    /// delivered and acked, then DISCONNECT.
    async fn stop_providers(&mut self, names: &[String]) {
        let (stopping, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.sessions)
            .into_iter()
            .partition(|(n, _)| names.contains(n));
        self.sessions = keep;
        stop_sessions(stopping.into_iter().map(|(_, s)| s).collect(), &self.tx).await;
    }

    fn refresh_health(&self) {
        self.health.set(
            self.sessions.iter().map(|(_, s)| s.watch()).collect(),
            self.sinks.iter().map(|(_, s)| s.clone()).collect(),
        );
    }

    /// Apply a new, valid config: providers and sinks whose settings changed are
    /// restarted, the others keep running untouched.
    async fn reload(&mut self, new: Config) -> Result<(), String> {
        if new.daemon != self.config.daemon || new.dedup != self.config.dedup {
            warn!("changes to [daemon] or [dedup] take effect at the next restart");
        }
        // Sinks first, so a new provider's first records find them.
        let mut sinks_now = Vec::new();
        let mut changed_sinks = Vec::new();
        for (name, c) in &new.sinks {
            let same = self
                .config
                .sinks
                .iter()
                .any(|(n, old)| n == name && old == c);
            match self.sinks.iter().find(|(n, _)| n == name) {
                Some((_, sink)) if same => sinks_now.push((name.clone(), sink.clone())),
                _ => {
                    sinks_now.push((name.clone(), build_sink(name, c, &self.state_dir).await?));
                    changed_sinks.push(name.clone());
                }
            }
        }
        let changed_providers: Vec<String> = self
            .config
            .providers
            .iter()
            .filter(|(n, c)| !new.providers.iter().any(|(m, d)| m == n && d == c))
            .map(|(n, _)| n.clone())
            .collect();
        // The new sinks first, handed over out of band: a batch stuck on a failing sink
        // takes them at once, so the drain of the changed providers below can finish.
        let (done, old) = oneshot::channel();
        let new_sinks: Vec<Arc<dyn Sink>> = sinks_now.iter().map(|(_, s)| s.clone()).collect();
        self.reconfigure.send(Reconfig {
            sinks: new_sinks,
            kinds: kinds(&new),
            done,
        });
        if let Ok(old) = old.await {
            for sink in old {
                if !sinks_now.iter().any(|(_, s)| Arc::ptr_eq(s, &sink)) {
                    if let Err(e) = sink.close().await {
                        warn!(sink = sink.name(), error = %e, "old sink did not close cleanly");
                    }
                }
            }
        }
        self.stop_providers(&changed_providers).await;
        self.sinks = sinks_now;
        let running: Vec<String> = self.sessions.iter().map(|(n, _)| n.clone()).collect();
        for (name, c) in &new.providers {
            if !running.contains(name) {
                self.start_provider(name, c).await?;
            }
        }
        info!(restarted_providers = ?changed_providers, restarted_sinks = ?changed_sinks, "configuration reloaded");
        self.config = new;
        self.refresh_health();
        Ok(())
    }
}

async fn stop_sessions(sessions: Vec<Session>, tx: &mpsc::UnboundedSender<Msg>) {
    if sessions.is_empty() {
        return;
    }
    for s in &sessions {
        s.stop_taking();
    }
    // Every delivery forwarded before stop_taking is ahead of this marker.
    let (reply, done) = oneshot::channel();
    if tx.send(Msg::Drain(reply)).is_ok() {
        let _ = done.await;
    }
    let closing: Vec<_> = sessions
        .into_iter()
        .map(|s| tokio::spawn(s.disconnect(Duration::from_secs(5))))
        .collect();
    for c in closing {
        let _ = c.await;
    }
}

/// Run until a signal or until `stop` resolves (the demo's `--duration`).
/// `demo_plaintext` makes providers talk plain TCP to the demo's loopback broker.
pub async fn run_with(
    config: Config,
    path: Option<PathBuf>,
    demo_plaintext: bool,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let state_dir = config.daemon.state_dir.clone();
    std::fs::create_dir_all(&state_dir).map_err(|e| {
        format!(
            "daemon.state_dir: cannot create {}: {e}",
            state_dir.display()
        )
    })?;
    let mut sink_list = Vec::new();
    for (name, c) in &config.sinks {
        sink_list.push((name.clone(), build_sink(name, c, &state_dir).await?));
    }
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    let pipeline = Pipeline {
        sinks: sink_list.iter().map(|(_, s)| s.clone()).collect(),
        dedup: DedupWindow::open(&state_dir, config.dedup.ttl.0, config.dedup.capacity)?,
        kinds: kinds(&config),
        dead_letter: DeadLetter::new(&state_dir).with_limits(
            config.daemon.dead_letter_max_bytes.0,
            config.daemon.dead_letter_max_files,
        ),
        vehicles: crate::providers::Vehicles::load(&state_dir),
        reconfigure: Reconfigure::default(),
        fleet: fleet::Feed::default(),
    };
    let feed = pipeline.fleet.clone();
    let reconfigure = pipeline.reconfigure.clone();
    let pipeline_task = tokio::spawn(pipeline.run(rx));
    let mut running = Running {
        state_dir: state_dir.clone(),
        demo_plaintext,
        config: config.clone(),
        sessions: Vec::new(),
        sinks: sink_list,
        tx,
        reconfigure,
        health: Health::default(),
    };
    for (name, c) in &config.providers {
        running.start_provider(name, c).await?;
    }
    running.refresh_health();
    if let Some(addr) = &config.daemon.admin_listen {
        let token = config.daemon.admin_token.clone();
        let loopback = addr
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback());
        if !loopback && token.is_none() {
            warn!(%addr, "the fleet page is served beyond loopback without daemon.admin_token: whoever reaches this address sees every vehicle");
        }
        let fleet = fleet::Fleet::start(&feed, config.daemon.max_vehicles);
        let page = fleet::web::router(fleet, running.health.clone(), token);
        admin::serve(addr, running.health.clone(), page).await?;
    }
    let monitor = tokio::spawn(admin::monitor(
        running.health.clone(),
        config.daemon.summary_interval.0,
    ));
    info!(
        providers = config.providers.len(),
        sinks = config.sinks.len(),
        "vinstream running"
    );

    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => { info!("stopping"); break; }
            _ = term.recv() => { info!("SIGTERM: shutting down"); break; }
            _ = int.recv() => { info!("SIGINT: shutting down"); break; }
            _ = hup.recv() => {
                // A reload can wait on a sink that is down; a signal still stops the
                // daemon (within shutdown_timeout), and what was not delivered is not
                // acked, so the broker sends it again.
                let reload = on_hangup(&mut running, path.as_deref());
                tokio::pin!(reload);
                let stopped = tokio::select! {
                    _ = &mut reload => false,
                    _ = &mut stop => { info!("stopping during a reload"); true }
                    _ = term.recv() => { info!("SIGTERM during a reload: shutting down"); true }
                    _ = int.recv() => { info!("SIGINT during a reload: shutting down"); true }
                };
                if stopped {
                    break;
                }
            }
        }
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    monitor.abort();
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        error!("second signal: exiting at once; unacknowledged messages will be redelivered");
        std::process::exit(130);
    });

    let timeout = config.daemon.shutdown_timeout.0;
    let started = Instant::now();
    let sessions = running.sessions.into_iter().map(|(_, s)| s).collect();
    let tx = running.tx;
    let drained = tokio::time::timeout(timeout, async move {
        stop_sessions(sessions, &tx).await;
        drop(tx);
        // The sessions held the last senders: the pipeline now ends and closes the sinks.
        let _ = pipeline_task.await;
    })
    .await;
    match drained {
        Ok(()) => info!(took = ?started.elapsed(), "shutdown complete"),
        Err(_) => {
            warn!(timeout = ?timeout, "shutdown_timeout reached; messages not yet acknowledged will be redelivered")
        }
    }
    Ok(())
}

/// SIGHUP: reopen sink files (logrotate), and reload the config file when it is valid;
/// an invalid one is reported and the running config stays.
async fn on_hangup(running: &mut Running, path: Option<&Path>) {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Reloading]);
    info!("SIGHUP: reopening sink files and reloading the configuration");
    for (_, sink) in &running.sinks {
        if let Err(e) = sink.reopen().await {
            error!(sink = sink.name(), error = %e, "could not reopen");
        }
    }
    if let Some(path) = path {
        match settings::load(path) {
            Ok(new) if new == running.config => info!("configuration unchanged"),
            Ok(new) => {
                if let Err(e) = running.reload(new).await {
                    error!(error = %e, "reload failed part-way; fix the configuration and send SIGHUP again");
                }
            }
            Err(e) => {
                for line in e.to_string().lines() {
                    error!("{line}");
                }
                error!("the new configuration is invalid; still running the previous one");
            }
        }
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
}
