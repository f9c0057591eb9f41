//! Files under `state_dir`: created on demand, replaced atomically, never half-written.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` via a temporary file and rename, with `mode` permissions from
/// the start (secrets must never exist world-readable, not even briefly).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("state"),
        std::process::id()
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A random suffix that stays the same across restarts, so a default client id keeps
/// resuming the same persistent session at the broker.
pub fn stable_suffix(state_dir: &Path, provider: &str) -> Result<String, String> {
    let path = state_dir.join(format!("{provider}.client-suffix"));
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => return Ok(s.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let suffix = format!("{:08x}", fastrand::u32(..));
    write_atomic(&path, suffix.as_bytes(), 0o644)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn suffix_is_stable_per_provider() {
        let dir = tempfile::tempdir().unwrap();
        let a = stable_suffix(dir.path(), "hm").unwrap();
        assert_eq!(a, stable_suffix(dir.path(), "hm").unwrap());
        assert_eq!(a.len(), 8);
    }

    #[test]
    fn atomic_write_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/tokens.json");
        write_atomic(&p, b"{}", 0o600).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"{}");
    }
}
