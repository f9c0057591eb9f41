//! `vinstream bmw-login`: the device-code flow a person completes in a browser, ending
//! with a token file the daemon can use and refresh on its own.

use super::oauth::{pkce, OAuth, OAuthError, Poll};
use super::tokens::TokenSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// The `bmw-login` flags, checked as the config checks the same values
/// (`providers.*.client_id`, `token_url`, `device_code_url`, `token_file`): one message per
/// problem, each naming its flag. Any problem is a usage error (exit 2).
pub fn check_flags(
    client_id: &str,
    token_file: &Path,
    device_code_url: &str,
    token_url: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    if client_id.trim().is_empty() {
        problems.push(
            "--client-id: must not be empty (the CarData client id from the BMW portal)".into(),
        );
    } else if client_id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        problems.push(format!(
            "--client-id: `{}` contains spaces or control characters; copy the client id again",
            client_id.escape_debug()
        ));
    }
    for (flag, url) in [
        ("--device-code-url", device_code_url),
        ("--token-url", token_url),
    ] {
        if let Err(m) = super::oauth::secure_url(url) {
            problems.push(format!("{flag}: {m}"));
        }
    }
    if token_file.as_os_str().is_empty() {
        problems.push("--token-file: must not be empty".into());
    } else if token_file.is_dir() {
        problems.push(format!(
            "--token-file: {} is a directory; give the path of the file to write",
            token_file.display()
        ));
    } else {
        let parent = match token_file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.is_dir() {
            problems.push(format!(
                "--token-file: the directory {} does not exist",
                parent.display()
            ));
        }
    }
    problems
}

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

#[cfg(test)]
mod tests {
    use super::check_flags;
    use std::path::Path;

    const OK_URL: &str = "https://customer.bmwgroup.com/gcdm/oauth/token";

    #[test]
    fn good_flags_pass() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens.json");
        assert!(check_flags("client-123", &file, OK_URL, OK_URL).is_empty());
        assert!(check_flags(
            "c",
            Path::new("tokens.json"),
            OK_URL,
            "http://127.0.0.1:8080/t"
        )
        .is_empty());
    }

    #[test]
    fn every_bad_flag_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = check_flags(
            "  ",
            &dir.path().join("missing/tokens.json"),
            "http://localhost.evil.example/device",
            "http://user@localhost@evil.example/token",
        );
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p[0].starts_with("--client-id: must not be empty"), "{p:?}");
        assert!(
            p[1].starts_with("--device-code-url: `http://localhost.evil.example/device`"),
            "{p:?}"
        );
        assert!(p[2].starts_with("--token-url: "), "{p:?}");
        assert!(
            p[3].starts_with("--token-file: the directory ") && p[3].contains("missing"),
            "{p:?}"
        );
        let p = check_flags("a b", dir.path(), OK_URL, "ftp://x");
        assert!(
            p[0].starts_with("--client-id: `a b` contains spaces"),
            "{p:?}"
        );
        assert!(p[1].starts_with("--token-url: "), "{p:?}");
        assert!(p[2].contains("is a directory"), "{p:?}");
    }
}
