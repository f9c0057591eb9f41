//! The rig of the platform-sink tests (ThingsBoard, Cumulocity): a High Mobility V2
//! provider broker with mTLS, a platform broker with password auth standing in for the
//! platform's MQTT endpoint, one PKI for both, and the daemon in between. An `observer`
//! account (password `observer-pw`) on the platform broker watches what arrives.

use super::configs;
use super::daemon::Daemon;
use super::mosquitto::{self, Mosquitto, MosquittoOptions};
use super::pki::{self, Pki};
use super::publisher::{ClientOptions, Collector, Publisher};
use super::wait;
use serde_json::{json, Value};
use std::fmt::Debug;
use std::path::Path;
use std::time::Duration;

/// The High Mobility application the platform tests' provider config names.
pub const HM_APP: &str = "00000000-0000-0000-0000-000000000000";
/// The topic High Mobility V2 publishes `HM_APP`'s messages on.
pub const HM_TOPIC: &str = "live/level13/00000000-0000-0000-0000-000000000000";

/// A High Mobility V2 message of `HM_APP` for `vin`, as (topic, payload).
pub fn hm(id: &str, vin: &str, data: Value) -> (String, Vec<u8>) {
    let m =
        json!({"version": 2, "application_id": HM_APP, "message_id": id, "vin": vin, "data": data});
    (HM_TOPIC.to_string(), m.to_string().into_bytes())
}

/// High Mobility `data` holding one odometer reading in kilometres at `ts`.
pub fn odometer(km: f64, ts: &str) -> Value {
    json!({"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": km}, "timestamp": ts}]}})
}

/// Bytes of the QoS 1 PUBLISH on the wire, fixed header included: the tests' own count,
/// to check the sinks' payload limits against (not the code under test's).
pub fn packet_len(topic: &str, payload: usize) -> usize {
    let remaining = 2 + topic.len() + 2 + payload;
    let varint = match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        _ => 3,
    };
    1 + varint + remaining
}

/// Waits until what `obs` received, decoded (and checked) by `decode`, satisfies `done`;
/// panics after `t` naming `what`, with what was seen and the daemon's log.
pub async fn wait_observed<S: Debug>(
    d: &Daemon,
    obs: &Collector,
    t: Duration,
    what: &dyn Debug,
    decode: impl Fn(&[(String, Vec<u8>)]) -> S,
    done: impl Fn(&S) -> bool,
) -> S {
    let got = wait::try_until_async(t, || {
        let seen = decode(&obs.messages());
        done(&seen).then_some(seen)
    })
    .await;
    got.unwrap_or_else(|| {
        panic!(
            "timed out waiting for {what:?}; seen {:?}; daemon log:\n{}",
            decode(&obs.messages()),
            d.stderr_tail(40)
        )
    })
}

pub struct PlatformRig {
    pub dir: tempfile::TempDir,
    pub pki: Pki,
    pub provider: Mosquitto,
    pub platform: Mosquitto,
}

impl PlatformRig {
    /// `user` / `password`: the daemon's account on the platform broker.
    pub fn new(user: &str, password: &str) -> PlatformRig {
        let dir = tempfile::tempdir().unwrap();
        let pki = pki::generate(&dir.path().join("pki"));
        let provider = Mosquitto::start(&pki, MosquittoOptions::default());
        let pw = dir.path().join("platform.passwd");
        mosquitto::write_password_file(&pw, user, password);
        mosquitto::set_password(&pw, "observer", "observer-pw");
        let platform = Mosquitto::start(&pki, MosquittoOptions::password(&pw));
        PlatformRig {
            dir,
            pki,
            provider,
            platform,
        }
    }

    /// Starts the daemon with High Mobility V2 (`app`, `client_id`) from the provider
    /// broker and `sink`, a whole `[sinks.NAME]` table, and waits until it subscribed.
    pub fn start_daemon(&self, app: &str, client_id: &str, sink: &str, t: Duration) -> Daemon {
        let config = format!(
            "[daemon]\nstate_dir = \"{state}\"\nlog_level = \"info,vinstream=debug\"\n\n{hm}\n\n{sink}\n",
            state = self.dir.path().join("state").display(),
            hm = configs::hm_v2(self.provider.port(), &self.pki, app, client_id, "", ""),
        );
        let bin = Path::new(env!("CARGO_BIN_EXE_vinstream"));
        let d = Daemon::start(bin, &config, self.dir.path());
        d.wait_stderr("subscribed", t);
        d
    }

    /// A persistent-session MQTT 3.1.1 observer on the platform broker, so nothing is
    /// missed across platform restarts.
    pub async fn observer(&self, client_id: &str, filter: &str) -> Collector {
        let opts = ClientOptions::password("observer", "observer-pw")
            .v4()
            .id(client_id)
            .persistent();
        Collector::connect(self.platform.port(), &self.pki, opts, filter).await
    }

    /// The entries of the daemon's `dead-letter.jsonl` (empty while it does not exist).
    pub fn dead_letters(&self) -> Vec<serde_json::Value> {
        let path = self.dir.path().join("state").join("dead-letter.jsonl");
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("whole JSON lines in the dead letter"))
            .collect()
    }

    pub async fn provider(&self) -> Publisher {
        Publisher::connect_v5(self.provider.port(), &self.pki).await
    }

    /// Stops the platform broker, publishes `msgs` to the provider and waits until the
    /// daemon's sink failed a batch: the messages are in the daemon, unacked.
    pub async fn publish_while_platform_down(
        &mut self,
        d: &Daemon,
        p: &Publisher,
        msgs: impl IntoIterator<Item = (String, Vec<u8>)>,
        t: Duration,
    ) {
        self.platform.stop();
        let mark = d.stderr_mark();
        p.publish_all(msgs).await;
        d.wait_stderr_since(mark, "sink did not accept the batch", t);
    }

    /// The dead letter's entries once there are any; panics after `t` with the daemon's log.
    pub fn wait_dead_letters(&self, d: &Daemon, t: Duration) -> Vec<Value> {
        wait::try_until(t, || {
            let l = self.dead_letters();
            (!l.is_empty()).then_some(l)
        })
        .unwrap_or_else(|| panic!("no dead letter; log:\n{}", d.stderr_tail(30)))
    }
}
