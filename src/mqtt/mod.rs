//! The shared MQTT session layer: TLS, reconnect with backoff, connection epochs and
//! ordered, delivery-gated acks. It knows nothing about payloads.

pub mod acks;
pub mod backoff;
pub mod conn;
mod driver;
pub mod session;
mod shared;
pub mod sni;
pub mod tls;
pub mod tuning;

pub use conn::{ConnectOptions, Protocol};
pub use session::{
    AckHandle, CredentialsHandle, DeliverFn, Delivery, Session, SessionSpec, SessionWatch, Status,
};
