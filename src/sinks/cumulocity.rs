//! The `cumulocity` sink (not implemented yet).

use super::Sink;
use crate::config::CumulocitySinkConfig;
use std::path::Path;
use std::sync::Arc;

pub async fn build(
    name: &str,
    config: &CumulocitySinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    let _ = (name, config, state_dir);
    Err("the cumulocity sink is not available in this build yet".into())
}
