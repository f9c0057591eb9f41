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
//! - [`postgres`]: a PostgreSQL server (initdb + postgres child process) per test.
//! - [`smallfs`]: a small tmpfs to fill, for real ENOSPC.
//! - [`rig`]: the single-broker rig (temp dir, PKI, mTLS Mosquitto) of faults, NATS, HM V2.
#![allow(dead_code)]
#![allow(unused_imports)]

pub mod configs;
pub mod daemon;
pub mod http_server;
pub mod mosquitto;
pub mod nats;
pub mod oauth;
pub mod pki;
pub mod platform;
pub mod postgres;
pub mod proxy;
pub mod publisher;
pub mod rig;
pub mod schema_gen;
pub mod smallfs;
pub mod wait;

pub use daemon::{run_cli, Daemon};
pub use mosquitto::{Mosquitto, MosquittoOptions};
pub use pki::Pki;
pub use publisher::{subscribe_collect, ClientOptions, Collector, Publisher};
