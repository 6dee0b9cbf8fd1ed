//! Running one read-only query with the query timeout and mapping driver errors.

use std::time::Duration;

use sqlx::mysql::MySqlConnection;
use sqlx::{AssertSqlSafe, Row};

use crate::error::MysqlError;
use crate::options::Target;

/// What every query needs to report errors: the server and database, and the timeout.
pub(crate) struct Ctx<'a> {
    /// `mysql://user@host:port/db` (no password).
    pub target: &'a str,
    /// Database name.
    pub database: &'a str,
    /// Longest wait for each query.
    pub timeout: Duration,
    /// The connection target (to scrub the password from messages).
    pub conn_target: &'a Target,
}

/// One row: each column's raw bytes, `None` for SQL `NULL`.
pub(crate) type RawRow = Vec<Option<Vec<u8>>>;

/// Runs `sql` with the string `binds` and returns every row as raw bytes per column.
pub(crate) async fn fetch_raw_rows(
    conn: &mut MySqlConnection,
    ctx: &Ctx<'_>,
    sql: &str,
    binds: &[&str],
    what: &str,
) -> Result<Vec<RawRow>, MysqlError> {
    let mut query = sqlx::query(AssertSqlSafe(sql.to_string()));
    for b in binds {
        query = query.bind(b.to_string());
    }
    let rows = within_timeout(ctx, what, query.fetch_all(&mut *conn)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut cols = Vec::with_capacity(row.len());
        for i in 0..row.len() {
            // Unchecked: every selected column is character data (checked beforehand, or cast);
            // the bytes are validated as UTF-8 by the caller.
            let v: Option<Vec<u8>> = row
                .try_get_unchecked(i)
                .map_err(|e| query_error(ctx, what, e))?;
            cols.push(v);
        }
        out.push(cols);
    }
    Ok(out)
}

/// Like [`fetch_raw_rows`], with values converted to text (invalid UTF-8 replaced); for
/// `information_schema` reads.
pub(crate) async fn fetch_text_rows(
    conn: &mut MySqlConnection,
    ctx: &Ctx<'_>,
    sql: &str,
    binds: &[&str],
    what: &str,
) -> Result<Vec<Vec<Option<String>>>, MysqlError> {
    let rows = fetch_raw_rows(conn, ctx, sql, binds, what).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.map(|b| String::from_utf8_lossy(&b).into_owned()))
                .collect()
        })
        .collect())
}

/// Runs a statement that returns no rows (transaction control).
pub(crate) async fn execute(
    conn: &mut MySqlConnection,
    ctx: &Ctx<'_>,
    sql: &'static str,
    what: &str,
) -> Result<(), MysqlError> {
    use sqlx::Executor;
    within_timeout(ctx, what, conn.execute(sqlx::raw_sql(sql))).await?;
    Ok(())
}

/// Awaits one query for `what` within the context's timeout; a server error or the timeout
/// becomes the matching [`MysqlError`].
async fn within_timeout<T>(
    ctx: &Ctx<'_>,
    what: &str,
    query: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, MysqlError> {
    match tokio::time::timeout(ctx.timeout, query).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(query_error(ctx, what, e)),
        Err(_) => Err(MysqlError::QueryTimeout {
            target: ctx.target.to_string(),
            what: what.to_string(),
            timeout: ctx.timeout,
        }),
    }
}

fn query_error(ctx: &Ctx<'_>, what: &str, e: sqlx::Error) -> MysqlError {
    MysqlError::Query {
        target: ctx.target.to_string(),
        what: what.to_string(),
        reason: ctx.conn_target.scrub(&e.to_string()),
    }
}
