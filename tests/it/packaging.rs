//! Packaging: the systemd unit (`dist/systemd/vinstream.service`) and the container image
//! (`Dockerfile`, `.dockerignore`).
//!
//! The unit is checked by systemd itself (`systemd-analyze verify`, and its offline security
//! review). CI has no Docker engine, so the Dockerfile is checked statically: its stages, user,
//! volumes and health check, that every file it copies is in the repository and not left out
//! by `.dockerignore`, and that the build stage's files are enough for `cargo build --locked`
//! (the copied tree is laid out in a temporary directory and `cargo fetch --locked --offline`
//! run in it, which parses the manifest, finds every target and checks the lock file). The
//! health-check command is run against a tiny HTTP server.

mod docker;
mod dockerfile;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const UNIT: &str = "dist/systemd/vinstream.service";
const UNIT_BIN: &str = "/usr/bin/vinstream";
const CONFIG: &str = "/etc/vinstream/vinstream.toml";
const STATE_DIR: &str = "/var/lib/vinstream";
const CONFIG_DIR: &str = "/etc/vinstream";
const ADMIN_PORT: &str = "9464";
/// SPEC §2: `daemon.shutdown_timeout` defaults to 10 s.
const DEFAULT_SHUTDOWN_TIMEOUT_S: u64 = 10;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---------------------------------------------------------------------------------------
// systemd
// ---------------------------------------------------------------------------------------

fn systemd_analyze(args: &[&str]) -> Output {
    Command::new("systemd-analyze")
        .args(args)
        .env("SYSTEMD_COLORS", "0")
        .env("SYSTEMD_PAGER", "")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run systemd-analyze ({e}): install systemd \
                 (`apt-get install systemd`; .ci/run does this when it is missing)"
            )
        })
}

/// The unit as shipped, with its binary path pointed at the binary under test: `verify`
/// rejects an `ExecStart=` whose program does not exist, and /usr/bin/vinstream does not here.
fn unit_for_this_machine(dir: &Path) -> PathBuf {
    let bin = env!("CARGO_BIN_EXE_vinstream");
    assert!(
        !bin.contains(char::is_whitespace),
        "binary path {bin:?} would need quoting in a unit"
    );
    let unit = read(UNIT);
    assert!(unit.contains(UNIT_BIN), "{UNIT} runs {UNIT_BIN}");
    let path = dir.join("vinstream.service");
    std::fs::write(&path, unit.replace(UNIT_BIN, bin)).unwrap();
    path
}

/// Lines of `systemd-analyze verify` output that are about `unit` (problems in the host's
/// own units, if any, are not ours).
fn problems_with(out: &Output, unit: &Path) -> Vec<String> {
    let name = unit.file_name().unwrap().to_str().unwrap();
    let dir = unit.parent().unwrap().to_str().unwrap();
    text(out)
        .lines()
        .filter(|l| l.contains(name) || l.contains(dir))
        .map(str::to_owned)
        .collect()
}

#[test]
fn systemd_unit_passes_systemd_analyze_verify() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_this_machine(dir.path());
    let out = systemd_analyze(&["verify", "--man=no", unit.to_str().unwrap()]);
    let all = text(&out);
    assert!(
        out.status.success(),
        "systemd-analyze verify failed:\n{all}"
    );
    let problems = problems_with(&out, &unit);
    assert!(
        problems.is_empty(),
        "systemd-analyze verify complains about the unit:\n{}",
        problems.join("\n")
    );
    if !all.trim().is_empty() {
        eprintln!("systemd-analyze verify (about other units):\n{all}");
    }

    // The check above is not vacuous: the same verifier on a broken copy says so.
    let broken_dir = tempfile::tempdir().unwrap();
    let broken = broken_dir.path().join("vinstream.service");
    let unit_text = std::fs::read_to_string(&unit).unwrap();
    std::fs::write(
        &broken,
        unit_text.replace("Type=notify", "Type=notifyy\nProtectSystm=strict"),
    )
    .unwrap();
    let out = systemd_analyze(&["verify", "--man=no", broken.to_str().unwrap()]);
    let problems = problems_with(&out, &broken);
    assert!(
        problems.iter().any(|l| l.contains("notifyy"))
            && problems.iter().any(|l| l.contains("ProtectSystm")),
        "systemd-analyze verify did not flag a broken unit:\n{}",
        text(&out)
    );
}

#[test]
fn systemd_unit_security_exposure_is_low() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_this_machine(dir.path());
    // Exposure is 0.0 (locked down) to 10.0 (UNSAFE); --threshold is in tenths. 2.0 = "OK".
    let out = systemd_analyze(&[
        "security",
        "--offline=true",
        "--threshold=20",
        "--no-pager",
        unit.to_str().unwrap(),
    ]);
    let all = text(&out);
    let overall = all
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or("(no overall line)");
    eprintln!("{overall}");
    assert!(
        out.status.success(),
        "exposure above 2.0 (or the review failed):\n{all}"
    );
}

/// `key=value` pairs of one section of a unit file (continuation lines are not used).
fn unit_section(unit: &str, section: &str) -> Vec<(String, String)> {
    let header = format!("[{section}]");
    let mut inside = false;
    let mut pairs = Vec::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == header;
        } else if inside && !line.is_empty() && !line.starts_with(['#', ';']) {
            let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("{line}"));
            pairs.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    pairs
}

fn seconds(v: &str) -> u64 {
    let v = v.trim();
    if let Ok(n) = v.parse::<u64>() {
        return n;
    }
    humantime::parse_duration(v)
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .as_secs()
}

#[test]
fn systemd_unit_has_what_the_daemon_relies_on() {
    let unit = read(UNIT);
    let service = unit_section(&unit, "Service");
    let get = |k: &str| -> Vec<&str> {
        service
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let one = |k: &str| -> &str {
        match get(k).as_slice() {
            [v] => v,
            other => panic!("{UNIT}: want exactly one {k}=, have {other:?}"),
        }
    };

    // sd_notify: READY=1 from the main process, WATCHDOG=1 every WatchdogSec/2.
    assert_eq!(one("Type"), "notify");
    assert_eq!(one("NotifyAccess"), "main");
    assert!(seconds(one("WatchdogSec")) >= 10);
    assert_eq!(one("ExecStartPre"), format!("{UNIT_BIN} check -c {CONFIG}"));
    assert_eq!(one("ExecStart"), format!("{UNIT_BIN} run -c {CONFIG}"));
    assert_eq!(one("ExecReload"), "/bin/kill -HUP $MAINPID");
    // SIGTERM drains within shutdown_timeout; systemd must not SIGKILL before that.
    assert_eq!(one("KillSignal"), "SIGTERM");
    assert!(seconds(one("TimeoutStopSec")) > DEFAULT_SHUTDOWN_TIMEOUT_S);
    assert_eq!(one("Restart"), "on-failure");
    // Exit 2 is a config error: restarting cannot help.
    assert_eq!(one("RestartPreventExitStatus"), "2");

    // state_dir defaults to /var/lib/vinstream: the one writable path under ProtectSystem=strict.
    assert_eq!(one("StateDirectory"), "vinstream");
    assert_eq!(one("ConfigurationDirectory"), "vinstream");
    assert_eq!(one("ProtectSystem"), "strict");
    assert!(
        get("ReadWritePaths").is_empty(),
        "state belongs in {STATE_DIR}"
    );
    assert!(
        one("DynamicUser") == "yes" || get("User").iter().any(|u| *u != "root" && *u != "0"),
        "the service must not run as root"
    );
    for (k, v) in [
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
        ("PrivateDevices", "yes"),
        ("CapabilityBoundingSet", ""),
    ] {
        assert_eq!(one(k), v, "{k}");
    }
    let families: BTreeSet<&str> = one("RestrictAddressFamilies").split_whitespace().collect();
    assert_eq!(
        families,
        BTreeSet::from(["AF_UNIX", "AF_INET", "AF_INET6"]),
        "MQTT/HTTPS over IPv4 and IPv6, DNS and sd_notify over AF_UNIX"
    );

    let install = unit_section(&unit, "Install");
    assert!(install.contains(&("WantedBy".into(), "multi-user.target".into())));
}
