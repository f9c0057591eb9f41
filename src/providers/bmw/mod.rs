//! BMW CarData streaming: MQTT 3.1.1 over TLS, the GCID as username and a one-hour OAuth
//! id token as password, one connection per GCID.

pub mod config;
mod connector;
pub mod login;
pub mod mapping;
pub mod normalize;
pub mod oauth;
mod read;
pub mod tokens;

pub use connector::start;
