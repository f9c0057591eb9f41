//! The mapping rows, one file per domain. Data.

pub mod body;
pub mod motion;
pub mod powertrain;
