//! The publishes and the job bookkeeping that the sink's request side (`MqttOut`) and the
//! event-loop task (`driver.rs`) share: their own module, so that neither imports the other.

use std::collections::HashSet;
use std::sync::Mutex;
use tokio::sync::{oneshot, watch};

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub topic: String,
    pub payload: Vec<u8>,
    /// Kept by the broker for later subscribers (Home Assistant's discovery and state).
    pub retain: bool,
}

impl Publish {
    pub fn new(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Publish {
        Publish {
            topic: topic.into(),
            payload: payload.into(),
            retain: false,
        }
    }

    /// A publish the broker retains.
    pub fn retained(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Publish {
        Publish {
            retain: true,
            ..Publish::new(topic, payload)
        }
    }
}

/// Called with (topic, payload) of every message from a subscription.
pub type OnMessage = Box<dyn Fn(&str, &[u8]) + Send + Sync>;

pub(super) type Reply = oneshot::Sender<Result<(), String>>;

pub(super) struct Job {
    /// Publishes not PUBACKed yet.
    pub(super) remaining: usize,
    /// Packet ids of those that went out.
    pub(super) outstanding: HashSet<u16>,
    /// None: the greeting, whose completion makes the connection ready.
    pub(super) reply: Option<Reply>,
}

#[derive(Default)]
pub(super) struct State {
    /// Incremented on every CONNACK: identifies the connection.
    pub(super) epoch: u64,
    pub(super) connected: bool,
    pub(super) job: Option<Job>,
    pub(super) last_error: Option<String>,
}

pub(super) struct Shared {
    pub(super) state: Mutex<State>,
    /// Some(epoch) while that connection is ready for jobs.
    pub(super) ready: watch::Sender<Option<u64>>,
    /// A sink gave up on connection `epoch` (e.g. no PUBACK in time): drop it.
    pub(super) kill: watch::Sender<Option<(u64, String)>>,
    pub(super) stop: watch::Sender<bool>,
}
