//! # ksdm-source
//!
//! Offline readers of a KubeSphere v2.1 estate. They yield v2.1 records only (no v3.0 semantics):
//!
//! * [`mysqldump`] — a `mysqldump` of the `devops` database → [`ksdm_model::v21::MysqlData`].
//! * [`jenkins_home`] — a `JENKINS_HOME` directory or `.tar`/`.tar.gz`/`.tgz` of one, streamed
//!   project folder by project folder → [`ksdm_model::v21::JenkinsFolder`] (raw `config.xml`
//!   bytes), plus the key files.
//!
//! The row schema is `ksdm_model::v21_rows`; Jenkins XML is read by `ksdm-jenkins-xml`; what a
//! job means to KubeSphere v3.0 is decided by `ksdm-convert`.
//!
//! Library code never prints; errors name the file or item and the reason.

pub mod jenkins_home;
pub mod mysqldump;
