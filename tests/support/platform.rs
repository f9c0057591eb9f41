//! The rig of the platform-sink tests (ThingsBoard, Cumulocity): a High Mobility V2
//! provider broker with mTLS, a platform broker with password auth standing in for the
//! platform's MQTT endpoint, one PKI for both, and the daemon in between. An `observer`
//! account (password `observer-pw`) on the platform broker watches what arrives.

use super::configs;
use super::daemon::Daemon;
use super::mosquitto::{self, Mosquitto, MosquittoOptions};
use super::pki::{self, Pki};
use super::publisher::{ClientOptions, Collector, Publisher};
use std::path::Path;
use std::time::Duration;

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
}
