//! Fuzzing the config loader (issue 19): arbitrary bytes, and a config naming every
//! provider and sink type with its keys replaced, removed or joined by unknown ones.
//! Loading must never panic: every input is a config or a list of problems, each with
//! a message and a key that names where it is (or none, for the file as a whole).

use crate::support::json_gen::cases;
use crate::support::pki;
use proptest::prelude::*;
use std::sync::OnceLock;
use toml::Value;
use vinstream::settings as config;

/// A valid config with one of every provider and sink type; the files it names exist.
fn base() -> &'static (tempfile::TempDir, toml::Table) {
    static BASE: OnceLock<(tempfile::TempDir, toml::Table)> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let pki = pki::generate(&dir.path().join("pki"));
        let token = dir.path().join("bmw-tokens.json");
        std::fs::write(
            &token,
            r#"{"gcid":"gcid-1","access_token":"a","id_token":"i","refresh_token":"r","expires_at":"2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let text = format!(
            r#"
[daemon]
state_dir = "{state}"
admin_listen = "127.0.0.1:9464"
log_format = "json"
log_level = "info,vinstream=debug"
shutdown_timeout = "5s"
dead_letter_max_bytes = "1MiB"
dead_letter_max_files = 2

[dedup]
ttl = "24h"
capacity = 1000

[providers.hm]
type = "high_mobility_v2"
environment = "sandbox"
application_id = "app"
ca_file = "{ca}"
cert_file = "{cert}"
key_file = "{key}"
[providers.hm.session]
keep_alive = "30s"

[providers.hm1]
type = "high_mobility_v1"
environment = "live"
application_id = "app1"
client_id = "client-1"
ca_file = "{ca}"
cert_file = "{cert}"
key_file = "{key}"

[providers.bmw]
type = "bmw_cardata"
client_id = "00000000-0000-0000-0000-00000000000b"
gcid = "gcid-1"
token_file = "{token}"
vins = ["WBA00000000000001"]

[sinks.console]
type = "stdout"

[sinks.file]
type = "file"
path = "{out}"
max_bytes = "1MiB"
max_files = 2

[sinks.hook]
type = "webhook"
url = "https://hooks.example.test/in"
headers = {{ "X-Api-Key" = "k" }}
secret = "s"

[sinks.tb]
type = "thingsboard"
host = "tb.example.test"
access_token = "t"

[sinks.c8y]
type = "cumulocity"
host = "c8y.example.test"
tenant = "t1"
username = "u"
password = "p"
device_id = "vinstream-1"

[sinks.nats]
type = "nats"
url = "nats://127.0.0.1:4222"
stream = "VEHICLES"

[sinks.ha]
type = "homeassistant"
host = "ha.example.test"
tls = true
ca_file = "{ca}"
username = "u"
password = "p"
entities = "all"
"#,
            state = dir.path().join("state").display(),
            ca = pki.ca.display(),
            cert = pki.client_cert.display(),
            key = pki.client_key.display(),
            token = token.display(),
            out = dir.path().join("out.jsonl").display(),
        );
        let table: toml::Table = text.parse().unwrap();
        (dir, table)
    })
}

/// Every leaf of the base, as a path of table keys.
fn leaves() -> &'static Vec<Vec<String>> {
    static LEAVES: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    LEAVES.get_or_init(|| {
        fn walk(t: &toml::Table, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
            for (k, v) in t {
                at.push(k.clone());
                match v {
                    Value::Table(inner) => {
                        out.push(at.clone());
                        walk(inner, at, out);
                    }
                    _ => out.push(at.clone()),
                }
                at.pop();
            }
        }
        let mut out = Vec::new();
        walk(&base().1, &mut Vec::new(), &mut out);
        out
    })
}

const WORDS: &[&str] = &[
    "",
    " ",
    "\u{200b}",
    "0",
    "-1",
    "0s",
    "1e400s",
    "18446744073709551616",
    "99999999999999999999GiB",
    "1.5KiB",
    "-5MiB",
    "10 years",
    "${VINSTREAM_FUZZ_UNSET}",
    "${",
    "$${X}",
    "http://localhost.evil.example",
    "https://",
    "nats://",
    "tls://[::1",
    "/nonexistent/file.pem",
    "/proc/self/mem",
    "..",
    "stdout",
    "high_mobility_v2",
    "webhook",
    "日本語🚗",
    "a:b/c+#",
    "info,=trace",
];

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(WORDS).prop_map(|w| Value::String(w.to_string())),
        any::<String>().prop_map(Value::String),
        prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(-1i64),
            Just(0i64),
            Just(65536i64),
            any::<i64>()
        ]
        .prop_map(Value::Integer),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0),
            Just(1e300),
            any::<f64>()
        ]
        .prop_map(Value::Float),
        any::<bool>().prop_map(Value::Boolean),
        Just(Value::Datetime("1979-05-27T07:32:00Z".parse().unwrap())),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Table(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, Value),
    Remove(usize),
    Unknown(usize, String, Value),
}

fn arb_edit() -> impl Strategy<Value = Edit> {
    let n = leaves().len();
    prop_oneof![
        4 => (0..n, arb_value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        2 => (0..n).prop_map(Edit::Remove),
        1 => (0..n, "[a-z_]{1,12}", arb_value()).prop_map(|(i, k, v)| Edit::Unknown(i, k, v)),
    ]
}

fn apply(root: &mut toml::Table, edit: &Edit) {
    let (Edit::Replace(i, _) | Edit::Remove(i) | Edit::Unknown(i, ..)) = edit;
    let path = &leaves()[*i];
    let mut t = root;
    for k in &path[..path.len() - 1] {
        match t.get_mut(k) {
            Some(Value::Table(inner)) => t = inner,
            _ => return, // an earlier edit replaced or removed the way there
        }
    }
    let key = &path[path.len() - 1];
    match edit {
        Edit::Replace(_, v) => {
            t.insert(key.clone(), v.clone());
        }
        Edit::Remove(_) => {
            t.remove(key);
        }
        Edit::Unknown(_, k, v) => {
            t.insert(format!("{k}_x"), v.clone());
        }
    }
}

/// The loader's answer is a config or problems that say what and where.
fn check(text: &str) -> Result<(), TestCaseError> {
    let env = |name: &str| (name == "VINSTREAM_FUZZ_SET").then(|| "value".to_string());
    if let Err(problems) = config::parse(text, &env) {
        prop_assert!(!problems.is_empty());
        for p in &problems {
            prop_assert!(!p.message.trim().is_empty(), "{p:?}");
            // The key is a path into the file: it starts at one of its top-level keys.
            let top = p.key.split(['.', '[']).next().unwrap_or_default();
            prop_assert!(
                p.key.is_empty()
                    || ["daemon", "dedup", "providers", "sinks"].contains(&top)
                    || text
                        .parse::<toml::Table>()
                        .is_ok_and(|t| t.contains_key(top))
                    || !p.key.contains('.'),
                "{p:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn the_fuzz_base_is_a_valid_config() {
    let text = toml::to_string(&base().1).unwrap();
    let env = |_: &str| None;
    if let Err(problems) = config::parse(&text, &env) {
        panic!("{problems:#?}");
    }
    assert!(leaves().len() > 50, "{}", leaves().len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn edited_configs_never_panic(edits in prop::collection::vec(arb_edit(), 1..6)) {
        let mut root = base().1.clone();
        for e in &edits {
            apply(&mut root, e);
        }
        let text = toml::to_string(&root).unwrap_or_default();
        check(&text)?;
    }

    /// The base text with bytes flipped, inserted or cut: mostly broken TOML, sometimes
    /// a different valid one.
    #[test]
    fn mutated_text_never_panics(ops in prop::collection::vec((any::<usize>(), 0u8..3, any::<u8>()), 1..8)) {
        let mut bytes = toml::to_string(&base().1).unwrap().into_bytes();
        for (at, op, b) in ops {
            let at = at % (bytes.len() + 1);
            match op {
                0 if at < bytes.len() => bytes[at] = b,
                1 => bytes.insert(at, b),
                _ => bytes.truncate(at.max(1)),
            }
        }
        check(&String::from_utf8_lossy(&bytes))?;
    }
}
