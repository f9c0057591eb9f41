//! The BMW connection and the task that keeps its password valid.
//!
//! BMW closes the stream when the id token (one hour) expires and allows one connection
//! per GCID, so make-before-break is impossible: we refresh `refresh_before` ahead of
//! expiry (or at once when the broker refuses the token), persist the rotated tokens
//! atomically, and switch the live session to the new password with a clean reconnect
//! that resumes the persistent session.

use super::config::BmwConfig;
use super::oauth::{OAuth, OAuthError};
use super::tokens::TokenSet;
use crate::mqtt::backoff::Backoff;
use crate::mqtt::tls::TlsFiles;
use crate::mqtt::{CredentialsHandle, DeliverFn, Protocol, Session, SessionSpec};
use crate::providers::provider::{self, Connection, Env};
use chrono::Utc;
use std::path::PathBuf;
use std::time::Duration;
use tracing::{error, info, warn};

const REFUSAL_HINT: &str = "the CarData stream is not configured for this client or the token \
    lacks the cardata:streaming:read scope: configure the data stream in the BMW portal \
    (CarData → Configure data stream), then run `vinstream bmw-login` again";

/// Reconnect storms get BMW accounts throttled: never retry faster than this.
const BACKOFF_FLOOR: Duration = Duration::from_secs(10);
/// Never refresh more often than this, whatever the broker says.
const MIN_REFRESH_GAP: Duration = Duration::from_secs(30);

pub async fn start(
    name: &str,
    c: &BmwConfig,
    env: &Env<'_>,
    out: DeliverFn,
) -> Result<Session, String> {
    let key = |k: &str| format!("providers.{name}.{k}");
    let oauth = OAuth::new(&c.client_id, &c.device_code_url, &c.token_url)
        .map_err(|e| format!("{}: {e}", key("token_url")))?;
    let mut tokens =
        TokenSet::load(&c.token_file).map_err(|e| format!("{}: {e}", key("token_file")))?;
    if tokens.gcid != c.gcid {
        return Err(format!(
            "{}: the token file belongs to GCID {}; run `vinstream bmw-login` for {} or fix gcid",
            key("gcid"),
            tokens.gcid,
            c.gcid
        ));
    }
    // An expired (or nearly expired) token would only be refused: renew it first.
    if tokens.expires_at() - chrono::Duration::seconds(60) <= Utc::now() {
        match oauth.refresh(&tokens).await {
            Ok(new) => {
                new.save(&c.token_file)?;
                tokens = new;
                info!(provider = %name, valid_until = %tokens.expires_at(), "token refreshed");
            }
            Err(e) => {
                warn!(provider = %name, error = %e, "could not refresh the expired token; trying to connect anyway")
            }
        }
    }
    let connection = Connection {
        protocol: Protocol::V311,
        host: c.host.clone(),
        port: c.port,
        client_id: c.gcid.clone(),
        tls: TlsFiles {
            ca_file: c.ca_file.clone(),
            client_cert: None,
            server_name: c.server_name.clone(),
        },
        credentials: Some((c.gcid.clone(), tokens.id_token.clone())),
    };
    let options = provider::connect_options(name, env, connection, &c.session)?;
    info!(provider = %name, host = %c.host, port = c.port, gcid = %c.gcid,
        topics = ?c.topic_filters(), valid_until = %tokens.expires_at(), "starting BMW CarData provider");
    let spec = SessionSpec {
        name: name.to_string(),
        options,
        subscriptions: c.topic_filters(),
        backoff: Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(60),
            BACKOFF_FLOOR,
        ),
        refusal_hint: REFUSAL_HINT,
    };
    let mut session = Session::spawn(spec, out);
    let refresher = Refresher {
        name: name.to_string(),
        oauth,
        token_file: c.token_file.clone(),
        refresh_before: c.refresh_before.0,
        session: session.credentials(),
    };
    session.attach(tokio::spawn(refresher.run(tokens)));
    Ok(session)
}

struct Refresher {
    name: String,
    oauth: OAuth,
    token_file: PathBuf,
    refresh_before: Duration,
    session: CredentialsHandle,
}

impl Refresher {
    async fn run(self, mut tokens: TokenSet) {
        let mut last_refresh: Option<tokio::time::Instant> = None;
        let mut retry = Backoff::new(
            Duration::from_secs(5),
            Duration::from_secs(300),
            Duration::ZERO,
        );
        loop {
            let due = (tokens.expires_at() - Utc::now())
                .to_std()
                .unwrap_or_default();
            let wait = due.saturating_sub(self.refresh_before);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.session.auth_failed() => {
                    info!(provider = %self.name, "the broker refused the token; refreshing it now");
                }
            }
            if let Some(at) = last_refresh {
                tokio::time::sleep_until(at + MIN_REFRESH_GAP).await;
            }
            last_refresh = Some(tokio::time::Instant::now());
            match self.oauth.refresh(&tokens).await {
                Ok(new) => {
                    if let Err(e) = new.save(&self.token_file) {
                        // The new refresh token lives on in memory; a restart before the next
                        // successful save would need a new login, so say so loudly.
                        error!(provider = %self.name, error = %e, "could not save the refreshed tokens");
                    }
                    tokens = new;
                    retry.reset();
                    self.session.set_problem(None);
                    self.session
                        .rotate(tokens.gcid.clone(), tokens.id_token.clone());
                    info!(provider = %self.name, valid_until = %tokens.expires_at(), "token refreshed");
                }
                Err(OAuthError::InvalidGrant(detail)) => {
                    let msg = format!(
                        "the BMW login has expired or was revoked ({detail}): run `vinstream bmw-login --client-id … --token-file {}` again",
                        self.token_file.display()
                    );
                    error!(provider = %self.name, "{msg}");
                    self.session.set_problem(Some(msg));
                    tokens = self.wait_for_new_login(&tokens).await;
                    self.session.set_problem(None);
                    self.session
                        .rotate(tokens.gcid.clone(), tokens.id_token.clone());
                    info!(provider = %self.name, "found a new login in the token file");
                }
                Err(e) => {
                    let delay = retry.next_random();
                    warn!(provider = %self.name, error = %e, retry_in = ?delay, "token refresh failed");
                    tokio::time::sleep(delay).await;
                    last_refresh = None;
                    // Loop: the token is still due (or refused), so we try again at once.
                    tokens.expires_at = Some(tokens.expires_at().min(
                        Utc::now()
                            + chrono::Duration::from_std(self.refresh_before).unwrap_or_default(),
                    ));
                }
            }
        }
    }

    /// After `bmw-login` rewrote the token file with a new refresh token, pick it up.
    async fn wait_for_new_login(&self, stale: &TokenSet) -> TokenSet {
        loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            if let Ok(t) = TokenSet::load(&self.token_file) {
                if t.refresh_token != stale.refresh_token {
                    return t;
                }
            }
        }
    }
}
