//! Paths inside a home: classification, the root marker and checks of caller-given paths.

use super::*;

/// A path inside the home, classified.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Rel {
    MasterKey,
    HudsonSecret,
    /// `jobs/<item>` itself or something below it that is not read.
    Item(String),
    /// `jobs/<item>/config.xml`.
    ItemConfig(String),
    /// `jobs/<item>/jobs/<child>/config.xml`.
    ChildConfig(String, String),
    Other,
}

pub(super) const MASTER_KEY: &str = "secrets/master.key";
pub(super) const HUDSON_SECRET: &str = "secrets/hudson.util.Secret";

pub(super) fn classify(comps: &[&str]) -> Rel {
    match comps {
        ["secrets", "master.key"] => Rel::MasterKey,
        ["secrets", "hudson.util.Secret"] => Rel::HudsonSecret,
        ["jobs", item, "config.xml"] => Rel::ItemConfig((*item).to_string()),
        ["jobs", item, "jobs", child, "config.xml"] => {
            Rel::ChildConfig((*item).to_string(), (*child).to_string())
        }
        ["jobs", item, ..] => Rel::Item((*item).to_string()),
        _ => Rel::Other,
    }
}

/// Splits an archive path into normalised components (`./`, `/` and empty parts dropped).
pub(super) fn components(raw: &str) -> Vec<&str> {
    raw.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// The root prefix this entry reveals, if it is a root marker.
pub(super) fn root_marker(comps: &[&str]) -> Option<Vec<String>> {
    let clean = |p: &[&str]| !p.iter().any(|c| *c == "jobs" || *c == "secrets");
    if let Some(i) = comps.iter().position(|c| *c == "jobs") {
        let rest = &comps[i..];
        let is_config = matches!(
            rest,
            ["jobs", _, "config.xml"] | ["jobs", _, "jobs", _, "config.xml"]
        );
        if is_config && clean(&comps[..i]) {
            return Some(comps[..i].iter().map(|c| (*c).to_string()).collect());
        }
    }
    let n = comps.len();
    if n >= 2
        && comps[n - 2] == "secrets"
        && matches!(comps[n - 1], "master.key" | "hudson.util.Secret")
        && clean(&comps[..n - 2])
    {
        return Some(comps[..n - 2].iter().map(|c| (*c).to_string()).collect());
    }
    None
}

/// Splits and checks a relative path given by a caller.
pub(super) fn checked_rel(rel: &str) -> Result<Vec<&str>, HomeError> {
    let bad = |reason| HomeError::InvalidPath {
        rel: rel.to_string(),
        reason,
    };
    if rel.starts_with('/') || rel.contains('\\') {
        return Err(bad("must be relative with / separators"));
    }
    let comps = components(rel);
    if comps.is_empty() {
        return Err(bad("is empty"));
    }
    if comps.contains(&"..") {
        return Err(bad("must not contain .."));
    }
    Ok(comps)
}
