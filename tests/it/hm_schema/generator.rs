//! The schema message generator itself (tests/support/schema_gen.rs): references across
//! files, determinism, schema-shaped output, and a checker that catches violations.

use super::*;

#[test]
fn generator_resolves_refs_across_files() {
    // relative, absolute-path and full-URL refs
    let base =
        "https://highmobility.github.io/auto-api-json-schema/L13/capabilities/doors.schema.json";
    assert_eq!(
        resolve_url(base, "../misc/custom_types.schema.json"),
        "https://highmobility.github.io/auto-api-json-schema/L13/misc/custom_types.schema.json"
    );
    assert_eq!(
        resolve_url(base, "/auto-api-json-schema/L13/misc/units.schema.json"),
        "https://highmobility.github.io/auto-api-json-schema/L13/misc/units.schema.json"
    );
    assert_eq!(
        resolve_url(base, "./x.json"),
        "https://highmobility.github.io/auto-api-json-schema/L13/capabilities/x.json"
    );
    assert_eq!(
        resolve_url(
            "/json-schema/janus/0002/spec.json",
            "/json-schema/auto-api/0002/spec.json"
        ),
        "/json-schema/auto-api/0002/spec.json"
    );

    let reg = Registry::load_dir(&data_dir().join("hm-l13-schema-v1"));
    let (url, failure) = reg.resolve(base, "../misc/custom_types.schema.json#/$defs/failure");
    assert!(url.ends_with("/misc/custom_types.schema.json"));
    assert_eq!(failure["required"], json!(["reason", "description"]));
    let (_, length) = reg.resolve(
        base,
        "/auto-api-json-schema/L13/misc/units.schema.json#/$defs/length",
    );
    assert_eq!(length["required"], json!(["unit", "value"]));

    // all_capabilities: a oneOf of objects whose properties are full-URL refs to the
    // capability files, whose properties ref custom_types, which refs units
    let all_url = format!(
        "file://{}",
        data_dir()
            .join("hm-l13-schema-v1/all_capabilities.schema.json")
            .display()
    );
    let (all_base, all) = reg.resolve(&all_url, "");
    let names: BTreeSet<String> = v1_schema()
        .capabilities
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let mut seen = BTreeSet::new();
    for seed in 0..200 {
        let mut gen = schema_gen::Generator::new(&reg, seed, Mode::Varied);
        let v = gen.value(all, &all_base);
        let o = v.as_object().expect("object");
        assert_eq!(o.len(), 1, "{v}");
        let (cap, props) = o.iter().next().unwrap();
        assert!(names.contains(cap), "{cap}");
        seen.insert(cap.clone());
        let schema_props: Vec<&String> = v1_schema()
            .capability(cap)
            .unwrap()
            .properties
            .iter()
            .map(|p| &p.name)
            .collect();
        for p in props.as_object().unwrap().keys() {
            assert!(schema_props.contains(&p), "{cap}.{p}");
        }
        // and such a capability object is a valid V1 `data`
        let msg = json!({"version": 1, "message_id": format!("m{seed}"), "vin": "WVWZZZ1JZXW000001", "data": v});
        run_one(
            ProviderKind::HighMobilityV1,
            &format!("all_capabilities seed {seed}"),
            &serde_json::to_vec(&msg).unwrap(),
        );
    }
    assert!(
        seen.len() >= 30,
        "oneOf picks too few branches: {}",
        seen.len()
    );
}

#[test]
fn generator_is_deterministic_and_schema_shaped() {
    assert_eq!(
        v1_messages_with(7, Mode::Varied),
        v1_messages_with(7, Mode::Varied)
    );
    assert_ne!(
        v1_messages_with(7, Mode::Varied),
        v1_messages_with(8, Mode::Varied)
    );
    assert_eq!(v2_messages(), v2_messages());

    // spot checks of shapes the schema dictates
    let by_name = |cap: &str, prop: &str| -> Value {
        let (_, _, p) = v1_messages()
            .into_iter()
            .find(|(c, p, _)| c == cap && p == prop)
            .unwrap();
        let msg: Value = serde_json::from_slice(&p).unwrap();
        msg["data"][cap][prop].clone()
    };
    let odo = by_name("diagnostics", "odometer");
    assert_eq!(odo["data"]["unit"], json!("meters"), "{odo}");
    assert!(odo["data"]["value"].is_number());
    assert_eq!(odo["timestamp"], json!("2025-08-12T16:07:48.000Z"));
    let tires = by_name("diagnostics", "tire_pressures");
    assert_eq!(tires.as_array().map(Vec::len), Some(2), "{tires}");
    assert!(tires[0]["data"]["location"].is_string());
    assert!(tires[0]["data"]["pressure"]["value"].is_number());
    let nonce = by_name("vehicle_time", "nonce");
    assert_eq!(
        nonce["data"].as_array().map(Vec::len),
        Some(9),
        "minItems 9: {nonce}"
    );
    let vin = by_name("vehicle_time", "vin");
    assert_eq!(
        vin["data"].as_str().map(|s| s.chars().count()),
        Some(17),
        "minLength 17"
    );
    let coords = by_name("vehicle_location", "coordinates");
    assert!(coords["data"]["latitude"].is_number() && coords["data"]["longitude"].is_number());

    // varied timestamps are RFC 3339 with mixed precision and offsets
    let mut gen = v2_schema().generator(3, Mode::Varied);
    let stamps: Vec<String> = (0..200).map(|_| gen.date_time()).collect();
    for s in &stamps {
        assert!(chrono::DateTime::parse_from_rfc3339(s).is_ok(), "{s}");
    }
    assert!(stamps.iter().any(|s| s.ends_with('Z')) && stamps.iter().any(|s| !s.ends_with('Z')));
}

/// The checker used above and by the property tests does catch what it is meant to:
/// a lost entry, a foreign origin, a wrong path, a dropped failure or timestamp.
#[test]
fn the_checker_catches_violations() {
    let msg = json!({"version": 2, "message_id": "m", "vin": "V", "data": {
        "diagnostics": {
            "odometer": [{"data": {"unit": "kilometers", "value": 10}, "timestamp": "2025-09-23T18:07:36Z"}],
            "tire_pressures": [
                {"data": {"location": "front_left", "pressure": {"unit": "kilopascals", "value": 250}}},
                {"data": {"location": "rear_left", "pressure": {"unit": "kilopascals", "value": 251}}, "failure": {"reason": "unknown", "description": "x"}}
            ]
        }
    }});
    let rec = normalize(
        ProviderKind::HighMobilityV2,
        &serde_json::to_vec(&msg).unwrap(),
    )
    .unwrap();
    let cov = check_record(&msg, &rec).expect("the real record passes");
    assert_eq!(cov.entries, 3);
    let broken = |f: &dyn Fn(&mut Record)| {
        let mut r = rec.clone();
        f(&mut r);
        check_record(&msg, &r).expect_err("a broken record is caught")
    };
    // lose the odometer entry
    let e = broken(&|r| r.signals.retain(|s| &*s.origin != "diagnostics.odometer"));
    assert!(
        e.contains("diagnostics.odometer: 1 entries but 0 signals"),
        "{e}"
    );
    // an origin that names nothing in the input
    let e = broken(&|r| r.signals[0].origin = "diagnostics.speed".into());
    assert!(e.contains("names no capability.property"), "{e}");
    // a pass-through path for another property
    let e = broken(&|r| {
        for s in &mut r.signals {
            if &*s.origin == "diagnostics.odometer" {
                s.path = "HM.diagnostics.speed".into();
            }
        }
    });
    assert!(e.contains("neither VSS nor"), "{e}");
    // the failure dropped
    let e = broken(&|r| r.signals.iter_mut().for_each(|s| s.failure = None));
    assert!(e.contains("failure"), "{e}");
    // the timestamp dropped
    let e = broken(&|r| r.signals.iter_mut().for_each(|s| s.timestamp = None));
    assert!(e.contains("timestamp 2025-09-23T18:07:36Z not kept"), "{e}");
    // a location instance lost
    let e = broken(&|r| r.signals.retain(|s| !s.origin.ends_with("[rear_left]")));
    assert!(e.contains("[rear_left]"), "{e}");
}
