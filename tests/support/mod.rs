//! Reusable integration-test harness for vinstream.
//!
//! Included from the single integration-test binary as
//! `#[path = "../support/mod.rs"] mod support;`.
//!
//! - [`wait`]: deadline-bounded polling (`until`, `until_async`).
//! - [`pki`]: rcgen test PKI (CA, server, client, publisher, untrusted CA + client).
//! - [`mosquitto`]: mosquitto 2.0.11 child-process broker (mTLS or password listener,
//!   persistence, stop/start_again/reload).
//! - [`publisher`]: rumqttc QoS 1 `Publisher` (returns after PUBACK) and `Collector`.
//! - [`daemon`]: spawns the binary under test and collects stdout JSON records / stderr.
//! - [`platform`]: the ThingsBoard/Cumulocity rig (provider broker, platform broker, daemon).
//! - [`home_assistant`]: a real Home Assistant Core (cached venv) with MQTT and a token.
//! - [`json_gen`]: the proptest generators of arbitrary JSON and the case count.
//! - [`metrics`]: a series' value from the `/metrics` text.
//! - [`records`]: the checks every normalization test makes of a record's JSON line.
//! - [`postgres`]: a PostgreSQL server (initdb + postgres child process) per test.
//! - [`smallfs`]: a small tmpfs to fill, for real ENOSPC.
//! - [`browser`]: headless Chromium over WebDriver (chromedriver child process).
//! - [`rig`]: the single-broker rig (temp dir, PKI, mTLS Mosquitto) of faults, NATS, HM V2.
#![allow(dead_code)]
#![allow(unused_imports)]

pub mod browser;
pub mod configs;
pub mod daemon;
pub mod home_assistant;
pub mod http_server;
pub mod json_gen;
pub mod metrics;
pub mod mosquitto;
pub mod nats;
pub mod oauth;
pub mod pki;
pub mod platform;
pub mod postgres;
pub mod proxy;
pub mod publisher;
pub mod records;
pub mod rig;
pub mod schema_gen;
pub mod smallfs;
pub mod wait;

pub use daemon::{run_cli, Daemon};
pub use mosquitto::{Mosquitto, MosquittoOptions};
pub use pki::Pki;
pub use publisher::{subscribe_collect, ClientOptions, Collector, Publisher};
