//! The item list answers of `GET …/api/json?tree=jobs[name,_class]` and which items have
//! children that count as a project's jobs.

use serde::Deserialize;

/// A Jenkins item as listed by its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRef {
    /// Item name (case as stored).
    pub name: String,
    /// Java class from `_class` (e.g. `com.cloudbees.hudson.plugins.folder.Folder`); empty when
    /// Jenkins did not send one.
    pub class: String,
}

/// `_class` of a cloudbees-folder folder (a KubeSphere v2.1 project).
pub const FOLDER_CLASS: &str = ksdm_jenkins_xml::class::item::FOLDER;
/// `_class` of a pipeline job.
pub const WORKFLOW_JOB_CLASS: &str = ksdm_jenkins_xml::class::item::WORKFLOW_JOB;
/// `_class` of a freestyle job.
pub const FREESTYLE_CLASS: &str = ksdm_jenkins_xml::class::item::FREESTYLE;

impl ItemRef {
    /// Whether the item's children are read as the folder's jobs.
    ///
    /// Offline, a top-level item's jobs are the items stored under `jobs/<name>/jobs/`. Online
    /// the same set is the item's `jobs` list, except for multibranch projects (any class whose
    /// name ends in `MultiBranchProject`): Jenkins lists their generated branch jobs there, which
    /// are stored under `branches/` and are not KubeSphere data. Plain jobs have no children, so
    /// they are not asked.
    pub fn has_job_children(&self) -> bool {
        !(self.class.ends_with("MultiBranchProject")
            || self.class == WORKFLOW_JOB_CLASS
            || self.class == FREESTYLE_CLASS)
    }
}

#[derive(Deserialize)]
struct ListAnswer {
    #[serde(default)]
    jobs: Option<Vec<ListedItem>>,
}

#[derive(Deserialize)]
struct ListedItem {
    name: Option<String>,
    #[serde(default, rename = "_class")]
    class: Option<String>,
}

/// Parses a listing into items sorted by name (byte order, like the offline reader); an answer
/// without `jobs` (an item that is not a container) is an empty list. The error text never
/// quotes the body.
pub(crate) fn parse_listing(body: &[u8]) -> Result<Vec<ItemRef>, String> {
    let answer: ListAnswer = serde_json::from_slice(body).map_err(|e| {
        format!(
            "not an item list JSON object (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let mut items = Vec::new();
    for (index, listed) in answer.jobs.unwrap_or_default().into_iter().enumerate() {
        let Some(name) = listed.name.filter(|n| !n.is_empty()) else {
            return Err(format!("item #{index} of the list has no name"));
        };
        items.push(ItemRef {
            name,
            class: listed.class.unwrap_or_default(),
        });
    }
    items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_is_sorted_by_bytes_and_missing_jobs_is_empty() {
        let body = br#"{"_class":"hudson.model.Hudson","jobs":[
            {"_class":"com.cloudbees.hudson.plugins.folder.Folder","name":"b"},
            {"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob","name":"B"},
            {"_class":"com.cloudbees.hudson.plugins.folder.Folder","name":"a"}]}"#;
        let names: Vec<_> = parse_listing(body)
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, ["B", "a", "b"]);
        assert!(
            parse_listing(br#"{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob"}"#)
                .unwrap()
                .is_empty()
        );
        assert!(parse_listing(br#"{"jobs":[{"_class":"x"}]}"#).is_err());
        assert!(parse_listing(b"<html>").is_err());
    }

    #[test]
    fn which_items_have_job_children() {
        let item = |class: &str| ItemRef {
            name: "x".into(),
            class: class.into(),
        };
        assert!(item(FOLDER_CLASS).has_job_children());
        assert!(item("jenkins.branch.OrganizationFolder").has_job_children());
        assert!(item("").has_job_children());
        assert!(
            !item("org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject")
                .has_job_children()
        );
        assert!(!item(WORKFLOW_JOB_CLASS).has_job_children());
        assert!(!item(FREESTYLE_CLASS).has_job_children());
    }
}
