//! `vinstream bmw-login`: the device-code flow a person completes in a browser, ending
//! with a token file the daemon can use and refresh on its own.

use super::oauth::{pkce, OAuth, OAuthError, Poll};
use super::tokens::TokenSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Run the flow; instructions go to `out` (the terminal), the tokens to `token_file`.
pub async fn login(
    oauth: &OAuth,
    token_file: &Path,
    out: &mut dyn Write,
) -> Result<TokenSet, String> {
    let (verifier, challenge) = pkce()?;
    let code = oauth.device_code(&challenge).await.map_err(|e| match e {
        OAuthError::Rejected(d) => format!(
            "BMW refused to start the login: {d}. Check --client-id (the CarData client id from the \
             BMW portal) and that the client is subscribed to CarData Stream"
        ),
        other => format!("could not start the login: {other}"),
    })?;
    let url = code
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| code.verification_uri.clone());
    let _ = writeln!(
        out,
        "Open {url}\nand confirm the code {} (valid for {} minutes). Waiting…",
        code.user_code,
        code.expires_in.div_ceil(60)
    );
    let _ = out.flush();
    let deadline = Instant::now() + Duration::from_secs(code.expires_in);
    let mut interval = Duration::from_secs(code.interval.unwrap_or(5).max(1));
    loop {
        tokio::time::sleep(interval).await;
        if Instant::now() > deadline {
            return Err(
                "the code expired before it was confirmed; run `vinstream bmw-login` again".into(),
            );
        }
        match oauth.poll(&code.device_code, &verifier).await {
            Ok(Poll::Token(tokens)) => {
                tokens.save(token_file)?;
                let _ = writeln!(
                    out,
                    "Logged in (GCID {}). Token file written: {}",
                    tokens.gcid,
                    token_file.display()
                );
                return Ok(*tokens);
            }
            Ok(Poll::Pending) => {}
            Ok(Poll::SlowDown) => interval += Duration::from_secs(5),
            Err(OAuthError::Transient(d)) => {
                let _ = writeln!(out, "(temporary problem, still waiting: {d})");
            }
            Err(OAuthError::Expired) => {
                return Err("the code expired before it was confirmed; run `vinstream bmw-login` again".into())
            }
            Err(OAuthError::Denied(d)) => {
                return Err(format!(
                    "access was denied ({d}). Confirm the code with the BMW account that is the \
                     primary user of the vehicle, and make sure the client is subscribed to CarData Stream"
                ))
            }
            Err(other) => return Err(format!("login failed: {other}")),
        }
    }
}
