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

// ---------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct Instruction {
    line: usize,
    op: String,
    args: String,
}

#[derive(Debug)]
struct Stage {
    image: String,
    name: Option<String>,
    body: Vec<Instruction>,
}

/// Instructions grouped by stage: comments dropped, `\` continuations joined.
fn parse_dockerfile(src: &str) -> Vec<Stage> {
    let mut instructions = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in src.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') || (line.is_empty() && pending.is_none()) {
            continue;
        }
        let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        if let Some(head) = line.strip_suffix('\\') {
            acc.push_str(head);
            acc.push(' ');
            pending = Some((start, acc));
        } else {
            acc.push_str(line);
            instructions.push((start, acc));
        }
    }
    assert!(pending.is_none(), "Dockerfile ends inside a continuation");

    let mut stages: Vec<Stage> = Vec::new();
    for (line, full) in instructions {
        let (op, args) = full.split_once(char::is_whitespace).unwrap_or((&full, ""));
        let (op, args) = (op.to_ascii_uppercase(), args.trim().to_owned());
        if op == "FROM" {
            let words: Vec<&str> = args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_] => None,
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                _ => panic!("Dockerfile:{line}: FROM {args}"),
            };
            stages.push(Stage {
                image: words[0].to_owned(),
                name,
                body: Vec::new(),
            });
        } else {
            stages
                .last_mut()
                .unwrap_or_else(|| panic!("Dockerfile:{line}: {op} before FROM"))
                .body
                .push(Instruction { line, op, args });
        }
    }
    stages
}

impl Stage {
    fn all(&self, op: &'static str) -> impl Iterator<Item = &Instruction> + '_ {
        self.body.iter().filter(move |i| i.op == op)
    }
    fn last(&self, op: &'static str) -> Option<&Instruction> {
        self.all(op).last()
    }
}

/// An exec-form (`["a", "b"]`) argument list.
fn exec_form(ins: &Instruction) -> Vec<String> {
    serde_json::from_str(&ins.args)
        .unwrap_or_else(|e| panic!("Dockerfile:{}: {} not in exec form: {e}", ins.line, ins.op))
}

/// `COPY [--flag=v ...] src... dest`: (flags, sources, dest).
fn copy_args(ins: &Instruction) -> (Vec<(String, String)>, Vec<String>, String) {
    let mut rest = ins.args.as_str();
    let mut flags = Vec::new();
    while let Some(after) = rest.strip_prefix("--") {
        let (flag, tail) = after.split_once(char::is_whitespace).unwrap_or((after, ""));
        let (k, v) = flag.split_once('=').unwrap_or((flag, ""));
        flags.push((k.to_owned(), v.to_owned()));
        rest = tail.trim_start();
    }
    let mut words: Vec<String> = if rest.starts_with('[') {
        serde_json::from_str(rest).unwrap()
    } else {
        rest.split_whitespace().map(str::to_owned).collect()
    };
    assert!(
        words.len() >= 2,
        "Dockerfile:{}: COPY {}",
        ins.line,
        ins.args
    );
    let dest = words.pop().unwrap();
    for w in words.iter().chain([&dest]) {
        assert!(
            !w.contains('$') && !w.contains(['*', '?', '[']),
            "Dockerfile:{}: this check does not expand variables or wildcards: {w}",
            ins.line
        );
    }
    (flags, words, dest)
}

/// Go's `filepath.Match` for one path segment: `*`, `?` and literal characters
/// (`[...]` classes are not used in this repository's .dockerignore).
fn segment_matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment_matches(&pattern[1..], name)
                || (!name.is_empty() && segment_matches(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => segment_matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => segment_matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

fn pattern_matches(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            pattern_matches(&pattern[1..], path)
                || (!path.is_empty() && pattern_matches(pattern, &path[1..]))
        }
        (Some(p), Some(n)) => {
            segment_matches(p.as_bytes(), n.as_bytes())
                && pattern_matches(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

/// Whether `.dockerignore` keeps `path` out of the build context: the last rule that
/// matches the path or one of its parent directories decides (`!` re-includes), as Docker does.
fn docker_ignores(rules: &[(bool, Vec<String>)], path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    let mut ignored = false;
    for (negated, pattern) in rules {
        let pattern: Vec<&str> = pattern.iter().map(String::as_str).collect();
        let hit = (1..=segments.len()).any(|n| pattern_matches(&pattern, &segments[..n]));
        if hit {
            ignored = !negated;
        }
    }
    ignored
}

fn dockerignore_rules() -> Vec<(bool, Vec<String>)> {
    read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (negated, p) = match l.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, l),
            };
            let p = p.trim_start_matches("./").trim_matches('/');
            (negated, p.split('/').map(str::to_owned).collect())
        })
        .collect()
}

/// The repository's files (tracked, or new and not git-ignored), as a fresh clone has them,
/// less those .dockerignore keeps out: the build context.
fn build_context() -> BTreeSet<String> {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(repo())
        .output()
        .expect("git ls-files");
    assert!(out.status.success(), "git ls-files: {}", text(&out));
    let rules = dockerignore_rules();
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|p| !p.is_empty() && repo().join(p).is_file())
        .filter(|p| !docker_ignores(&rules, p))
        .map(str::to_owned)
        .collect()
}

/// Context files a COPY source brings: the file itself, or everything under the directory,
/// each with its path relative to the source.
fn copied_by<'a>(context: &'a BTreeSet<String>, source: &str) -> Vec<(&'a str, &'a str)> {
    let source = source.trim_start_matches("./").trim_end_matches('/');
    context
        .iter()
        .filter_map(|f| {
            if f == source {
                Some((f.as_str(), f.rsplit('/').next().unwrap()))
            } else {
                f.strip_prefix(source)
                    .and_then(|r| r.strip_prefix('/'))
                    .map(|r| (f.as_str(), r))
            }
        })
        .collect()
}

fn suite(image: &str) -> Option<&'static str> {
    ["bookworm", "trixie", "bullseye", "buster"]
        .into_iter()
        .find(|s| image.contains(s))
}

fn version(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap_or(0))
}

#[test]
fn dockerfile_builds_a_small_non_root_image_with_volumes_and_a_health_check() {
    let stages = parse_dockerfile(&read("Dockerfile"));
    assert!(
        stages.len() >= 2,
        "multi-stage: a build stage and a runtime stage"
    );
    let runtime = stages.last().unwrap();
    let builders = &stages[..stages.len() - 1];

    // The build stage compiles exactly what Cargo.lock pins.
    let build = builders
        .iter()
        .find(|s| s.all("RUN").any(|r| r.args.contains("cargo build")))
        .expect("a stage that runs cargo build");
    let run = build
        .all("RUN")
        .find(|r| r.args.contains("cargo build"))
        .unwrap();
    for flag in ["--release", "--locked"] {
        assert!(run.args.contains(flag), "cargo build {flag}: {}", run.args);
    }
    // Its toolchain is new enough for the crate's rust-version.
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    let msrv = manifest["package"]["rust-version"].as_str().unwrap();
    let tag = build
        .image
        .strip_prefix("rust:")
        .expect("builder FROM rust:<version>...");
    let rust = tag.split('-').next().unwrap();
    if rust != "1" && rust != "latest" {
        assert!(
            version(rust) >= version(msrv),
            "builder has Rust {rust}, Cargo.toml needs {msrv}"
        );
    }

    // Small runtime image, the same Debian release as the builder (glibc).
    assert!(
        runtime.image.contains("slim") || runtime.image.contains("distroless"),
        "runtime image {}",
        runtime.image
    );
    assert_eq!(
        suite(&build.image),
        suite(&runtime.image),
        "builder and runtime glibc"
    );
    assert!(
        runtime
            .all("RUN")
            .any(|r| r.args.contains("ca-certificates"))
            || runtime.image.contains("distroless"),
        "system CA roots for BMW CarData"
    );

    // Not root.
    let user = runtime.last("USER").expect("USER in the runtime stage");
    let uid = user.args.split(':').next().unwrap();
    assert!(uid != "root" && uid != "0", "USER {}", user.args);
    if uid.parse::<u32>().is_ok() {
        assert!(
            runtime
                .all("RUN")
                .any(|r| r.args.contains(&format!("--uid {uid}"))),
            "USER {uid} is created in the image"
        );
    }

    // Volumes for the config and the state.
    let volumes: Vec<String> = runtime
        .all("VOLUME")
        .flat_map(|v| {
            if v.args.starts_with('[') {
                exec_form(v)
            } else {
                v.args.split_whitespace().map(str::to_owned).collect()
            }
        })
        .collect();
    for dir in [CONFIG_DIR, STATE_DIR] {
        assert!(
            volumes.iter().any(|v| v == dir),
            "VOLUME {dir}: {volumes:?}"
        );
    }
    assert!(
        runtime.all("RUN").any(|r| r.args.contains(STATE_DIR)
            && (r.args.contains("-o vinstream") || r.args.contains("chown"))),
        "{STATE_DIR} belongs to the image's user (a new named volume copies the owner)"
    );
    assert!(
        runtime.all("EXPOSE").any(|e| e
            .args
            .split_whitespace()
            .any(|p| p.trim_end_matches("/tcp") == ADMIN_PORT)),
        "EXPOSE {ADMIN_PORT}"
    );

    // Health check on /healthz.
    let health = runtime.last("HEALTHCHECK").expect("HEALTHCHECK");
    assert!(!health.args.eq_ignore_ascii_case("none"));
    assert!(
        health.args.contains("/healthz"),
        "HEALTHCHECK {}",
        health.args
    );

    // Runs the daemon with the config from the volume; the binary is where PATH finds it.
    let entrypoint = exec_form(runtime.last("ENTRYPOINT").expect("ENTRYPOINT"));
    let cmd = exec_form(runtime.last("CMD").expect("CMD"));
    assert_eq!(entrypoint, ["vinstream"]);
    assert_eq!(cmd, ["run", "-c", CONFIG]);
    assert!(
        runtime.all("COPY").any(|c| copy_args(c).2 == UNIT_BIN),
        "the binary is copied to {UNIT_BIN}"
    );
}

#[test]
fn dockerfile_copies_only_files_in_the_repository_and_enough_to_build() {
    let stages = parse_dockerfile(&read("Dockerfile"));
    let context = build_context();
    assert!(!context.contains(".git/config"));
    for secret in ["certs/", "state/", "target/"] {
        assert!(
            !context.iter().any(|f| f.starts_with(secret)),
            "{secret} must not be in the build context"
        );
    }

    for (index, stage) in stages.iter().enumerate() {
        // The stage's filesystem as far as COPY builds it, laid out under a temporary root.
        let root = tempfile::tempdir().unwrap();
        let mut workdir = PathBuf::from("/");
        for ins in &stage.body {
            match ins.op.as_str() {
                "WORKDIR" => workdir = workdir.join(&ins.args),
                "ADD" => panic!("Dockerfile:{}: use COPY", ins.line),
                "COPY" => {
                    let (flags, sources, dest) = copy_args(ins);
                    if let Some((_, from)) = flags.iter().find(|(k, _)| k == "from") {
                        let earlier = stages[..index]
                            .iter()
                            .find(|s| s.name.as_deref() == Some(from.as_str()))
                            .unwrap_or_else(|| {
                                panic!("Dockerfile:{}: no earlier stage {from}", ins.line)
                            });
                        for s in &sources {
                            assert!(
                                earlier.all("RUN").any(|r| r.args.contains(s.as_str())),
                                "Dockerfile:{}: stage {from} never makes {s}",
                                ins.line
                            );
                        }
                        continue;
                    }
                    let dest = workdir.join(&dest);
                    let into_dir = ins.args.trim_end().ends_with('/') || sources.len() > 1;
                    for source in &sources {
                        let files = copied_by(&context, source);
                        assert!(
                            !files.is_empty(),
                            "Dockerfile:{}: COPY {source}: not in the repository, or excluded by .dockerignore",
                            ins.line
                        );
                        let is_dir = !context.contains(source.trim_start_matches("./"));
                        for (file, rel) in files {
                            let target = if is_dir || into_dir {
                                dest.join(rel)
                            } else {
                                dest.clone()
                            };
                            let target = root.path().join(target.strip_prefix("/").unwrap());
                            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                            std::fs::copy(repo().join(file), &target).unwrap();
                        }
                    }
                }
                "RUN" if ins.args.contains("cargo build") => {
                    // Would `cargo build --locked` get going with these files? fetch parses the
                    // manifest (every [[bench]] etc. must exist), checks Cargo.lock is current
                    // and needs every dependency, from the local cache (--offline).
                    let dir = root.path().join(workdir.strip_prefix("/").unwrap());
                    let host = host_triple();
                    let out =
                        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                            .args(["fetch", "--locked", "--offline", "--target", &host])
                            .current_dir(&dir)
                            .output()
                            .unwrap();
                    assert!(
                        out.status.success(),
                        "Dockerfile:{}: the files copied so far do not build:\n{}",
                        ins.line,
                        text(&out)
                    );
                }
                _ => {}
            }
        }
    }
}

fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-vV").output().expect("rustc -vV");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV: host")
        .to_owned()
}

#[test]
fn dockerignore_rules_behave_like_dockers() {
    let rules: Vec<(bool, Vec<String>)> = vec![
        (false, vec!["*".into()]),
        (true, vec!["src".into()]),
        (false, vec!["src".into(), "**".into(), "*.bak".into()]),
    ];
    assert!(docker_ignores(&rules, "certs/hm/client_key.pem"));
    assert!(docker_ignores(&rules, "Cargo.toml"));
    assert!(!docker_ignores(&rules, "src/main.rs"));
    assert!(!docker_ignores(&rules, "src/sinks/file.rs"));
    assert!(docker_ignores(&rules, "src/sinks/file.rs.bak"));
}

/// Serves one request with `status` and returns the request line.
fn serve_once(status: &'static str) -> (u16, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut header = String::new();
        while reader.read_line(&mut header).unwrap() > 0 && header != "\r\n" {
            header.clear();
        }
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
        )
        .unwrap();
        request_line
    });
    (port, handle)
}

#[test]
fn dockerfile_health_check_is_a_real_http_get_of_healthz() {
    let stages = parse_dockerfile(&read("Dockerfile"));
    let health = stages.last().unwrap().last("HEALTHCHECK").unwrap();
    let cmd = health
        .args
        .split_once("CMD")
        .expect("HEALTHCHECK ... CMD")
        .1
        .trim();
    let argv: Vec<String> = serde_json::from_str(cmd).expect("HEALTHCHECK CMD in exec form");
    let probe = |port: u16| {
        Command::new(&argv[0])
            .args(&argv[1..])
            .env("VINSTREAM_ADMIN_PORT", port.to_string())
            .output()
            .unwrap()
    };

    let (port, server) = serve_once("200 OK");
    let out = probe(port);
    assert_eq!(out.status.code(), Some(0), "healthy on 200: {}", text(&out));
    assert_eq!(server.join().unwrap(), "GET /healthz HTTP/1.1\r\n");

    let (port, server) = serve_once("503 Service Unavailable");
    let out = probe(port);
    assert_eq!(
        out.status.code(),
        Some(1),
        "unhealthy on 503: {}",
        text(&out)
    );
    server.join().unwrap();

    // Nothing listening: unhealthy (exit 1, the code Docker documents), not an error.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = probe(port);
    assert_eq!(
        out.status.code(),
        Some(1),
        "unhealthy when refused: {}",
        text(&out)
    );
}
