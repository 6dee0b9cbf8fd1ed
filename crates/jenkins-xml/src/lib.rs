//! # ksdm-jenkins-xml
//!
//! Jenkins XML, read the way the programs that matter read it. Used by the readers (`ksdm-source`,
//! `ksdm-source-jenkins-rest`) and by the converter (`ksdm-convert`, which emulates KubeSphere
//! v3.0's own job parser on top of [`dom`]):
//!
//! * [`dom`] — an owned element tree over `quick-xml` with the rules of Go's `etree` as the v3.0
//!   controller uses it (XML 1.1 declaration rewrite, XStream name escaping, CDATA verbatim).
//! * [`class`] — every Jenkins class name the tool recognises, in one place.
//! * [`folder`] — credential stores (a project folder's `config.xml`, the system
//!   `credentials.xml`) → v2.1 [`ksdm_model::v21::JenkinsCredential`] records.
//!
//! Library code never prints; errors name the element and the reason.

pub mod class;
pub mod dom;
pub mod folder;
