//! Connection options: the `--mysql` URL, where the password comes from, TLS and timeouts.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::{Host, Url};

use crate::error::MysqlError;

/// Port used when the URL names none.
pub const DEFAULT_PORT: u16 = 3306;
/// Database used when the URL names none (the v2.1 DevOps database).
pub const DEFAULT_DATABASE: &str = "devops";
/// User used when the URL names none (ks-apiserver's v2.1 configuration uses `root`).
pub const DEFAULT_USER: &str = "root";
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout of each query.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection is encrypted (the MySQL client's `--ssl-mode` values).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain TCP.
    Disabled,
    /// TLS when the server offers it, plain otherwise (the MySQL client's default).
    #[default]
    Preferred,
    /// TLS or fail; the certificate is not checked.
    Required,
    /// TLS with the server certificate checked against `ca_file` (or the built-in web roots).
    VerifyCa {
        /// PEM file of the trusted CA certificate(s).
        ca_file: Option<PathBuf>,
    },
    /// Like `VerifyCa`, and the certificate must also name the host.
    VerifyFull {
        /// PEM file of the trusted CA certificate(s).
        ca_file: Option<PathBuf>,
    },
}

impl FromStr for TlsMode {
    type Err = MysqlError;

    /// Parses `disabled`, `preferred`, `required`, `verify-ca[:CA_FILE]`, `verify-full[:CA_FILE]`
    /// (`_` may stand for `-`; `verify-identity` is a synonym of `verify-full`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (mode, ca) = match s.split_once(':') {
            Some((m, ca)) => (m, Some(PathBuf::from(ca))),
            None => (s, None),
        };
        let mode = mode.trim().to_ascii_lowercase().replace('_', "-");
        let bad = || MysqlError::InvalidTlsMode {
            given: s.to_string(),
        };
        match (mode.as_str(), ca) {
            ("disabled" | "disable" | "off", None) => Ok(TlsMode::Disabled),
            ("preferred" | "prefer", None) => Ok(TlsMode::Preferred),
            ("required" | "require", None) => Ok(TlsMode::Required),
            ("verify-ca", ca_file) => Ok(TlsMode::VerifyCa { ca_file }),
            ("verify-full" | "verify-identity", ca_file) => Ok(TlsMode::VerifyFull { ca_file }),
            _ => Err(bad()),
        }
    }
}

/// Where and how to read the v2.1 `devops` database.
pub struct MysqlOptions {
    /// `mysql://user[:password]@host[:port]/database`. [`MysqlOptions::from_url_and_env`] stores
    /// it without the password (moved to `password`).
    pub url: String,
    /// The password; when `None`, the URL's password (if any) is used.
    pub password: Option<SecretString>,
    /// TLS.
    pub tls: TlsMode,
    /// Longest wait for the connection (TCP, TLS and login).
    pub connect_timeout: Duration,
    /// Longest wait for each query.
    pub query_timeout: Duration,
}

impl fmt::Debug for MysqlOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MysqlOptions")
            .field("url", &describe(self))
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("tls", &self.tls)
            .field("connect_timeout", &self.connect_timeout)
            .field("query_timeout", &self.query_timeout)
            .finish()
    }
}

impl MysqlOptions {
    /// Options for `url` with no separate password, preferred TLS and the default timeouts.
    pub fn new(url: impl Into<String>) -> Self {
        MysqlOptions {
            url: url.into(),
            password: None,
            tls: TlsMode::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
        }
    }

    /// Options for `url`, with the password taken, in this order, from `password_file` (its
    /// first line, without the line break), the environment variable `env_var` (when set
    /// and not empty, e.g. `MYSQL_PWD`), or the URL. The stored `url` never holds the password.
    pub fn from_url_and_env(
        url: &str,
        password_file: Option<&Path>,
        env_var: &str,
    ) -> Result<Self, MysqlError> {
        let parsed = parse_url(url)?;
        let url_password = parsed.password.clone();
        let mut stripped = parsed.url;
        // Cannot fail for URLs that have a host, which parse_url made sure of.
        let _ = stripped.set_password(None);
        let password = if let Some(path) = password_file {
            Some(read_password_file(path)?)
        } else {
            match std::env::var(env_var) {
                Ok(v) if !v.is_empty() => Some(SecretString::from(v)),
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(MysqlError::InvalidUrl {
                        shown: stripped.to_string(),
                        reason: format!("the environment variable {env_var} is not valid UTF-8"),
                    })
                }
                _ => url_password,
            }
        };
        Ok(MysqlOptions {
            url: stripped.to_string(),
            password,
            ..MysqlOptions::new(String::new())
        })
    }

    /// The parsed connection target, with the password resolved.
    pub(crate) fn target(&self) -> Result<Target, MysqlError> {
        let parsed = parse_url(&self.url)?;
        let password = self.password.clone().or(parsed.password);
        Ok(Target {
            host: parsed.host,
            port: parsed.port,
            user: parsed.user,
            database: parsed.database,
            password,
        })
    }
}

/// `mysql://user@host:port/database` for messages and reports; never the password.
pub fn describe(opts: &MysqlOptions) -> String {
    match parse_url(&opts.url) {
        Ok(p) => p.describe(),
        Err(_) => redacted(&opts.url),
    }
}

/// A resolved connection target.
pub(crate) struct Target {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Database name.
    pub database: String,
    /// Password, if any.
    pub password: Option<SecretString>,
}

impl Target {
    /// `mysql://user@host:port/database`.
    pub fn describe(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "mysql://{}@{}:{}/{}",
            self.user, host, self.port, self.database
        )
    }

    /// Replaces any occurrence of the password in `text` (a server or driver message).
    pub fn scrub(&self, text: &str) -> String {
        match &self.password {
            Some(p) if !p.expose_secret().is_empty() => {
                text.replace(p.expose_secret(), "<redacted>")
            }
            _ => text.to_string(),
        }
    }
}

struct ParsedUrl {
    url: Url,
    host: String,
    port: u16,
    user: String,
    database: String,
    password: Option<SecretString>,
}

impl ParsedUrl {
    fn describe(&self) -> String {
        Target {
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
            database: self.database.clone(),
            password: None,
        }
        .describe()
    }
}

fn parse_url(text: &str) -> Result<ParsedUrl, MysqlError> {
    let shown = redacted(text);
    let bad = |reason: &str| MysqlError::InvalidUrl {
        shown: shown.clone(),
        reason: reason.to_string(),
    };
    let url = Url::parse(text)
        .map_err(|e| bad(&format!("{e} (expected mysql://user@host:port/devops)")))?;
    if url.scheme() != "mysql" && url.scheme() != "mariadb" {
        return Err(bad("the scheme must be mysql://"));
    }
    let host = match url.host() {
        Some(Host::Domain(d)) if !d.is_empty() => d.to_string(),
        Some(Host::Ipv4(a)) => a.to_string(),
        Some(Host::Ipv6(a)) => a.to_string(),
        _ => return Err(bad("the URL names no host")),
    };
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "URL parameters are not supported (use the TLS and password options)",
        ));
    }
    let user = decode(url.username()).map_err(|_| bad("the user name is not valid UTF-8"))?;
    let user = if user.is_empty() {
        DEFAULT_USER.to_string()
    } else {
        user
    };
    let password = match url.password() {
        Some(p) => Some(SecretString::from(
            decode(p).map_err(|_| bad("the password is not valid UTF-8"))?,
        )),
        None => None,
    };
    let path = url.path().trim_start_matches('/');
    if path.contains('/') {
        return Err(bad("the path must be just the database name"));
    }
    let database = decode(path).map_err(|_| bad("the database name is not valid UTF-8"))?;
    let database = if database.is_empty() {
        DEFAULT_DATABASE.to_string()
    } else {
        database
    };
    let port = url.port().unwrap_or(DEFAULT_PORT);
    Ok(ParsedUrl {
        url,
        host,
        port,
        user,
        database,
        password,
    })
}

fn decode(s: &str) -> Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
}

/// The URL text with any password removed (for messages about URLs that do not parse).
fn redacted(text: &str) -> String {
    if let Ok(mut u) = Url::parse(text) {
        let _ = u.set_password(None);
        return u.to_string();
    }
    // Unparseable: drop everything before the last '@' but the scheme.
    match (text.find("://"), text.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            format!("{}://<credentials hidden>{}", &text[..s], &text[at..])
        }
        (_, Some(at)) => format!("<credentials hidden>{}", &text[at..]),
        _ => text.to_string(),
    }
}

fn read_password_file(path: &Path) -> Result<SecretString, MysqlError> {
    let text = std::fs::read_to_string(path).map_err(|source| MysqlError::PasswordFile {
        path: path.to_path_buf(),
        source,
    })?;
    let first = text.split('\n').next().unwrap_or_default();
    Ok(SecretString::from(
        first.strip_suffix('\r').unwrap_or(first).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts_and_defaults() {
        let t = MysqlOptions::new("mysql://root@127.0.0.1:3306/devops")
            .target()
            .unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.user.as_str(),
                t.database.as_str()
            ),
            ("127.0.0.1", 3306, "root", "devops")
        );
        assert!(t.password.is_none());
        let t = MysqlOptions::new("mysql://db.example").target().unwrap();
        assert_eq!(
            (t.port, t.user.as_str(), t.database.as_str()),
            (DEFAULT_PORT, DEFAULT_USER, DEFAULT_DATABASE)
        );
        let t = MysqlOptions::new("mysql://u%40x:p%3Aw@[::1]:3307/dev%20ops")
            .target()
            .unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.user.as_str(),
                t.database.as_str()
            ),
            ("::1", 3307, "u@x", "dev ops")
        );
        assert_eq!(
            t.password.as_ref().map(|p| p.expose_secret().to_string()),
            Some("p:w".to_string())
        );
        assert_eq!(t.describe(), "mysql://u@x@[::1]:3307/dev ops");
    }

    #[test]
    fn bad_urls_are_rejected_without_showing_the_password() {
        for url in [
            "postgres://u:s3cret@h/devops",
            "mysql://u:s3cret@h/devops?ssl-mode=required",
            "mysql://u:s3cret@h/a/b",
            "mysql:///devops",
            "not a url s3cret",
        ] {
            let e = MysqlOptions::new(url)
                .target()
                .err()
                .unwrap_or_else(|| panic!("{url} accepted"));
            let shown = e.to_string();
            assert!(matches!(e, MysqlError::InvalidUrl { .. }), "{url}: {shown}");
            if url.contains('@') {
                assert!(!shown.contains("s3cret"), "{shown}");
            }
        }
    }

    #[test]
    fn describe_and_debug_never_show_the_password() {
        let opts = MysqlOptions::new("mysql://admin:s3cret@10.0.0.1/devops");
        assert_eq!(describe(&opts), "mysql://admin@10.0.0.1:3306/devops");
        let mut opts = MysqlOptions::new("mysql://admin@10.0.0.1/devops");
        opts.password = Some(SecretString::from("s3cret"));
        let debug = format!("{opts:?}");
        assert!(
            !debug.contains("s3cret") && debug.contains("mysql://admin@10.0.0.1:3306/devops"),
            "{debug}"
        );
        assert!(!describe(&MysqlOptions::new("mysql//admin:s3cret@h")).contains("s3cret"));
    }

    #[test]
    fn password_comes_from_file_then_env_then_url() {
        let dir = std::env::temp_dir().join(format!("ksdm-mysql-opts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, "from-file\r\nsecond line\n").unwrap();
        let var = "KSDM_SOURCE_MYSQL_TEST_PWD_PRECEDENCE";
        std::env::set_var(var, "from-env");
        let url = "mysql://root:from-url@127.0.0.1/devops";
        let pw = |o: &MysqlOptions| {
            o.target()
                .unwrap()
                .password
                .map(|p| p.expose_secret().to_string())
        };

        let o = MysqlOptions::from_url_and_env(url, Some(&file), var).unwrap();
        assert_eq!(pw(&o).as_deref(), Some("from-file"));
        assert!(!o.url.contains("from-url"), "{}", o.url);
        let o = MysqlOptions::from_url_and_env(url, None, var).unwrap();
        assert_eq!(pw(&o).as_deref(), Some("from-env"));
        std::env::set_var(var, "");
        let o = MysqlOptions::from_url_and_env(url, None, var).unwrap();
        assert_eq!(pw(&o).as_deref(), Some("from-url"));
        std::env::remove_var(var);
        let o = MysqlOptions::from_url_and_env("mysql://root@127.0.0.1/devops", None, var).unwrap();
        assert_eq!(pw(&o), None);

        let missing = dir.join("missing");
        let e = MysqlOptions::from_url_and_env(url, Some(&missing), var).unwrap_err();
        assert!(
            e.to_string().contains("missing") && !e.to_string().contains("from-url"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tls_modes_parse() {
        assert_eq!("disabled".parse::<TlsMode>().unwrap(), TlsMode::Disabled);
        assert_eq!("PREFERRED".parse::<TlsMode>().unwrap(), TlsMode::Preferred);
        assert_eq!("required".parse::<TlsMode>().unwrap(), TlsMode::Required);
        assert_eq!(
            "verify_ca".parse::<TlsMode>().unwrap(),
            TlsMode::VerifyCa { ca_file: None }
        );
        assert_eq!(
            "verify-full:/etc/ca.pem".parse::<TlsMode>().unwrap(),
            TlsMode::VerifyFull {
                ca_file: Some(PathBuf::from("/etc/ca.pem"))
            }
        );
        assert!("required:/x".parse::<TlsMode>().is_err());
        assert!(matches!(
            "sometimes".parse::<TlsMode>(),
            Err(MysqlError::InvalidTlsMode { .. })
        ));
    }
}
