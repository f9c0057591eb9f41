//! `vinstream demo`: the README's first command must work with nothing set up.

use crate::support::daemon::run_cli;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

#[test]
fn the_demo_prints_valid_records_of_all_three_providers() {
    let out = run_cli(
        bin(),
        &[
            "demo",
            "--duration",
            "4s",
            "--rate",
            "30",
            "--vehicles",
            "6",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let mut per_provider: HashMap<String, usize> = HashMap::new();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let r: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a record: {line}: {e}"));
        *per_provider
            .entry(r["provider"].as_str().unwrap().to_string())
            .or_default() += 1;
        assert!(r["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"].as_str().unwrap().starts_with("Vehicle.")));
    }
    for p in ["high_mobility_v2", "high_mobility_v1", "bmw_cardata"] {
        assert!(
            per_provider.get(p).copied().unwrap_or(0) > 0,
            "no {p} records: {per_provider:?}\n{stderr}"
        );
    }
    assert!(
        stderr.contains("ready: every provider connected"),
        "{stderr}"
    );
    assert!(!stderr.contains("ERROR"), "{stderr}");
}

#[test]
fn print_config_is_a_complete_config_to_start_from() {
    let out = run_cli(bin(), &["demo", "--print-config"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let doc: toml::Table = text.parse().expect("valid TOML");
    let providers = doc["providers"].as_table().unwrap();
    let types: Vec<&str> = providers
        .values()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 3, "{types:?}");
    assert!(doc["sinks"]["console"]["type"].as_str() == Some("stdout"));
}

/// The demo's first line names the fleet page, and the page shows the simulated fleet of
/// all three providers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_the_fleet_page_url_first_and_serves_it() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin())
        .args([
            "demo",
            "--duration",
            "30s",
            "--rate",
            "40",
            "--vehicles",
            "6",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let url = first
        .trim()
        .strip_prefix("vinstream demo: fleet page on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::new();
    let providers = crate::support::wait::until_async(
        "vehicles of all three providers on the page",
        std::time::Duration::from_secs(20),
        || async {
            let v: Value = c
                .get(format!("{url}api/vehicles"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let mut p: Vec<String> = v["vehicles"]
                .as_array()?
                .iter()
                .map(|v| v["provider"].as_str().unwrap().to_string())
                .collect();
            p.sort();
            p.dedup();
            (p.len() == 3).then_some(p)
        },
    )
    .await;
    assert_eq!(
        providers,
        ["bmw_cardata", "high_mobility_v1", "high_mobility_v2"]
    );
    let page = c.get(&url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("<title>vinstream"));
    let _ = child.kill();
    let _ = child.wait();
}
