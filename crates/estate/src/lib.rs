//! # ksdm-estate
//!
//! Writes KubeSphere v2.1 DevOps estates — a mysqldump of database `devops` plus a
//! `JENKINS_HOME` — byte for byte the way v2.1, Jenkins 2.176 and MariaDB's mysqldump wrote them:
//!
//! * [`v21_xml`] — the v2.1.1 pipeline `config.xml` generators (KubeSphere dialect) and the
//!   Jenkins re-saved form; [`folder_xml`] — project folders with encrypted folder credentials;
//! * [`mysqldump`] — a streaming dump writer;
//! * [`sample`] — the small, deterministic sample estate bundled in `sample/`;
//! * [`synthetic`] — big seeded estates for benchmarks, streamed to disk.
//!
//! Nothing here prints; errors name the file and the reason.

#![deny(missing_docs)]

pub mod folder_xml;
mod home_root;
pub mod jenkins_misc;
pub mod mysqldump;
pub mod sample;
pub mod synthetic;
pub mod v21_xml;
mod xml;

use std::path::{Path, PathBuf};

pub use folder_xml::{folder_config_xml, SampleCredential, SampleCredentialKind};
pub use sample::{sample_plaintexts, write_sample};
pub use synthetic::{write_synthetic, write_synthetic_with, Realism, SyntheticOptions};
pub use v21_xml::{
    create_multi_branch_pipeline_config_xml, create_pipeline_config_xml, jenkins_resaved,
    pipeline_config_xml, GenerateError, ResaveOptions,
};

/// Why writing an estate failed.
#[derive(Debug, thiserror::Error)]
pub enum EstateError {
    /// A file or directory could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The Jenkins key files just generated do not derive a key (a bug in key generation).
    #[error("cannot derive the Jenkins secret key from the generated key files: {0}")]
    Key(String),
    /// A pipeline could not be generated.
    #[error("project {project}: {source}")]
    Generate {
        /// Project id.
        project: String,
        /// The generator error.
        #[source]
        source: GenerateError,
    },
}

/// Writes `bytes` to `path`, creating parent directories.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), EstateError> {
    let io = |source| EstateError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}
