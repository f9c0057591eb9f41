//! `/api/vehicles` is the fold of the delivered records; without a token, only IP or localhost hosts.

use super::*;

/// A VIN's latest signals by (path, origin).
type Signals = BTreeMap<(String, String), Value>;

/// The provider's documented payloads, published through Mosquitto: `/api/vehicles` is
/// exactly what the printed records say, folded in delivery order (the latest value of
/// each VIN's path and origin wins), and each VIN's `last_seen` is its latest record's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vehicles_api_is_the_fold_of_the_delivered_records() {
    let rig = BrokerRig::new();
    let admin = free_port();
    let d = rig.page_daemon(admin, "", "");
    let base = format!("http://127.0.0.1:{admin}");
    d.wait_stderr("subscribed", T);
    let dir = format!(
        "{}/tests/fixtures/highmobility_v2",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut msgs = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let mut doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            if doc.get("application_id").is_some() {
                doc["application_id"] = json!(APP);
            }
            msgs.push((TOPIC.to_string(), doc.to_string().into_bytes()));
        }
    }
    // Two of our own on a fixture's VIN, so a later value replaces an earlier one.
    msgs.push((
        TOPIC.to_string(),
        message("own-1", "EXV10000000", 0.5, 1.0, 2.0, "first"),
    ));
    msgs.push((
        TOPIC.to_string(),
        message("own-2", "EXV10000000", 0.4, 1.5, 2.5, "second"),
    ));
    let p = rig.publisher().await;
    p.publish_all(msgs).await;
    let marker = message("marker", "VIN-LAST", 0.1, 0.0, 0.0, "last");
    p.publish(TOPIC, &marker).await;
    let records = wait::until_async("the marker record", T, || async {
        let all = d.records();
        all.iter().any(|r| r["id"] == "hm:marker").then_some(all)
    })
    .await;
    assert!(
        records.len() >= 4,
        "too few fixtures came through: {}",
        records.len()
    );
    // The fold: per VIN, (path, origin) → the signal of the latest record.
    let mut want: BTreeMap<String, (Value, Signals)> = BTreeMap::new();
    for r in &records {
        let entry = want
            .entry(r["vin"].as_str().unwrap().to_string())
            .or_default();
        entry.0 = json!({"provider": r["provider"], "source": r["source"], "last_seen": r["received_at"]});
        for s in r["signals"].as_array().unwrap() {
            let key = (
                s["path"].as_str().unwrap().to_string(),
                s["origin"].as_str().unwrap().to_string(),
            );
            entry.1.insert(key, s.clone());
        }
    }
    let c = http();
    let got: Value = wait::until_async("the fleet state to hold every record", T, || async {
        let r = c.get(format!("{base}/api/vehicles")).send().await.ok()?;
        let v: Value = r.json().await.ok()?;
        let last = v["vehicles"]
            .as_array()?
            .iter()
            .find(|v| v["vin"] == "VIN-LAST")?
            .clone();
        (last["records"] == 1).then_some(v)
    })
    .await;
    let vehicles = got["vehicles"].as_array().unwrap();
    assert_eq!(vehicles.len(), want.len(), "{got}");
    for v in vehicles {
        let (head, signals) = &want[v["vin"].as_str().unwrap()];
        for k in ["provider", "source", "last_seen"] {
            assert_eq!(v[k], head[k], "{k} of {}", v["vin"]);
        }
        let shown: Vec<Value> = v["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.as_object_mut().unwrap().remove("received_at");
                s
            })
            .collect();
        let expected: Vec<Value> = signals.values().cloned().collect();
        assert_eq!(shown, expected, "signals of {}", v["vin"]);
    }
    let exv = vehicles.iter().find(|v| v["vin"] == "EXV10000000").unwrap();
    let note = exv["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "HM.fleet_test.note")
        .unwrap();
    assert_eq!(note["value"], "second");
    // Without a token the page answers only to an address or localhost: a page on
    // another name pointed at 127.0.0.1 (DNS rebinding) gets nothing.
    for (host, code) in [
        ("rebind.example:80", 403),
        (&*format!("localhost:{admin}"), 200),
    ] {
        let r = c
            .get(format!("{base}/api/vehicles"))
            .header(reqwest::header::HOST, host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), code, "Host: {host}");
    }
}
