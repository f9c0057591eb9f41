//! Files under `state_dir`: created on demand, replaced atomically, never half-written.

use std::io::Write;
use std::path::{Path, PathBuf};

/// How often a fresh temporary name is drawn before giving up: a collision with 64 random
/// bits means someone is planting names, and a bounded retry keeps that from spinning.
const TMP_ATTEMPTS: usize = 8;

/// Write `bytes` to `path` via a temporary file and rename, with `mode` permissions from
/// the start (secrets must never exist world-readable, not even briefly).
///
/// The temporary file is created with `O_CREAT | O_EXCL` under an unpredictable name in
/// the target's directory, so nothing planted there is reused: a planted file would keep
/// its owner and permissions, a planted symlink would redirect the secret elsewhere. The
/// rename then replaces whatever sits at `path` (a file or a symlink) without following
/// it, so the result is always a fresh inode with exactly `mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let (tmp, f) = create_fresh(dir, name, mode)?;
    let written = write_and_sync(f, bytes, mode).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename is durable only once the directory entry is: a crash right after
    // returning must not bring back the old contents.
    std::fs::File::open(dir)?.sync_all()
}

/// A new file that did not exist before this call, under a random name next to the target
/// (same filesystem, so the rename is atomic).
fn create_fresh(dir: &Path, name: &str, mode: u32) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut last = None;
    for _ in 0..TMP_ATTEMPTS {
        let tmp = dir.join(format!(".{name}.tmp-{:016x}", fastrand::u64(..)));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary name")))
}

/// Sets `mode` explicitly (the umask can only narrow it, but an explicit chmod makes the
/// result independent of the process's umask), then writes and fsyncs.
fn write_and_sync(mut f: std::fs::File, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    f.write_all(bytes)?;
    f.sync_all()
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

    /// Names the old writer would have used (`.<name>.tmp-<pid>`), and a few neighbours,
    /// planted as symlinks to a victim file: none may be followed.
    #[test]
    fn planted_symlink_at_old_temp_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"untouched").unwrap();
        let pid = std::process::id();
        for n in [pid, pid + 1, pid.saturating_sub(1)] {
            let link = dir.path().join(format!(".tokens.json.tmp-{n}"));
            std::os::unix::fs::symlink(&victim, &link).unwrap();
        }
        let p = dir.path().join("tokens.json");
        write_atomic(&p, b"secret", 0o600).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
        assert_eq!(std::fs::read(&p).unwrap(), b"secret");
        let meta = std::fs::symlink_metadata(&p).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        // No temporary file is left behind besides the planted links.
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| !std::fs::symlink_metadata(e.path()).unwrap().is_symlink())
            .count();
        assert_eq!(leftovers, 2, "victim and tokens.json only");
    }

    #[test]
    fn planted_symlink_at_target_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"untouched").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let p = dir.path().join("tokens.json");
        std::os::unix::fs::symlink(&victim, &p).unwrap();
        write_atomic(&p, b"secret", 0o600).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
        let victim_mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
        assert_eq!(victim_mode, 0o644);
        let meta = std::fs::symlink_metadata(&p).unwrap();
        assert!(meta.file_type().is_file(), "the link itself is replaced");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"secret");
    }

    #[test]
    fn planted_world_readable_target_ends_up_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tokens.json");
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&p, b"new", 0o600).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
    }

    #[test]
    fn rewrite_replaces_contents() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        write_atomic(&p, b"1", 0o600).unwrap();
        write_atomic(&p, b"2", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"2");
    }
}
