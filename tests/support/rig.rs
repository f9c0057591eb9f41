//! The rig of the single-broker end-to-end tests (faults, NATS sink, High Mobility V2):
//! a temp dir, a PKI in it and one Mosquitto broker with mutual TLS. Each test file adds
//! its own config and daemon helpers as methods with distinct names (inherent impls in
//! one crate share a namespace), as the platform tests do with [`super::platform`].

use super::mosquitto::{Mosquitto, MosquittoOptions};
use super::pki::{self, Pki};
use super::publisher::Publisher;
use std::path::PathBuf;

pub struct BrokerRig {
    pub dir: tempfile::TempDir,
    pub pki: Pki,
    pub broker: Mosquitto,
}

impl BrokerRig {
    pub fn new() -> BrokerRig {
        let dir = tempfile::tempdir().unwrap();
        let pki = pki::generate(&dir.path().join("pki"));
        let broker = Mosquitto::start(&pki, MosquittoOptions::default());
        BrokerRig { dir, pki, broker }
    }

    /// The daemon's state dir when one daemon runs on the rig.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub async fn publisher(&self) -> Publisher {
        Publisher::connect_v5(self.broker.port(), &self.pki).await
    }
}
