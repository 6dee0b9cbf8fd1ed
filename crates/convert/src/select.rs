//! Project selection (`--only`, `--exclude`): the "partial migration" plan.

use ksdm_model::v21::Project;

/// A project selector: `id:X`, `name:X`, `workspace:X`, or a bare `X` that matches any of the
/// three. Ids match case-insensitively (Jenkins folder lookup is case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Project id.
    Id(String),
    /// Display name.
    Name(String),
    /// Workspace.
    Workspace(String),
    /// Id, name or workspace.
    Any(String),
}

impl Selector {
    /// Parses `kind:value` or a bare value.
    pub fn parse(s: &str) -> Selector {
        match s.split_once(':') {
            Some(("id", v)) => Selector::Id(v.to_string()),
            Some(("name", v)) => Selector::Name(v.to_string()),
            Some(("workspace", v)) | Some(("ws", v)) => Selector::Workspace(v.to_string()),
            _ => Selector::Any(s.to_string()),
        }
    }

    /// Whether the project matches.
    pub fn matches(&self, p: &Project) -> bool {
        let ws = p.workspace.as_deref().unwrap_or("");
        match self {
            Selector::Id(v) => p.project_id.eq_ignore_ascii_case(v),
            Selector::Name(v) => p.name == *v,
            Selector::Workspace(v) => ws == v,
            Selector::Any(v) => p.project_id.eq_ignore_ascii_case(v) || p.name == *v || ws == v,
        }
    }
}

/// Which projects a run migrates: all, or those matching `only`, minus those matching `exclude`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// If non-empty, only projects matching one of these.
    pub only: Vec<Selector>,
    /// Projects matching one of these are left out.
    pub exclude: Vec<Selector>,
}

impl Selection {
    /// Whether the project is selected.
    pub fn includes(&self, p: &Project) -> bool {
        (self.only.is_empty() || self.only.iter().any(|s| s.matches(p)))
            && !self.exclude.iter().any(|s| s.matches(p))
    }

    /// True when every project is selected.
    pub fn is_all(&self) -> bool {
        self.only.is_empty() && self.exclude.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(id: &str, name: &str, ws: &str) -> Project {
        Project {
            project_id: id.into(),
            name: name.into(),
            description: String::new(),
            creator: "admin".into(),
            create_time: String::new(),
            status: "active".into(),
            visibility: "private".into(),
            extra: String::new(),
            workspace: Some(ws.into()),
        }
    }

    #[test]
    fn selectors() {
        let p = project("project-AbC", "demo", "ws1");
        assert!(Selector::parse("id:project-abc").matches(&p));
        assert!(Selector::parse("name:demo").matches(&p));
        assert!(Selector::parse("workspace:ws1").matches(&p));
        assert!(Selector::parse("ws1").matches(&p));
        assert!(!Selector::parse("name:ws1").matches(&p));
        let sel = Selection {
            only: vec![Selector::parse("ws1")],
            exclude: vec![Selector::parse("demo")],
        };
        assert!(!sel.includes(&p));
        assert!(Selection::default().includes(&p));
    }
}
