//! # ksdm-source
//!
//! Readers of a KubeSphere v2.1 estate, offline:
//!
//! * [`mysqldump`] — a `mysqldump` of the `devops` database → [`ksdm_model::v21::MysqlData`].
//! * [`jenkins_home`] — a `JENKINS_HOME` directory or `.tar`/`.tar.gz`/`.tgz` of one, streamed
//!   project folder by project folder → [`ksdm_model::v21::JenkinsFolder`], plus the key files.
//! * [`jenkins_xml`] — Jenkins XML: pipeline `config.xml` → v3.0 `PipelineSpec` exactly as the
//!   v3.0 controller parses it (with findings on what a rewrite would drop), and folder
//!   credential stores → [`ksdm_model::v21::JenkinsCredential`].
//! * [`mysql_row`] — one `devops` row's values in column order → its v2.1 record (shared with
//!   the live MySQL reader).
//!
//! Library code never prints; errors name the file or item and the reason.

pub mod jenkins_home;
pub mod jenkins_xml;
pub mod mysql_row;
pub mod mysqldump;
