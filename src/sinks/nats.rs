//! The `nats` sink (not implemented yet).

use super::Sink;
use crate::config::NatsSinkConfig;
use std::path::Path;
use std::sync::Arc;

pub async fn build(
    name: &str,
    config: &NatsSinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    let _ = (name, config, state_dir);
    Err("the nats sink is not available in this build yet".into())
}
