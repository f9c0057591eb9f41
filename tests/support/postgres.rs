//! A real PostgreSQL (the installed major version, 15 on Debian bookworm) per test:
//! `initdb` into a temp dir, then `postgres` as a child process on a free loopback port,
//! with password (SCRAM) authentication for the user `vinstream`. Never the system
//! cluster on 5432.
//!
//! initdb and postgres refuse to run as root: as root, both run as the `postgres` user
//! (the Debian package creates it) on a temp dir handed over to it; as anyone else, as
//! that user. `.ci/run` installs the `postgresql` package when it is missing.
#![allow(dead_code)]

use super::mosquitto::free_port;
use super::wait;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const USER: &str = "vinstream";
pub const PASSWORD: &str = "pg-Secret-7319";
pub const DB: &str = "fleet";
const READY: Duration = Duration::from_secs(60);

pub struct Postgres {
    /// Owned by the server's user; removed on drop.
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    child: Option<Child>,
    owner: Option<(u32, u32)>,
    /// `ssl = on` with this certificate and key (copies owned by the server's user).
    tls: Option<(PathBuf, PathBuf)>,
}

/// The bin directory of the newest installed PostgreSQL, e.g. `/usr/lib/postgresql/15/bin`.
pub fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (/usr/lib/postgresql): apt-get install postgresql")
        .filter_map(|e| {
            let e = e.ok()?;
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin")
        .1
}

/// uid and gid of the `postgres` user, from /etc/passwd.
fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .expect("no `postgres` user (apt-get install postgresql creates it)");
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().unwrap(), f[3].parse().unwrap())
}

fn chown_all(path: &Path, (uid, gid): (u32, u32)) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            chown_all(&e.unwrap().path(), (uid, gid));
        }
    }
}

impl Postgres {
    pub fn start() -> Postgres {
        Postgres::start_with(None)
    }

    /// A server that also speaks TLS, with `cert` and `key` (PEM).
    pub fn start_tls(cert: &Path, key: &Path) -> Postgres {
        Postgres::start_with(Some((cert, key)))
    }

    fn start_with(tls: Option<(&Path, &Path)>) -> Postgres {
        let dir = tempfile::Builder::new()
            .prefix("vinstream-pg")
            .tempdir()
            .unwrap();
        let owner = running_as_root().then(postgres_user);
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        let tls = tls.map(|(cert, key)| {
            let (c, k) = (dir.path().join("server.crt"), dir.path().join("server.key"));
            std::fs::copy(cert, &c).unwrap();
            std::fs::copy(key, &k).unwrap();
            // postgres refuses a key that others can read.
            std::fs::set_permissions(&k, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
            (c, k)
        });
        if let Some(o) = owner {
            chown_all(dir.path(), o);
        }
        let mut pg = Postgres {
            bin: bin_dir(),
            port: free_port(),
            child: None,
            owner,
            tls,
            dir,
        };
        let out = pg
            .command("initdb")
            .args(["-D", pg.data().to_str().unwrap(), "-U", USER, "-E", "UTF8"])
            .args(["--locale=C", "--no-sync", "--auth-local=trust"])
            .args(["--auth-host=scram-sha-256", "--pwfile"])
            .arg(&pwfile)
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", text(&out));
        pg.start_again();
        pg.psql_in("postgres", &format!("CREATE DATABASE {DB}"));
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let mut c = Command::new(self.bin.join(tool));
        if let Some((uid, gid)) = self.owner {
            c.uid(uid).gid(gid);
        }
        c.env_remove("PGPASSWORD").env("LC_ALL", "C");
        c
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The sink's `url`, password included.
    pub fn url(&self) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{DB}?sslmode=disable",
            self.port
        )
    }

    /// Start the server (again, after [`Postgres::stop`]) on the same port and data.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::File::create(self.dir.path().join("server.log")).unwrap();
        if let Some(o) = self.owner {
            chown_all(&self.dir.path().join("server.log"), o);
        }
        let mut command = self.command("postgres");
        if let Some((cert, key)) = &self.tls {
            command.args(["-c", "ssl=on"]);
            command
                .arg("-c")
                .arg(format!("ssl_cert_file={}", cert.display()));
            command
                .arg("-c")
                .arg(format!("ssl_key_file={}", key.display()));
        }
        let child = command
            .args([
                "-D",
                self.data().to_str().unwrap(),
                "-p",
                &self.port.to_string(),
            ])
            .args(["-k", self.dir.path().to_str().unwrap()])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(["-c", "max_connections=40", "-c", "shared_buffers=32MB"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let port = self.port.to_string();
        let ready = wait::try_until(READY, || {
            let ok = self
                .command("pg_isready")
                .args(["-h", "127.0.0.1", "-p", &port, "-d", "postgres", "-U", USER])
                .stdout(Stdio::null())
                .status()
                .ok()?
                .success();
            ok.then_some(())
        });
        assert!(ready.is_some(), "postgres did not start: {}", self.log());
    }

    /// Immediate shutdown (SIGQUIT): connections are cut as in a crash; what committed
    /// is recovered on the next start.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-QUIT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// `psql -At` in the test database; panics on an SQL error.
    pub fn psql(&self, sql: &str) -> String {
        self.psql_in(DB, sql)
    }

    fn psql_in(&self, db: &str, sql: &str) -> String {
        let out = self.psql_command(db).args(["-c", sql]).output().unwrap();
        assert!(out.status.success(), "psql {sql}: {}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    /// `psql -At -v ON_ERROR_STOP=1` on the test database, for scripts and `\copy`.
    pub fn psql_command(&self, db: &str) -> Command {
        let mut c = self.command("psql");
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            USER,
            "-d",
            db,
        ])
        .args(["-At", "-v", "ON_ERROR_STOP=1"])
        .env("PGPASSWORD", PASSWORD);
        c
    }

    /// A client of the test database, its connection driven by a spawned task.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
            .await
            .expect("connect to the test PostgreSQL");
        tokio::spawn(conn);
        client
    }

    /// A count, or `None` while the server is down or the table missing.
    pub fn try_count(&self, sql: &str) -> Option<i64> {
        self.try_query(sql)?.trim().parse().ok()
    }

    /// `psql -At` output (one row a line), or `None` on any error.
    pub fn try_query(&self, sql: &str) -> Option<String> {
        let out = self.psql_command(DB).args(["-c", sql]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8(out.stdout).ok()
    }

    /// Waits until `sql` (a count) is at least `n`.
    pub fn wait_count(&self, sql: &str, n: i64, timeout: Duration) -> i64 {
        wait::until(&format!("{sql} >= {n}"), timeout, || {
            self.try_count(sql).filter(|c| *c >= n)
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `/proc/self` belongs to the effective user.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
