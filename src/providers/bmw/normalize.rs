//! BMW CarData payload → normalized record.

use crate::providers::Malformed;
use crate::record::Record;
use chrono::{DateTime, Utc};

/// Normalize one CarData stream message.
pub fn normalize(
    _source: &str,
    _topic: &str,
    _payload: &[u8],
    _received_at: DateTime<Utc>,
) -> Result<Record, Malformed> {
    Err(Malformed::new("BMW CarData is not supported yet"))
}
