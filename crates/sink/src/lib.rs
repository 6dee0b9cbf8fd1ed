//! # ksdm-sink
//!
//! Where converted data goes: the v3.0 YAML tree ([`tree`]) and the assessment/migration report
//! ([`report`], Markdown and JSON). The tree layout is a contract shared with `apply`, `backup`
//! and users; [`tree::TreeLayout`] is the one place that knows its paths.

#![deny(missing_docs)]

pub mod glossary;
pub mod html;
pub mod report;
pub mod tree;
pub mod yaml;

pub use report::Report;
pub use tree::{TreeLayout, YamlTree};
