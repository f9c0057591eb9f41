//! Tests of the `thingsboard` sink: the real binary between a High Mobility V2 provider
//! broker (mTLS Mosquitto) and a Mosquitto standing in for ThingsBoard's MQTT transport
//! (TLS, password file with the gateway access token as user). An observer subscribed to
//! `v1/gateway/#` checks every publish against the gateway API of reference/sinks.md.

use crate::support::daemon::Daemon;
use crate::support::platform::{self, hm, odometer, packet_len, PlatformRig, HM_APP as APP};
use crate::support::publisher::Collector;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const TOKEN: &str = "tb-gateway-token-1";
const T: Duration = Duration::from_secs(40);
const T1: &str = "2026-11-21T10:00:00Z";
const T2: &str = "2025-08-12T16:07:48.000Z";
const VIN_A: &str = "WVWZZZ1JZXW000001";
const VIN_B: &str = "WVWZZZ1JZXW000002";

fn ms(ts: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(ts)
        .unwrap()
        .timestamp_millis()
}

fn rig() -> PlatformRig {
    PlatformRig::new(TOKEN, TOKEN)
}

impl PlatformRig {
    fn tb_daemon(&self, sink_extra: &str) -> Daemon {
        let sink = format!(
            "[sinks.tb]\ntype = \"thingsboard\"\nhost = \"localhost\"\nport = {port}\n\
             ca_file = \"{ca}\"\naccess_token = \"{TOKEN}\"\n{sink_extra}",
            port = self.platform.port(),
            ca = self.pki.ca.display(),
        );
        self.start_daemon(APP, "vinstream-tb-test", &sink, T)
    }

    async fn tb_observer(&self) -> Collector {
        self.observer("tb-observer", "v1/gateway/#").await
    }
}

const ODO: &str = "Vehicle.TraveledDistance";

/// The odometer key of `vin` at `ts`, as `wait_values` wants it.
fn odo<'a>(vin: &'a str, ts: &str) -> (&'a str, i64, &'static str) {
    (vin, ms(ts), ODO)
}

fn key(vin: &str, ts: i64, k: &str) -> (String, i64, String) {
    (vin.to_string(), ts, k.to_string())
}

/// One observed publish, checked against the gateway API.
#[derive(Debug)]
enum Seen {
    Connect(String),
    /// (vin, ts, key, value) of every pair.
    Telemetry(Vec<(String, i64, String, Value)>),
}

/// Check every publish (topic, JSON shape, value types, packet size) and decode it.
fn check(msgs: &[(String, Vec<u8>)], max_packet: usize) -> Vec<Seen> {
    msgs.iter()
        .map(|(topic, payload)| {
            let packet = packet_len(topic, payload.len());
            assert!(
                packet <= max_packet,
                "{packet} > {max_packet} bytes on {topic}"
            );
            let v: Value = serde_json::from_slice(payload).expect("JSON payload");
            match topic.as_str() {
                "v1/gateway/connect" => {
                    let o = v.as_object().unwrap();
                    assert_eq!(o.len(), 2, "{v}");
                    assert_eq!(o["type"], "vehicle", "{v}");
                    Seen::Connect(o["device"].as_str().expect("device name").to_string())
                }
                "v1/gateway/telemetry" => {
                    let mut pairs = Vec::new();
                    for (vin, entries) in v.as_object().expect("object by device") {
                        for e in entries.as_array().expect("array of entries") {
                            let e = e.as_object().unwrap();
                            assert_eq!(e.len(), 2, "{e:?}");
                            let ts = e["ts"].as_i64().expect("ts in ms");
                            let values = e["values"].as_object().expect("values");
                            assert!(!values.is_empty(), "{v}");
                            for (k, val) in values {
                                assert!(
                                    val.is_number() || val.is_boolean() || val.is_string(),
                                    "{k}: {val} is no telemetry value"
                                );
                                pairs.push((vin.clone(), ts, k.clone(), val.clone()));
                            }
                        }
                    }
                    Seen::Telemetry(pairs)
                }
                other => panic!("unexpected publish on {other}: {v}"),
            }
        })
        .collect()
}

/// (vin, ts, key) → value over everything seen.
fn values(seen: &[Seen]) -> BTreeMap<(String, i64, String), Value> {
    let mut all = BTreeMap::new();
    for s in seen {
        if let Seen::Telemetry(pairs) = s {
            for (vin, ts, k, v) in pairs {
                all.insert((vin.clone(), *ts, k.clone()), v.clone());
            }
        }
    }
    all
}

/// Connects of `vin`, and whether each telemetry of it follows a connect.
fn connects(seen: &[Seen], vin: &str) -> usize {
    let mut n = 0;
    for s in seen {
        match s {
            Seen::Connect(v) if v == vin => n += 1,
            Seen::Telemetry(pairs) if pairs.iter().any(|p| p.0 == vin) => {
                assert!(n > 0, "telemetry for {vin} before its connect: {seen:?}")
            }
            _ => {}
        }
    }
    n
}

async fn wait_values(
    d: &Daemon,
    obs: &Collector,
    limit: usize,
    want: &[(&str, i64, &str)],
) -> Vec<Seen> {
    let decode = |m: &[(String, Vec<u8>)]| check(m, limit);
    platform::wait_observed(d, obs, T, &want, decode, |seen| {
        let all = values(seen);
        want.iter()
            .all(|(v, ts, k)| all.contains_key(&(v.to_string(), *ts, k.to_string())))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tb_devices_connect_once_and_telemetry_is_grouped_by_timestamp() {
    let rig = rig();
    let obs = rig.tb_observer().await;
    let d = rig.tb_daemon("");
    let p = rig.provider().await;
    let first = json!({
        "diagnostics": {
            "odometer": [{"data": {"unit": "kilometers", "value": 19201.01}, "timestamp": T1}],
            "speed": [{"failure": {"reason": "rate_limit", "description": "slow down"}}],
            "custom_note": [{"data": "a,b \"c\"\nd", "timestamp": T1}],
            "custom_obj": [{"data": {"x": 1, "y": "z"}, "timestamp": T1}]},
        "trunk": {"position": [{"data": "open", "timestamp": T1}]},
        "charging": {"status": [{"data": "charging"}]},
        "vehicle_location": {
            "altitude": [{"data": {"unit": "meters", "value": 63}, "timestamp": T2}],
            "coordinates": [{"data": {"latitude": 11.572, "longitude": 8.487}, "timestamp": T2}]}
    });
    let t3 = "2026-11-21T11:00:00Z";
    p.publish_all([
        hm("tb-1", VIN_A, first),
        hm("tb-2", VIN_B, odometer(5.0, T1)),
        hm("tb-3", VIN_A, odometer(19300.0, t3)),
    ])
    .await;
    let (t1, t2) = (ms(T1), ms(T2));
    let want = [
        (VIN_A, t1, "Vehicle.TraveledDistance", json!(19201010)),
        (VIN_B, t1, "Vehicle.TraveledDistance", json!(5000)),
        (VIN_A, ms(t3), "Vehicle.TraveledDistance", json!(19300000)),
        (VIN_A, t1, "Vehicle.Body.Trunk.Rear.IsOpen", json!(true)),
        (
            VIN_A,
            t1,
            "HM.diagnostics.custom_note",
            json!("a,b \"c\"\nd"),
        ),
        (
            VIN_A,
            t1,
            "HM.diagnostics.custom_obj",
            json!(r#"{"x":1,"y":"z"}"#),
        ),
        (VIN_A, t2, "Vehicle.CurrentLocation.Latitude", json!(11.572)),
        (VIN_A, t2, "Vehicle.CurrentLocation.Longitude", json!(8.487)),
        (VIN_A, t2, "Vehicle.CurrentLocation.Altitude", json!(63.0)),
    ];
    let keys: Vec<(&str, i64, &str)> = want.iter().map(|w| (w.0, w.1, w.2)).collect();
    let seen = wait_values(&d, &obs, 65536, &keys).await;
    assert_eq!(connects(&seen, VIN_A), 1, "{seen:?}");
    assert_eq!(connects(&seen, VIN_B), 1, "{seen:?}");
    let all = values(&seen);
    for (vin, ts, k, v) in &want {
        assert_eq!(
            &all[&(vin.to_string(), *ts, k.to_string())],
            v,
            "{vin} {ts} {k}"
        );
    }
    // no timestamp: the record's received_at, close to now
    let status = all
        .iter()
        .find(|((_, _, k), _)| k == "Vehicle.Powertrain.TractionBattery.Charging.Status")
        .expect("charging status");
    assert_eq!(status.1, &json!("CHARGING"));
    assert!((chrono::Utc::now().timestamp_millis() - status.0 .1).abs() < 60_000);
    // the failed speed is left out, not sent as null
    assert!(all.keys().all(|(_, _, k)| k != "Vehicle.Speed"));
    // values of one timestamp travel in one entry
    let grouped = seen.iter().any(|s| match s {
        Seen::Telemetry(pairs) => {
            let keys: Vec<&str> = pairs
                .iter()
                .filter(|(v, ts, _, _)| v == VIN_A && *ts == t1)
                .map(|p| p.2.as_str())
                .collect();
            keys.contains(&"Vehicle.TraveledDistance")
                && keys.contains(&"Vehicle.Body.Trunk.Rear.IsOpen")
        }
        _ => false,
    });
    assert!(grouped, "{seen:?}");
    let log = rig.platform.log();
    assert!(log.contains(&format!("c1, k30, u'{TOKEN}')")), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tb_flat_keys_and_a_small_payload_limit_split_telemetry_losing_nothing() {
    let rig = rig();
    let obs = rig.tb_observer().await;
    let d = rig
        .tb_daemon("key_style = \"flat\"\nmax_payload_bytes = \"1KiB\"\ndevice_type = \"vehicle\"");
    let mut props = serde_json::Map::new();
    for i in 0..200 {
        props.insert(
            format!("customProperty{i:03}"),
            json!([{"data": {"unit": "kilometers", "value": i}, "timestamp": T1}]),
        );
    }
    let p = rig.provider().await;
    p.publish_all([hm("tb-big", VIN_A, json!({"diagnostics": props}))])
        .await;
    let want: Vec<String> = (0..200)
        .map(|i| format!("hm_diagnostics_custom_property{i:03}"))
        .collect();
    let want_refs: Vec<(&str, i64, &str)> =
        want.iter().map(|k| (VIN_A, ms(T1), k.as_str())).collect();
    let seen = wait_values(&d, &obs, 1024, &want_refs).await;
    let telemetry = seen
        .iter()
        .filter(|s| matches!(s, Seen::Telemetry(_)))
        .count();
    assert!(
        telemetry >= 5,
        "{telemetry} publishes for ~200 values under 1 KiB"
    );
    let all = values(&seen);
    assert_eq!(all.len(), 200);
    let k = key(VIN_A, ms(T1), "hm_diagnostics_custom_property042");
    assert_eq!(all[&k], json!(42));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tb_a_platform_restart_reannounces_devices_and_loses_nothing() {
    let mut rig = rig();
    let obs = rig.tb_observer().await;
    let d = rig.tb_daemon("");
    let p = rig.provider().await;
    p.publish_all([hm("r-1", VIN_A, odometer(1.0, "2026-11-21T10:00:01Z"))])
        .await;
    wait_values(&d, &obs, 65536, &[odo(VIN_A, "2026-11-21T10:00:01Z")]).await;

    let down = [
        hm("r-2", VIN_A, odometer(2.0, "2026-11-21T10:00:02Z")),
        hm("r-3", VIN_B, odometer(3.0, "2026-11-21T10:00:03Z")),
    ];
    rig.publish_while_platform_down(&d, &p, down, T).await;
    rig.platform.start_again();
    let want = [
        odo(VIN_A, "2026-11-21T10:00:02Z"),
        odo(VIN_B, "2026-11-21T10:00:03Z"),
    ];
    let seen = wait_values(&d, &obs, 65536, &want).await;
    assert_eq!(
        connects(&seen, VIN_A),
        2,
        "re-announced on the new connection: {seen:?}"
    );
    assert_eq!(connects(&seen, VIN_B), 1, "{seen:?}");
    // the second connect of VIN_A comes before its new telemetry
    let second = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Seen::Connect(v) if v == VIN_A))
        .nth(1)
        .unwrap()
        .0;
    let r2 = seen
        .iter()
        .position(|s| matches!(s, Seen::Telemetry(p) if p.iter().any(|x| x.3 == json!(2000))))
        .unwrap();
    assert!(second < r2, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tb_nothing_is_acked_to_the_provider_while_the_platform_is_down() {
    let mut rig = rig();
    let obs = rig.tb_observer().await;
    let mut d = rig.tb_daemon("");
    let p = rig.provider().await;
    p.publish_all([hm("k-0", VIN_A, odometer(0.5, "2026-11-21T10:00:00Z"))])
        .await;
    wait_values(&d, &obs, 65536, &[odo(VIN_A, "2026-11-21T10:00:00Z")]).await;

    let times: Vec<String> = (1..=5).map(|i| format!("2026-11-21T10:00:0{i}Z")).collect();
    let down = times
        .iter()
        .enumerate()
        .map(|(i, ts)| hm(&format!("k-{}", i + 1), VIN_A, odometer(i as f64 + 1.0, ts)));
    rig.publish_while_platform_down(&d, &p, down, T).await;
    // Had the daemon acked them, this crash would lose them.
    d.kill();
    rig.platform.start_again();
    d.restart();
    let want: Vec<_> = times.iter().map(|ts| odo(VIN_A, ts)).collect();
    let seen = wait_values(&d, &obs, 65536, &want).await;
    let all = values(&seen);
    for (i, ts) in times.iter().enumerate() {
        assert_eq!(all[&key(VIN_A, ms(ts), ODO)], json!((i as i64 + 1) * 1000));
    }
    assert_eq!(connects(&seen, VIN_A), 2, "{seen:?}");
}

/// A value larger than any publish can carry is refused for good: it goes to the dead
/// letter (with the sink, the VIN and what would have been sent), and the rest of its
/// record reaches the platform. Before, it was dropped with a warning only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tb_a_value_too_large_for_any_publish_goes_to_the_dead_letter() {
    let rig = rig();
    let obs = rig.tb_observer().await;
    let d = rig.tb_daemon("max_payload_bytes = \"1KiB\"");
    let big = "x".repeat(3000);
    let mut data = odometer(7.0, T1);
    data["diagnostics"]["bigText"] = json!([{"data": big, "timestamp": T1}]);
    let p = rig.provider().await;
    p.publish_all([hm("tb-oversize", VIN_A, data)]).await;
    wait_values(&d, &obs, 1024, &[odo(VIN_A, T1)]).await;
    let letters = rig.wait_dead_letters(&d, T);
    assert_eq!(letters.len(), 1, "{letters:?}");
    let l = &letters[0];
    assert_eq!(l["sink"], "tb");
    assert_eq!(l["topic"], "v1/gateway/telemetry");
    let reason = l["reason"].as_str().unwrap();
    assert!(
        reason.contains(VIN_A) && reason.contains("1024"),
        "{reason}"
    );
    let sent: Value = serde_json::from_str(l["payload"].as_str().unwrap()).unwrap();
    let values = &sent[VIN_A][0]["values"];
    let (_, v) = values.as_object().unwrap().iter().next().unwrap();
    assert_eq!(v, &json!(big));
    d.wait_stderr("kept in the dead letter", T);
}
