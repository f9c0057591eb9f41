//! The rig of the single-broker end-to-end tests (faults, NATS sink, High Mobility V2):
//! a temp dir, a PKI in it and one Mosquitto broker with mutual TLS. Each test file adds
//! its own config and daemon helpers as methods with distinct names (inherent impls in
//! one crate share a namespace), as the platform tests do with [`super::platform`].

use super::mosquitto::{Mosquitto, MosquittoOptions};
use super::pki::{self, Pki};
use super::platform::{HM_APP, HM_TOPIC};
use super::publisher::Publisher;
use serde_json::json;
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

/// Message `i` of a High Mobility V2 stream of `HM_APP`: id `msg-{i:05}`, one of 50 VINs,
/// an odometer of `i` km and a location, as (topic, payload).
pub fn numbered_message(i: usize) -> (String, Vec<u8>) {
    let payload = json!({
        "version": 2, "application_id": HM_APP, "message_id": format!("msg-{i:05}"), "vin": format!("VIN{:04}", i % 50),
        "data": {"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": i}, "timestamp": "2026-11-21T10:00:00Z"}]},
                 "vehicle_location": {"coordinates": [{"data": {"latitude": 48.1, "longitude": 11.5}}]}}
    });
    (HM_TOPIC.to_string(), payload.to_string().into_bytes())
}
