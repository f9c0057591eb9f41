//! Config snippets the integration tests share, so a config key changes in one place.
#![allow(dead_code)]

use super::pki::Pki;
use std::path::Path;

/// `[daemon]` with a state dir and extra lines.
pub fn daemon(state_dir: &Path, extra: &str) -> String {
    format!(
        "[daemon]\nstate_dir = \"{}\"\n{extra}\n",
        state_dir.display()
    )
}

/// A High Mobility V2 provider named `hm` on a local broker with the test PKI's client
/// certificate; `extra` lines go into the provider table, `session` into its session table.
pub fn hm_v2(
    port: u16,
    pki: &Pki,
    application_id: &str,
    client_id: &str,
    extra: &str,
    session: &str,
) -> String {
    format!(
        r#"
[providers.hm]
type = "high_mobility_v2"
host = "localhost"
port = {port}
environment = "live"
application_id = "{application_id}"
ca_file = "{ca}"
cert_file = "{cert}"
key_file = "{key}"
client_id = "{client_id}"
{extra}

[providers.hm.session]
{session}
"#,
        ca = pki.ca.display(),
        cert = pki.client_cert.display(),
        key = pki.client_key.display(),
    )
}

/// The stdout sink.
pub const STDOUT: &str = "\n[sinks.console]\ntype = \"stdout\"\n";
