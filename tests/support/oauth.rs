//! A loopback OAuth server that behaves like BMW's device-code and token endpoints
//! (providers.md §3.5): authorization_pending, slow_down, expired_token, access_denied,
//! PKCE S256 checks, and refresh-token rotation with a hook the tests use to rotate the
//! broker's password in step with the tokens.
#![allow(dead_code)]

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const GCID: &str = "4c2d2f3e-1111-4222-8333-944455556666";

/// How the device-code login of the next `device/code` request ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approve,
    Expire,
    Deny,
}

pub type RefreshHook = Arc<dyn Fn(&str) + Send + Sync>;

pub struct Behaviour {
    /// Polls answered with authorization_pending before the outcome.
    pub pending_polls: u32,
    /// Answer one poll with slow_down (after the pending ones).
    pub slow_down: bool,
    pub outcome: Outcome,
    /// Lifetime of issued id tokens (their `exp`).
    pub id_token_lifetime: Duration,
    /// Refuse every refresh with invalid_grant (a revoked or expired login).
    pub refuse_refresh: bool,
    /// Called with the new id token before a refresh response is sent.
    pub on_refresh: Option<RefreshHook>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            pending_polls: 0,
            slow_down: false,
            outcome: Outcome::Approve,
            id_token_lifetime: Duration::from_secs(3600),
            refuse_refresh: false,
            on_refresh: None,
        }
    }
}

#[derive(Default)]
struct Device {
    challenge: String,
    polls: u32,
    slowed: bool,
}

#[derive(Default)]
pub struct Seen {
    /// Every token-endpoint request: grant type and when it came.
    pub token_requests: Vec<(String, Instant)>,
    pub refreshes: u32,
    pub pkce_ok: bool,
    pub scope: String,
    pub issued_id_tokens: Vec<String>,
    pub issued_refresh_tokens: Vec<String>,
    pub issued_access_tokens: Vec<String>,
}

struct Inner {
    behaviour: Behaviour,
    devices: HashMap<String, Device>,
    valid_refresh: Option<String>,
    generation: u32,
    seen: Seen,
}

#[derive(Clone)]
pub struct OAuthServer {
    inner: Arc<Mutex<Inner>>,
    pub port: u16,
}

pub fn jwt(exp: i64, generation: u32) -> String {
    let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.sig{generation}",
        enc(json!({"alg": "RS256", "typ": "JWT"})),
        enc(json!({"sub": GCID, "exp": exp, "gen": generation}))
    )
}

impl OAuthServer {
    /// Serve on a free loopback port, on the current tokio runtime.
    pub async fn start(behaviour: Behaviour) -> OAuthServer {
        let inner = Arc::new(Mutex::new(Inner {
            behaviour,
            devices: HashMap::new(),
            valid_refresh: None,
            generation: 0,
            seen: Seen::default(),
        }));
        let app = Router::new()
            .route("/device/code", post(device_code))
            .route("/token", post(token))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        OAuthServer { inner, port }
    }

    pub fn device_code_url(&self) -> String {
        format!("http://127.0.0.1:{}/device/code", self.port)
    }

    pub fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Behaviour, &Seen) -> T) -> T {
        let mut g = self.inner.lock().unwrap();
        let inner = &mut *g;
        f(&mut inner.behaviour, &inner.seen)
    }

    pub fn seen<T>(&self, f: impl FnOnce(&Seen) -> T) -> T {
        f(&self.inner.lock().unwrap().seen)
    }

    /// Issue a token set directly (as if a login had happened), for daemon tests.
    pub fn issue(&self, id_token_lifetime: Duration) -> Value {
        let mut g = self.inner.lock().unwrap();
        g.behaviour.id_token_lifetime = id_token_lifetime;
        issue(&mut g)
    }
}

fn issue(g: &mut Inner) -> Value {
    g.generation += 1;
    let n = g.generation;
    let exp = chrono::Utc::now().timestamp() + g.behaviour.id_token_lifetime.as_secs() as i64;
    let id_token = jwt(exp, n);
    let refresh = format!("refresh-secret-{n}-{}", fastrand::u64(..));
    let access = format!("access-secret-{n}-{}", fastrand::u64(..));
    g.valid_refresh = Some(refresh.clone());
    g.seen.issued_id_tokens.push(id_token.clone());
    g.seen.issued_refresh_tokens.push(refresh.clone());
    g.seen.issued_access_tokens.push(access.clone());
    json!({
        "access_token": access, "token_type": "Bearer", "expires_in": g.behaviour.id_token_lifetime.as_secs(),
        "refresh_token": refresh, "scope": "authenticate_user openid cardata:streaming:read cardata:api:read",
        "id_token": id_token, "gcid": GCID
    })
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": format!("test server: {error}")})),
    )
        .into_response()
}

async fn device_code(
    State(inner): State<Arc<Mutex<Inner>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut g = inner.lock().unwrap();
    if form.get("response_type").map(String::as_str) != Some("device_code")
        || form.get("code_challenge_method").map(String::as_str) != Some("S256")
        || form.get("client_id").is_none_or(|c| c.is_empty())
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    g.seen.scope = form.get("scope").cloned().unwrap_or_default();
    let code = format!("dev-{}", fastrand::u64(..));
    g.devices.insert(
        code.clone(),
        Device {
            challenge: form.get("code_challenge").cloned().unwrap_or_default(),
            ..Device::default()
        },
    );
    Json(json!({
        "user_code": "WXYZ-1234", "device_code": code,
        "verification_uri": "https://customer.bmwgroup.com/oneid/link",
        "verification_uri_complete": "https://customer.bmwgroup.com/oneid/link?code=WXYZ-1234",
        "expires_in": 300, "interval": 1
    }))
    .into_response()
}

async fn token(
    State(inner): State<Arc<Mutex<Inner>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut g = inner.lock().unwrap();
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    g.seen.token_requests.push((grant.clone(), Instant::now()));
    match grant.as_str() {
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let code = form.get("device_code").cloned().unwrap_or_default();
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let (pending, slow, outcome) = (
                g.behaviour.pending_polls,
                g.behaviour.slow_down,
                g.behaviour.outcome,
            );
            let Some(dev) = g.devices.get_mut(&code) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            let expect = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if expect != dev.challenge {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            dev.polls += 1;
            if dev.polls <= pending {
                return oauth_error(StatusCode::FORBIDDEN, "authorization_pending");
            }
            if slow && !dev.slowed {
                dev.slowed = true;
                return oauth_error(StatusCode::BAD_REQUEST, "slow_down");
            }
            g.seen.pkce_ok = true;
            match outcome {
                Outcome::Approve => Json(issue(&mut g)).into_response(),
                Outcome::Expire => oauth_error(StatusCode::UNAUTHORIZED, "expired_token"),
                Outcome::Deny => oauth_error(StatusCode::FORBIDDEN, "access_denied"),
            }
        }
        "refresh_token" => {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            if g.behaviour.refuse_refresh || g.valid_refresh.as_deref() != Some(presented.as_str())
            {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            g.seen.refreshes += 1;
            let tokens = issue(&mut g);
            let hook = g.behaviour.on_refresh.clone();
            drop(g);
            if let Some(hook) = hook {
                hook(tokens["id_token"].as_str().unwrap());
            }
            Json(tokens).into_response()
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}
