//! A small tmpfs mounted for one test, to run out of disk space for real: ENOSPC from the
//! kernel, not from an injected writer. Tests run as root here and in CI (`mount` works).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct SmallFs {
    dir: PathBuf,
    filler: PathBuf,
}

impl SmallFs {
    /// Mount a tmpfs of `size` (as `mount -o size=`, e.g. `"8m"`) at `dir`, created.
    pub fn mount(dir: &Path, size: &str) -> SmallFs {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "mount a tmpfs at {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        SmallFs {
            dir: dir.to_path_buf(),
            filler: dir.join(".filler"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Take every free byte: the next write anyone makes here fails with ENOSPC.
    pub fn fill(&self) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.filler)
            .unwrap();
        let block = vec![0u8; 4096];
        loop {
            match f.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling {}: {e}", self.dir.display()),
            }
        }
        // Partial blocks: fill byte by byte until not even one fits.
        while let Ok(1) = f.write(&[0]) {}
    }

    /// Give the space back.
    pub fn free(&self) {
        std::fs::remove_file(&self.filler).unwrap();
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        // Lazy: a daemon still holding files open must not keep the mount alive.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
