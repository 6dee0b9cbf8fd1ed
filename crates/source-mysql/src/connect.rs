//! Opening one connection: TLS, UTC session time zone, utf8mb4, connect timeout, and errors
//! that name the server, the database and the reason.

use secrecy::ExposeSecret;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlDatabaseError, MySqlSslMode};
use sqlx::ConnectOptions;

use crate::error::MysqlError;
use crate::options::{MysqlOptions, Target, TlsMode};

/// MySQL server error: access denied for user (wrong user or password).
const ER_ACCESS_DENIED_ERROR: u16 = 1045;
/// MySQL server error: access denied for user to database.
const ER_DBACCESS_DENIED_ERROR: u16 = 1044;
/// MySQL server error: unknown database.
const ER_BAD_DB_ERROR: u16 = 1049;

/// Connects to `target` with the TLS mode and connect timeout of `opts`. The session uses
/// `utf8mb4` and `time_zone = '+00:00'`, so TIMESTAMP values come back as UTC text.
pub(crate) async fn connect(
    target: &Target,
    opts: &MysqlOptions,
) -> Result<MySqlConnection, MysqlError> {
    let mut options = MySqlConnectOptions::new()
        .host(&target.host)
        .port(target.port)
        .username(&target.user)
        .database(&target.database)
        .charset("utf8mb4")
        .timezone(Some("+00:00".to_string()));
    if let Some(p) = &target.password {
        options = options.password(p.expose_secret());
    }
    options = match &opts.tls {
        TlsMode::Disabled => options.ssl_mode(MySqlSslMode::Disabled),
        TlsMode::Preferred => options.ssl_mode(MySqlSslMode::Preferred),
        TlsMode::Required => options.ssl_mode(MySqlSslMode::Required),
        TlsMode::VerifyCa { ca_file } => {
            with_ca(options.ssl_mode(MySqlSslMode::VerifyCa), ca_file.as_deref())
        }
        TlsMode::VerifyFull { ca_file } => with_ca(
            options.ssl_mode(MySqlSslMode::VerifyIdentity),
            ca_file.as_deref(),
        ),
    };
    if let TlsMode::VerifyCa { ca_file: Some(ca) } | TlsMode::VerifyFull { ca_file: Some(ca) } =
        &opts.tls
    {
        if let Err(e) = std::fs::metadata(ca) {
            return Err(MysqlError::Tls {
                host: target.host.clone(),
                port: target.port,
                database: target.database.clone(),
                reason: format!("cannot read the CA file {}: {e}", ca.display()),
            });
        }
    }
    tracing::debug!(target_db = %target.describe(), tls = ?opts.tls, "connecting to MySQL");
    match tokio::time::timeout(opts.connect_timeout, options.connect()).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(connect_error(target, e)),
        Err(_) => Err(MysqlError::ConnectTimeout {
            host: target.host.clone(),
            port: target.port,
            database: target.database.clone(),
            timeout: opts.connect_timeout,
        }),
    }
}

fn with_ca(options: MySqlConnectOptions, ca_file: Option<&std::path::Path>) -> MySqlConnectOptions {
    match ca_file {
        Some(ca) => options.ssl_ca(ca),
        None => options,
    }
}

/// Maps a driver error raised while connecting to a [`MysqlError`].
fn connect_error(target: &Target, e: sqlx::Error) -> MysqlError {
    let host = target.host.clone();
    let port = target.port;
    let database = target.database.clone();
    match e {
        sqlx::Error::Database(db) => {
            let number = db
                .try_downcast_ref::<MySqlDatabaseError>()
                .map(|m| m.number());
            let server_message = target.scrub(db.message());
            match number {
                Some(ER_ACCESS_DENIED_ERROR | ER_DBACCESS_DENIED_ERROR) => {
                    MysqlError::AccessDenied {
                        host,
                        port,
                        user: target.user.clone(),
                        database,
                        server_message,
                    }
                }
                Some(ER_BAD_DB_ERROR) => MysqlError::MissingDatabase {
                    host,
                    port,
                    database,
                },
                _ => MysqlError::Query {
                    target: target.describe(),
                    what: "connecting".into(),
                    reason: server_message,
                },
            }
        }
        sqlx::Error::Io(io) => MysqlError::Unreachable {
            host,
            port,
            database,
            reason: target.scrub(&io.to_string()),
        },
        sqlx::Error::Tls(t) => MysqlError::Tls {
            host,
            port,
            database,
            reason: target.scrub(&t.to_string()),
        },
        other => MysqlError::Query {
            target: target.describe(),
            what: "connecting".into(),
            reason: target.scrub(&other.to_string()),
        },
    }
}
