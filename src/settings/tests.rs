use super::*;
use crate::config::typed;
use crate::mqtt::tuning::MqttProtocol;
use crate::providers::bmw::config::BmwConfig;
use crate::providers::bmw::oauth::secure_url;
use crate::providers::high_mobility::config::{HighMobilityV1Config, HighMobilityV2Config};
use crate::sinks::cumulocity::config::CumulocitySinkConfig;
use crate::sinks::thingsboard::config::ThingsboardSinkConfig;
use crate::sinks::webhook::config::WebhookSinkConfig;

const PEM_FREE: &str = r#"
[providers.hm]
type = "high_mobility_v2"
environment = "sandbox"
application_id = "app-1"
ca_file = "CA"
cert_file = "CERT"
key_file = "KEY"

[sinks.console]
type = "stdout"
"#;

fn no_env(_: &str) -> Option<String> {
    None
}

fn keys(problems: &[Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.key.as_str()).collect()
}

#[test]
fn minimal_config_gets_defaults_and_reports_missing_files_by_key() {
    let problems = parse(PEM_FREE, &no_env).unwrap_err();
    assert_eq!(
        keys(&problems),
        [
            "providers.hm.ca_file",
            "providers.hm.cert_file",
            "providers.hm.key_file"
        ]
    );
    assert!(problems[0].message.contains("no such file"));
}

fn hm(extra: &str) -> HighMobilityV2Config {
    let text = format!(
        "type = \"high_mobility_v2\"\nenvironment = \"live\"\napplication_id = \"app\"\n\
         ca_file = \"a\"\ncert_file = \"b\"\nkey_file = \"c\"\n{extra}"
    );
    typed(text.parse().unwrap(), "providers.hm").unwrap()
}

#[test]
fn topic_defaults_to_a_shared_subscription() {
    assert_eq!(hm("").topic_filter(), "$share/app/live/level13/app");
    assert_eq!(
        hm("share_group = \"g\"").topic_filter(),
        "$share/g/live/level13/app"
    );
    assert_eq!(hm("share_group = \"\"").topic_filter(), "live/level13/app");
    assert_eq!(hm("topic = \"x/#\"").topic_filter(), "x/#");
    let d = hm("");
    assert_eq!(d.host, "mqtt-v2.high-mobility.com");
    assert_eq!(d.port, 8883);
    assert_eq!(d.protocol, MqttProtocol::V5);
    assert_eq!(d.session.keep_alive.0, std::time::Duration::from_secs(30));
}

#[test]
fn every_bad_key_of_a_table_is_reported() {
    let t: toml::Table =
        "type = \"high_mobility_v2\"\nenvironment = \"prod\"\napplication_id = \"a\"\n\
                          ca_file = \"a\"\ncert_file = \"b\"\nkey_file = \"c\"\ntpoic = \"x\"\n\
                          [session]\nkeep_alive = \"soon\""
            .parse()
            .unwrap();
    let problems = typed::<HighMobilityV2Config>(t, "providers.hm").unwrap_err();
    let mut k = keys(&problems);
    k.sort();
    assert_eq!(
        k,
        [
            "providers.hm.environment",
            "providers.hm.session.keep_alive",
            "providers.hm.tpoic",
        ],
        "{problems:?}"
    );
    let text = |key: &str| &problems.iter().find(|p| p.key == key).unwrap().message;
    assert!(text("providers.hm.environment").contains("expected `live` or `sandbox`"));
    assert!(text("providers.hm.tpoic").contains("unknown field `tpoic`"));
}

#[test]
fn env_variables_are_interpolated_and_unset_ones_named() {
    let env = |k: &str| (k == "APP").then(|| "from-env".to_string());
    let text = "[daemon]\nstate_dir = \"/tmp/${APP}\"\nlog_level = \"${LEVEL}\"\n";
    let problems = parse(text, &env).unwrap_err();
    assert_eq!(problems[0].key, "daemon.log_level");
    assert!(problems[0].message.contains("LEVEL is not set"));
}

#[test]
fn unknown_sections_types_and_empty_configs_are_errors() {
    let problems = parse("[provider.x]\ntype = \"stdout\"\n", &no_env).unwrap_err();
    assert_eq!(keys(&problems), ["provider", "providers", "sinks"]);
    let problems = parse(
        "[providers.x]\ntype = \"kafka\"\n[sinks.y]\n[sinks.z]\ntype = \"stdout\"\n",
        &no_env,
    )
    .unwrap_err();
    assert_eq!(keys(&problems), ["providers.x.type", "sinks.y.type"]);
}

#[test]
fn durations_sizes_and_levels_are_checked() {
    let text = "[daemon]\nlog_level = \"loud\"\nshutdown_timeout = \"2s\"\n[dedup]\ncapacity = 0\nttl = \"1h\"\n";
    let problems = parse(text, &no_env).unwrap_err();
    let k = keys(&problems);
    assert!(k.contains(&"daemon.log_level"), "{k:?}");
    assert!(k.contains(&"dedup.capacity"), "{k:?}");
}

#[test]
fn two_providers_with_one_broker_and_client_id_are_refused() {
    let text = r#"
[providers.a]
type = "high_mobility_v1"
environment = "live"
application_id = "app"
client_id = "cert-1"
ca_file = "x"
cert_file = "x"
key_file = "x"

[providers.b]
type = "high_mobility_v2"
host = "mqtt.high-mobility.com"
environment = "live"
application_id = "app2"
client_id = "cert-1"
ca_file = "x"
cert_file = "x"
key_file = "x"

[sinks.out]
type = "stdout"
"#;
    let problems = parse(text, &no_env).unwrap_err();
    let dup: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.message.contains("one connection per client id"))
        .collect();
    assert_eq!(dup.len(), 1, "{problems:?}");
    assert_eq!(dup[0].key, "providers.b.client_id");
    assert!(dup[0].message.contains("providers.a"));
}

#[test]
fn v1_requires_the_certificate_id_and_defaults_its_topic() {
    let t: toml::Table =
        "type = \"high_mobility_v1\"\nenvironment = \"sandbox\"\napplication_id = \"APP\"\n\
                          ca_file = \"a\"\ncert_file = \"b\"\nkey_file = \"c\"\n"
            .parse()
            .unwrap();
    let problems = typed::<HighMobilityV1Config>(t.clone(), "providers.v1").unwrap_err();
    assert_eq!(problems[0].key, "providers.v1");
    assert!(problems[0].message.contains("missing field `client_id`"));
    let mut t = t;
    t.insert("client_id".into(), "cert".into());
    let c: HighMobilityV1Config = typed(t, "providers.v1").unwrap();
    assert_eq!(c.topic_filter(), "sandbox/level13/APP/#");
    assert_eq!(c.host, "mqtt.high-mobility.com");
}

#[test]
fn bmw_defaults_topics_and_the_one_connection_per_gcid_rule() {
    let bmw = |name: &str, vins: &str| {
        format!(
            "[providers.{name}]\ntype = \"bmw_cardata\"\nclient_id = \"c\"\ngcid = \"G\"\n\
             token_file = \"/nonexistent/t.json\"\nvins = {vins}\n"
        )
    };
    let text = format!(
        "{}{}[sinks.o]\ntype = \"stdout\"\n",
        bmw("a", "[]"),
        bmw("b", "[\"V1\", \"V2\"]")
    );
    let problems = parse(&text, &no_env).unwrap_err();
    let dup: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.message.contains("one connection per"))
        .collect();
    assert_eq!(dup.len(), 1, "{problems:?}");
    assert_eq!(dup[0].key, "providers.b.gcid");
    assert!(problems
        .iter()
        .any(|p| p.key == "providers.a.token_file" && p.message.contains("bmw-login")));

    let t: toml::Table = bmw("x", "[\"V1\", \"V2\"]").parse().unwrap();
    let c: BmwConfig = typed(
        t["providers"]["x"].as_table().unwrap().clone(),
        "providers.x",
    )
    .unwrap();
    assert_eq!(c.topic_filters(), ["G/V1", "G/V2"]);
    assert_eq!(c.host, "customer.streaming-cardata.bmwgroup.com");
    assert_eq!(c.port, 9000);
    assert_eq!(c.refresh_before.0, std::time::Duration::from_secs(600));
    let t: toml::Table = bmw("x", "[]").parse().unwrap();
    let c: BmwConfig = typed(
        t["providers"]["x"].as_table().unwrap().clone(),
        "providers.x",
    )
    .unwrap();
    assert_eq!(c.topic_filters(), ["G/+"]);
}

#[test]
fn bmw_tokens_only_travel_over_https_or_loopback() {
    let text = "[providers.b]\ntype = \"bmw_cardata\"\nclient_id = \"c\"\ngcid = \"G\"\n\
                token_file = \"/nonexistent/t.json\"\ntoken_url = \"http://example.com/token\"\n\
                device_code_url = \"http://127.0.0.1:8080/device\"\nvins = [\"a/b\"]\n\
                [sinks.o]\ntype = \"stdout\"\n";
    let problems = parse(text, &no_env).unwrap_err();
    let k = keys(&problems);
    assert!(k.contains(&"providers.b.token_url"), "{k:?}");
    assert!(!k.contains(&"providers.b.device_code_url"), "{k:?}");
    assert!(k.contains(&"providers.b.vins[0]"), "{k:?}");
}

#[test]
fn zero_width_spaces_copied_from_the_portal_are_stripped() {
    let text = "[providers.b]\ntype = \"bmw_cardata\"\nclient_id = \"c\"\ngcid = \"G\u{200b}1\"\n\
                token_file = \"/nonexistent/t.json\"\nvins = [\"\u{200b}WBA1\"]\n[sinks.o]\ntype = \"stdout\"\n";
    let problems = parse(text, &no_env).unwrap_err();
    assert!(
        problems.iter().all(|p| p.key == "providers.b.token_file"),
        "{problems:?}"
    );
    let t: toml::Table = text.parse().unwrap();
    let c = <ProviderConfig as crate::config::Section>::parse(
        "bmw_cardata",
        "providers.b",
        t["providers"]["b"].as_table().unwrap().clone(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(c.topics(), ["G1/WBA1"]);
}

#[test]
fn sink_ca_files_are_checked_too() {
    let text = "[providers.hm]\ntype = \"high_mobility_v2\"\nenvironment = \"live\"\napplication_id = \"a\"\n\
                ca_file = \"x\"\ncert_file = \"x\"\nkey_file = \"x\"\n\
                [sinks.hook]\ntype = \"webhook\"\nurl = \"https://example.com\"\nca_file = \"/nonexistent/ca.pem\"\n";
    let problems = parse(text, &no_env).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.key == "sinks.hook.ca_file" && p.message.contains("no such file")),
        "{problems:?}"
    );
}

#[test]
fn token_urls_are_parsed_not_prefix_matched() {
    let allowed = [
        "https://customer.bmwgroup.com/gcdm/oauth/token",
        "HTTPS://Customer.BMWgroup.com/token",
        "http://localhost/token",
        "HTTP://LOCALHOST:8080/token",
        "http://127.0.0.1:9/token",
        "http://127.1.2.3/token",
        "http://0x7f.0.0.1/token", // the parser reads this as 127.0.0.1
        "http://[::1]:8080/token",
        "http://user:pw@localhost/token",
    ];
    for url in allowed {
        assert_eq!(secure_url(url), Ok(()), "{url}");
    }
    let refused = [
        "http://localhost.evil.example/token",
        "http://127.0.0.1.nip.io/token",
        "http://[::1].evil.example/token",
        "http://user@localhost@evil.example/token",
        "http://localhost@evil.example/token",
        "http://localhost:80@evil.example/token",
        "http://localhost./token",
        "http://evil.example/localhost",
        "http://[::ffff:127.0.0.1]/token",
        "http://10.0.0.1/token",
        "ftp://localhost/token",
        "file:///etc/passwd",
        "localhost/token",
        "https://",
        "",
    ];
    for url in refused {
        let err = secure_url(url).unwrap_err();
        assert!(err.contains(&format!("`{url}`")), "{url}: {err}");
    }
}

#[test]
fn secrets_in_config_never_show_in_debug_output() {
    let text = "[sinks.hook]\ntype = \"webhook\"\nurl = \"https://example.com/in\"\n\
                headers = { Authorization = \"Bearer HOOK-TOKEN-1\" }\nsecret = \"HMAC-KEY-2\"\n\
                [sinks.tb]\ntype = \"thingsboard\"\nhost = \"tb.example\"\naccess_token = \"TB-TOKEN-3\"\n\
                [sinks.c8y]\ntype = \"cumulocity\"\nhost = \"c8y.example\"\ntenant = \"t1\"\n\
                username = \"u\"\npassword = \"C8Y-PASSWORD-4\"\ndevice_id = \"d\"\n";
    let t: toml::Table = text.parse().unwrap();
    let sink = |name: &str| t["sinks"][name].as_table().unwrap().clone();
    let hook: WebhookSinkConfig = typed(sink("hook"), "sinks.hook").unwrap();
    let tb: ThingsboardSinkConfig = typed(sink("tb"), "sinks.tb").unwrap();
    let c8y: CumulocitySinkConfig = typed(sink("c8y"), "sinks.c8y").unwrap();
    assert_eq!(
        hook.headers["Authorization"].expose(),
        "Bearer HOOK-TOKEN-1"
    );
    assert_eq!(hook.secret.as_ref().unwrap().expose(), "HMAC-KEY-2");
    assert_eq!(tb.access_token.expose(), "TB-TOKEN-3");
    assert_eq!(c8y.password.expose(), "C8Y-PASSWORD-4");
    let shown = [
        format!("{hook:?}"),
        format!("{tb:?}"),
        format!("{c8y:?}"),
        format!("{:?}", SinkConfig::Webhook(hook.clone())),
        format!("{:#?}", SinkConfig::Cumulocity(c8y.clone())),
        format!("{}", tb.access_token),
    ]
    .join("\n");
    for secret in ["HOOK-TOKEN-1", "HMAC-KEY-2", "TB-TOKEN-3", "C8Y-PASSWORD-4"] {
        assert!(!shown.contains(secret), "{secret} shown in:\n{shown}");
    }
    assert!(
        shown.contains("\"***\"") && shown.contains("[redacted]"),
        "{shown}"
    );
}

#[test]
fn a_file_sink_keeping_no_rotated_file_is_refused_by_key() {
    let text = "[sinks.archive]\ntype = \"file\"\npath = \"/tmp/x.jsonl\"\nmax_files = 0\n\
                [sinks.ok]\ntype = \"file\"\npath = \"/tmp/y.jsonl\"\nmax_files = 1\n";
    let problems = parse(text, &no_env).unwrap_err();
    let p: Vec<_> = problems
        .iter()
        .filter(|p| p.key.starts_with("sinks."))
        .collect();
    assert_eq!(p.len(), 1, "{problems:?}");
    assert_eq!(p[0].key, "sinks.archive.max_files");
    assert!(p[0].message.contains("at least 1"), "{}", p[0].message);
}

#[test]
fn the_fleet_page_keys_default_check_and_keep_the_token_secret() {
    let d = crate::config::DaemonConfig::default();
    assert_eq!((d.max_vehicles, d.admin_token.is_none()), (10_000, true));
    let text = "[daemon]\nmax_vehicles = 0\nadmin_token = \"\"\n";
    let problems = parse(text, &no_env).unwrap_err();
    let k = keys(&problems);
    assert!(k.contains(&"daemon.max_vehicles"), "{k:?}");
    assert!(k.contains(&"daemon.admin_token"), "{k:?}");
    let env = |k: &str| (k == "ADMIN_TOKEN").then(|| "PAGE-TOKEN-5".to_string());
    let text =
        format!("[daemon]\nadmin_token = \"${{ADMIN_TOKEN}}\"\nmax_vehicles = 5\n{PEM_FREE}");
    let problems = parse(&text, &env).unwrap_err();
    assert!(
        !keys(&problems).iter().any(|k| k.starts_with("daemon")),
        "{problems:?}"
    );
    let table: toml::Table = "admin_token = \"PAGE-TOKEN-5\"".parse().unwrap();
    let daemon: crate::config::DaemonConfig = typed(table, "daemon").unwrap();
    assert_eq!(
        daemon.admin_token.as_ref().unwrap().expose(),
        "PAGE-TOKEN-5"
    );
    assert!(!format!("{daemon:?}").contains("PAGE-TOKEN-5"));
}
