//! A provider session as the rest of the daemon sees it: deliveries with ack handles,
//! status, credential rotation and a clean disconnect. The loop that owns the rumqttc
//! event loop lives in `driver.rs`; the state both sides touch lives in `shared.rs`.

use super::acks::AckSequencer;
use super::conn::Conn;
use super::driver::Driver;
pub use super::shared::{AckHandle, DeliverFn, Delivery, SessionSpec};
use super::shared::{Inner, Phase, Shared};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::warn;

/// Connection state for health checks and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub connected: bool,
    pub subscribed: bool,
}

impl Status {
    pub fn ready(&self) -> bool {
        self.connected && self.subscribed
    }
}

/// A running provider session.
pub struct Session {
    shared: Arc<Shared>,
    phase: watch::Sender<Phase>,
    task: JoinHandle<()>,
    /// Tasks that serve this session (token refresh) and end with it.
    companions: Vec<JoinHandle<()>>,
}

/// A read-only view of a session, for health checks and metrics.
#[derive(Clone)]
pub struct SessionWatch {
    shared: Arc<Shared>,
}

impl SessionWatch {
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn status(&self) -> Status {
        Status {
            connected: self.shared.connected.load(Ordering::Relaxed),
            subscribed: self.shared.subscribed.load(Ordering::Relaxed),
        }
    }

    /// Why the session cannot work, when something else than the connection says so.
    pub fn problem(&self) -> Option<String> {
        self.shared
            .problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// What a credential owner (the BMW token refresher) may do to a running session.
#[derive(Clone)]
pub struct CredentialsHandle {
    shared: Arc<Shared>,
}

impl CredentialsHandle {
    /// Use new credentials (a refreshed token): a live connection is closed cleanly and
    /// reopened with them, the persistent session resuming; takes effect within one
    /// keep-alive interval.
    pub fn rotate(&self, user: String, password: String) {
        self.shared.lock().new_credentials = Some((user, password));
    }

    /// Resolves when the broker refuses our credentials (bad user name/password, not
    /// authorized), so a token can be renewed at once instead of at its expiry.
    pub async fn auth_failed(&self) {
        self.shared.auth_failed.notified().await
    }

    /// Report a problem that keeps the session from working (shown by /readyz), or clear it.
    pub fn set_problem(&self, problem: Option<String>) {
        *self
            .shared
            .problem
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = problem;
    }
}

impl Session {
    /// Connect (and keep reconnecting) in the background; deliveries go to `out`.
    pub fn spawn(spec: SessionSpec, out: DeliverFn) -> Session {
        let (client, conn) = Conn::new(&spec.options);
        let shared = Arc::new(Shared {
            name: spec.name.as_str().into(),
            inner: Mutex::new(Inner {
                acks: AckSequencer::new(),
                unsent: VecDeque::new(),
                draining: false,
                new_credentials: None,
            }),
            client,
            connected: AtomicBool::new(false),
            subscribed: AtomicBool::new(false),
            auth_failed: Notify::new(),
            problem: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            shed_pending: AtomicBool::new(false),
            recover_below: AtomicUsize::new(0),
            room: Notify::new(),
            reconnect_asked: AtomicBool::new(false),
        });
        let (phase, phase_rx) = watch::channel(Phase::Running);
        let driver = Driver::new(spec, shared.clone(), conn, out, phase_rx);
        let task = tokio::spawn(driver.run());
        Session {
            shared,
            phase,
            task,
            companions: Vec::new(),
        }
    }

    /// Name, status and problem, for health checks (the one place that reads them).
    pub fn watch(&self) -> SessionWatch {
        SessionWatch {
            shared: self.shared.clone(),
        }
    }

    pub fn credentials(&self) -> CredentialsHandle {
        CredentialsHandle {
            shared: self.shared.clone(),
        }
    }

    /// Run `task` alongside the session; it is stopped when the session disconnects.
    pub fn attach(&mut self, task: JoinHandle<()>) {
        self.companions.push(task);
    }

    /// Stop forwarding new publishes. Returns once no further delivery can be sent,
    /// so a marker queued behind this call follows every forwarded delivery.
    pub fn stop_taking(&self) {
        self.shared.lock().draining = true;
    }

    /// Send DISCONNECT after the acks already queued, wait for the broker to close.
    pub async fn disconnect(self, timeout: Duration) {
        for companion in &self.companions {
            companion.abort();
        }
        let _ = self.phase.send(Phase::Disconnect);
        {
            let mut inner = self.shared.lock();
            self.shared.flush_acks(&mut inner);
        }
        self.shared.client.try_disconnect();
        let name = self.shared.name.clone();
        let mut task = self.task;
        if tokio::time::timeout(timeout, &mut task).await.is_err() {
            warn!(provider = %name, "broker did not close the session in time; dropping the connection");
            task.abort();
        }
    }
}
