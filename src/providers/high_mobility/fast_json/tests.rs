//! The fast reader against serde_json: wherever it answers, it answers the same tree.

use super::read;
use crate::providers::high_mobility::node::{Node, Num};
use bumpalo::Bump;
use proptest::prelude::*;

/// The tree the daemon falls back to: serde_json's, copied into the arena.
fn serde<'a>(text: &str, arena: &'a Bump) -> Option<Node<'a>> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(Node::from_value(&value, arena))
}

/// The fast reader either declines or agrees with serde_json; it never accepts what
/// serde_json refuses.
fn agrees(text: &str) -> bool {
    let arena = Bump::new();
    match read(text, &arena) {
        Some(fast) => {
            let slow = serde(text, &arena);
            assert_eq!(Some(&fast), slow.as_ref(), "{text:?}");
            // Number equality is by kind and value; -0.0 == 0.0 for floats, so compare
            // the text they write too
            assert_eq!(
                fast.to_value().to_string(),
                slow.unwrap().to_value().to_string(),
                "{text:?}"
            );
            true
        }
        None => false,
    }
}

/// Every JSON file in the repository's fixtures and data: provider payloads and the High
/// Mobility and BMW schemas and catalogues.
fn corpus() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut out = Vec::new();
    let mut dirs = vec![root.join("fixtures"), root.join("data")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
    }
    assert!(out.len() >= 60, "the corpus is there: {}", out.len());
    out
}

#[test]
fn the_corpus_reads_as_serde_json_reads_it() {
    let mut read_fast = 0;
    let corpus = corpus();
    for (name, text) in &corpus {
        if agrees(text) {
            read_fast += 1;
        } else {
            eprintln!("declined: {name}");
        }
    }
    // the payloads are what the fast path is for: nearly all of them must take it
    assert!(
        read_fast * 10 >= corpus.len() * 8,
        "{read_fast} of {}",
        corpus.len()
    );
}

#[test]
fn the_drain_benchmark_payload_takes_the_fast_path() {
    let text = r#"{"version":2,"application_id":"00000000-0000-0000-0000-000000000000","message_id":"AB12","vin":"VIN0001","data":{"diagnostics":{"odometer":[{"data":{"unit":"kilometers","value":54321.3},"timestamp":"2026-11-21T10:00:00.123Z"}]},"vehicle_location":{"coordinates":[{"data":{"latitude":48.123456,"longitude":11.654321},"timestamp":"2026-11-21T10:00:00.123Z"}]},"charging":{"battery_level":[{"data":0.57,"timestamp":"2026-11-21T10:00:00.123Z"}],"estimated_range":[{"data":{"unit":"kilometers","value":312}}]}}}"#;
    assert!(agrees(text));
}

#[test]
fn numbers_are_typed_as_serde_json_types_them() {
    for n in [
        "0",
        "-1",
        "7",
        "18446744073709551615",
        "9223372036854775807",
        "-9223372036854775807",
        "1.0",
        "-0.0",
        "0.5",
        "2.5E-3",
        "1e2",
        "1E+2",
        "1e-400",
        "123456789012345678901234.5",
        "0.1",
        "0.30000000000000004",
        "48.123456",
        "1.7976931348623157e308",
        "5e-324",
        "4.9406564584124654e-324",
        "2.2250738585072011e-308",
        // the edges of the exact quotient and product, and past them
        "9007199254740992.5",
        "9007199254740993.0",
        "0.9007199254740993",
        "1e22",
        "1e23",
        "-1.5e-22",
        "123e-25",
        "0.000000000000000000001",
        "12345678901234567890.5",
        "1234567890123456789e3",
        "1e0000000000000000000001",
        "1e-0000000000000000000001",
        "-0.0e5",
        "0e-7",
    ] {
        assert!(agrees(n), "{n} declined");
        assert!(agrees(&format!("[{n}]")), "[{n}] declined");
        assert!(agrees(&format!("{{\"v\": {n} }}")), "{{v: {n}}} declined");
    }
    // serde_json's own cases: declined here, whatever serde_json makes of them
    for n in [
        "-0",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "1e400",
        "-1e400",
        "01",
        "1.",
        ".5",
        "1e",
        "1e+",
        "-",
        "+1",
        "0x10",
        "1.e5",
        "NaN",
        "Infinity",
        "--1",
        "1 2",
    ] {
        assert!(!agrees(n), "{n} read fast");
    }
}

#[test]
fn what_serde_json_must_decide_is_declined() {
    for text in [
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "{\"a\":}",
        "[1 2]",
        "tru",
        "nul",
        "truex",
        "\"\\n\"",
        "\"a\\\"b\"",
        "\"\u{1}\"",
        "\"open",
        "{\"k\":\"v\"} x",
        "\u{feff}{}",
        "[]]",
        "{}{}",
        "'a'",
        "[\"\\u00e9\"]",
    ] {
        assert!(!agrees(text), "{text:?} read fast");
    }
    // deep nesting and wide objects go to serde_json too
    let deep = "[".repeat(101) + &"]".repeat(101);
    assert!(!agrees(&deep));
    assert!(agrees(&("[".repeat(100) + &"]".repeat(100))));
    let wide: Vec<String> = (0..65).map(|i| format!("\"k{i}\":{i}")).collect();
    assert!(!agrees(&format!("{{{}}}", wide.join(","))));
    assert!(agrees(&format!("{{{}}}", wide[..64].join(","))));
}

#[test]
fn a_repeated_key_replaces_the_earlier_value_in_its_place() {
    let text = r#"{"a":1,"b":{"a":[2]},"a":3}"#;
    assert!(agrees(text));
    let arena = Bump::new();
    let Some(Node::Object(fields)) = read(text, &arena) else {
        panic!()
    };
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0], ("a", Node::Number(Num::U(3))));
    // the nested object's own "a" is another object's member
    assert_eq!(
        fields[1].1.get("a").unwrap().to_value(),
        serde_json::json!([2])
    );
}

#[test]
fn keys_that_share_a_bit_are_kept_apart_and_found_when_repeated() {
    // same length, first and last byte: the same bit in the object's filter
    assert_eq!(super::key_bit("axb"), super::key_bit("ayb"));
    let text = r#"{"axb":1,"ayb":2,"azb":3,"ayb":4,"":5,"":6}"#;
    assert!(agrees(text));
    let arena = Bump::new();
    let doc = read(text, &arena).unwrap();
    assert_eq!(
        doc.to_value(),
        serde_json::json!({"axb": 1, "ayb": 4, "azb": 3, "": 6})
    );
}

#[test]
fn nested_lists_keep_their_own_members() {
    let text = r#"{"x":[[1,2],[3,[4,5]],{"k":[6]}],"y":{"a":{"b":{}},"c":[]},"z":7}"#;
    assert!(agrees(text));
    let arena = Bump::new();
    let doc = read(text, &arena).unwrap();
    assert_eq!(
        doc.to_value(),
        serde_json::json!({"x": [[1, 2], [3, [4, 5]], {"k": [6]}], "y": {"a": {"b": {}}, "c": []}, "z": 7})
    );
}

#[test]
fn strings_borrow_from_the_payload_and_keep_non_ascii_text() {
    let text = "{\"name\":\"Zürich ☃ 東京\",\"e\":\"\"}";
    assert!(agrees(text));
    let arena = Bump::new();
    let Some(Node::Object(fields)) = read(text, &arena) else {
        panic!()
    };
    let Node::Str(name) = fields[0].1 else {
        panic!()
    };
    assert_eq!(name, "Zürich ☃ 東京");
    assert!(text.as_bytes().as_ptr_range().contains(&name.as_ptr()));
}

/// Arbitrary JSON values, written by serde_json compactly or with whitespace.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<u64>().prop_map(Into::into),
        any::<i64>().prop_map(Into::into),
        any::<f64>().prop_map(Into::into),
        "[a-z0-9 _.:-]{0,12}".prop_map(serde_json::Value::String),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-z]{0,3}", inner), 0..8)
                .prop_map(|kv| { serde_json::Value::Object(kv.into_iter().collect()) }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_value_serde_json_writes_reads_the_same(v in json(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            serde_json::to_string(&v).unwrap()
        };
        agrees(&text);
    }

    /// Decimals as payloads write them, with and without an exponent, read as the float
    /// serde_json reads: most go the exact way (`Digits::exact_float`), the rest past it.
    #[test]
    fn decimals_read_as_serde_json_reads_them(
        int in prop_oneof![0u64..1000, 0u64..100_000_000_000, any::<u64>()],
        frac in "[0-9]{1,12}",
        exp in prop::option::of(-40i32..40),
        negative in any::<bool>(),
    ) {
        let sign = if negative { "-" } else { "" };
        let exp = exp.map(|e| format!("e{e}")).unwrap_or_default();
        let text = format!("{sign}{int}.{frac}{exp}");
        prop_assert!(agrees(&text), "{} declined", text);
    }

    /// Bytes of a real payload replaced, inserted or deleted: the reader declines or
    /// agrees, never accepts what serde_json refuses nor reads it differently.
    #[test]
    fn mutated_payloads_never_read_differently(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0u8..3, prop::sample::select(
                b"{}[]:,\"\\ -+.0123456789eEtrufalsn\n\t\x01".to_vec())),
            1..4),
    ) {
        let corpus = payloads();
        let mut bytes = corpus[pick.index(corpus.len())].clone().into_bytes();
        for (at, op, byte) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            agrees(text);
        }
    }
}

/// The provider payloads of the fixtures (small documents; the schemas are too large to
/// mutate thousands of times).
fn payloads() -> &'static [String] {
    static P: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        corpus()
            .into_iter()
            .filter(|(name, text)| name.contains("fixtures") && text.len() < 20_000)
            .map(|(_, text)| text)
            .collect()
    })
}

proptest! {
    /// The eight-at-a-time scan finds what a byte loop finds, wherever it starts, with
    /// stops anywhere in or after a word and bytes of every value around them.
    #[test]
    fn the_word_scan_stops_where_a_byte_loop_stops(
        bytes in prop::collection::vec(prop_oneof![
            4 => 0x20u8..=0xff,
            1 => prop::sample::select(vec![b'"', b'\\', 0x00, 0x1f, 0x01, 0x7f, 0x80, 0x21, 0x5b, 0x5d]),
        ], 0..40),
        from in 0usize..8,
    ) {
        let from = from.min(bytes.len());
        let naive = bytes[from..].iter().position(|&c| crate::record::escape::escaped(c)).map(|at| from + at);
        prop_assert_eq!(super::stop(&bytes, from), naive);
    }
}
