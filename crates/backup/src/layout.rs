//! The one owner of every name in a backup store.
//!
//! ```text
//! <store root>/<run-id>/manifest.json              written last; a run without it is incomplete
//! <store root>/<run-id>/source/mysql.json          MySQL rows read (plain: no secrets)
//! <store root>/<run-id>/source/jenkins.tar.gz.age  Jenkins files read, incl. secrets/ (encrypted)
//! <store root>/<run-id>/source/credential-values.json.age  credential values read through the
//!                                                  script console (encrypted; only when read)
//! <store root>/<run-id>/source/mysql-issues.json   problems found reading MySQL (only when any)
//! <store root>/<run-id>/export/resources.tar.gz.age  generated YAML tree (encrypted)
//! <store root>/<run-id>/adopt/before.tar.gz.age     what --adopt-installer-migration repairs, as it was (encrypted; only then)
//! <store root>/<run-id>/export/report.json         report (plain)
//! <store root>/<run-id>/export/report.md           report (plain)
//! <store root>/<run-id>/run.log                    run log (plain)
//! ```
//!
//! With [`crate::Protection::InsecurePlaintext`] the archives and the credential values drop
//! the `.age` suffix. The store
//! root is a local folder or `s3://bucket/prefix`; stores join their own root to these keys.

use crate::error::BackupError;

/// The manifest's name inside a run.
pub const MANIFEST: &str = "manifest.json";
/// The MySQL rows read, as JSON.
pub const MYSQL: &str = "source/mysql.json";
/// The Jenkins files archive, encrypted.
pub const JENKINS_ENCRYPTED: &str = "source/jenkins.tar.gz.age";
/// The Jenkins files archive, plaintext (only with an explicit insecure opt-in).
pub const JENKINS_PLAIN: &str = "source/jenkins.tar.gz";
/// The credential values read through Jenkins' script console (folder → id → field → value),
/// as JSON, encrypted.
pub const CREDENTIAL_VALUES_ENCRYPTED: &str = "source/credential-values.json.age";
/// The credential values, plaintext (only with an explicit insecure opt-in).
pub const CREDENTIAL_VALUES_PLAIN: &str = "source/credential-values.json";
/// The problems found while reading MySQL (`{"errors": [...], "warnings": [...]}`), plain.
pub const MYSQL_ISSUES: &str = "source/mysql-issues.json";
/// The generated YAML tree archive, encrypted.
pub const RESOURCES_ENCRYPTED: &str = "export/resources.tar.gz.age";
/// The generated YAML tree archive, plaintext (only with an explicit insecure opt-in).
pub const RESOURCES_PLAIN: &str = "export/resources.tar.gz";
/// What `--adopt-installer-migration` repairs, as it was before (cluster objects, live Jenkins
/// `config.xml`s), encrypted.
pub const ADOPTION_BEFORE_ENCRYPTED: &str = "adopt/before.tar.gz.age";
/// The same, plaintext (only with an explicit insecure opt-in).
pub const ADOPTION_BEFORE_PLAIN: &str = "adopt/before.tar.gz";
/// The folder of the export folder archived as the adoption's "before" state.
pub const EXPORT_ADOPTION_BEFORE_DIR: &str = ksdm_model::output::ADOPTION_BEFORE;
/// The JSON report of the export.
pub const REPORT_JSON: &str = "export/report.json";
/// The Markdown report of the export.
pub const REPORT_MD: &str = "export/report.md";
/// The run log.
pub const RUN_LOG: &str = "run.log";

/// The prefix of the manifest `sources` line that records the digest of a run's inputs (a
/// retried Job finds the backup of the same inputs by it).
pub const INPUT_DIGEST_PREFIX: &str = "inputs sha256:";

/// The folder of the export tree that goes into the resources archive (relative to the export
/// folder, and the top folder inside the archive).
pub const EXPORT_RESOURCES_DIR: &str = ksdm_model::output::RESOURCES;
/// The Markdown report file inside the export folder.
pub const EXPORT_REPORT_MD: &str = ksdm_model::output::REPORT_MD;
/// The JSON report file inside the export folder.
pub const EXPORT_REPORT_JSON: &str = ksdm_model::output::REPORT_JSON;

/// Name of the Jenkins archive for the given encryption choice.
pub fn jenkins_archive(encrypted: bool) -> &'static str {
    if encrypted {
        JENKINS_ENCRYPTED
    } else {
        JENKINS_PLAIN
    }
}

/// Name of the resources archive for the given encryption choice.
pub fn resources_archive(encrypted: bool) -> &'static str {
    if encrypted {
        RESOURCES_ENCRYPTED
    } else {
        RESOURCES_PLAIN
    }
}

/// Name of the adoption's "before" archive for the given encryption choice.
pub fn adoption_before_archive(encrypted: bool) -> &'static str {
    if encrypted {
        ADOPTION_BEFORE_ENCRYPTED
    } else {
        ADOPTION_BEFORE_PLAIN
    }
}

/// Name of the credential values file for the given encryption choice.
pub fn credential_values(encrypted: bool) -> &'static str {
    if encrypted {
        CREDENTIAL_VALUES_ENCRYPTED
    } else {
        CREDENTIAL_VALUES_PLAIN
    }
}

/// True for the names of the credential values file (either form).
pub fn is_credential_values(name: &str) -> bool {
    name == CREDENTIAL_VALUES_ENCRYPTED || name == CREDENTIAL_VALUES_PLAIN
}

/// True for the names of the Jenkins archive (either form).
pub fn is_jenkins_archive(name: &str) -> bool {
    name == JENKINS_ENCRYPTED || name == JENKINS_PLAIN
}

/// True for the names of the resources archive (either form).
pub fn is_resources_archive(name: &str) -> bool {
    name == RESOURCES_ENCRYPTED || name == RESOURCES_PLAIN
}

/// True for names that are gzip'd tar archives (checked to the end by verify).
pub fn is_archive(name: &str) -> bool {
    is_jenkins_archive(name)
        || is_resources_archive(name)
        || name == ADOPTION_BEFORE_ENCRYPTED
        || name == ADOPTION_BEFORE_PLAIN
}

/// The key of a file of a run, relative to the store root: `<run-id>/<name>`.
pub fn key(run_id: &str, name: &str) -> String {
    format!("{run_id}/{name}")
}

/// The key prefix of all files of a run: `<run-id>/`.
pub fn run_prefix(run_id: &str) -> String {
    format!("{run_id}/")
}

/// Splits a store key into `(run id, name inside the run)`.
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    key.split_once('/')
        .filter(|(run, name)| !run.is_empty() && !name.is_empty())
}

/// Joins a store prefix (S3 `prefix`, may be empty) and a key.
pub fn join_prefix(prefix: &str, key: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}/{key}")
    }
}

/// True for a relative `/`-separated path with no empty, `.` or `..` segment and no backslash —
/// the only shape allowed for store keys and archive entry paths.
pub(crate) fn is_safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

/// A new run id for `now` ([`ksdm_model::RunId`]: `YYYYMMDDTHHMMSSZ-<8 hex>`, sortable by time,
/// no spaces or colons), as text.
pub fn new_run_id(now: time::OffsetDateTime) -> String {
    let now = now.to_offset(time::UtcOffset::UTC);
    let at = (
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
    );
    ksdm_model::RunId::at(at, rand::random()).to_string()
}

/// Checks that a run id is a [`ksdm_model::RunId`] — in particular one path segment that can
/// never address anything outside its own folder.
pub fn validate_run_id(run_id: &str) -> Result<(), BackupError> {
    ksdm_model::RunId::parse(run_id)
        .map(|_| ())
        .map_err(|e| BackupError::InvalidRunId {
            run_id: run_id.to_string(),
            reason: e.reason,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_sortable_and_valid() {
        let t = time::macros::datetime!(2026-11-23 12:13:14 UTC);
        let id = new_run_id(t);
        assert!(id.starts_with("20261123T121314Z-"), "{id}");
        assert_eq!(id.len(), "20261123T121314Z-".len() + 8);
        validate_run_id(&id).unwrap();
        let later = new_run_id(time::macros::datetime!(2026-11-23 12:13:15 UTC));
        assert!(later > id);
    }

    #[test]
    fn unsafe_run_ids_are_refused() {
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            "a b",
            "2020-08-19 10:00:00",
            ".hidden",
            "a:b",
        ] {
            assert!(validate_run_id(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn keys_and_prefixes() {
        assert_eq!(key("r1", MANIFEST), "r1/manifest.json");
        assert_eq!(
            split_key("r1/source/mysql.json"),
            Some(("r1", "source/mysql.json"))
        );
        assert_eq!(split_key("stray"), None);
        assert_eq!(join_prefix("/a/b/", "r1/run.log"), "a/b/r1/run.log");
        assert_eq!(join_prefix("", "r1/run.log"), "r1/run.log");
    }
}
