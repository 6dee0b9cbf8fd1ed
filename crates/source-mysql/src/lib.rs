//! # ksdm-source-mysql
//!
//! Reads a **running** KubeSphere v2.1 MySQL `devops` database (spec `source-v21.md` §2) into
//! [`ksdm_model::v21::MysqlData`], with the same result as the offline reader of a `mysqldump`
//! of that database (`ksdm_source::mysqldump`):
//!
//! * rows in primary-key order (the order `mysqldump` writes InnoDB tables in);
//! * `create_time` as the server's text of the value in a UTC session (`YYYY-MM-DD HH:MM:SS`),
//!   exactly what `mysqldump` (with its default `--tz-utc`) writes;
//! * `project.workspace` is `None` when the column does not exist (schemas before V0_3);
//! * `NULL` values are read as `""` and reported as warnings;
//! * all rows are kept: deleted projects, memberships and credential rows of any project.
//!
//! The session uses `utf8mb4` and `time_zone = '+00:00'`; all tables are read in one
//! consistent snapshot. The column layout is taken from `information_schema`, and a missing
//! table or column, or a column of a type that is not text (or TIMESTAMP/DATETIME for
//! `create_time`), is an error naming the server, database, table and column.
//!
//! TLS uses rustls with the `ring` provider chosen explicitly by the driver, so no
//! process-level rustls `CryptoProvider` has to be installed by the caller.
//!
//! Library code never prints; passwords never appear in errors, logs or `Debug` output.

mod connect;
mod error;
mod options;
mod query;
mod read;
mod schema;

pub use error::MysqlError;
pub use options::{
    describe, MysqlOptions, TlsMode, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DATABASE, DEFAULT_PORT, DEFAULT_QUERY_TIMEOUT,
    DEFAULT_USER,
};
pub use read::LiveRead;
pub use secrecy::{ExposeSecret, SecretString};

use ksdm_model::v21::MysqlData;

/// Reads the three v2.1 DevOps tables of the database named by `opts`.
pub async fn read_live(opts: &MysqlOptions) -> Result<MysqlData, MysqlError> {
    read_live_with_warnings(opts).await.map(|r| r.data)
}

/// Like [`read_live`], also returning warnings (e.g. `NULL` values read as `""`), which the
/// dump reader reports as issues for the same data.
pub async fn read_live_with_warnings(opts: &MysqlOptions) -> Result<LiveRead, MysqlError> {
    let target = opts.target()?;
    let shown = target.describe();
    let mut conn = connect::connect(&target, opts).await?;
    let ctx = query::Ctx {
        target: &shown,
        database: &target.database,
        timeout: opts.query_timeout,
        conn_target: &target,
    };
    let plans = schema::plan(&mut conn, &ctx).await?;
    let read = read::read_tables(&mut conn, &ctx, &plans).await?;
    // Closing politely is best effort: the rows are already read.
    if let Err(e) = sqlx::Connection::close(conn).await {
        tracing::debug!(target_db = %shown, error = %target.scrub(&e.to_string()), "closing the MySQL connection failed");
    }
    tracing::info!(
        target_db = %shown,
        projects = read.data.projects.len(),
        memberships = read.data.memberships.len(),
        credentials = read.data.credentials.len(),
        workspace_column = read.data.has_workspace_column,
        "read the v2.1 devops database"
    );
    Ok(read)
}
