//! A headless Chromium driven over the W3C WebDriver protocol: Debian's `chromium` and
//! `chromium-driver` (`.ci/run` installs them), `chromedriver` as a child process on a
//! free port, and a few WebDriver commands sent with reqwest. The protocol is plain
//! JSON over HTTP; the handful of commands a page test needs do not justify a client
//! crate and its dependency tree.

use super::mosquitto::free_port;
use super::wait;
use base64::Engine;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Browser {
    driver: Child,
    base: String,
    http: reqwest::Client,
}

fn find(names: &[&str]) -> String {
    for name in names {
        for dir in ["/usr/bin", "/usr/lib/chromium", "/usr/local/bin"] {
            let p = Path::new(dir).join(name);
            if p.exists() {
                return p.display().to_string();
            }
        }
    }
    panic!("{names:?} not found: install Debian's chromium and chromium-driver (.ci/run does)")
}

impl Browser {
    /// Start chromedriver and open one headless Chromium window of `width` × `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new(find(&["chromedriver"]))
            .arg(format!("--port={port}"))
            // Its own process group: the browser it starts goes with it (see Drop).
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut b = Browser {
            driver,
            base: base.clone(),
            http,
        };
        let status = format!("{base}/status");
        let client = b.http.clone();
        wait::until_async("chromedriver to answer", Duration::from_secs(30), || {
            let (client, status) = (client.clone(), status.clone());
            async move {
                let r = client.get(&status).send().await.ok()?;
                let v: Value = r.json().await.ok()?;
                (v["value"]["ready"] == true).then_some(())
            }
        })
        .await;
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": find(&["chromium"]),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--no-first-run",
                         "--hide-scrollbars", "--force-device-scale-factor=1",
                         format!("--window-size={width},{height}")]
            }
        }}});
        let v = b.send("POST", "/session", Some(caps)).await;
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        b.base = format!("{base}/session/{id}");
        b
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url).json(&body.unwrap_or(json!({}))),
        };
        let r = req
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let v: Value = r.json().await.expect("a WebDriver answer");
        if v["value"]["error"].is_string() {
            panic!("{method} {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.send("POST", "/url", Some(json!({"url": url}))).await;
    }

    /// Run `body` (a function body: `return ...`) in the page with `args`.
    pub async fn eval(&self, body: &str, args: Value) -> Value {
        self.send(
            "POST",
            "/execute/sync",
            Some(json!({"script": body, "args": args})),
        )
        .await
    }

    /// Wait until `body` returns something other than null/false/undefined.
    pub async fn until(&self, what: &str, body: &str, args: Value) -> Value {
        wait::until_async(what, Duration::from_secs(30), || async {
            let v = self.eval(body, args.clone()).await;
            (!v.is_null() && v != json!(false)).then_some(v)
        })
        .await
    }

    /// Click the first element matching the CSS `selector`, as a user would.
    pub async fn click(&self, selector: &str) {
        let found = self
            .send(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": selector})),
            )
            .await;
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {selector}: {found}"))
            .to_string();
        self.send("POST", &format!("/element/{id}/click"), None)
            .await;
    }

    /// Resize the window (the page's viewport follows).
    pub async fn resize(&self, width: u32, height: u32) {
        self.send(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// A PNG of the window, written to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let v = self.send("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64 PNG"))
            .expect("valid base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    pub async fn quit(self) {
        self.send("DELETE", "", None).await;
    }
}

impl Drop for Browser {
    /// chromedriver and every Chromium process it started: the group it leads.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
