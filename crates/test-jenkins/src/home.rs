//! The `jenkins_home` the double serves: which items exist, their `_class`, their children and
//! their `config.xml`, resolved the way Jenkins 2.176 resolves item URLs.
//!
//! * An item is a directory with a `config.xml` (Jenkins loads nothing else). Top-level items
//!   are under `jobs/`; a container's children under `<item>/jobs/`; a multibranch project's
//!   branch jobs under `<item>/branches/` (listed as its `jobs`, as Jenkins does).
//! * `_class` comes from the root element name of `config.xml`, XStream-unescaped:
//!   `flow-definition` → `org.jenkinsci.plugins.workflow.job.WorkflowJob`, `project` →
//!   `hudson.model.FreeStyleProject`, any dotted class name (folders, multibranch projects) as
//!   itself. The root element is found by a lenient scan, so a damaged file is still listed.
//! * Names are matched exactly first, then case-insensitively (Jenkins' item maps ignore case).
//! * Listings are in Jenkins' order: case-insensitive by name.

use std::path::{Path, PathBuf};

use ksdm_jenkins_xml::dom::unescape_xstream_name;

/// `_class` of a cloudbees-folder folder.
pub const FOLDER_CLASS: &str = "com.cloudbees.hudson.plugins.folder.Folder";
/// `_class` of a pipeline (`flow-definition`).
pub const WORKFLOW_JOB_CLASS: &str = "org.jenkinsci.plugins.workflow.job.WorkflowJob";
/// `_class` of a freestyle job (`project`).
pub const FREESTYLE_CLASS: &str = "hudson.model.FreeStyleProject";
/// `_class` of the Jenkins root.
pub const ROOT_CLASS: &str = "hudson.model.Hudson";

/// One item found in the home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Name as stored (directory name).
    pub name: String,
    /// `_class`.
    pub class: String,
    /// The item directory.
    pub dir: PathBuf,
}

impl Item {
    /// The item's `config.xml` path.
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.xml")
    }

    /// True for multibranch projects (children are generated branches under `branches/`).
    pub fn is_multibranch(&self) -> bool {
        self.class.ends_with("MultiBranchProject")
    }

    /// Where the children live, or `None` when the item is not a container (no `jobs` in its
    /// JSON).
    pub fn children_dir(&self) -> Option<PathBuf> {
        if self.is_multibranch() {
            return Some(self.dir.join("branches"));
        }
        let jobs = self.dir.join("jobs");
        (self.class == FOLDER_CLASS || self.class.ends_with("OrganizationFolder") || jobs.is_dir())
            .then_some(jobs)
    }
}

/// The items directly in `dir` (a `jobs/` or `branches/` directory), in Jenkins' order.
pub fn items_in(dir: &Path) -> Vec<Item> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut items: Vec<Item> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            load(&e.path(), name)
        })
        .collect();
    items.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.name.cmp(&b.name))
    });
    items
}

/// The top-level items of the home.
pub fn top_level(home: &Path) -> Vec<Item> {
    items_in(&home.join("jobs"))
}

/// Resolves an item path (`["p", "j"]` for `/job/p/job/j/`); `None` when any step is missing.
pub fn resolve(home: &Path, names: &[String]) -> Option<Item> {
    let mut found: Option<Item> = None;
    for name in names {
        let container = match &found {
            None => home.join("jobs"),
            Some(parent) => parent.children_dir()?,
        };
        found = Some(find(&container, name)?);
    }
    found
}

fn find(dir: &Path, name: &str) -> Option<Item> {
    if let Some(item) = load(&dir.join(name), name.to_owned()) {
        return Some(item);
    }
    let lower = name.to_lowercase();
    items_in(dir)
        .into_iter()
        .find(|i| i.name.to_lowercase() == lower)
}

fn load(dir: &Path, name: String) -> Option<Item> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return None;
    }
    let bytes = std::fs::read(dir.join("config.xml")).ok()?;
    Some(Item {
        name,
        class: class_of(&bytes),
        dir: dir.to_path_buf(),
    })
}

/// `_class` from a `config.xml`'s root element name.
pub fn class_of(config: &[u8]) -> String {
    let root = root_element_name(config).unwrap_or_default();
    match root.as_str() {
        "flow-definition" => WORKFLOW_JOB_CLASS.to_owned(),
        "project" => FREESTYLE_CLASS.to_owned(),
        "matrix-project" => "hudson.matrix.MatrixProject".to_owned(),
        "maven2-moduleset" => "hudson.maven.MavenModuleSet".to_owned(),
        other => unescape_xstream_name(other),
    }
}

/// The first element name after the prolog (declaration, comments, DOCTYPE, BOM).
fn root_element_name(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        let start = rest.find('<')?;
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = &after[after.find('>')? + 1..];
        } else {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .collect();
            return (!name.is_empty()).then_some(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_from_root_elements() {
        assert_eq!(
            class_of(b"<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"x\"/>"),
            WORKFLOW_JOB_CLASS
        );
        assert_eq!(
            class_of(
                b"<?xml version=\"1.1\"?><!-- c --><com.cloudbees.hudson.plugins.folder.Folder>"
            ),
            FOLDER_CLASS
        );
        assert_eq!(class_of(b"<project>"), FREESTYLE_CLASS);
        assert_eq!(
            class_of(b"<org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject plugin=\"workflow-multibranch@2.21\">"),
            "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"
        );
        assert_eq!(class_of(b"<a.B__c_-D>"), "a.B_c$D");
        assert_eq!(class_of(b"not xml"), "");
    }

    #[test]
    fn resolves_case_insensitively_and_through_folders() {
        let home = tempfile::tempdir().unwrap();
        let p = home.path().join("jobs/Proj");
        std::fs::create_dir_all(p.join("jobs/pipe 1")).unwrap();
        std::fs::write(
            p.join("config.xml"),
            "<com.cloudbees.hudson.plugins.folder.Folder/>",
        )
        .unwrap();
        std::fs::write(p.join("jobs/pipe 1/config.xml"), "<flow-definition/>").unwrap();
        std::fs::create_dir_all(home.path().join("jobs/no-config")).unwrap();
        let names: Vec<_> = top_level(home.path()).into_iter().map(|i| i.name).collect();
        assert_eq!(names, ["Proj"]);
        let item = resolve(home.path(), &["proj".into(), "PIPE 1".into()]).unwrap();
        assert_eq!(item.name, "pipe 1");
        assert_eq!(item.class, WORKFLOW_JOB_CLASS);
        assert!(resolve(home.path(), &["Proj".into(), "pipe 1".into(), "x".into()]).is_none());
        assert!(resolve(home.path(), &["..".into()]).is_none());
    }
}
