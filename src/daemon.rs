//! `vinstream run`: wire providers → pipeline → sinks and own the shutdown sequence:
//! stop taking deliveries, let in-flight records reach every sink and be acked, close
//! the sessions cleanly, then close the sinks — all within `shutdown_timeout`.

use crate::admin::{self, Health};
use crate::config::Config;
use crate::deadletter::DeadLetter;
use crate::dedup::DedupWindow;
use crate::mqtt::{DeliverFn, Session};
use crate::pipeline::{Msg, Pipeline};
use crate::{providers, sinks, telemetry};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};

pub async fn run(config: Config) -> Result<(), String> {
    run_with(config, false, std::future::pending()).await
}

/// Run until a signal or until `stop` resolves (the demo's `--duration`).
/// `demo_plaintext` makes providers talk plain TCP to the demo's loopback broker.
pub async fn run_with(
    config: Config,
    demo_plaintext: bool,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let state_dir = &config.daemon.state_dir;
    let env = providers::Env {
        state_dir,
        demo_plaintext,
    };
    std::fs::create_dir_all(state_dir).map_err(|e| {
        format!(
            "daemon.state_dir: cannot create {}: {e}",
            state_dir.display()
        )
    })?;
    let mut sink_list = Vec::new();
    for (name, c) in &config.sinks {
        sink_list.push(
            sinks::build(name, c, state_dir)
                .await
                .map_err(|e| format!("sinks.{name}: {e}"))?,
        );
    }
    let kinds = config
        .providers
        .iter()
        .map(|(name, c)| (Arc::<str>::from(name.as_str()), providers::kind_of(c)))
        .collect::<HashMap<_, _>>();
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    let sink_handles = sink_list.clone();
    let pipeline = Pipeline {
        sinks: sink_list,
        dedup: DedupWindow::open(state_dir, config.dedup.ttl.0, config.dedup.capacity)?,
        kinds,
        dead_letter: DeadLetter::new(state_dir).with_limits(
            config.daemon.dead_letter_max_bytes.0,
            config.daemon.dead_letter_max_files,
        ),
    };
    let pipeline_task = tokio::spawn(pipeline.run(rx));

    let mut sessions = Vec::new();
    for (name, c) in &config.providers {
        let tx = tx.clone();
        let deliver: DeliverFn = Arc::new(move |d| {
            telemetry::received(&d.source);
            // Fails only once the pipeline is gone (shutdown); the publish stays
            // unacked and the broker redelivers it.
            let _ = tx.send(Msg::Delivery(d));
        });
        sessions.push(providers::start(name, c, &env, deliver).await?);
    }
    for (name, _) in &config.providers {
        telemetry::register_source(name);
    }
    for (name, _) in &config.sinks {
        telemetry::register_sink(name);
    }
    let health = Health {
        providers: sessions.iter().map(Session::watch).collect(),
        sinks: sink_handles.clone(),
    };
    if let Some(addr) = &config.daemon.admin_listen {
        admin::serve(addr, health.clone()).await?;
    }
    let monitor = tokio::spawn(admin::monitor(health, config.daemon.summary_interval.0));
    info!(
        providers = sessions.len(),
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
                info!("SIGHUP: reopening sink files");
                for sink in &sink_handles {
                    if let Err(e) = sink.reopen().await {
                        error!(sink = sink.name(), error = %e, "could not reopen");
                    }
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
    let drained = tokio::time::timeout(timeout, shutdown(sessions, tx, pipeline_task)).await;
    match drained {
        Ok(()) => {
            info!(took = ?started.elapsed(), "shutdown complete");
            Ok(())
        }
        Err(_) => {
            warn!(timeout = ?timeout, "shutdown_timeout reached; messages not yet acknowledged will be redelivered");
            Ok(())
        }
    }
}

async fn shutdown(
    sessions: Vec<Session>,
    tx: mpsc::UnboundedSender<Msg>,
    pipeline: tokio::task::JoinHandle<()>,
) {
    for s in &sessions {
        s.stop_taking();
    }
    // Every delivery forwarded before stop_taking is ahead of this marker.
    let (reply, done) = oneshot::channel();
    if tx.send(Msg::Drain(reply)).is_ok() {
        let _ = done.await;
    }
    drop(tx);
    let closing = sessions
        .into_iter()
        .map(|s| tokio::spawn(s.disconnect(std::time::Duration::from_secs(5))));
    for c in closing.collect::<Vec<_>>() {
        let _ = c.await;
    }
    // The sessions held the last senders: the pipeline now ends and closes the sinks.
    let _ = pipeline.await;
}
