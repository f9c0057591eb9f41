//! vinstream: vehicle-telematics MQTT streams in, one clean stream of VSS signals out.
//!
//! Data flows provider → normalize → dedup → sinks → ack; the modules follow it.
#![forbid(unsafe_code)]

pub mod admin;
pub mod config;
pub mod daemon;
pub mod deadletter;
pub mod dedup;
pub mod demo;
pub mod fleet;
pub mod logging;
pub mod mqtt;
pub mod offline;
pub mod pipeline;
pub mod providers;
pub mod record;
pub mod settings;
pub mod sinks;
pub mod state;
pub mod telemetry;
pub mod vss;
