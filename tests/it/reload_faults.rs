//! Reload while a sink is down (issue 19 item 2): the reload that fixes the sink applies
//! to the batch stuck on it, and SIGTERM during a reload that waits on a down sink still
//! stops the daemon within `shutdown_timeout`, acking nothing that was not delivered.

use crate::support::daemon::Daemon;
use crate::support::platform::PlatformRig;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const APP: &str = "app-reload-faults";
const TOPIC: &str = "live/level13/app-reload-faults";
const TOKEN: &str = "tb-reload-token";
const T: Duration = Duration::from_secs(30);

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(rig: &PlatformRig, tb_port: u16, keep_alive: &str) -> String {
    format!(
        "[daemon]\nstate_dir = \"{state}\"\nshutdown_timeout = \"5s\"\nlog_level = \"info,vinstream=debug\"\n\n{hm}\n\
         [sinks.console]\ntype = \"stdout\"\n\n\
         [sinks.tb]\ntype = \"thingsboard\"\nhost = \"localhost\"\nport = {tb_port}\nca_file = \"{ca}\"\naccess_token = \"{TOKEN}\"\n",
        state = rig.dir.path().join("state").display(),
        hm = crate::support::configs::hm_v2(
            rig.provider.port(),
            &rig.pki,
            APP,
            "vinstream-reload-faults",
            "",
            &format!("keep_alive = \"{keep_alive}\""),
        ),
        ca = rig.pki.ca.display(),
    )
}

fn msg(i: usize) -> Vec<u8> {
    json!({"version": 2, "application_id": APP, "message_id": format!("rf{i}"), "vin": "RFVIN",
           "data": {"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": i}}]}}})
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_that_fixes_a_down_sink_delivers_what_waited_on_it() {
    let rig = PlatformRig::new(TOKEN, TOKEN);
    let bin = Path::new(env!("CARGO_BIN_EXE_vinstream"));
    let d = Daemon::start(bin, &config(&rig, dead_port(), "30s"), rig.dir.path());
    d.wait_stderr("subscribed", T);
    let tb = rig.observer("tb-observer", "v1/gateway/#").await;
    let p = rig.provider().await;
    for i in 0..20 {
        p.publish(TOPIC, &msg(i)).await;
    }
    d.wait_stderr("did not accept the batch", T);
    d.write_config(&config(&rig, rig.platform.port(), "30s"));
    d.sighup();
    d.wait_stderr("configuration reloaded", T);
    all_ids_arrive(&d);
    tb.wait_count(1, T).await;
}

/// Every one of the 20 messages reaches stdout (over all runs of the daemon).
fn all_ids_arrive(d: &Daemon) {
    crate::support::wait::until("all 20 records on stdout", T, || {
        let ids: std::collections::BTreeSet<String> = d
            .all_records()
            .iter()
            .filter_map(|r| r["message_id"].as_str().map(String::from))
            .collect();
        (0..20)
            .all(|i| ids.contains(&format!("rf{i}")))
            .then_some(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_reload_stuck_on_a_down_sink_stops_within_shutdown_timeout() {
    let rig = PlatformRig::new(TOKEN, TOKEN);
    let bin = Path::new(env!("CARGO_BIN_EXE_vinstream"));
    let mut d = Daemon::start(bin, &config(&rig, dead_port(), "30s"), rig.dir.path());
    d.wait_stderr("subscribed", T);
    let p = rig.provider().await;
    for i in 0..20 {
        p.publish(TOPIC, &msg(i)).await;
    }
    d.wait_stderr("did not accept the batch", T);
    // a changed provider must be drained before it restarts; the drain waits on tb,
    // which is still down in the new config
    d.write_config(&config(&rig, dead_port(), "20s"));
    d.sighup();
    d.wait_stderr("SIGHUP: reopening sink files and reloading", T);
    let started = Instant::now();
    d.sigterm();
    let status = d
        .wait_exit(Duration::from_secs(15))
        .expect("exited after SIGTERM");
    assert!(status.success(), "{status:?}\n{}", d.stderr_tail(30));
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "took {:?} with shutdown_timeout 5s",
        started.elapsed()
    );
    // nothing was acked that tb had not taken: with tb back, a restart delivers them
    let tb = rig.observer("tb-observer-2", "v1/gateway/#").await;
    d.write_config(&config(&rig, rig.platform.port(), "30s"));
    d.restart();
    all_ids_arrive(&d);
    tb.wait_count(1, T).await;
}
