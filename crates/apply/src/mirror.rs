//! The journal in the cluster: what a [`ConfigMapMirror`] stores and how it is read back.
//!
//! Layout, in the mirror's namespace:
//!
//! * ConfigMap `<name>`: `run-id` (the last run) and one key `project.<project>` per project with
//!   `{run_id, project, status, message}` as JSON — a progress overview for people.
//! * ConfigMap `<name>-<project>` per project (when that is not a valid name of at most 253
//!   characters: `<name>-<first 16 hex digits of SHA-256(project)>`), labelled
//!   `app.kubernetes.io/name=ks-devops-migrate` and `ks-devops-migrate/journal=<name>` (or, when
//!   `<name>` is no valid label value, `h<16 hex digits of SHA-256(name)>`). Keys: `project`,
//!   `run-id` and `entries`: a JSON object mapping each object key to the latest run that left it
//!   in place, `{"r": run id, "d": digest, "a": action, "v": resourceVersion}`. Each run merges
//!   its entries over the stored ones, so the map only grows with the project's objects (about
//!   150 bytes each). The `entries` value is kept under [`ENTRIES_BUDGET`] bytes (ConfigMaps
//!   hold at most 1 MiB); entries beyond it (in key order) are left out and reported — a rerun in
//!   a new pod compares those objects instead, and would recreate them if deleted meanwhile.
//!
//! One pod handles a project (shards split by project), so the per-project ConfigMaps are not
//! contended; writes are still get + replace with bounded retries on 409. A run loads every
//! per-project ConfigMap of the mirror with one labelled list ([`load_mirror`]) and writes a
//! project's ConfigMap every [`FLUSH_EVERY`] objects and when the project ends ([`flush_project`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::cluster::Cluster;
use crate::error::ClusterError;
use crate::journal::{ConfigMapMirror, Journal, JournalEntry};
use crate::report::{Action, ProjectResult};

/// Label on the per-project ConfigMaps naming the mirror they belong to.
pub const JOURNAL_LABEL: &str = "ks-devops-migrate/journal";

/// Largest `entries` value (bytes) written into one per-project ConfigMap.
pub const ENTRIES_BUDGET: usize = 900 * 1024;

/// A project's ConfigMap is written after this many of its objects (and at its end).
pub const FLUSH_EVERY: usize = 20;

const APP_LABEL: (&str, &str) = ("app.kubernetes.io/name", "ks-devops-migrate");

/// The JSON stored per project in the status ConfigMap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirroredProject {
    /// Run id.
    pub run_id: String,
    /// The project's result.
    #[serde(flatten)]
    pub result: ProjectResult,
}

/// One entry in a per-project ConfigMap (short field names: the map is size-bound).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CompactEntry {
    #[serde(rename = "r")]
    run_id: String,
    #[serde(rename = "d")]
    digest: String,
    #[serde(rename = "a")]
    result: Action,
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    resource_version: Option<String>,
}

impl CompactEntry {
    fn of(entry: &JournalEntry) -> Self {
        CompactEntry {
            run_id: entry.run_id.clone(),
            digest: entry.digest.clone(),
            result: entry.result,
            resource_version: entry.resource_version.clone(),
        }
    }
    fn into_entry(self, key: String) -> JournalEntry {
        JournalEntry {
            run_id: self.run_id,
            key,
            digest: self.digest,
            result: self.result,
            resource_version: self.resource_version,
        }
    }
}

fn hash16(text: &str) -> String {
    let mut h = hex::encode(Sha256::digest(text.as_bytes()));
    h.truncate(16);
    h
}

/// Whether `name` is a DNS-1123 subdomain (the rule for ConfigMap names).
fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Name of the ConfigMap holding `project`'s entries for the mirror named `base`.
pub fn project_configmap_name(base: &str, project: &str) -> String {
    let plain = format!("{base}-{project}");
    if is_dns_subdomain(&plain) {
        return plain;
    }
    let mut prefix: String = base.chars().take(253 - 17).collect();
    while prefix.ends_with(['-', '.']) {
        prefix.pop();
    }
    if prefix.is_empty() {
        prefix = "ks-devops-migrate-journal".into();
    }
    format!("{prefix}-{}", hash16(project))
}

/// The [`JOURNAL_LABEL`] value of the per-project ConfigMaps of the mirror named `base`.
pub fn journal_label_value(base: &str) -> String {
    let valid = !base.is_empty()
        && base.len() <= 63
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && base.starts_with(|c: char| c.is_ascii_alphanumeric())
        && base.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        base.to_string()
    } else {
        format!("h{}", hash16(base))
    }
}

fn parse_entries(text: &str) -> Result<BTreeMap<String, CompactEntry>, serde_json::Error> {
    serde_json::from_str(text)
}

/// Serialises `entries` in key order, leaving out what does not fit into [`ENTRIES_BUDGET`].
/// Returns the JSON and the number of entries left out.
fn encode_entries(
    entries: &BTreeMap<String, CompactEntry>,
    budget: usize,
) -> Result<(String, usize), serde_json::Error> {
    let mut used = 2; // {}
    let mut kept = BTreeMap::new();
    for (key, entry) in entries {
        let size = serde_json::to_string(key)?.len() + serde_json::to_string(entry)?.len() + 2; // : and ,
        if used + size > budget {
            break;
        }
        used += size;
        kept.insert(key, entry);
    }
    Ok((serde_json::to_string(&kept)?, entries.len() - kept.len()))
}

/// Reads every per-project ConfigMap of `journal`'s mirror into the journal. Returns the number
/// of entries loaded (0 without a mirror). An unreadable ConfigMap is skipped with a warning.
pub async fn load_mirror(cluster: &Cluster, journal: &Journal) -> Result<usize, ClusterError> {
    let Some(mirror) = journal.mirror() else {
        return Ok(0);
    };
    let api: Api<ConfigMap> = Api::namespaced(cluster.client().clone(), &mirror.namespace);
    let lp = ListParams::default().labels(&format!(
        "{JOURNAL_LABEL}={}",
        journal_label_value(&mirror.name)
    ));
    let list = cluster
        .retry()
        .run("list journal configmaps", || api.list(&lp))
        .await?;
    let mut loaded = 0;
    for cm in list.items {
        let name = cm.metadata.name.clone().unwrap_or_default();
        let Some(text) = cm.data.as_ref().and_then(|d| d.get("entries")) else {
            continue;
        };
        match parse_entries(text) {
            Ok(map) => {
                loaded += map.len();
                journal.add_mirrored(map.into_iter().map(|(key, e)| e.into_entry(key)));
            }
            Err(e) => {
                tracing::warn!(configmap = %name, namespace = %mirror.namespace, error = %e, "ignoring an unreadable journal ConfigMap")
            }
        }
    }
    Ok(loaded)
}

/// Merges this run's done entries of `project` over those stored in its ConfigMap. Returns the
/// number of entries left out because the ConfigMap would grow too large.
pub async fn flush_project(
    cluster: &Cluster,
    journal: &Journal,
    project: &str,
    run_id: &str,
) -> Result<usize, ClusterError> {
    let Some(mirror) = journal.mirror() else {
        return Ok(0);
    };
    let entries = journal.take_unflushed(project);
    let name = project_configmap_name(&mirror.name, project);
    let labels = BTreeMap::from([
        (APP_LABEL.0.to_string(), APP_LABEL.1.to_string()),
        (JOURNAL_LABEL.to_string(), journal_label_value(&mirror.name)),
    ]);
    let edit = |data: &mut BTreeMap<String, String>| -> Result<usize, ClusterError> {
        let mut map = match data.get("entries").map(|t| parse_entries(t)) {
            Some(Ok(map)) => map,
            Some(Err(e)) => {
                tracing::warn!(configmap = %name, error = %e, "the stored journal entries are unreadable: replaced by this run's");
                BTreeMap::new()
            }
            None => BTreeMap::new(),
        };
        for entry in &entries {
            map.insert(entry.key.clone(), CompactEntry::of(entry));
        }
        let (json, left_out) = encode_entries(&map, ENTRIES_BUDGET).map_err(|e| {
            ClusterError::Other(format!(
                "cannot serialise the journal entries of project {project}: {e}"
            ))
        })?;
        data.insert("project".into(), project.to_string());
        data.insert("run-id".into(), run_id.to_string());
        data.insert("entries".into(), json);
        Ok(left_out)
    };
    upsert(cluster, &mirror.namespace, &name, &labels, edit).await?
}

/// Writes one project's result into the status ConfigMap.
pub async fn mirror_project(
    cluster: &Cluster,
    mirror: &ConfigMapMirror,
    run_id: &str,
    result: &ProjectResult,
) -> Result<(), ClusterError> {
    let value = serde_json::to_string(&MirroredProject {
        run_id: run_id.to_string(),
        result: result.clone(),
    })
    .map_err(|e| {
        ClusterError::Other(format!(
            "cannot serialise the progress of project {}: {e}",
            result.project
        ))
    })?;
    let key = format!("project.{}", result.project);
    upsert(
        cluster,
        &mirror.namespace,
        &mirror.name,
        &BTreeMap::new(),
        |data| {
            data.insert("run-id".into(), run_id.to_string());
            data.insert(key.clone(), value.clone());
        },
    )
    .await
}

/// Creates ConfigMap `name` or replaces it after `edit` changed its data (get + replace, bounded
/// retries on 409). `labels` are added on create and kept on replace.
async fn upsert<T>(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    labels: &BTreeMap<String, String>,
    mut edit: impl FnMut(&mut BTreeMap<String, String>) -> T,
) -> Result<T, ClusterError> {
    let api: Api<ConfigMap> = Api::namespaced(cluster.client().clone(), namespace);
    let pp = PostParams::default();
    let mut last = ClusterError::Other(format!("ConfigMap {namespace}/{name}: no attempt"));
    for _ in 0..5 {
        let existing = cluster
            .retry()
            .run("get configmap", || api.get_opt(name))
            .await?;
        let creating = existing.is_none();
        let mut cm = existing.unwrap_or_default();
        cm.metadata.name = Some(name.to_string());
        if !labels.is_empty() {
            let have = cm.metadata.labels.get_or_insert_with(Default::default);
            for (k, v) in labels {
                have.insert(k.clone(), v.clone());
            }
        }
        let out = edit(cm.data.get_or_insert_with(Default::default));
        let written = if creating {
            cluster
                .retry()
                .run("create configmap", || api.create(&pp, &cm))
                .await
        } else {
            cluster
                .retry()
                .run("replace configmap", || api.replace(name, &pp, &cm))
                .await
        };
        match written {
            Ok(_) => return Ok(out),
            Err(e) if e.is_conflict() || e.is_already_exists() => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configmap_names_are_valid_and_stable() {
        assert_eq!(
            project_configmap_name("ksdm-journal", "p1"),
            "ksdm-journal-p1"
        );
        let odd = project_configmap_name("ksdm-journal", "Proj_1");
        assert!(
            odd.starts_with("ksdm-journal-") && odd.len() == "ksdm-journal-".len() + 16,
            "{odd}"
        );
        assert_eq!(odd, project_configmap_name("ksdm-journal", "Proj_1"));
        assert_ne!(odd, project_configmap_name("ksdm-journal", "Proj_2"));
        let long = project_configmap_name(&"a".repeat(250), "p1");
        assert!(long.len() <= 253 && is_dns_subdomain(&long), "{long}");
        assert_eq!(journal_label_value("ksdm-journal"), "ksdm-journal");
        let hashed = journal_label_value(&"b".repeat(64));
        assert!(hashed.starts_with('h') && hashed.len() == 17);
    }

    #[test]
    fn entries_beyond_the_budget_are_left_out_in_key_order() {
        let entry = CompactEntry {
            run_id: "r".into(),
            digest: "d".repeat(64),
            result: Action::Create,
            resource_version: Some("1".into()),
        };
        let map: BTreeMap<String, CompactEntry> = (0..100)
            .map(|i| (format!("Secret/p/s{i:03}"), entry.clone()))
            .collect();
        let (all, left_out) = encode_entries(&map, ENTRIES_BUDGET).unwrap();
        assert_eq!(left_out, 0);
        assert_eq!(parse_entries(&all).unwrap(), map);
        let (some, left_out) = encode_entries(&map, 1000).unwrap();
        assert!(some.len() <= 1000, "{}", some.len());
        let kept = parse_entries(&some).unwrap();
        assert_eq!(kept.len() + left_out, 100);
        assert!(kept.contains_key("Secret/p/s000") && !kept.contains_key("Secret/p/s099"));
    }
}
