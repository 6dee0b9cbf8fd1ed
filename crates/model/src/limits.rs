//! Size limits on data read from outside (files, archives, HTTP answers, dump statements).
//!
//! Each limit is far above what a real KubeSphere v2.1 estate needs and low enough that a hostile
//! or corrupt input cannot exhaust memory. Going over a limit is an error for the one item
//! concerned (that job, folder or statement), never for the whole run. The reasons for each
//! figure are in `RELIABILITY.md` at the repository root.

/// One Jenkins file read from a `JENKINS_HOME` (folder, archive entry) or from a Jenkins over
/// REST: a `config.xml` (whose inline Jenkinsfile is part of it). Jenkins' own files are a few
/// kilobytes; the biggest inline pipeline script seen in the wild is a few hundred kilobytes.
pub const MAX_JENKINS_FILE_BYTES: u64 = 32 << 20;

/// One Jenkins key file (`secrets/master.key` is 256 bytes, `secrets/hudson.util.Secret` 272).
pub const MAX_KEY_FILE_BYTES: u64 = 64 << 10;

/// Any other answer of the Jenkins REST API (item lists, credential lists, script console
/// output).
pub const MAX_REST_BODY_BYTES: u64 = 64 << 20;

/// One SQL statement of a wanted table (`project`, `project_membership`, `project_credential`)
/// in a `mysqldump`. `mysqldump` cuts extended inserts at `--net-buffer-length` (1 MiB by
/// default, 16 MiB at most); statements of other tables are never buffered.
pub const MAX_DUMP_STATEMENT_BYTES: u64 = 64 << 20;

/// A human-readable size (`32 MiB`, `64 KiB`, `17 bytes`).
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(MAX_JENKINS_FILE_BYTES), "32 MiB");
        assert_eq!(human_size(MAX_KEY_FILE_BYTES), "64 KiB");
        assert_eq!(human_size(17), "17 bytes");
    }
}
