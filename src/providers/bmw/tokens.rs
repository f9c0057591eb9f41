//! The BMW token file (SPEC.md §1): one JSON object, written 0600 and atomically, read
//! at start and rewritten after every refresh. Tokens never reach a log line: `Debug`
//! is redacted by hand.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenSet {
    pub gcid: String,
    pub access_token: String,
    pub id_token: String,
    pub refresh_token: String,
    #[serde(default = "bearer")]
    pub token_type: String,
    #[serde(default)]
    pub scope: String,
    /// When the id and access tokens expire; read from the id token's `exp` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<DateTime<Utc>>,
}

fn bearer() -> String {
    "Bearer".into()
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("gcid", &self.gcid)
            .field("expires_at", &self.expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish_non_exhaustive()
    }
}

impl TokenSet {
    /// Read and check a token file; errors say what to do about it.
    pub fn load(path: &Path) -> Result<TokenSet, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "no token file at {}: run `vinstream bmw-login --client-id ID --token-file {}` first",
                    path.display(),
                    path.display()
                )
            } else {
                format!("cannot read {}: {e}", path.display())
            }
        })?;
        let mut t: TokenSet = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a vinstream token file ({e}); run `vinstream bmw-login` again",
                path.display()
            )
        })?;
        for (field, value) in [
            ("gcid", &t.gcid),
            ("id_token", &t.id_token),
            ("refresh_token", &t.refresh_token),
        ] {
            if value.is_empty() {
                return Err(format!("{}: `{field}` is empty", path.display()));
            }
        }
        if t.expires_at.is_none() {
            t.expires_at = jwt_expiry(&t.id_token);
        }
        if t.expires_at.is_none() {
            return Err(format!(
                "{}: no `expires_at` and the id token carries no readable `exp`",
                path.display()
            ));
        }
        Ok(t)
    }

    /// Write 0600 via temp file and rename: a crash leaves the old file or the new one.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let json = serde_json::to_vec_pretty(self).expect("token set serializes");
        crate::state::write_atomic(path, &json, 0o600)
            .map_err(|e| format!("cannot write the token file {}: {e}", path.display()))
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at.unwrap_or_else(Utc::now)
    }
}

/// The `exp` claim of a JWT, read without verifying it: we only need to know when the
/// broker will stop accepting the token, and the broker does the verifying.
pub fn jwt_expiry(jwt: &str) -> Option<DateTime<Utc>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(claims.get("exp")?.as_i64()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(exp: i64) -> String {
        let enc = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!(
            "{}.{}.sig",
            enc(serde_json::json!({"alg": "RS256"})),
            enc(serde_json::json!({"exp": exp, "sub": "x"}))
        )
    }

    #[test]
    fn expiry_comes_from_the_id_token_when_the_file_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(
            &path,
            serde_json::json!({"gcid": "g", "access_token": "a", "id_token": jwt(1_900_000_000),
                               "refresh_token": "r"})
            .to_string(),
        )
        .unwrap();
        let t = TokenSet::load(&path).unwrap();
        assert_eq!(t.expires_at.unwrap().timestamp(), 1_900_000_000);
        assert_eq!(t.token_type, "Bearer");
    }

    #[test]
    fn saving_is_0600_and_round_trips_and_debug_hides_tokens() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let t = TokenSet {
            gcid: "g".into(),
            access_token: "secret-access".into(),
            id_token: jwt(1),
            refresh_token: "secret-refresh".into(),
            token_type: "Bearer".into(),
            scope: "openid".into(),
            expires_at: DateTime::from_timestamp(1_800_000_000, 0),
            refresh_expires_at: None,
        };
        t.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(TokenSet::load(&path).unwrap(), t);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
    }

    #[test]
    fn missing_or_broken_files_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err = TokenSet::load(&dir.path().join("none.json")).unwrap_err();
        assert!(err.contains("bmw-login"), "{err}");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{}").unwrap();
        assert!(TokenSet::load(&bad).unwrap_err().contains("bmw-login"));
    }
}
