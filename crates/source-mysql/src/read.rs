//! Reading the rows of the three tables into [`MysqlData`], in primary-key order, inside one
//! consistent snapshot.

use std::collections::BTreeMap;

use ksdm_model::v21::MysqlData;
use ksdm_model::v21_rows::{
    credential_meta_from_values, membership_from_values, project_from_values,
};
use sqlx::mysql::MySqlConnection;

use crate::error::MysqlError;
use crate::query::{execute, fetch_raw_rows, Ctx, RawRow};
use crate::schema::TablePlan;
use ksdm_model::v21_rows::{CREDENTIAL, MEMBERSHIP, PROJECT};

/// Rows read from a live database and the warnings found on the way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveRead {
    /// The rows, as the dump reader produces them for a `mysqldump` of the same database.
    pub data: MysqlData,
    /// Warnings that do not stop the read (e.g. `NULL` values read as `""`), one sentence each.
    pub warnings: Vec<String>,
}

/// Reads every planned table inside `START TRANSACTION WITH CONSISTENT SNAPSHOT`.
pub(crate) async fn read_tables(
    conn: &mut MySqlConnection,
    ctx: &Ctx<'_>,
    plans: &[TablePlan],
) -> Result<LiveRead, MysqlError> {
    execute(
        conn,
        ctx,
        "START TRANSACTION WITH CONSISTENT SNAPSHOT",
        "starting a read snapshot",
    )
    .await?;
    let mut out = LiveRead::default();
    // (table, column) → NULL count, reported once per column in table order.
    let mut nulls: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (ti, plan) in plans.iter().enumerate() {
        let what = format!("reading table `{}`", plan.table);
        let rows = fetch_raw_rows(conn, ctx, &plan.select_sql(ctx.database), &[], &what).await?;
        tracing::debug!(table = plan.table, rows = rows.len(), "MySQL table read");
        for (ri, row) in rows.into_iter().enumerate() {
            let values = texts(ctx, plan, ri + 1, row, |ci| {
                *nulls.entry((ti, ci)).or_insert(0) += 1
            })?;
            store(&mut out.data, plan, values);
        }
        if plan.table == PROJECT.name {
            out.data.has_workspace_column = plan.has_optional;
        }
    }
    execute(conn, ctx, "COMMIT", "ending the read snapshot").await?;
    for ((ti, ci), count) in nulls {
        if let Some((plan, (column, _))) = plans
            .get(ti)
            .and_then(|p| p.columns.get(ci).map(|c| (p, c)))
        {
            out.warnings.push(format!(
                "table `{}`: {count} NULL value(s) in column `{column}` read as empty string",
                plan.table
            ));
        }
    }
    Ok(out)
}

/// The row's values as text in plan column order; `NULL` becomes `""` (counted by `on_null`).
fn texts(
    ctx: &Ctx<'_>,
    plan: &TablePlan,
    row_number: usize,
    row: RawRow,
    mut on_null: impl FnMut(usize),
) -> Result<Vec<String>, MysqlError> {
    let mut values = Vec::with_capacity(plan.columns.len());
    for (ci, value) in row.into_iter().enumerate() {
        match value {
            None => {
                on_null(ci);
                values.push(String::new());
            }
            Some(bytes) => match String::from_utf8(bytes) {
                Ok(s) => values.push(s),
                Err(_) => {
                    return Err(MysqlError::InvalidText {
                        target: ctx.target.to_string(),
                        table: plan.table.to_string(),
                        column: plan.columns.get(ci).map(|c| c.0).unwrap_or("?").to_string(),
                        row: row_number,
                    })
                }
            },
        }
    }
    Ok(values)
}

/// Appends one row (values in the plan's column order, which is model field order), built as the
/// dump reader builds it.
fn store(data: &mut MysqlData, plan: &TablePlan, values: Vec<String>) {
    if plan.table == PROJECT.name {
        data.projects
            .push(project_from_values(values, plan.has_optional));
    } else if plan.table == MEMBERSHIP.name {
        data.memberships.push(membership_from_values(values));
    } else if plan.table == CREDENTIAL.name {
        data.credentials.push(credential_meta_from_values(values));
    }
}
