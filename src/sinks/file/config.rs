//! `[sinks.NAME]` of `type = "file"` (SPEC.md §2), with its defaults.

use crate::config::values::ByteSize;
use serde::Deserialize;
use std::path::PathBuf;

/// `type = "file"`: JSON Lines in a file, rotated by size.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: PathBuf,
    /// Rotate when the file would grow past this: `path.1` (newest) … `path.{max_files}`.
    #[serde(default = "default_file_max_bytes")]
    pub max_bytes: ByteSize,
    #[serde(default = "default_file_max_files")]
    pub max_files: usize,
    /// fsync before a batch counts as accepted (power-loss safe, slower).
    #[serde(default)]
    pub fsync: bool,
}

fn default_file_max_bytes() -> ByteSize {
    ByteSize(100_000_000)
}
fn default_file_max_files() -> usize {
    10
}
