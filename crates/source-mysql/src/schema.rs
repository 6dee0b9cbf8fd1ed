//! The expected v2.1 tables and what `information_schema` says about them: which columns exist
//! (is there `project.workspace`?), whether their types can be read as text, and the primary key
//! that fixes the row order (the order `mysqldump` writes InnoDB rows in).

use std::collections::HashMap;

use ksdm_model::v21_rows;
use sqlx::mysql::MySqlConnection;

use crate::error::MysqlError;
use crate::query::{fetch_text_rows, Ctx};

/// How a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A character column, read as it is.
    Text,
    /// `create_time`: TIMESTAMP/DATETIME read as text in the UTC session, or a character column.
    Time,
}

impl Kind {
    /// How the live reader selects `column` of the model's schema.
    pub(crate) fn of(column: &str) -> Self {
        if v21_rows::is_time_column(column) {
            Kind::Time
        } else {
            Kind::Text
        }
    }
}

/// The three tables, in reading order (the schema is owned by `ksdm_model::v21_rows`).
pub(crate) use v21_rows::TABLES;

/// Character types (`information_schema.COLUMNS.DATA_TYPE`).
const TEXT_TYPES: &[&str] = &[
    "char",
    "varchar",
    "tinytext",
    "text",
    "mediumtext",
    "longtext",
    "enum",
    "set",
];
/// Temporal types accepted for `create_time`.
const TIME_TYPES: &[&str] = &["timestamp", "datetime"];

/// What the server has for one table, checked against its [`v21_rows::TableSchema`].
#[derive(Debug)]
pub(crate) struct TablePlan {
    /// Table name.
    pub table: &'static str,
    /// `(column, kind)` to select, in model order; the optional column last when present.
    pub columns: Vec<(&'static str, Kind)>,
    /// Whether the optional column exists.
    pub has_optional: bool,
    /// Primary key columns in key order (empty: no primary key, server order).
    pub primary_key: Vec<String>,
}

impl TablePlan {
    /// `SELECT … FROM db.table ORDER BY <primary key>`: every column as text, TIMESTAMP and
    /// DATETIME through `CAST(… AS CHAR)` (the session is UTC, so no conversion happens and the
    /// text is the one `mysqldump` writes).
    pub fn select_sql(&self, database: &str) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|(c, kind)| match kind {
                Kind::Time => format!("CAST(t.{} AS CHAR)", ident(c)),
                Kind::Text => format!("t.{}", ident(c)),
            })
            .collect();
        let mut sql = format!(
            "SELECT {} FROM {}.{} AS t",
            cols.join(", "),
            ident(database),
            ident(self.table)
        );
        if !self.primary_key.is_empty() {
            let keys: Vec<String> = self
                .primary_key
                .iter()
                .map(|k| format!("t.{}", ident(k)))
                .collect();
            sql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
        }
        sql
    }
}

/// A back-quoted identifier.
pub(crate) fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Reads `information_schema` for the three tables and checks them.
pub(crate) async fn plan(
    conn: &mut MySqlConnection,
    ctx: &Ctx<'_>,
) -> Result<Vec<TablePlan>, MysqlError> {
    let names = TABLES
        .iter()
        .map(|t| format!("'{}'", t.name))
        .collect::<Vec<_>>()
        .join(", ");
    let columns_sql = format!(
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ({names}) ORDER BY TABLE_NAME, ORDINAL_POSITION"
    );
    let key_sql = format!(
        "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ({names}) AND INDEX_NAME = 'PRIMARY' \
         ORDER BY TABLE_NAME, SEQ_IN_INDEX"
    );
    let column_rows = fetch_text_rows(
        conn,
        ctx,
        &columns_sql,
        &[ctx.database],
        "reading the table columns",
    )
    .await?;
    let key_rows = fetch_text_rows(
        conn,
        ctx,
        &key_sql,
        &[ctx.database],
        "reading the primary keys",
    )
    .await?;

    // table → column → (DATA_TYPE, COLUMN_TYPE)
    let mut found: HashMap<String, HashMap<String, (String, String)>> = HashMap::new();
    for row in column_rows {
        if let [table, column, data_type, column_type] = &row[..] {
            let v = (
                data_type.clone().unwrap_or_default(),
                column_type.clone().unwrap_or_default(),
            );
            found
                .entry(table.clone().unwrap_or_default())
                .or_default()
                .insert(column.clone().unwrap_or_default(), v);
        }
    }
    let mut keys: HashMap<String, Vec<String>> = HashMap::new();
    for row in key_rows {
        if let [Some(table), Some(column)] = &row[..] {
            keys.entry(table.clone()).or_default().push(column.clone());
        }
    }

    let mut plans = Vec::new();
    for spec in TABLES {
        let Some(cols) = found.get(spec.name) else {
            return Err(MysqlError::MissingTable {
                target: ctx.target.to_string(),
                table: spec.name.to_string(),
            });
        };
        let mut columns = Vec::new();
        for &name in spec.columns {
            let kind = Kind::of(name);
            check_column(ctx, spec.name, name, kind, cols.get(name))?;
            columns.push((name, kind));
        }
        let mut has_optional = false;
        if let Some(name) = spec.optional {
            let kind = Kind::of(name);
            if let Some(t) = cols.get(name) {
                check_column(ctx, spec.name, name, kind, Some(t))?;
                columns.push((name, kind));
                has_optional = true;
            }
        }
        let primary_key = keys.remove(spec.name).unwrap_or_default();
        tracing::debug!(
            table = spec.name,
            ?primary_key,
            has_optional,
            "MySQL table checked"
        );
        plans.push(TablePlan {
            table: spec.name,
            columns,
            has_optional,
            primary_key,
        });
    }
    Ok(plans)
}

fn check_column(
    ctx: &Ctx<'_>,
    table: &str,
    column: &str,
    kind: Kind,
    found: Option<&(String, String)>,
) -> Result<(), MysqlError> {
    let Some((data_type, column_type)) = found else {
        return Err(MysqlError::MissingColumn {
            target: ctx.target.to_string(),
            table: table.to_string(),
            column: column.to_string(),
        });
    };
    let dt = data_type.to_ascii_lowercase();
    let (ok, expected) = match kind {
        Kind::Text => (
            TEXT_TYPES.contains(&dt.as_str()),
            "a character type (VARCHAR, CHAR, TEXT)",
        ),
        Kind::Time => (
            TIME_TYPES.contains(&dt.as_str()) || TEXT_TYPES.contains(&dt.as_str()),
            "TIMESTAMP, DATETIME or a character type",
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(MysqlError::UnexpectedColumnType {
            target: ctx.target.to_string(),
            table: table.to_string(),
            column: column.to_string(),
            found: if column_type.is_empty() {
                data_type.clone()
            } else {
                column_type.clone()
            },
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_casts_times_and_orders_by_the_primary_key() {
        let plan = TablePlan {
            table: "project_credential",
            columns: v21_rows::CREDENTIAL
                .columns
                .iter()
                .map(|c| (*c, Kind::of(c)))
                .collect(),
            has_optional: false,
            primary_key: vec!["project_id".into(), "credential_id".into(), "domain".into()],
        };
        assert_eq!(
            plan.select_sql("dev`ops"),
            "SELECT t.`project_id`, t.`credential_id`, t.`domain`, t.`creator`, CAST(t.`create_time` AS CHAR) \
             FROM `dev``ops`.`project_credential` AS t ORDER BY t.`project_id`, t.`credential_id`, t.`domain`"
        );
    }

    #[test]
    fn select_without_primary_key_has_no_order_by() {
        let plan = TablePlan {
            table: "project",
            columns: vec![("name", Kind::Text)],
            has_optional: false,
            primary_key: vec![],
        };
        assert_eq!(
            plan.select_sql("devops"),
            "SELECT t.`name` FROM `devops`.`project` AS t"
        );
    }
}
