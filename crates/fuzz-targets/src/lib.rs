//! # ksdm-fuzz-targets — what the fuzzers drive
//!
//! One function per fuzz target, each taking arbitrary bytes and feeding them to one reader of
//! outside data; none may panic, overflow the stack or run away with memory (errors are fine).
//! The coverage-guided fuzzers in `fuzz/` (cargo-afl, stable toolchain; see
//! `docs/reliability-trials.md`) call exactly these, and this crate's test replays the seed corpus
//! ([`seeds`]) through them on every `cargo test`.
//!
//! | target | reader |
//! |---|---|
//! | `xml_dom` | the Jenkins XML DOM ([`ksdm_jenkins_xml::dom::parse_document`]) |
//! | `job_xml` | the v3.0 pipeline parse of a job's `config.xml` |
//! | `folder_credentials` | the folder credential-store parser |
//! | `mysqldump` | the dump lexer and statement reader |
//! | `jenkins_secret` | key derivation from `master.key` + `hudson.util.Secret`, and secret decoding |
//! | `tarball` | the `JENKINS_HOME` tarball reader (`.tar` and `.tar.gz`) |

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

pub mod seeds;

/// A fuzz target: any bytes in, nothing out; it must not panic.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, for drivers and the replay test.
pub const TARGETS: [(&str, Target); 6] = [
    ("xml_dom", xml_dom),
    ("job_xml", job_xml),
    ("folder_credentials", folder_credentials),
    ("mysqldump", mysqldump),
    ("jenkins_secret", jenkins_secret),
    ("tarball", tarball),
];

/// The XML DOM.
pub fn xml_dom(data: &[u8]) {
    let _ = ksdm_jenkins_xml::dom::parse_document(data);
}

/// A job's `config.xml` through the v3.0 pipeline parse.
pub fn job_xml(data: &[u8]) {
    let _ = ksdm_convert::v30_parse::parse_job("fuzz-job", data);
}

/// A folder's `config.xml` through the credential-store parser.
pub fn folder_credentials(data: &[u8]) {
    let _ = ksdm_jenkins_xml::folder::parse_folder_credentials(data);
}

/// A mysqldump through the lexer and statement reader.
pub fn mysqldump(data: &[u8]) {
    let _ = ksdm_source::mysqldump::read_dump(data);
}

/// Layout: two little-endian `u16` lengths, then `master.key` and `hudson.util.Secret` of those
/// lengths (cut short when the data ends), then a stored secret string. The key files are derived
/// and the string decoded (with the derived key when that works, else with a fixed key, so
/// decoding is always reached).
pub fn jenkins_secret(data: &[u8]) {
    let (master, hudson, stored) = split_secret_input(data);
    let key = ksdm_secret::derive_key(master, hudson)
        .unwrap_or_else(|_| ksdm_secret::SecretKey::from_bytes([7; 16]));
    let stored = String::from_utf8_lossy(stored);
    let decoded = ksdm_secret::decrypt(&key, &stored);
    let _ = decoded.is_decrypted();
}

/// Splits a [`jenkins_secret`] input into `master.key`, `hudson.util.Secret` and the stored string.
pub fn split_secret_input(data: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let len = |i: usize| {
        usize::from(u16::from_le_bytes([
            data.get(i).copied().unwrap_or(0),
            data.get(i + 1).copied().unwrap_or(0),
        ]))
    };
    let rest = data.get(4..).unwrap_or(&[]);
    let (master, rest) = rest.split_at(len(0).min(rest.len()));
    let (hudson, stored) = rest.split_at(len(2).min(rest.len()));
    (master, hudson, stored)
}

/// Builds a [`jenkins_secret`] input.
pub fn join_secret_input(master: &[u8], hudson: &[u8], stored: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(master.len().min(65535) as u16).to_le_bytes());
    out.extend_from_slice(&(hudson.len().min(65535) as u16).to_le_bytes());
    out.extend_from_slice(master);
    out.extend_from_slice(hudson);
    out.extend_from_slice(stored);
    out
}

fn scratch(ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ksdm-fuzz-{}-{:?}.{ext}",
        std::process::id(),
        std::thread::current().id()
    ))
}

/// The bytes as a `JENKINS_HOME` archive (gzip when they start with the gzip magic): open, read the
/// key files, list and stream every folder, read the root `config.xml`.
pub fn tarball(data: &[u8]) {
    let path = scratch(if data.starts_with(&[0x1f, 0x8b]) {
        "tar.gz"
    } else {
        "tar"
    });
    if std::fs::write(&path, data).is_err() {
        return;
    }
    read_home(&path);
    let _ = std::fs::remove_file(&path);
}

fn read_home(path: &Path) {
    let Ok(home) = ksdm_source::jenkins_home::JenkinsHome::open(path) else {
        return;
    };
    let _ = home.keys();
    let _ = home.folder_names();
    if let Ok(folders) = home.folders() {
        for folder in folders.take(10_000) {
            let _ = folder;
        }
    }
    let _ = home.read_file("config.xml");
}
