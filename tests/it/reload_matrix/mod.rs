//! The reload matrix (issue 19): every sink type reloaded while records flow, and reloaded
//! out of being down, against its real peer, with a stdout sink beside it in every config
//! so that every record shows on stdout too. (SIGTERM during a reload stuck on a down
//! sink is covered once, for ThingsBoard, in `reload_faults`.)
//!
//! - changed: the sink starts on its live peer; N messages flow; the sink's table is
//!   changed harmlessly (file path, webhook header, TB device type, Cumulocity device
//!   name, NATS subject, PostgreSQL batch_max_rows) and SIGHUP'd in while they flow; N
//!   more. Every record reaches stdout and the peer (over old and new target) at least
//!   once; webhook, NATS and PostgreSQL hold none twice (by batch id, by `Nats-Msg-Id`,
//!   by signal row).
//! - down: the sink starts pointing at nothing; N messages wait on it; a reload points it
//!   at the live peer, which then gets all N.

mod peers;

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::platform::PlatformRig;
use crate::support::wait;
use peers::{index_of_id, Kind, Peer, Variant};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const APP: &str = "app-reload-matrix";
const TOPIC: &str = "live/level13/app-reload-matrix";
const VIN: &str = "WRM00000000000001";
const N: usize = 20;
const T: Duration = Duration::from_secs(25);

fn config(rig: &PlatformRig, sink: &str) -> String {
    configs::daemon(
        &rig.dir.path().join("state"),
        "log_level = \"info,vinstream=debug\"\nshutdown_timeout = \"5s\"",
    ) + &configs::hm_v2(
        rig.provider.port(),
        &rig.pki,
        APP,
        "vinstream-reload-matrix",
        "",
        "",
    ) + configs::STDOUT
        + "\n"
        + sink
}

/// Message `i`: id `rm{i:03}`, an odometer of `i` km at its own timestamp.
fn msg(i: usize) -> (String, Vec<u8>) {
    let ts = chrono::DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z").unwrap()
        + chrono::Duration::seconds(i as i64);
    let payload = json!({"version": 2, "application_id": APP, "message_id": format!("rm{i:03}"),
        "vin": VIN, "data": {"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": i},
        "timestamp": ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}]}}});
    (TOPIC.to_string(), payload.to_string().into_bytes())
}

fn counts(indices: impl IntoIterator<Item = usize>) -> BTreeMap<usize, usize> {
    let mut m = BTreeMap::new();
    for i in indices {
        *m.entry(i).or_default() += 1;
    }
    m
}

fn stdout_indices(d: &Daemon) -> Vec<usize> {
    d.all_records()
        .iter()
        .map(|r| index_of_id(r["id"].as_str().expect("record id")))
        .collect()
}

/// Waits until stdout and the peer both hold every index of `0..n`; returns what the
/// peer holds, as copies per index.
async fn wait_all(d: &Daemon, peer: &Peer, n: usize) -> BTreeMap<usize, usize> {
    let complete = |c: &BTreeMap<usize, usize>| (0..n).all(|i| c.contains_key(&i));
    let done = wait::try_until_async(T, || complete(&counts(stdout_indices(d))).then_some(()))
        .await
        .is_some();
    assert!(
        done,
        "stdout holds {:?} of 0..{n}; stderr tail:\n{}",
        counts(stdout_indices(d)).keys().collect::<Vec<_>>(),
        d.stderr_tail(40)
    );
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let got = counts(peer.indices().await);
        if complete(&got) {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the peer holds {:?} of 0..{n} after {T:?}; stderr tail:\n{}",
            got.keys().collect::<Vec<_>>(),
            d.stderr_tail(40)
        );
        tokio::time::sleep(wait::POLL * 5).await;
    }
}

/// SIGHUP with the config rewritten to `sink`, and wait until it was applied.
fn reload(d: &Daemon, rig: &PlatformRig, sink: &str) {
    d.write_config(&config(rig, sink));
    let mark = d.stderr_mark();
    d.sighup();
    // The daemon's own line: the pipeline's "configuration reloaded while a sink was
    // failing" can come first, before the reload finished.
    let log = wait::until("the reload to finish", T, || {
        let log = d.stderr_lines.lock().unwrap()[mark..].join("\n");
        (log.contains("configuration reloaded restarted_")
            || log.contains("reload failed part-way"))
        .then_some(log)
    });
    assert!(
        log.contains("restarted_sinks=[\"peer\"]"),
        "the sink was not rebuilt by the reload:\n{log}"
    );
}

async fn changed_while_records_flow(kind: Kind) {
    let (user, password) = kind.platform_account();
    let rig = PlatformRig::new(user, password);
    let peer = Peer::start(kind, &rig).await;
    let d = daemon(&rig, &peer.sink(&rig, Variant::Live));
    let p = rig.provider().await;
    p.publish_all((0..N).map(msg)).await;
    reload(&d, &rig, &peer.sink(&rig, Variant::Changed));
    p.publish_all((N..2 * N).map(msg)).await;
    let got = wait_all(&d, &peer, 2 * N).await;
    if matches!(kind, Kind::Webhook | Kind::Nats | Kind::Postgres) {
        let twice: Vec<_> = got.iter().filter(|(_, &n)| n > 1).collect();
        assert!(twice.is_empty(), "stored twice (index, copies): {twice:?}");
    }
    if let Peer::File { a, b } = &peer {
        let lines = |p: &Path| std::fs::read_to_string(p).map_or(0, |t| t.lines().count());
        // what was published after the reload can only be in the new file
        assert!(
            lines(b) >= N,
            "{} lines in the new path {}",
            lines(b),
            b.display()
        );
        eprintln!(
            "file: {} lines in the old path, {} in the new",
            lines(a),
            lines(b)
        );
    }
}

async fn down_fixed_by_a_reload(kind: Kind) {
    let (user, password) = kind.platform_account();
    let rig = PlatformRig::new(user, password);
    let peer = Peer::start(kind, &rig).await;
    let d = daemon(&rig, &peer.sink(&rig, Variant::Down));
    let p = rig.provider().await;
    p.publish_all((0..N).map(msg)).await;
    // The webhook spools while its endpoint is down: the batch is accepted, and its
    // sender reports the failing endpoint instead.
    let failing = match kind {
        Kind::Webhook => "webhook endpoint failing",
        _ => "did not accept the batch",
    };
    d.wait_stderr(failing, T);
    reload(&d, &rig, &peer.sink(&rig, Variant::Live));
    wait_all(&d, &peer, N).await;
}

fn daemon(rig: &PlatformRig, sink: &str) -> Daemon {
    let bin = Path::new(env!("CARGO_BIN_EXE_vinstream"));
    let d = Daemon::start(bin, &config(rig, sink), rig.dir.path());
    d.wait_stderr("subscribed", T);
    d
}

macro_rules! matrix {
    ($($changed:ident, $down:ident: $kind:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $changed() {
            changed_while_records_flow($kind).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $down() {
            down_fixed_by_a_reload($kind).await;
        }
    )*};
}

matrix! {
    file_changed_while_records_flow, file_down_fixed_by_a_reload: Kind::File;
    thingsboard_changed_while_records_flow, thingsboard_down_fixed_by_a_reload: Kind::Thingsboard;
    cumulocity_changed_while_records_flow, cumulocity_down_fixed_by_a_reload: Kind::Cumulocity;
    nats_changed_while_records_flow, nats_down_fixed_by_a_reload: Kind::Nats;
    postgres_changed_while_records_flow, postgres_down_fixed_by_a_reload: Kind::Postgres;
}

/// Apart from the matrix because it failed first (issue 19 item 1): the new webhook
/// sink opened the spool while the old sender still ran, and both sent from one cursor
/// (rm016..rm019 and rm016..rm023 under one batch id: a receiver dropping repeated ids
/// lost rm020..rm023). The spool now has one owner and the reload hands it over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_changed_while_records_flow() {
    changed_while_records_flow(Kind::Webhook).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_down_fixed_by_a_reload() {
    down_fixed_by_a_reload(Kind::Webhook).await;
}
