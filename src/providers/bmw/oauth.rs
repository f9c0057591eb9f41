//! BMW's OAuth 2.0 endpoints (providers.md §3.5): the device-code flow with PKCE (RFC
//! 8628 + RFC 7636) for `vinstream bmw-login`, and the refresh-token grant the daemon
//! uses every hour. Errors are sorted by what the caller should do about them.

use super::tokens::TokenSet;
use crate::mqtt::tls::{self, TlsFiles};
use base64::Engine;
use chrono::{Duration, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const SCOPE: &str = "authenticate_user openid cardata:streaming:read cardata:api:read";
pub const DEFAULT_TOKEN_URL: &str = "https://customer.bmwgroup.com/gcdm/oauth/token";
pub const DEFAULT_DEVICE_CODE_URL: &str = "https://customer.bmwgroup.com/gcdm/oauth/device/code";
/// BMW documents two weeks for a refresh token (providers.md §3.5).
const REFRESH_LIFETIME_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    /// The device code expired before the user confirmed it.
    Expired,
    /// The user refused, or the client is not subscribed to CarData Stream.
    Denied(String),
    /// The refresh token is expired or revoked: only a new login helps.
    InvalidGrant(String),
    /// Network trouble or a server error: try again later.
    Transient(String),
    /// An answer we cannot use (wrong client id, malformed response, …).
    Rejected(String),
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OAuthError::Expired => f.write_str("the code expired before it was confirmed"),
            OAuthError::Denied(d) => write!(f, "access was denied: {d}"),
            OAuthError::InvalidGrant(d) => write!(f, "the refresh token is no longer valid: {d}"),
            OAuthError::Transient(d) => write!(f, "temporary failure: {d}"),
            OAuthError::Rejected(d) => write!(f, "the token endpoint refused the request: {d}"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceCode {
    pub user_code: String,
    pub device_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    #[serde(default)]
    pub interval: Option<u64>,
}

/// One poll of the token endpoint during the device-code flow.
#[derive(Debug)]
pub enum Poll {
    Token(Box<TokenSet>),
    Pending,
    SlowDown,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    refresh_expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    gcid: Option<String>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

pub struct OAuth {
    http: reqwest::Client,
    client_id: String,
    device_code_url: String,
    token_url: String,
}

/// A PKCE verifier and its S256 challenge, from the OS random source.
pub fn pkce() -> Result<(String, String), String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system random source failed".to_string())?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let verifier = b64.encode(bytes);
    let challenge = b64.encode(Sha256::digest(verifier.as_bytes()));
    Ok((verifier, challenge))
}

impl OAuth {
    pub fn new(client_id: &str, device_code_url: &str, token_url: &str) -> Result<OAuth, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("vinstream/", env!("CARGO_PKG_VERSION")));
        if [device_code_url, token_url]
            .iter()
            .any(|u| u.get(..6).is_some_and(|s| s.eq_ignore_ascii_case("https:")))
        {
            let config = tls::client_config(&TlsFiles {
                ca_file: None,
                client_cert: None,
                server_name: None,
            })?;
            builder = builder.use_preconfigured_tls((*config).clone());
        }
        Ok(OAuth {
            http: builder
                .build()
                .map_err(|e| format!("HTTP client setup failed: {e}"))?,
            client_id: client_id.to_string(),
            device_code_url: device_code_url.to_string(),
            token_url: token_url.to_string(),
        })
    }

    pub async fn device_code(&self, challenge: &str) -> Result<DeviceCode, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("response_type", "device_code"),
            ("scope", SCOPE),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        let (status, body) = self.post(&self.device_code_url, &form).await?;
        if !status.is_success() {
            return Err(classify(status, &body));
        }
        serde_json::from_slice(&body)
            .map_err(|e| OAuthError::Rejected(format!("unexpected device-code response: {e}")))
    }

    pub async fn poll(&self, device_code: &str, verifier: &str) -> Result<Poll, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("device_code", device_code),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("code_verifier", verifier),
        ];
        let (status, body) = self.post(&self.token_url, &form).await?;
        if status.is_success() {
            return token_set(&body, None).map(|t| Poll::Token(Box::new(t)));
        }
        match serde_json::from_slice::<ErrorResponse>(&body) {
            Ok(e) if e.error == "authorization_pending" => Ok(Poll::Pending),
            Ok(e) if e.error == "slow_down" => Ok(Poll::SlowDown),
            Ok(e) if e.error == "expired_token" => Err(OAuthError::Expired),
            Ok(e) if e.error == "access_denied" => Err(OAuthError::Denied(
                e.error_description
                    .unwrap_or_else(|| "the user declined".into()),
            )),
            _ => Err(classify(status, &body)),
        }
    }

    /// The refresh-token grant: a whole new token set (BMW rotates the refresh token).
    pub async fn refresh(&self, current: &TokenSet) -> Result<TokenSet, OAuthError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", current.refresh_token.as_str()),
            ("client_id", self.client_id.as_str()),
        ];
        let (status, body) = self.post(&self.token_url, &form).await?;
        if status.is_success() {
            return token_set(&body, Some(current));
        }
        match classify(status, &body) {
            OAuthError::Rejected(d) if status.as_u16() == 400 || status.as_u16() == 401 => {
                Err(OAuthError::InvalidGrant(d))
            }
            other => Err(other),
        }
    }

    async fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<(reqwest::StatusCode, Vec<u8>), OAuthError> {
        let resp = self
            .http
            .post(url)
            .form(form)
            .send()
            .await
            .map_err(|e| OAuthError::Transient(format!("{url}: {e}")))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| OAuthError::Transient(format!("{url}: {e}")))?;
        Ok((status, body.to_vec()))
    }
}

/// Sort a failed response: server trouble is worth retrying, the rest is not.
fn classify(status: reqwest::StatusCode, body: &[u8]) -> OAuthError {
    let detail = match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(e) => match e.error_description {
            Some(d) => format!("{} ({d})", e.error),
            None => e.error,
        },
        Err(_) => format!("HTTP {status}"),
    };
    if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
        OAuthError::Transient(detail)
    } else if detail.starts_with("invalid_grant") {
        OAuthError::InvalidGrant(detail)
    } else {
        OAuthError::Rejected(detail)
    }
}

fn token_set(body: &[u8], previous: Option<&TokenSet>) -> Result<TokenSet, OAuthError> {
    let r: TokenResponse = serde_json::from_slice(body)
        .map_err(|e| OAuthError::Rejected(format!("unexpected token response: {e}")))?;
    let now = Utc::now();
    let id_token = r.id_token.ok_or_else(|| {
        OAuthError::Rejected(
            "the token response has no id_token (is the openid scope granted?)".into(),
        )
    })?;
    let gcid = r
        .gcid
        .or_else(|| previous.map(|p| p.gcid.clone()))
        .ok_or_else(|| OAuthError::Rejected("the token response has no gcid".into()))?;
    let refresh_rotated = r.refresh_token.is_some();
    let refresh_token = r
        .refresh_token
        .or_else(|| previous.map(|p| p.refresh_token.clone()))
        .ok_or_else(|| OAuthError::Rejected("the token response has no refresh_token".into()))?;
    let expires_at = super::tokens::jwt_expiry(&id_token)
        .or_else(|| r.expires_in.map(|s| now + Duration::seconds(s)))
        .unwrap_or(now + Duration::hours(1));
    let refresh_expires_at = match (r.refresh_expires_in, refresh_rotated) {
        (Some(s), _) => Some(now + Duration::seconds(s)),
        (None, true) => Some(now + Duration::days(REFRESH_LIFETIME_DAYS)),
        (None, false) => previous.and_then(|p| p.refresh_expires_at),
    };
    Ok(TokenSet {
        gcid,
        access_token: r.access_token,
        id_token,
        refresh_token,
        token_type: r.token_type.unwrap_or_else(|| "Bearer".into()),
        scope: r
            .scope
            .or_else(|| previous.map(|p| p.scope.clone()))
            .unwrap_or_default(),
        expires_at: Some(expires_at),
        refresh_expires_at,
    })
}

/// Tokens only travel over HTTPS, or plain HTTP to this machine (tests, local proxies).
///
/// The URL is parsed, not prefix-matched: `http://localhost.evil.example`,
/// `http://127.0.0.1.nip.io` or `http://localhost@evil.example` name other machines.
/// Plain http is allowed only when the host is a loopback IP address or exactly
/// `localhost` (no subdomains, no trailing dot).
pub fn secure_url(url: &str) -> Result<(), String> {
    use reqwest::Url;
    let parsed = Url::parse(url.trim()).map_err(|e| format!("`{url}` is not a valid URL ({e})"))?;
    // The parser has already normalised the host: lowercase, IPv4 in dotted form
    // (`0x7f.1` becomes `127.0.0.1`), IPv6 in brackets.
    let host = parsed.host_str().unwrap_or("");
    let ip = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<std::net::IpAddr>();
    let loopback = match ip {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host == "localhost",
    };
    match parsed.scheme() {
        "https" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "`{url}` must be an https:// URL, or http:// to localhost or a loopback address (tokens are sent to it)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        let (v, c) = pkce().unwrap();
        assert_eq!(v.len(), 43);
        let expect =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
        assert_eq!(c, expect);
        assert_ne!(pkce().unwrap().0, v);
    }

    #[test]
    fn server_errors_are_transient_and_invalid_grant_is_not() {
        let s = |n| reqwest::StatusCode::from_u16(n).unwrap();
        assert!(matches!(classify(s(503), b""), OAuthError::Transient(_)));
        assert!(matches!(
            classify(s(400), br#"{"error":"invalid_grant"}"#),
            OAuthError::InvalidGrant(_)
        ));
        assert!(matches!(
            classify(s(401), br#"{"error":"invalid_client"}"#),
            OAuthError::Rejected(_)
        ));
    }
}
