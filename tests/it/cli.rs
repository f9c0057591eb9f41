//! The command line: exit codes and messages users and scripts rely on.

use crate::support::daemon::run_cli;
use crate::support::pki;
use std::path::Path;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_accepts_a_valid_config_and_summarizes_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let config = dir.path().join("ok.toml");
    std::fs::write(
        &config,
        format!(
            "[providers.hm]\ntype = \"high_mobility_v2\"\nenvironment = \"sandbox\"\n\
             application_id = \"app\"\nca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n\
             [sinks.console]\ntype = \"stdout\"\n",
            pki.ca.display(),
            pki.client_cert.display(),
            pki.client_key.display()
        ),
    )
    .unwrap();
    let out = run_cli(bin(), &["check", "-c", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("configuration is valid"), "{stdout}");
    assert!(
        stdout.contains("$share/app/sandbox/level13/app"),
        "{stdout}"
    );
}

#[test]
fn check_reports_every_problem_with_file_and_key_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("broken.toml");
    std::fs::write(
        &config,
        "[daemon]\ncolour = \"blue\"\nshutdown_timeout = \"soon\"\n\
         [providers.hm]\ntype = \"high_mobility_v2\"\nenvironment = \"prod\"\n\
         application_id = \"${VINSTREAM_TEST_UNSET_VAR}\"\nca_file = \"/nonexistent/ca.pem\"\n\
         cert_file = \"/nonexistent/cert.pem\"\nkey_file = \"/nonexistent/key.pem\"\n\
         [sinks.console]\ntype = \"stdout\"\n",
    )
    .unwrap();
    let out = run_cli(bin(), &["check", "-c", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let file = config.display().to_string();
    for key in [
        "daemon.colour",
        "daemon.shutdown_timeout",
        "providers.hm.environment",
        "providers.hm.application_id",
        "providers.hm.ca_file",
        "providers.hm.cert_file",
        "providers.hm.key_file",
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("{file}: {key}: "))),
            "no line for {key}:\n{err}"
        );
    }
    assert!(err.contains("VINSTREAM_TEST_UNSET_VAR is not set"), "{err}");
    assert!(err.contains("no such file: /nonexistent/ca.pem"), "{err}");
}

/// What building a sink refuses, `check` reports too (issue 19 item 5): before, these
/// passed `check` and `run` then exited 1, a restart loop under systemd.
#[test]
fn check_and_run_refuse_what_the_sinks_would_refuse_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let config = dir.path().join("sinks.toml");
    std::fs::write(
        &config,
        format!(
            "[daemon]\nstate_dir = \"{state}\"\n\
             [providers.hm]\ntype = \"high_mobility_v2\"\nenvironment = \"sandbox\"\n\
             application_id = \"app\"\nca_file = \"{ca}\"\ncert_file = \"{cert}\"\nkey_file = \"{key}\"\n\
             [sinks.hook]\ntype = \"webhook\"\nurl = \"ftp://example.test/in\"\n\
             [sinks.hook0]\ntype = \"webhook\"\nurl = \"https://example.test/in\"\nbatch_max_events = 0\n\
             [sinks.tb]\ntype = \"thingsboard\"\nhost = \"tb.test\"\naccess_token = \"t\"\n\
             max_payload_bytes = \"10B\"\n\
             [sinks.c8y]\ntype = \"cumulocity\"\nhost = \"c8y.test\"\ntenant = \"t1\"\n\
             username = \"u\"\npassword = \"p\"\ndevice_id = \"a:b\"\n",
            state = dir.path().join("state").display(),
            ca = pki.ca.display(),
            cert = pki.client_cert.display(),
            key = pki.client_key.display()
        ),
    )
    .unwrap();
    let file = config.display().to_string();
    for cmd in ["check", "run"] {
        let out = run_cli(bin(), &[cmd, "-c", config.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        for key in [
            "sinks.hook.url",
            "sinks.hook0.batch_max_events",
            "sinks.tb.max_payload_bytes",
            "sinks.c8y.device_id",
        ] {
            assert!(
                err.lines()
                    .any(|l| l.starts_with(&format!("{file}: {key}: "))),
                "{cmd}: no line for {key}:\n{err}"
            );
        }
    }
}

#[test]
fn check_on_a_missing_file_and_the_shipped_example() {
    let out = run_cli(bin(), &["check", "-c", "/nonexistent/vinstream.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the config file"));
    // On a fresh clone the example is complete but for the user's own certificates.
    let example = format!("{}/config/example.toml", env!("CARGO_MANIFEST_DIR"));
    let out = run_cli(bin(), &["check", "-c", &example]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err.lines().count(),
        3,
        "only the certificates are missing:\n{err}"
    );
    assert!(
        err.contains("providers.hm.cert_file: no such file"),
        "{err}"
    );
}

#[test]
fn normalize_prints_records_and_fails_after_processing_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"vin\":\"A\",\"message_id\":\"1\",\"data\":{}}\nnot json\n{\"vin\":\"B\",\"message_id\":\"2\",\"data\":{}}\n",
    )
    .unwrap();
    let out = run_cli(
        bin(),
        &["normalize", "--format", "hm-v2", input.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["vin"], "B");
    assert_eq!(lines[1]["source"], "hm-v2");
    assert!(text(&out.stderr).contains("payload 2"));

    let pretty = format!(
        "{}/tests/fixtures/highmobility_v2/docs_mqtt_v2_example.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = run_cli(bin(), &["normalize", "--format", "hm-v2", &pretty]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn usage_errors_exit_2() {
    let out = run_cli(bin(), &["normalize", "--format", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_cli(bin(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bmw_login_flags_are_checked_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nope/tokens.json");
    let out = run_cli(
        bin(),
        &[
            "bmw-login",
            "--client-id",
            "",
            "--token-file",
            file.to_str().unwrap(),
            "--token-url",
            "http://localhost.evil.example/token",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("--client-id: must not be empty"), "{err}");
    assert!(
        err.contains("--token-url: `http://localhost.evil.example/token`"),
        "{err}"
    );
    assert!(err.contains("--token-file: the directory"), "{err}");
    assert!(
        !err.contains("--device-code-url"),
        "the default is fine: {err}"
    );
}
