//! The fleet page in a real headless Chromium (WebDriver), on a daemon fed by a real
//! Mosquitto: the published vehicles are listed, a new record shows without a reload,
//! the detail view has the right values, VSS and vendor signals apart, and the plots.
//! Writes two screenshots, `fleet-page.png` and `fleet-page-detail.png`, into
//! `$FLEET_PAGE_SCREENSHOTS` (the README's come from `FLEET_PAGE_SCREENSHOTS=docs`),
//! else into Cargo's temporary directory for this test target.

use super::fleet_api::message;
use crate::support::browser::Browser;
use crate::support::mosquitto::free_port;
use crate::support::rig::BrokerRig;
use crate::support::wait;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

const TOPIC: &str = "live/level13/app-fleet";
const TOKEN: &str = "page-token-in-the-browser";
const T: Duration = Duration::from_secs(30);
const VINS: [&str; 6] = [
    "WBY11CF080CH00001",
    "WBY11CF080CH00002",
    "WVWZZZE1ZPP000003",
    "WVWZZZE1ZPP000004",
    "YV1XZK0000R000005",
    "YV1XZK0000R000006",
];

fn shots() -> PathBuf {
    std::env::var_os("FLEET_PAGE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
}

/// A short drive around Munich per vehicle, the battery going down as it goes.
fn drive(vehicle: usize, step: usize) -> (f64, f64, f64) {
    let angle = (vehicle as f64) * 1.05 + (step as f64) * 0.35;
    let radius = 0.01 + 0.002 * step as f64;
    let battery = (0.92 - 0.11 * vehicle as f64 - 0.012 * step as f64).max(0.05);
    (
        battery,
        48.137 + radius * angle.sin(),
        11.575 + 1.5 * radius * angle.cos(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_lists_the_fleet_updates_live_and_shows_one_vehicle() {
    let rig = BrokerRig::new();
    let admin = free_port();
    let d = rig.page_daemon(admin, &format!("admin_token = \"{TOKEN}\""), "");
    let base = format!("http://127.0.0.1:{admin}");
    d.wait_stderr("subscribed", T);
    let p = rig.publisher().await;
    let mut msgs = Vec::new();
    for step in 0..8 {
        for (v, vin) in VINS.iter().enumerate() {
            let (battery, lat, lon) = drive(v, step);
            let id = format!("{vin}-{step}");
            msgs.push((
                TOPIC.to_string(),
                message(&id, vin, battery, lat, lon, "trip"),
            ));
        }
    }
    p.publish_all(msgs).await;
    d.wait_records_async(48, T).await;
    // The fleet thread applies records just after the sinks took them: wait for it too,
    // so the page's first load has all of them.
    let c = super::fleet_api::http();
    let history_of = |vin: &'static str, n: usize| {
        let (c, base) = (c.clone(), base.clone());
        async move {
            wait::until_async("the fleet state", T, || async {
                let r = c
                    .get(format!("{base}/api/vehicles/{vin}"))
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .ok()?;
                let v: Value = r.json().await.ok()?;
                (v["history"]["battery"].as_array()?.len() == n).then_some(())
            })
            .await
        }
    };
    for vin in VINS {
        history_of(vin, 8).await;
    }

    let b = Browser::start(1280, 820).await;
    // The documented way in with a token: once with ?token=, then the cookie.
    b.goto(&format!("{base}/?token={TOKEN}")).await;
    let listed = b
        .until(
            "the six vehicles in the table",
            "const rows = [...document.querySelectorAll('#vehicles tbody tr')];
             return document.body.dataset.loaded === '1' && rows.length === 6
               && rows.map(r => r.dataset.vin);",
            json!([]),
        )
        .await;
    assert_eq!(listed, json!(VINS));
    assert_eq!(
        b.eval("return location.search", json!([])).await,
        "",
        "the token left the address bar"
    );
    let cell = "return document.querySelector(`#vehicles tr[data-vin='${arguments[0]}'] .${arguments[1]}`)?.textContent";
    let (battery, ..) = drive(0, 7);
    let expected = format!("{} %", (battery * 100.0).round());
    assert_eq!(
        b.eval(cell, json!([VINS[0], "c-battery"])).await,
        json!(expected)
    );
    assert_eq!(
        b.eval(cell, json!([VINS[0], "c-provider"])).await,
        "high_mobility_v2 · hm"
    );
    b.until(
        "the status strip",
        "return [...document.querySelectorAll('#st-providers .chip.ok, #st-sinks .chip.ok')]
           .map(c => c.textContent.slice(2)).join(',') === 'hm,console'",
        json!([]),
    )
    .await;
    b.until(
        "the live stream",
        "return document.getElementById('live').textContent === 'live'",
        json!([]),
    )
    .await;

    // Live: a new vehicle and a new battery level appear without a reload.
    b.eval("window.sameDocument = true; return null", json!([]))
        .await;
    p.publish(
        TOPIC,
        &message("new-1", "SALGA2BE0LA000007", 0.66, 48.15, 11.6, "new"),
    )
    .await;
    p.publish(
        TOPIC,
        &message("upd-1", VINS[0], 0.42, 48.14, 11.58, "updated"),
    )
    .await;
    b.until(
        "the new vehicle and the new battery level",
        "return !!document.querySelector(\"#vehicles tr[data-vin='SALGA2BE0LA000007']\")
           && document.querySelector(`#vehicles tr[data-vin='${arguments[0]}'] .c-battery`).textContent === '42 %'",
        json!([VINS[0]]),
    )
    .await;
    assert_eq!(
        b.eval("return window.sameDocument === true", json!([]))
            .await,
        true
    );
    assert_eq!(
        b.eval(cell, json!(["SALGA2BE0LA000007", "c-range"])).await,
        "264 km"
    );
    b.eval("document.querySelectorAll('.flash').forEach(r => r.classList.remove('flash')); return null", json!([]))
        .await;
    b.resize(1280, 560).await;
    b.screenshot(&shots().join("fleet-page.png")).await;
    // On a phone: the table keeps VIN, battery, range and charging, the page does not
    // scroll sideways.
    b.resize(390, 844).await;
    let phone = b
        .until(
            "the phone layout",
            "if (window.innerWidth > 420) return null;
             const shown = [...document.querySelectorAll('#vehicles thead th')]
               .filter(th => getComputedStyle(th).display !== 'none').map(th => th.className);
             return [shown, document.documentElement.scrollWidth <= window.innerWidth];",
            json!([]),
        )
        .await;
    assert_eq!(
        phone,
        json!([
            ["c-vin", "num c-battery", "num c-range", "c-charging"],
            true
        ])
    );
    b.resize(1280, 900).await;

    // The detail view of one vehicle.
    history_of(VINS[0], 9).await;
    b.click(&format!("#vehicles tr[data-vin='{}']", VINS[0]))
        .await;
    let row =
        "const r = document.querySelector(`#${arguments[0]} tr[data-path='${arguments[1]}']`);
               return r && [...r.cells].map(c => c.textContent);";
    let soc = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current";
    let cells = b
        .until(
            "the detail view",
            &format!("if (document.getElementById('detail').hidden) return null;\n{row}"),
            json!(["d-vss", soc]),
        )
        .await;
    assert_eq!(
        cells,
        json!([
            soc,
            "42",
            "percent",
            "charging.battery_level",
            "2026-11-21T22:40:00.000Z"
        ])
    );
    assert_eq!(
        b.eval(
            "return document.getElementById('d-vin').textContent",
            json!([])
        )
        .await,
        VINS[0]
    );
    let lat = b
        .eval(row, json!(["d-vss", "Vehicle.CurrentLocation.Latitude"]))
        .await;
    assert_eq!(lat[1], "48.14");
    assert_eq!(lat[4], "2026-11-21T22:40:01.000Z");
    let note = b.eval(row, json!(["d-vendor", "HM.fleet_test.note"])).await;
    assert_eq!(
        note,
        json!(["HM.fleet_test.note", "updated", "", "fleet_test.note", ""])
    );
    let vss_paths = b
        .eval(
            "return [...document.querySelectorAll('#d-vss tbody tr')].map(r => r.dataset.path)",
            json!([]),
        )
        .await;
    assert!(
        vss_paths
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.as_str().unwrap().starts_with("Vehicle.")),
        "{vss_paths}"
    );
    let points = "return [document.getElementById('plot-battery').dataset.points,
                          document.getElementById('plot-positions').dataset.points,
                          document.querySelectorAll('#plot-positions svg polyline').length]";
    assert_eq!(
        b.until(
            "the plots",
            &format!("const p = (() => {{ {points} }})(); return p[0] && p"),
            json!([])
        )
        .await,
        json!(["9", "9", 1])
    );
    // Live in the detail view too.
    p.publish(
        TOPIC,
        &message("upd-2", VINS[0], 0.41, 48.141, 11.581, "updated"),
    )
    .await;
    let now: Value = b
        .until(
            "the detail view to follow",
            &format!("const c = (() => {{ {row} }})(); return c && c[1] === '41' && c"),
            json!(["d-vss", soc]),
        )
        .await;
    assert_eq!(now[2], "percent");
    assert_eq!(b.eval(points, json!([])).await, json!(["10", "10", 1]));
    b.screenshot(&shots().join("fleet-page-detail.png")).await;
    b.quit().await;
}
