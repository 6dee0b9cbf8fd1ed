//! The v3.0 YAML tree (a contract; see the README):
//!
//! ```text
//! DIR/resources/devopsprojects.devops.kubesphere.io/cluster/<name>.yaml
//! DIR/resources/pipelines.devops.kubesphere.io/namespaces/<ns>/<name>.yaml
//! DIR/resources/secrets/namespaces/<ns>/<name>.yaml
//! DIR/resources/rolebindings.rbac.authorization.k8s.io/namespaces/<ns>/<name>.yaml
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Errors writing the tree.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An object could not be serialised.
    #[error("cannot serialise {what} as YAML: {message}")]
    Yaml {
        /// Which object.
        what: String,
        /// The serialiser's message.
        message: String,
    },
    /// A name would escape the tree (contains `/` or is `.`/`..`).
    #[error("refusing to write object {name:?}: not a safe file name")]
    UnsafeName {
        /// The name.
        name: String,
    },
}

/// The one owner of paths in the tree.
#[derive(Debug, Clone)]
pub struct TreeLayout {
    root: PathBuf,
}

impl TreeLayout {
    /// Layout rooted at `DIR` (the export folder).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TreeLayout { root: dir.into() }
    }

    /// The names of every file in the output folder ([`ksdm_model::OutputLayout`]).
    pub fn output(&self) -> ksdm_model::OutputLayout {
        ksdm_model::OutputLayout::new(&self.root)
    }

    /// `DIR/resources`.
    pub fn resources(&self) -> PathBuf {
        self.output().resources()
    }

    /// `DIR/report.md`.
    pub fn report_md(&self) -> PathBuf {
        self.output().report_md()
    }

    /// `DIR/report.json`.
    pub fn report_json(&self) -> PathBuf {
        self.output().report_json()
    }

    /// `DIR/jenkins-repairs`: repaired job `config.xml` files in the `JENKINS_HOME` layout.
    pub fn jenkins_repairs(&self) -> PathBuf {
        self.output().file(ksdm_model::output::JENKINS_REPAIRS)
    }

    /// `DIR/jenkins-repairs/jobs/<folder>/jobs/<job>/config.xml`.
    pub fn repair_path(&self, folder: &str, job: &str) -> Result<PathBuf, TreeError> {
        for part in [folder, job] {
            if part.is_empty() || part == "." || part == ".." || part.contains(['/', '\\', '\0']) {
                return Err(TreeError::UnsafeName {
                    name: part.to_string(),
                });
            }
        }
        Ok(self
            .jenkins_repairs()
            .join("jobs")
            .join(folder)
            .join("jobs")
            .join(job)
            .join("config.xml"))
    }

    /// `DIR/report.html` (one self-contained page).
    pub fn report_html(&self) -> PathBuf {
        self.output().file(ksdm_model::output::REPORT_HTML)
    }

    /// `DIR/credential-usage.csv`.
    pub fn credential_usage_csv(&self) -> PathBuf {
        self.output().file(ksdm_model::output::CREDENTIAL_USAGE_CSV)
    }

    /// Path of an object of `resource` (`<plural>[.<group>]`) in `namespace` (or cluster-scoped).
    pub fn object_path(
        &self,
        resource: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<PathBuf, TreeError> {
        for part in [Some(name), namespace].into_iter().flatten() {
            if part.is_empty() || part == "." || part == ".." || part.contains(['/', '\\', '\0']) {
                return Err(TreeError::UnsafeName {
                    name: part.to_string(),
                });
            }
        }
        let base = self.resources().join(resource);
        Ok(match namespace {
            Some(ns) => base
                .join("namespaces")
                .join(ns)
                .join(format!("{name}.yaml")),
            None => base.join("cluster").join(format!("{name}.yaml")),
        })
    }
}

/// Writes objects into a tree.
#[derive(Debug, Clone)]
pub struct YamlTree {
    layout: TreeLayout,
}

impl YamlTree {
    /// A writer for the tree under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        YamlTree {
            layout: TreeLayout::new(dir),
        }
    }

    /// The layout.
    pub fn layout(&self) -> &TreeLayout {
        &self.layout
    }

    /// Writes one object. `private` files (Secrets) are created with mode 0600 on Unix.
    pub fn write<T: Serialize>(
        &self,
        resource: &str,
        namespace: Option<&str>,
        name: &str,
        object: &T,
        private: bool,
    ) -> Result<PathBuf, TreeError> {
        let path = self.layout.object_path(resource, namespace, name)?;
        let yaml = crate::yaml::to_yaml(object).map_err(|e| TreeError::Yaml {
            what: format!(
                "{resource} {}{name}",
                namespace.map(|n| format!("{n}/")).unwrap_or_default()
            ),
            message: e.to_string(),
        })?;
        write_file(&path, yaml.as_bytes(), private)?;
        Ok(path)
    }
}

impl YamlTree {
    /// Writes a repaired job `config.xml` and its unified diff (`config.xml.diff` next to it),
    /// both with mode 0600 (job files can hold tokens). Returns the `config.xml` path.
    pub fn write_repair(
        &self,
        folder: &str,
        job: &str,
        repaired: &[u8],
        diff: &str,
    ) -> Result<PathBuf, TreeError> {
        let path = self.layout.repair_path(folder, job)?;
        write_file(&path, repaired, true)?;
        write_file(
            &path.with_file_name("config.xml.diff"),
            diff.as_bytes(),
            true,
        )?;
        Ok(path)
    }
}

/// Writes a file, creating parent folders; `private` files get mode 0600 on Unix.
pub fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), TreeError> {
    let io = |source| TreeError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io)?;
    }
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_paths() {
        let l = TreeLayout::new("/out");
        assert_eq!(
            l.object_path("devopsprojects.devops.kubesphere.io", None, "p")
                .unwrap(),
            PathBuf::from("/out/resources/devopsprojects.devops.kubesphere.io/cluster/p.yaml")
        );
        assert_eq!(
            l.object_path("secrets", Some("ns"), "s").unwrap(),
            PathBuf::from("/out/resources/secrets/namespaces/ns/s.yaml")
        );
        assert!(l.object_path("secrets", Some("ns"), "../x").is_err());
        assert!(l.object_path("secrets", Some(".."), "x").is_err());
    }
}
