//! Test PKI generated with rcgen 0.14: ECDSA P-256 keys (PKCS#8 PEM), X.509 v3 certificates.
//! rustls rejects v1 certificates, so always generate with rcgen rather than `openssl req -x509`
//! defaults.
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// Common name of the trusted test CA.
pub const CA_CN: &str = "vinstream test CA";
/// Common name of the untrusted second CA.
pub const UNTRUSTED_CA_CN: &str = "vinstream untrusted CA";
/// CN of the daemon's client certificate (mosquitto `use_identity_as_username` makes it the username).
pub const CLIENT_CN: &str = "vinstream-client";
/// CN of the test publisher's client certificate.
pub const PUBLISHER_CN: &str = "test-publisher";

/// Paths of all generated PEM files. Everything lives in `dir`.
#[derive(Debug, Clone)]
pub struct Pki {
    pub dir: PathBuf,
    /// Trusted CA certificate (`ca.pem`). Its key is `ca.key` in `dir` (see [`Pki::issue_client`]).
    pub ca: PathBuf,
    /// Server certificate: SANs DNS `localhost` + IP `127.0.0.1`, EKU serverAuth.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// Client certificate CN `vinstream-client`, EKU clientAuth, signed by the trusted CA.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// Client certificate CN `test-publisher`, EKU clientAuth, signed by the trusted CA.
    pub publisher_cert: PathBuf,
    pub publisher_key: PathBuf,
    /// A second, untrusted CA.
    pub untrusted_ca: PathBuf,
    /// Client certificate CN `vinstream-client` signed by the *untrusted* CA.
    pub untrusted_client_cert: PathBuf,
    pub untrusted_client_key: PathBuf,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "vinstream tests");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

fn leaf_params(cn: &str, eku: ExtendedKeyUsagePurpose, sans: Vec<SanType>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.subject_alt_names = sans;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![eku];
    p.use_authority_key_identifier_extension = true;
    p
}

fn write_public(path: &Path, pem: &str) {
    fs::write(path, pem).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Writes a private key with mode 0600 (replacing any existing file).
fn write_private(path: &Path, pem: &str) {
    let _ = fs::remove_file(path);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    f.write_all(pem.as_bytes())
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn new_key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("generate P-256 key")
}

/// Issues a leaf certificate + key and writes them as `<name>.pem` / `<name>.key`.
fn issue(
    dir: &Path,
    name: &str,
    params: CertificateParams,
    issuer: &Issuer<'_, KeyPair>,
) -> (PathBuf, PathBuf) {
    let key = new_key();
    let cert = params
        .signed_by(&key, issuer)
        .expect("sign leaf certificate");
    let cert_path = dir.join(format!("{name}.pem"));
    let key_path = dir.join(format!("{name}.key"));
    write_public(&cert_path, &cert.pem());
    write_private(&key_path, &key.serialize_pem());
    (cert_path, key_path)
}

/// Creates a self-signed CA, writes `<name>.pem` / `<name>.key`, returns the issuer.
fn make_ca(dir: &Path, name: &str, cn: &str) -> (PathBuf, Issuer<'static, KeyPair>) {
    let key = new_key();
    let params = ca_params(cn);
    let cert = params.self_signed(&key).expect("self-sign CA");
    let cert_path = dir.join(format!("{name}.pem"));
    write_public(&cert_path, &cert.pem());
    write_private(&dir.join(format!("{name}.key")), &key.serialize_pem());
    (cert_path, Issuer::new(params, key))
}

/// Generates the complete test PKI into `dir` (created if missing).
pub fn generate(dir: &Path) -> Pki {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let dir = dir
        .canonicalize()
        .unwrap_or_else(|e| panic!("canonicalize {}: {e}", dir.display()));

    let (ca, issuer) = make_ca(&dir, "ca", CA_CN);
    let (server_cert, server_key) = issue(
        &dir,
        "server",
        leaf_params(
            "localhost",
            ExtendedKeyUsagePurpose::ServerAuth,
            vec![
                SanType::DnsName("localhost".try_into().unwrap()),
                SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            ],
        ),
        &issuer,
    );
    let (client_cert, client_key) = issue(
        &dir,
        "client",
        leaf_params(CLIENT_CN, ExtendedKeyUsagePurpose::ClientAuth, vec![]),
        &issuer,
    );
    let (publisher_cert, publisher_key) = issue(
        &dir,
        "publisher",
        leaf_params(PUBLISHER_CN, ExtendedKeyUsagePurpose::ClientAuth, vec![]),
        &issuer,
    );

    let (untrusted_ca, untrusted_issuer) = make_ca(&dir, "untrusted-ca", UNTRUSTED_CA_CN);
    let (untrusted_client_cert, untrusted_client_key) = issue(
        &dir,
        "untrusted-client",
        leaf_params(CLIENT_CN, ExtendedKeyUsagePurpose::ClientAuth, vec![]),
        &untrusted_issuer,
    );

    Pki {
        dir,
        ca,
        server_cert,
        server_key,
        client_cert,
        client_key,
        publisher_cert,
        publisher_key,
        untrusted_ca,
        untrusted_client_cert,
        untrusted_client_key,
    }
}

impl Pki {
    /// Generates a PKI in a fresh temporary directory. Keep the `TempDir` alive as long as the
    /// files are needed.
    pub fn temp() -> (tempfile::TempDir, Pki) {
        let td = tempfile::Builder::new()
            .prefix("vinstream-pki-")
            .tempdir()
            .expect("tempdir");
        let pki = generate(td.path());
        (td, pki)
    }

    /// Issues a serverAuth certificate whose only SANs are the DNS `names` (no IP SAN),
    /// signed by the trusted CA, written as `<name>.pem` / `<name>.key`. Returns (cert, key).
    pub fn issue_server(&self, name: &str, names: &[&str]) -> (PathBuf, PathBuf) {
        let key_pem = fs::read_to_string(self.dir.join("ca.key")).expect("read ca.key");
        let key = KeyPair::from_pem(&key_pem).expect("parse ca.key");
        let issuer = Issuer::new(ca_params(CA_CN), key);
        let sans = names
            .iter()
            .map(|n| SanType::DnsName((*n).try_into().unwrap()))
            .collect();
        issue(
            &self.dir,
            name,
            leaf_params(names[0], ExtendedKeyUsagePurpose::ServerAuth, sans),
            &issuer,
        )
    }

    /// Issues one more clientAuth certificate with common name `cn`, signed by the trusted CA,
    /// written as `<name>.pem` / `<name>.key` in `dir`. Returns (cert, key).
    pub fn issue_client(&self, name: &str, cn: &str) -> (PathBuf, PathBuf) {
        let key_pem = fs::read_to_string(self.dir.join("ca.key")).expect("read ca.key");
        let key = KeyPair::from_pem(&key_pem).expect("parse ca.key");
        // The issuer only needs the CA's DN, key usages and key-id method, all of which are
        // deterministic functions of `ca_params`, plus its signing key.
        let issuer = Issuer::new(ca_params(CA_CN), key);
        issue(
            &self.dir,
            name,
            leaf_params(cn, ExtendedKeyUsagePurpose::ClientAuth, vec![]),
            &issuer,
        )
    }
}
