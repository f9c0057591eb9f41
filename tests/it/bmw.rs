//! BMW CarData end to end: `bmw-login` against a loopback OAuth server, and the daemon
//! streaming from a real Mosquitto that authenticates the GCID with the id token,
//! refreshing the token (and so the broker password) while messages flow.

use crate::support::daemon::{run_cli, Daemon};
use crate::support::mosquitto::{self, Mosquitto, MosquittoOptions};
use crate::support::oauth::{Behaviour, OAuthServer, Outcome, GCID};
use crate::support::pki;
use crate::support::publisher::{ClientOptions, Publisher};
use crate::support::wait;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const T: Duration = Duration::from_secs(60);
const VIN: &str = "WBAJA91000CD48772";

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

async fn login(server: &OAuthServer, token_file: &Path) -> std::process::Output {
    let bin = bin().to_path_buf();
    let args = vec![
        "bmw-login".to_string(),
        "--client-id".into(),
        "client-123".into(),
        "--token-file".into(),
        token_file.display().to_string(),
        "--device-code-url".into(),
        server.device_code_url(),
        "--token-url".into(),
        server.token_url(),
    ];
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_cli(&bin, &args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_waits_through_pending_and_slow_down_then_writes_a_private_token_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let server = OAuthServer::start(Behaviour {
        pending_polls: 2,
        slow_down: true,
        ..Behaviour::default()
    })
    .await;
    let file = dir.path().join("tokens.json");
    let out = login(&server, &file).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("https://customer.bmwgroup.com/oneid/link?code=WXYZ-1234"),
        "{stdout}"
    );
    assert!(stdout.contains("WXYZ-1234"));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let tokens: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(tokens["gcid"], GCID);
    for key in [
        "access_token",
        "id_token",
        "refresh_token",
        "token_type",
        "scope",
        "expires_at",
        "refresh_expires_at",
    ] {
        assert!(tokens.get(key).is_some(), "{key} missing: {tokens}");
    }
    server.seen(|s| {
        assert!(s.pkce_ok, "the code verifier must match the S256 challenge");
        assert_eq!(
            s.scope,
            "authenticate_user openid cardata:streaming:read cardata:api:read"
        );
        // 2 pending + 1 slow_down + 1 success, the one after slow_down ≥ interval + 5 s later
        assert_eq!(s.token_requests.len(), 4);
        let gaps: Vec<Duration> = s
            .token_requests
            .windows(2)
            .map(|w| w[1].1 - w[0].1)
            .collect();
        assert!(
            gaps.iter().all(|g| *g >= Duration::from_millis(950)),
            "{gaps:?}"
        );
        assert!(
            gaps[2] >= Duration::from_secs(5),
            "slow_down must add 5 s: {gaps:?}"
        );
        // no secret reaches the terminal
        assert!(!stdout.contains(&s.issued_refresh_tokens[0]));
        assert!(!stdout.contains(&s.issued_id_tokens[0]));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_reports_an_expired_code_and_a_refusal_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let server = OAuthServer::start(Behaviour {
        outcome: Outcome::Expire,
        ..Behaviour::default()
    })
    .await;
    let out = login(&server, &dir.path().join("t.json")).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expired before it was confirmed"), "{err}");
    assert!(!dir.path().join("t.json").exists());

    server.with(|b, _| b.outcome = Outcome::Deny);
    let out = login(&server, &dir.path().join("t.json")).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("access was denied"), "{err}");
}

struct Stream {
    dir: tempfile::TempDir,
    broker: Mosquitto,
    server: OAuthServer,
    token_file: PathBuf,
    pki: pki::Pki,
}

impl Stream {
    /// Mosquitto with a password listener (user = GCID, password = the current id token)
    /// and an OAuth server whose refreshes rotate that password, like BMW's backend does.
    async fn new(
        id_token_lifetime: Duration,
        broker_password: Option<&str>,
        extra_config: &str,
    ) -> Stream {
        let dir = tempfile::tempdir().unwrap();
        let pki = pki::generate(&dir.path().join("pki"));
        let server = OAuthServer::start(Behaviour::default()).await;
        let tokens = server.issue(id_token_lifetime);
        let token_file = dir.path().join("bmw-tokens.json");
        std::fs::write(
            &token_file,
            json!({
                "gcid": tokens["gcid"], "access_token": tokens["access_token"], "id_token": tokens["id_token"],
                "refresh_token": tokens["refresh_token"], "token_type": "Bearer", "scope": tokens["scope"]
            })
            .to_string(),
        )
        .unwrap();
        let pw = dir.path().join("passwd");
        let password = broker_password.unwrap_or(tokens["id_token"].as_str().unwrap());
        mosquitto::write_password_file(&pw, GCID, password);
        mosquitto::set_password(&pw, "publisher", "publisher-pw");
        let mut opts = MosquittoOptions::password(&pw);
        opts.extra_config = extra_config.to_string();
        let broker = Mosquitto::start(&pki, opts);
        let (pw2, conf) = (pw.clone(), broker.config_path().to_path_buf());
        let pid = broker.pid().unwrap();
        let hook: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(move |id_token: &str| {
            mosquitto::set_password(&pw2, GCID, id_token);
            let _ = &conf;
            std::process::Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status()
                .unwrap();
        });
        server.with(|b, _| b.on_refresh = Some(hook));
        Stream {
            dir,
            broker,
            server,
            token_file,
            pki,
        }
    }

    fn config(&self, refresh_before: &str) -> String {
        format!(
            r#"
[daemon]
state_dir = "{state}"

[providers.bmw]
type = "bmw_cardata"
host = "localhost"
port = {port}
client_id = "client-123"
gcid = "{GCID}"
token_file = "{tokens}"
token_url = "{token_url}"
device_code_url = "{device_url}"
refresh_before = "{refresh_before}"
ca_file = "{ca}"

[providers.bmw.session]
keep_alive = "5s"

[sinks.console]
type = "stdout"
"#,
            state = self.dir.path().join("state").display(),
            port = self.broker.port(),
            tokens = self.token_file.display(),
            token_url = self.server.token_url(),
            device_url = self.server.device_code_url(),
            ca = self.pki.ca.display(),
        )
    }

    async fn publisher(&self) -> Publisher {
        Publisher::connect(
            self.broker.port(),
            &self.pki,
            ClientOptions::password("publisher", "publisher-pw").v4(),
        )
        .await
    }

    fn secrets(&self) -> Vec<String> {
        self.server.seen(|s| {
            s.issued_id_tokens
                .iter()
                .chain(&s.issued_refresh_tokens)
                .chain(&s.issued_access_tokens)
                .cloned()
                .collect()
        })
    }
}

fn message(n: usize) -> Vec<u8> {
    json!({
        "vin": VIN, "entityId": GCID, "topic": VIN, "timestamp": "2026-11-21T10:00:00.000Z",
        "data": {"vehicle.vehicle.travelledDistance": {"timestamp": "2026-11-21T09:59:59Z", "value": 1000 + n, "unit": "km"}}
    })
    .to_string()
    .into_bytes()
}

fn distances(d: &Daemon) -> Vec<u64> {
    d.all_records()
        .iter()
        .map(|r| r["signals"][0]["value"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_refreshes_its_token_and_reconnects_without_losing_or_repeating_a_message() {
    // The id token expires 15 s after start; with refresh_before = 10m the refresh is due at once.
    let s = Stream::new(Duration::from_secs(15), None, "").await;
    let d = Daemon::start(bin(), &s.config("10m"), s.dir.path());
    d.wait_stderr("subscribed", T);
    let p = s.publisher().await;
    let topic = format!("{GCID}/{VIN}");
    for n in 0..10 {
        p.publish(&topic, &message(n)).await;
    }
    // during: the refresh rotates the broker password, which drops the old connection
    wait::until_async_sync("the first refresh", T, || {
        (s.server.seen(|x| x.refreshes) >= 1).then_some(())
    })
    .await;
    for n in 10..20 {
        p.publish(&topic, &message(n)).await;
    }
    wait::until_async_sync("reconnected with the new token", T, || {
        (d.stderr().matches("subscribed").count() >= 2).then_some(())
    })
    .await;
    for n in 20..30 {
        p.publish(&topic, &message(n)).await;
    }
    let got = wait::until_async_sync("all 30 messages", T, || {
        let v = distances(&d);
        (v.len() >= 30).then_some(v)
    })
    .await;
    let unique: HashSet<u64> = got.iter().copied().collect();
    assert_eq!(unique.len(), 30, "every message exactly once: {got:?}");
    assert_eq!(got.len(), 30, "no duplicates: {got:?}");
    d.wait_stderr("token refreshed", T);

    // The rotated tokens were persisted, privately.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&s.token_file)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let saved: Value = serde_json::from_slice(&std::fs::read(&s.token_file).unwrap()).unwrap();
    let latest_refresh = s
        .server
        .seen(|x| x.issued_refresh_tokens.last().cloned().unwrap());
    assert_eq!(saved["refresh_token"], latest_refresh.as_str());
    // No secret ever reaches the log.
    let log = d.stderr();
    for secret in s.secrets() {
        assert!(!log.contains(&secret), "a token leaked into the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_broker_refuses_is_refreshed_at_once() {
    // The broker expects another password than the (still valid-looking) token on file.
    let s = Stream::new(Duration::from_secs(3600), Some("not-the-token"), "").await;
    let d = Daemon::start(bin(), &s.config("10m"), s.dir.path());
    d.wait_stderr("refreshing it now", T);
    d.wait_stderr("subscribed", T);
    assert_eq!(s.server.seen(|x| x.refreshes), 1);
    let p = s.publisher().await;
    p.publish(&format!("{GCID}/{VIN}"), &message(1)).await;
    let records = d.wait_records(1, T);
    assert_eq!(records[0]["provider"], "bmw_cardata");
    assert_eq!(records[0]["signals"][0]["value"], json!(1001000));
}

/// A Mosquitto dynamic-security file in which the GCID may connect but subscribe to
/// nothing (Mosquitto's plain ACL file never refuses a SUBSCRIBE; dynsec answers 0x80).
fn dynsec_refusing_subscriptions(dir: &Path, gcid: &str, token: &str) -> PathBuf {
    let init = |file: &Path, user: &str, pw: &str| {
        let ok = std::process::Command::new("mosquitto_ctrl")
            .args(["dynsec", "init"])
            .arg(file)
            .args([user, pw])
            .output()
            .expect("mosquitto_ctrl (package mosquitto)");
        assert!(ok.status.success(), "{ok:?}");
        serde_json::from_slice::<Value>(&std::fs::read(file).unwrap()).unwrap()
    };
    let a = init(&dir.join("a.json"), gcid, token);
    let mut doc = init(&dir.join("b.json"), "publisher", "publisher-pw");
    let mut reader = a["clients"][0].clone();
    reader["roles"] = json!([]);
    let publisher = doc["clients"][0].clone();
    doc["clients"] = json!([reader, publisher]);
    doc["defaultACLAccess"] = json!({"publishClientSend": false, "publishClientReceive": true,
                                     "subscribe": false, "unsubscribe": true});
    let path = dir.join("dynsec.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_subscription_says_the_stream_is_not_configured() {
    let s = Stream::new(Duration::from_secs(3600), None, "").await;
    let token: Value = serde_json::from_slice(&std::fs::read(&s.token_file).unwrap()).unwrap();
    let dynsec =
        dynsec_refusing_subscriptions(s.dir.path(), GCID, token["id_token"].as_str().unwrap());
    let broker = Mosquitto::start(
        &s.pki,
        MosquittoOptions {
            mtls: false,
            password_file: None,
            extra_config: format!(
                "allow_anonymous false\nplugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so\n\
                 plugin_opt_config_file {}\n",
                dynsec.display()
            ),
        },
    );
    let config = s.config("10m").replace(
        &format!("port = {}", s.broker.port()),
        &format!("port = {}", broker.port()),
    );
    let d = Daemon::start(bin(), &config, s.dir.path());
    d.wait_stderr("CarData stream is not configured", T);
    d.wait_stderr("connected", T);
    assert!(!d.stderr().contains("INFO subscribed"), "{}", d.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_login_is_reported_with_what_to_do() {
    let s = Stream::new(Duration::from_secs(15), None, "").await;
    s.server.with(|b, _| b.refuse_refresh = true);
    let d = Daemon::start(bin(), &s.config("10m"), s.dir.path());
    d.wait_stderr("run `vinstream bmw-login", T);
    d.wait_stderr("expired or was revoked", T);
}
