//! # ksdm-source-mysql
//!
//! Reads a **running** KubeSphere v2.1 MySQL `devops` database (`docs/v21-sources.md` §2) into
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
//! TLS uses rustls with the `ring` provider. The driver picks it explicitly except for the
//! certificate verifier of `verify-ca`, which asks for the process-level `CryptoProvider`;
//! in a binary that also links `aws-lc-rs`, rustls cannot choose one and would panic. The
//! readers therefore call [`install_crypto_provider`] first, which installs `ring` only when no
//! provider is installed yet; a binary that installs its own at the start of `main` keeps it.
//!
//! Library code never prints; passwords never appear in errors, logs or `Debug` output.

#![warn(missing_docs)]

mod connect;
mod error;
mod options;
mod query;
mod read;
mod schema;

pub use error::MysqlError;
pub use options::{
    describe, MysqlOptions, TlsMode, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DATABASE, DEFAULT_PORT,
    DEFAULT_QUERY_TIMEOUT, DEFAULT_USER,
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
    if opts.tls != TlsMode::Disabled {
        install_crypto_provider();
    }
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

/// [`read_live_with_warnings`] for synchronous callers: runs the read on its own thread with a
/// single-threaded Tokio runtime, so it works inside or outside an existing runtime.
pub fn read_live_blocking(opts: &MysqlOptions) -> Result<LiveRead, MysqlError> {
    let runtime_error = |reason: String| MysqlError::Runtime {
        target: describe(opts),
        reason,
    };
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| runtime_error(e.to_string()))?;
            rt.block_on(read_live_with_warnings(opts))
        });
        worker
            .join()
            .unwrap_or_else(|_| Err(runtime_error("the reading thread panicked".into())))
    })
}

/// Installs rustls' `aws-lc-rs` provider (the one provider the whole tool links) as the process default when no provider is installed yet
/// (a no-op otherwise). Called by the readers; a binary may call it, or install its own
/// provider, at the start of `main`.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err means another thread installed one first: that one is used, which is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}
