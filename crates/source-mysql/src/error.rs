//! Errors of the live MySQL reader. Every message names the server and database (as
//! [`crate::describe`] shows them, never with a password) and what is missing or wrong.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong while reading a running v2.1 `devops` database.
#[derive(Debug, thiserror::Error)]
pub enum MysqlError {
    /// The `--mysql` URL cannot be used.
    #[error("invalid MySQL URL {shown}: {reason}")]
    InvalidUrl {
        /// The URL with any password removed.
        shown: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The password file cannot be read.
    #[error("cannot read the MySQL password file {}: {source}", path.display())]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A TLS mode text is not one of the known modes.
    #[error("unknown MySQL TLS mode {given:?}: expected disabled, preferred, required, verify-ca[:CA_FILE] or verify-full[:CA_FILE]")]
    InvalidTlsMode {
        /// The text given.
        given: String,
    },
    /// No server answered at the host and port.
    #[error("MySQL server {host}:{port} is unreachable (database {database}): {reason}")]
    Unreachable {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// Database name.
        database: String,
        /// The network error.
        reason: String,
    },
    /// Connecting took longer than the connect timeout.
    #[error("MySQL server {host}:{port} did not answer within {}s (database {database})", timeout.as_secs_f32())]
    ConnectTimeout {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// Database name.
        database: String,
        /// The connect timeout.
        timeout: Duration,
    },
    /// The TLS handshake failed or TLS was required but not offered.
    #[error("TLS with MySQL server {host}:{port} failed (database {database}): {reason}")]
    Tls {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// Database name.
        database: String,
        /// The TLS error.
        reason: String,
    },
    /// The server refused the user name or password, or access to the database.
    #[error("MySQL server {host}:{port} refused user {user:?} for database {database}: {server_message}")]
    AccessDenied {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// User name.
        user: String,
        /// Database name.
        database: String,
        /// The server's message (it never contains the password).
        server_message: String,
    },
    /// The database does not exist on the server.
    #[error("MySQL server {host}:{port} has no database {database:?}")]
    MissingDatabase {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// Database name.
        database: String,
    },
    /// A v2.1 DevOps table is missing.
    #[error("{target}: table `{table}` is missing (not a KubeSphere v2.1 devops database?)")]
    MissingTable {
        /// The server and database, as `describe` shows them.
        target: String,
        /// The table.
        table: String,
    },
    /// A column of a v2.1 DevOps table is missing.
    #[error("{target}: column `{table}`.`{column}` is missing")]
    MissingColumn {
        /// The server and database, as `describe` shows them.
        target: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A column has a type the reader cannot take as text.
    #[error("{target}: column `{table}`.`{column}` has type {found}, expected {expected}")]
    UnexpectedColumnType {
        /// The server and database, as `describe` shows them.
        target: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The column type found (`information_schema.COLUMNS.COLUMN_TYPE`).
        found: String,
        /// The kinds of type accepted.
        expected: &'static str,
    },
    /// A value is not valid UTF-8 text.
    #[error("{target}: a value of `{table}`.`{column}` (row {row}) is not valid UTF-8")]
    InvalidText {
        /// The server and database, as `describe` shows them.
        target: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// 1-based row number in primary-key order.
        row: usize,
    },
    /// A query took longer than the query timeout.
    #[error("{target}: {what} took longer than {}s", timeout.as_secs_f32())]
    QueryTimeout {
        /// The server and database, as `describe` shows them.
        target: String,
        /// What was being read.
        what: String,
        /// The query timeout.
        timeout: Duration,
    },
    /// Any other failure of a query.
    #[error("{target}: {what} failed: {reason}")]
    Query {
        /// The server and database, as `describe` shows them.
        target: String,
        /// What was being read.
        what: String,
        /// The driver's or server's message.
        reason: String,
    },
    /// The blocking wrapper could not run the read.
    #[error("{target}: cannot run the MySQL read: {reason}")]
    Runtime {
        /// The server and database, as `describe` shows them.
        target: String,
        /// Why.
        reason: String,
    },
}
