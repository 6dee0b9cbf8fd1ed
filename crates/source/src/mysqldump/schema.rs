//! The three kept tables, their column layouts and per-database buckets of rows.

use super::*;

// ---------------------------------------------------------------------------------------------
// Tables

/// The three `devops` tables this reader keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Table {
    Project,
    Membership,
    Credential,
}

/// `project` columns in model order, the optional `workspace` last.
pub(super) const PROJECT_COLUMNS: [&str; 9] = {
    let c = v21_rows::PROJECT.columns;
    [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], "workspace"]
};
pub(super) const MEMBERSHIP_COLUMNS: &[&str] = v21_rows::MEMBERSHIP.columns;
pub(super) const CREDENTIAL_COLUMNS: &[&str] = v21_rows::CREDENTIAL.columns;

impl Table {
    pub(super) fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case(v21_rows::PROJECT.name) {
            Some(Self::Project)
        } else if name.eq_ignore_ascii_case(v21_rows::MEMBERSHIP.name) {
            Some(Self::Membership)
        } else if name.eq_ignore_ascii_case(v21_rows::CREDENTIAL.name) {
            Some(Self::Credential)
        } else {
            None
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Project => v21_rows::PROJECT.name,
            Self::Membership => v21_rows::MEMBERSHIP.name,
            Self::Credential => v21_rows::CREDENTIAL.name,
        }
    }

    pub(super) fn index(self) -> usize {
        match self {
            Self::Project => 0,
            Self::Membership => 1,
            Self::Credential => 2,
        }
    }

    /// The fields the model needs, in model order (for `project` incl. the optional workspace).
    pub(super) fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Project => &PROJECT_COLUMNS,
            Self::Membership => MEMBERSHIP_COLUMNS,
            Self::Credential => CREDENTIAL_COLUMNS,
        }
    }

    /// The known v2.1 column order for a row of `count` values, if it fits.
    pub(super) fn default_layout(self, count: usize) -> Option<Vec<String>> {
        let cols: &[&str] = match (self, count) {
            (Self::Project, 9) => &PROJECT_COLUMNS,
            (Self::Project, 8) => &PROJECT_COLUMNS[..8],
            (Self::Membership, 5) => MEMBERSHIP_COLUMNS,
            (Self::Credential, 5) => CREDENTIAL_COLUMNS,
            _ => return None,
        };
        Some(cols.iter().map(|c| (*c).to_string()).collect())
    }
}

/// Rows and layouts of one database.
#[derive(Default)]
pub(super) struct Bucket {
    /// Column names from `CREATE TABLE`, per table.
    pub(super) ddl: [Option<Vec<String>>; 3],
    /// Whether the table occurs (DDL or INSERT), per table.
    pub(super) seen: [bool; 3],
    pub(super) data: MysqlData,
    pub(super) issues: Vec<DumpIssue>,
    pub(super) nulls: HashMap<(Table, &'static str), (u64, u64)>,
    pub(super) missing_reported: HashSet<(Table, &'static str)>,
}

/// Where each column of a layout goes in the table's model fields.
pub(super) struct FieldMap {
    /// Number of columns of the layout.
    pub(super) width: usize,
    /// Per layout column: index into [`Table::fields`], or `None` for an unknown column.
    pub(super) targets: Vec<Option<usize>>,
    /// Whether the layout has `project.workspace`.
    pub(super) has_workspace: bool,
}

impl FieldMap {
    pub(super) fn new(table: Table, layout: &[String]) -> Self {
        let targets = layout
            .iter()
            .map(|col| table.fields().iter().position(|f| f == col))
            .collect();
        Self {
            width: layout.len(),
            targets,
            has_workspace: table == Table::Project && layout.iter().any(|c| c == "workspace"),
        }
    }
}

impl Bucket {
    pub(super) fn store_row(
        &mut self,
        table: Table,
        map: &FieldMap,
        row: Vec<Result<Option<String>, String>>,
        offset: u64,
    ) {
        let mut vals: Vec<Option<String>> = vec![None; table.fields().len()];
        for (target, v) in map.targets.iter().zip(row) {
            let Some(fi) = *target else { continue };
            let field = table.fields()[fi];
            let text = match v {
                Ok(Some(s)) => s,
                Ok(None) => {
                    let e = self.nulls.entry((table, field)).or_insert((0, offset));
                    e.0 += 1;
                    String::new()
                }
                Err(what) => {
                    self.issues.push(DumpIssue {
                        kind: DumpIssueKind::UnexpectedValue,
                        table: Some(table.name().into()),
                        offset,
                        detail: format!("column `{field}` holds a non-literal value ({what}); read as empty string"),
                    });
                    String::new()
                }
            };
            vals[fi] = Some(text);
        }
        let has_ws = map.has_workspace;
        for (fi, field) in table.fields().iter().enumerate() {
            if vals[fi].is_none()
                && !(table == Table::Project && *field == "workspace")
                && self.missing_reported.insert((table, field))
            {
                self.issues.push(DumpIssue {
                    kind: DumpIssueKind::MissingColumn,
                    table: Some(table.name().into()),
                    offset,
                    detail: format!("column `{field}` is missing; read as empty string"),
                });
            }
        }
        let values = vals.into_iter().map(Option::unwrap_or_default);
        match table {
            Table::Project => {
                if has_ws {
                    self.data.has_workspace_column = true;
                }
                self.data.projects.push(project_from_values(values, has_ws));
            }
            Table::Membership => self.data.memberships.push(membership_from_values(values)),
            Table::Credential => self
                .data
                .credentials
                .push(credential_meta_from_values(values)),
        }
    }
}
