//! The v2.1 `devops` row schema: which tables and columns the tool reads, and how one row's
//! values (in column order) become a v2.1 record.
//!
//! The one owner of this schema for every reader of the database (the `mysqldump` reader in
//! `ksdm-source` and the live reader `ksdm-source-mysql`), so that both produce the very same
//! records for the same row. The column order is the model's field order (`docs/v21-sources.md`).

use crate::v21::{CredentialMeta, Membership, Project};

/// A v2.1 table as the tool reads it: its name, the columns the model needs in model order, and
/// a trailing column read only when the table has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSchema {
    /// Table name in the `devops` database.
    pub name: &'static str,
    /// Required columns, in model field order.
    pub columns: &'static [&'static str],
    /// A column read only when present (`project.workspace`, added by the V0_3 migration).
    pub optional: Option<&'static str>,
}

impl TableSchema {
    /// Every column the model can take, in order (the required ones, then the optional one).
    pub fn all_columns(&self) -> impl Iterator<Item = &'static str> {
        self.columns.iter().copied().chain(self.optional)
    }
}

/// `devops.project` (V0_1, plus `workspace` from V0_3).
pub const PROJECT: TableSchema = TableSchema {
    name: "project",
    columns: &[
        "project_id",
        "name",
        "description",
        "creator",
        "create_time",
        "status",
        "visibility",
        "extra",
    ],
    optional: Some("workspace"),
};

/// `devops.project_membership` (V0_1).
pub const MEMBERSHIP: TableSchema = TableSchema {
    name: "project_membership",
    columns: &["username", "project_id", "role", "status", "grant_by"],
    optional: None,
};

/// `devops.project_credential` (V0_2).
pub const CREDENTIAL: TableSchema = TableSchema {
    name: "project_credential",
    columns: &[
        "project_id",
        "credential_id",
        "domain",
        "creator",
        "create_time",
    ],
    optional: None,
};

/// The three tables, in reading order.
pub const TABLES: [&TableSchema; 3] = [&PROJECT, &MEMBERSHIP, &CREDENTIAL];

/// Whether `column` holds a time (`TIMESTAMP`/`DATETIME` in the schema; read as text).
pub fn is_time_column(column: &str) -> bool {
    column == "create_time"
}

/// A `project` row from its values in column order: `project_id`, `name`, `description`,
/// `creator`, `create_time`, `status`, `visibility`, `extra`, then `workspace`, which is read
/// only when `has_workspace` (otherwise the record's `workspace` is `None` and any further value
/// is ignored). A missing value is `""`.
pub fn project_from_values(
    values: impl IntoIterator<Item = String>,
    has_workspace: bool,
) -> Project {
    let mut it = values.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Project {
        project_id: next(),
        name: next(),
        description: next(),
        creator: next(),
        create_time: next(),
        status: next(),
        visibility: next(),
        extra: next(),
        workspace: has_workspace.then(next),
    }
}

/// A `project_membership` row from its values in column order: `username`, `project_id`, `role`,
/// `status`, `grant_by`. A missing value is `""`; further values are ignored.
pub fn membership_from_values(values: impl IntoIterator<Item = String>) -> Membership {
    let mut it = values.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Membership {
        username: next(),
        project_id: next(),
        role: next(),
        status: next(),
        grant_by: next(),
    }
}

/// A `project_credential` row from its values in column order: `project_id`, `credential_id`,
/// `domain`, `creator`, `create_time`. A missing value is `""`; further values are ignored.
pub fn credential_meta_from_values(values: impl IntoIterator<Item = String>) -> CredentialMeta {
    let mut it = values.into_iter();
    let mut next = || it.next().unwrap_or_default();
    CredentialMeta {
        project_id: next(),
        credential_id: next(),
        domain: next(),
        creator: next(),
        create_time: next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_string()).collect()
    }

    #[test]
    fn project_takes_workspace_only_when_the_column_exists() {
        let row = texts(&[
            "p-1",
            "n",
            "d",
            "admin",
            "2020-01-02 03:04:05",
            "active",
            "private",
            "",
            "ws",
        ]);
        let with = project_from_values(row.clone(), true);
        assert_eq!(with.project_id, "p-1");
        assert_eq!(with.create_time, "2020-01-02 03:04:05");
        assert_eq!(with.extra, "");
        assert_eq!(with.workspace.as_deref(), Some("ws"));
        let without = project_from_values(row, false);
        assert_eq!(without.workspace, None);
        assert_eq!(without.status, "active");
    }

    #[test]
    fn missing_values_are_empty_and_extra_values_ignored() {
        let p = project_from_values(texts(&["p-1"]), true);
        assert_eq!(p.name, "");
        assert_eq!(p.workspace.as_deref(), Some(""));
        let m = membership_from_values(texts(&["u", "p", "owner", "active", "admin", "surplus"]));
        assert_eq!(
            m,
            Membership {
                username: "u".into(),
                project_id: "p".into(),
                role: "owner".into(),
                status: "active".into(),
                grant_by: "admin".into(),
            }
        );
        let c = credential_meta_from_values(texts(&["p", "cred"]));
        assert_eq!(c.credential_id, "cred");
        assert_eq!(c.domain, "");
        assert_eq!(c.create_time, "");
    }
}
