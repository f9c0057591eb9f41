//! Tests of the `cumulocity` sink: the real binary between a High Mobility V2 provider
//! broker (mTLS Mosquitto) and a Mosquitto standing in for the Cumulocity MQTT endpoint
//! (TLS, password file with the `{tenant}/{username}` user). An observer subscribed to
//! `s/us/#` checks every publish against the SmartREST 2.0 static templates of
//! reference/sinks.md: template ids and arities, CSV quoting, the 16,184-byte limit.

use crate::support::daemon::Daemon;
use crate::support::platform::{self, hm, odometer, PlatformRig, HM_APP as APP};
use crate::support::publisher::{ClientOptions, Collector, Publisher};
use serde_json::{json, Value};
use std::time::Duration;

mod smartrest;

use smartrest::{announcements, check, rows, series};

const USER: &str = "t123/vinstream";
const PASSWORD: &str = "c8y-secret";
const LIMIT: usize = 16_184;
const T: Duration = Duration::from_secs(40);
const T1: &str = "2026-11-21T10:00:00Z";
const T1_ISO: &str = "2026-11-21T10:00:00.000Z";
const T2: &str = "2025-08-12T16:07:48.000Z";
const VIN_A: &str = "WBA00000000000001";
const VIN_B: &str = "WBA00000000000002";

fn rig() -> PlatformRig {
    PlatformRig::new(USER, PASSWORD)
}

impl PlatformRig {
    fn c8y_daemon(&self, sink_extra: &str) -> Daemon {
        let sink = format!(
            "[sinks.c8y]\ntype = \"cumulocity\"\nhost = \"localhost\"\nport = {port}\n\
             ca_file = \"{ca}\"\ntenant = \"t123\"\nusername = \"vinstream\"\n\
             password = \"{PASSWORD}\"\ndevice_id = \"vinstream-1\"\n{sink_extra}",
            port = self.platform.port(),
            ca = self.pki.ca.display(),
        );
        self.start_daemon(APP, "vinstream-c8y-test", &sink, T)
    }

    async fn c8y_observer(&self) -> Collector {
        self.observer("c8y-observer", "s/us/#").await
    }
}

async fn wait_rows(
    d: &Daemon,
    obs: &Collector,
    what: &str,
    done: impl Fn(&[(String, Vec<String>)]) -> bool,
) -> Vec<(String, Vec<String>)> {
    platform::wait_observed(d, obs, T, &what, check, |all| done(all)).await
}

fn has_odometer(all: &[(String, Vec<String>)], vin: &str, metres: &str) -> bool {
    series(all, vin)
        .iter()
        .any(|s| s[1] == "TraveledDistance" && s[2] == metres)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c8y_rows_follow_the_static_templates() {
    let rig = rig();
    let obs = rig.c8y_observer().await;
    let d = rig.c8y_daemon("");
    let p = rig.provider().await;
    let first = json!({
        "diagnostics": {
            "odometer": [{"data": {"unit": "kilometers", "value": 19201.01}, "timestamp": T1}],
            "speed": [{"failure": {"reason": "rate_limit", "description": "x"}}],
            "custom_note": [{"data": "a,b \"c\"\nd", "timestamp": T1}]},
        "trunk": {"position": [{"data": "open", "timestamp": T1}]},
        "vehicle_location": {
            "altitude": [{"data": {"unit": "meters", "value": 63}, "timestamp": T2}],
            "coordinates": [{"data": {"latitude": 11.572, "longitude": 8.487}, "timestamp": T2}]}
    });
    let t3 = "2026-11-21T10:02:00Z";
    let mut still_open = odometer(19202.0, "2026-11-21T10:01:00Z");
    still_open["trunk"] = json!({"position": [{"data": "open"}]});
    let mut closed = odometer(19203.0, t3);
    closed["trunk"] = json!({"position": [{"data": "closed", "timestamp": t3}]});
    p.publish_all([hm("c-1", VIN_A, first), hm("c-2", VIN_A, still_open)])
        .await;
    wait_rows(&d, &obs, "the first two", |all| {
        has_odometer(all, VIN_A, "19202000")
    })
    .await;
    p.publish_all([
        hm("c-3", VIN_A, closed),
        hm("c-4", VIN_B, odometer(5.0, T1)),
    ])
    .await;
    let all = wait_rows(&d, &obs, "all rows", |all| {
        has_odometer(all, VIN_A, "19203000") && has_odometer(all, VIN_B, "5000")
    })
    .await;

    let raw = obs.messages();
    assert_eq!(
        raw[0],
        (
            "s/us".to_string(),
            b"100,vinstream,c8y_vinstream\n".to_vec()
        )
    );
    assert_eq!(announcements(&all, VIN_A), (1, 1));
    assert_eq!(announcements(&all, VIN_B), (1, 1));
    let s = series(&all, VIN_A);
    let want = ["Vehicle", "TraveledDistance", "19201010", "m", T1_ISO].map(String::from);
    assert!(s.contains(&want), "{s:?}");
    // the position travels as 402 only, not as measurements
    assert_eq!(
        rows(&all, VIN_A, "402"),
        vec![&vec!["402", "11.572", "8.487", "63.0", "", T2]]
    );
    assert!(s.iter().all(|x| x[0] != "Vehicle_CurrentLocation"), "{s:?}");
    // the failed speed is skipped
    assert!(s.iter().all(|x| x[1] != "Speed"), "{s:?}");
    let events: Vec<(String, String)> = rows(&all, VIN_A, "400")
        .iter()
        .map(|f| (f[1].clone(), f[2].clone()))
        .collect();
    let trunk: Vec<&str> = events
        .iter()
        .filter(|(t, _)| t == "Vehicle_Body_Trunk_Rear_IsOpen")
        .map(|(_, text)| text.as_str())
        .collect();
    assert_eq!(
        trunk,
        vec![
            "Vehicle.Body.Trunk.Rear.IsOpen: true",
            "Vehicle.Body.Trunk.Rear.IsOpen: false"
        ],
        "one event per change: {all:?}"
    );
    let note = (
        "HM_diagnostics_custom_note".to_string(),
        "HM.diagnostics.custom_note: a,b \"c\"\nd".to_string(),
    );
    assert_eq!(
        events.iter().filter(|e| **e == note).count(),
        1,
        "{events:?}"
    );
    assert_eq!(events.len(), 3, "{events:?}");
    let escaped = "\"HM.diagnostics.custom_note: a,b \\\"c\\\"\nd\"";
    assert!(raw
        .iter()
        .any(|(_, p)| String::from_utf8_lossy(p).contains(escaped)));
    let log = rig.platform.log();
    assert!(
        log.contains("as d:vinstream-1 (p2, c1, k30, u't123/vinstream')"),
        "{log}"
    );

    // a platform error on s/e is logged against the sink
    let opts = ClientOptions::password("observer", "observer-pw").v4();
    let platform = Publisher::connect(rig.platform.port(), &rig.pki, opts).await;
    platform
        .publish("s/e", b"40,999,No static template for this message id")
        .await;
    d.wait_stderr_async("No static template for this message id", T)
        .await;
    let line = d
        .stderr()
        .lines()
        .find(|l| l.contains("No static template"))
        .unwrap()
        .to_string();
    assert!(
        line.contains("sink=c8y") && line.contains("40,999"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c8y_rows_are_packed_below_16184_bytes_as_201_and_as_200() {
    let rig = rig();
    let obs = rig.c8y_observer().await;
    // a second sink (its own device) with `use_201 = false`, on the same platform
    let second = format!(
        "\n[sinks.c8y200]\ntype = \"cumulocity\"\nhost = \"localhost\"\nport = {}\n\
         ca_file = \"{}\"\ntenant = \"t123\"\nusername = \"vinstream\"\n\
         password = \"{PASSWORD}\"\ndevice_id = \"vinstream-2\"\nuse_201 = false\n",
        rig.platform.port(),
        rig.pki.ca.display()
    );
    let d = rig.c8y_daemon(&second);
    let mut props = serde_json::Map::new();
    for i in 0..500 {
        let entry = json!([{"data": {"unit": "kilometers", "value": i}, "timestamp": T1}]);
        props.insert(format!("custom_property_{i:04}"), entry);
    }
    let p = rig.provider().await;
    p.publish_all([hm("big", VIN_A, json!({"diagnostics": props}))])
        .await;
    // check() holds every publish to 16,184 bytes and every row to its template
    let all = wait_rows(&d, &obs, "500 measurements twice", |all| {
        rows(all, VIN_A, "200").len() >= 500 && series(all, VIN_A).len() >= 500
    })
    .await;
    let data = obs
        .messages()
        .iter()
        .filter(|(t, _)| t.starts_with("s/us/"))
        .count();
    assert!(data >= 4, "{data} publishes");
    // ~22 KB of series: one measurement split over rows that each fit a publish
    assert!(rows(&all, VIN_A, "201").len() >= 2);
    let s = series(&all, VIN_A);
    assert_eq!(s.len(), 500);
    let want = [
        "HM_diagnostics",
        "custom_property_0042",
        "42",
        "kilometers",
        T1_ISO,
    ];
    assert!(s.contains(&want.map(String::from)), "{s:?}");
    let r = rows(&all, VIN_A, "200");
    assert_eq!(r.len(), 500);
    for f in r {
        assert!(
            f[1] == "HM_diagnostics" && f[4] == "kilometers" && f[5] == T1_ISO,
            "{f:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c8y_a_platform_restart_creates_device_and_children_again_and_loses_nothing() {
    let mut rig = rig();
    let obs = rig.c8y_observer().await;
    let d = rig.c8y_daemon("");
    let p = rig.provider().await;
    p.publish_all([hm("r-1", VIN_A, odometer(1.0, T1))]).await;
    wait_rows(&d, &obs, "r-1", |all| has_odometer(all, VIN_A, "1000")).await;

    let down = [
        hm("r-2", VIN_A, odometer(2.0, T1)),
        hm("r-3", VIN_B, odometer(3.0, T1)),
    ];
    rig.publish_while_platform_down(&d, &p, down, T).await;
    rig.platform.start_again();
    let all = wait_rows(&d, &obs, "r-2 and r-3", |all| {
        has_odometer(all, VIN_A, "2000") && has_odometer(all, VIN_B, "3000")
    })
    .await;
    assert_eq!(announcements(&all, VIN_A), (2, 2), "{all:?}");
    assert_eq!(announcements(&all, VIN_B).1, 1, "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c8y_nothing_is_acked_to_the_provider_while_the_platform_is_down() {
    let mut rig = rig();
    let obs = rig.c8y_observer().await;
    let mut d = rig.c8y_daemon("");
    let p = rig.provider().await;
    p.publish_all([hm("k-0", VIN_A, odometer(0.5, T1))]).await;
    wait_rows(&d, &obs, "k-0", |all| has_odometer(all, VIN_A, "500")).await;

    // distinct times: one VIN's values of one time and series collapse to the latest
    let at = |i: usize| format!("2026-11-21T10:00:0{i}Z");
    let down = (1..=5).map(|i| hm(&format!("k-{i}"), VIN_A, odometer(i as f64, &at(i))));
    rig.publish_while_platform_down(&d, &p, down, T).await;
    // Had the daemon acked them, this crash would lose them.
    d.kill();
    rig.platform.start_again();
    d.restart();
    let all = wait_rows(&d, &obs, "k-1..k-5", |all| {
        (1..=5).all(|i| has_odometer(all, VIN_A, &format!("{}", i * 1000)))
    })
    .await;
    assert_eq!(announcements(&all, VIN_A), (2, 2), "{all:?}");
}

/// A record whose VIN cannot name a child device (it holds `/`) is refused for good: it
/// goes to the dead letter as the record, and the batch's other records reach the
/// platform. Before, it was skipped with a warning only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c8y_a_record_whose_vin_cannot_be_a_device_goes_to_the_dead_letter() {
    let rig = rig();
    let obs = rig.c8y_observer().await;
    let d = rig.c8y_daemon("");
    let p = rig.provider().await;
    let bad_vin = "WBA0000/000000003";
    p.publish_all([
        hm("c8y-bad-vin", bad_vin, odometer(3.0, T1)),
        hm("c8y-good", VIN_A, odometer(4.0, T1)),
    ])
    .await;
    wait_rows(&d, &obs, "the good VIN's odometer", |all| {
        series(all, VIN_A).iter().any(|s| s[2] == "4000")
    })
    .await;
    let letters = rig.wait_dead_letters(&d, T);
    assert_eq!(letters.len(), 1, "{letters:?}");
    let l = &letters[0];
    assert_eq!(l["sink"], "c8y");
    assert!(l["reason"].as_str().unwrap().contains(bad_vin), "{l}");
    let record: Value = serde_json::from_str(l["payload"].as_str().unwrap()).unwrap();
    assert_eq!(record["vin"], bad_vin);
    assert_eq!(record["message_id"], "c8y-bad-vin");
    assert!(obs.messages().iter().all(|(topic, payload)| {
        !topic.contains(bad_vin) && !String::from_utf8_lossy(payload).contains(bad_vin)
    }));
}
