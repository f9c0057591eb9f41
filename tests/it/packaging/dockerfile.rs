//! The container image: stages, user, volumes, health check, and a build context that holds
//! exactly what the build needs.

use super::docker::*;
use super::*;

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
