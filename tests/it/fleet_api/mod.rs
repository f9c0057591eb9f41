//! The fleet page's API (SPEC.md §7) over real HTTP, fed by a real Mosquitto and the
//! daemon: `/api/vehicles` after published messages, `/api/events?vin=`, the token
//! guard, `/api/status`; and a stalled event-stream client that never slows the acks.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::metrics::metric;
use crate::support::mosquitto::free_port;
use crate::support::rig::BrokerRig;
use crate::support::wait;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const APP: &str = "app-fleet";
const TOPIC: &str = "live/level13/app-fleet";
const TOKEN: &str = "fleet-page-token-1";
const T: Duration = Duration::from_secs(30);

/// A High Mobility V2 message: battery, range, odometer, charging, a position with the
/// vehicle's timestamp, and one value without a VSS mapping.
pub fn message(id: &str, vin: &str, battery: f64, lat: f64, lon: f64, note: &str) -> Vec<u8> {
    json!({"version": 2, "application_id": APP, "message_id": id, "vin": vin, "data": {
        "charging": {
            "battery_level": [{"data": battery, "timestamp": "2026-11-21T22:40:00.000Z"}],
            "estimated_range": [{"data": {"unit": "kilometers", "value": battery * 400.0}}],
            "status": [{"data": if battery < 0.5 { "charging" } else { "not_charging" }}]
        },
        "diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": 12345}}]},
        "vehicle_location": {"coordinates": [{"data": {"latitude": lat, "longitude": lon},
                                              "timestamp": "2026-11-21T22:40:01.000Z"}]},
        "fleet_test": {"note": [{"data": note}]}
    }})
    .to_string()
    .into_bytes()
}

impl BrokerRig {
    /// A daemon with the admin listener (and `extra` [daemon] lines) on this rig.
    pub fn page_daemon(&self, admin_port: u16, extra: &str, session: &str) -> Daemon {
        let config = configs::daemon(
            &self.state_dir(),
            &format!("admin_listen = \"127.0.0.1:{admin_port}\"\n{extra}"),
        ) + &configs::hm_v2(
            self.broker.port(),
            &self.pki,
            APP,
            "vinstream-fleet",
            "",
            session,
        ) + configs::STDOUT;
        Daemon::start(
            Path::new(env!("CARGO_BIN_EXE_vinstream")),
            &config,
            self.dir.path(),
        )
    }
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get_json(c: &reqwest::Client, url: &str) -> Value {
    let r = c.get(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{url}");
    r.json().await.unwrap()
}

fn signal<'a>(vehicle: &'a Value, path: &str) -> &'a Value {
    vehicle["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == path)
        .unwrap_or_else(|| panic!("no {path} in {vehicle}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_shows_published_vehicles_filters_events_and_needs_the_token() {
    let rig = BrokerRig::new();
    let admin = free_port();
    let d = rig.page_daemon(admin, &format!("admin_token = \"{TOKEN}\""), "");
    let base = format!("http://127.0.0.1:{admin}");
    let c = http();
    d.wait_stderr("subscribed", T);
    let p = rig.publisher().await;
    p.publish(TOPIC, &message("a1", "VINA", 0.8, 48.1, 11.5, "hello"))
        .await;
    p.publish(TOPIC, &message("b1", "VINB", 0.3, 52.5, 13.4, "x"))
        .await;
    let records = d.wait_records_async(2, T).await;
    let list = wait::until_async("both vehicles on /api/vehicles", T, || async {
        let v = get_json(&c, &format!("{base}/api/vehicles")).await;
        (v["count"] == 2).then_some(v)
    })
    .await;
    assert_eq!(list["max_vehicles"], 10_000);
    let a = &list["vehicles"][0];
    assert_eq!(a["vin"], "VINA");
    assert_eq!(a["provider"], "high_mobility_v2");
    assert_eq!(a["source"], "hm");
    let rec_a = records.iter().find(|r| r["vin"] == "VINA").unwrap();
    assert_eq!(a["last_seen"], rec_a["received_at"]);
    let soc = signal(
        a,
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
    );
    assert_eq!(soc["value"], 80.0);
    assert_eq!(soc["unit"], "percent");
    assert_eq!(soc["origin"], "charging.battery_level");
    assert_eq!(soc["timestamp"], "2026-11-21T22:40:00.000Z");
    let lat = signal(a, "Vehicle.CurrentLocation.Latitude");
    assert_eq!(
        (lat["value"].clone(), lat["unit"].clone()),
        (json!(48.1), json!("degrees"))
    );
    assert_eq!(lat["timestamp"], "2026-11-21T22:40:01.000Z");
    assert_eq!(signal(a, "Vehicle.TraveledDistance")["value"], 12_345_000);
    assert_eq!(
        signal(a, "Vehicle.Powertrain.TractionBattery.Charging.IsCharging")["value"],
        false
    );
    let note = signal(a, "HM.fleet_test.note");
    assert_eq!(
        (note["value"].clone(), note["origin"].clone()),
        (json!("hello"), json!("fleet_test.note"))
    );
    // Every signal of the record is there, no more.
    assert_eq!(
        a["signals"].as_array().unwrap().len(),
        rec_a["signals"].as_array().unwrap().len()
    );
    assert_eq!(list["vehicles"][1]["vin"], "VINB");
    let only_b = get_json(&c, &format!("{base}/api/vehicles?vin=VINB")).await;
    assert_eq!(only_b["vehicles"].as_array().unwrap().len(), 1);
    assert_eq!(only_b["vehicles"][0]["vin"], "VINB");
    let some = get_json(
        &c,
        &format!("{base}/api/vehicles?paths=Vehicle.TraveledDistance,HM.fleet_test.note"),
    )
    .await;
    let paths: Vec<&str> = some["vehicles"][0]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["HM.fleet_test.note", "Vehicle.TraveledDistance"]);

    // The token: needed on / and /api/*, as bearer, cookie or ?token=; not on /metrics.
    for path in [
        "/",
        "/api/vehicles",
        "/api/events",
        "/api/status",
        "/fleet.js",
    ] {
        let r = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path} without the token");
        let r = c
            .get(format!("{base}{path}"))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path} with a wrong token");
    }
    let r = c.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = c
        .get(format!("{base}/?token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    assert!(
        !cookie.contains(TOKEN),
        "the cookie holds a digest, not the token"
    );
    let forged = c
        .get(format!("{base}/"))
        .header("cookie", format!("vinstream_token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status().as_u16(),
        401,
        "the token itself is no cookie"
    );
    let r = c
        .get(format!("{base}/"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(r.text().await.unwrap().contains("fleet.js"));
    let r = c
        .get(format!("{base}/api/vehicles?token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(!d.stderr().contains(TOKEN), "the token is never logged");

    // /api/events?vin=VINA: B's record, delivered before A's, never shows.
    let mut events = c
        .get(format!("{base}/api/events?vin=VINA"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);
    assert!(events.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    p.publish(TOPIC, &message("b2", "VINB", 0.29, 52.5, 13.41, "x"))
        .await;
    p.publish(TOPIC, &message("a2", "VINA", 0.79, 48.11, 11.51, "again"))
        .await;
    let mut text = String::new();
    let stream = tokio::time::timeout(T, async {
        while !text.contains("\"id\":\"hm:a2\"") {
            match events.chunk().await.unwrap() {
                Some(bytes) => text.push_str(&String::from_utf8_lossy(&bytes)),
                None => break,
            }
        }
    })
    .await;
    assert!(stream.is_ok(), "no event for hm:a2 in {text}");
    assert!(text.contains("event: record\n"), "{text}");
    assert!(
        !text.contains("VINB"),
        "the filter let another VIN through: {text}"
    );
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: ").filter(|d| d.contains("hm:a2")))
        .unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    let printed = d.wait_records_async(4, T).await;
    assert_eq!(
        &event,
        printed.iter().find(|r| r["id"] == "hm:a2").unwrap(),
        "the event is the record"
    );
    drop(events);

    // One vehicle with the plots' history.
    let one = wait::until_async("VINA's second record in its history", T, || async {
        let v = get_json(&c, &format!("{base}/api/vehicles/VINA")).await;
        (v["history"]["battery"].as_array().unwrap().len() == 2).then_some(v)
    })
    .await;
    assert_eq!(one["history"]["battery"][1][1], 79.0);
    assert_eq!(one["history"]["positions"][1][1], 48.11);
    assert_eq!(signal(&one, "HM.fleet_test.note")["value"], "again");
    let r = c
        .get(format!("{base}/api/vehicles/NOPE"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // The status strip's numbers.
    p.publish(TOPIC, b"not json").await;
    let status = wait::until_async("the dead letter in /api/status", T, || async {
        let s = get_json(&c, &format!("{base}/api/status")).await;
        (s["dead_letters"] == 1).then_some(s)
    })
    .await;
    assert_eq!(status["providers"][0]["name"], "hm");
    assert_eq!(status["providers"][0]["connected"], true);
    assert_eq!(status["sinks"][0]["name"], "console");
    assert_eq!(status["sinks"][0]["ready"], true);
    assert_eq!(status["sinks"][0]["backlog_bytes"], 0);
    assert_eq!(status["sinks"][0]["delivered"], 4);
    assert_eq!(status["vehicles"]["count"], 2);

    // At most 32 event streams at once; a closed one frees its place.
    let open = |c: reqwest::Client, url: String| async move {
        c.get(url).bearer_auth(TOKEN).send().await.unwrap()
    };
    let events_url = format!("{base}/api/events");
    let mut streams = Vec::new();
    for _ in 0..32 {
        let r = open(c.clone(), events_url.clone()).await;
        assert_eq!(r.status().as_u16(), 200);
        streams.push(r);
    }
    assert_eq!(
        open(c.clone(), events_url.clone()).await.status().as_u16(),
        503
    );
    drop(streams.pop());
    wait::until_async("a place after one stream closed", T, || async {
        (open(c.clone(), events_url.clone()).await.status().as_u16() == 200).then_some(())
    })
    .await;
}

mod fold;
mod stalled;
