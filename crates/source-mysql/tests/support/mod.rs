//! Test harness: a MariaDB on 127.0.0.1:3306 (root, empty password) and throw-away databases
//! loaded with the v2.1 schema (`../shared/fixtures/mysql`), dropped again in `Drop`, even on panic.

#![allow(dead_code)]

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Host of the test server.
pub const HOST: &str = "127.0.0.1";
/// Port of the test server.
pub const PORT: u16 = 3306;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The MariaDB/MySQL command-line client (`mariadb`, else `mysql`) from PATH.
pub fn client_program() -> &'static str {
    static PROGRAM: OnceLock<&'static str> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        for p in ["mariadb", "mysql"] {
            if Command::new(p)
                .arg("--version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
            {
                return p;
            }
        }
        "mariadb"
    })
}

/// The dump program (`mysqldump`, else `mariadb-dump`) from PATH.
pub fn dump_program() -> &'static str {
    static PROGRAM: OnceLock<&'static str> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        for p in ["mysqldump", "mariadb-dump"] {
            if Command::new(p)
                .arg("--version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
            {
                return p;
            }
        }
        "mysqldump"
    })
}

/// Runs the client as root over TCP with `args`, feeding `stdin`.
pub fn client(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(client_program())
        .args([
            "--protocol=TCP",
            "-h",
            HOST,
            "-P",
            &PORT.to_string(),
            "-u",
            "root",
            "--default-character-set=utf8mb4",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the mariadb client");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).expect("write to the mariadb client");
    }
    child
        .wait_with_output()
        .expect("wait for the mariadb client")
}

/// Runs SQL as root (optionally in database `db`); panics with the client's stderr on failure.
pub fn sql(db: Option<&str>, statements: &str) {
    let mut args = vec!["--batch"];
    if let Some(d) = db {
        args.push(d);
    }
    let out = client(&args, statements.as_bytes());
    assert!(
        out.status.success(),
        "SQL failed: {}\n--- statements ---\n{statements}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a query as root and returns its tab-separated output without the header.
pub fn query(db: Option<&str>, statement: &str) -> String {
    let mut args = vec!["--batch", "--skip-column-names"];
    if let Some(d) = db {
        args.push(d);
    }
    let out = client(&args, statement.as_bytes());
    assert!(
        out.status.success(),
        "query failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Makes sure MariaDB answers on 127.0.0.1:3306; runs scripts/ensure-mariadb.sh once if not.
pub fn ensure_server() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        if client(&["-e", "SELECT 1"], b"").status.success() {
            return;
        }
        let script = repo().join("scripts/ensure-mariadb.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .expect("run ensure-mariadb.sh");
        assert!(
            out.status.success() && client(&["-e", "SELECT 1"], b"").status.success(),
            "MariaDB is not available on {HOST}:{PORT} even after {}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// A unique name `ksdm_test_<pid>_<counter>_<random>`.
pub fn unique_name() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let mut h = RandomState::new().build_hasher();
    h.write_usize(n);
    let random = h.finish() & 0xff_ffff;
    format!("ksdm_test_{}_{}_{:06x}", std::process::id(), n, random)
}

/// Which Flyway migrations are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// V0_1 and V0_2 only: `project` without `workspace`.
    WithoutWorkspace,
    /// V0_1, V0_2 and V0_3: `project.workspace` exists.
    WithWorkspace,
}

/// A throw-away `devops` database (plus its `kubesphere` companion), dropped on `Drop`.
pub struct TestDb {
    /// The `devops` stand-in.
    pub name: String,
    /// The `kubesphere` stand-in (holds `workspace_dp_bindings`).
    pub kubesphere: String,
}

impl TestDb {
    /// An empty database (no tables).
    pub fn empty() -> Self {
        ensure_server();
        let db = TestDb {
            name: unique_name(),
            kubesphere: unique_name(),
        };
        sql(
            None,
            &format!("CREATE DATABASE `{}` DEFAULT CHARACTER SET utf8mb4 DEFAULT COLLATE utf8mb4_unicode_ci;", db.name),
        );
        db
    }

    /// A database with the v2.1 schema of `generation`, applied from the fixture files in
    /// Flyway order with `devops`/`kubesphere` renamed to the test databases.
    /// `workspace_bindings` rows `(workspace, project_id)` are put into `workspace_dp_bindings`
    /// and `projects_before_v03` SQL runs before V0_3 (so its back-fill is exercised).
    pub fn with_schema(
        generation: Generation,
        before_v03: &str,
        workspace_bindings: &[(&str, &str)],
    ) -> Self {
        let db = TestDb::empty();
        sql(
            None,
            &format!(
                "CREATE DATABASE `{}` DEFAULT CHARACTER SET utf8mb4 DEFAULT COLLATE utf8mb4_unicode_ci;",
                db.kubesphere
            ),
        );
        for file in ["V0_1__init.sql", "V0_2__credential.sql"] {
            sql(Some(&db.name), &read_fixture(file));
        }
        if !before_v03.is_empty() {
            sql(Some(&db.name), before_v03);
        }
        if generation == Generation::WithWorkspace {
            let v03 = db.rename(&read_fixture("V0_3__workspace.sql"));
            // Create the binding table first (V0_3's own CREATE IF NOT EXISTS then keeps it),
            // like a cluster that started at KubeSphere 1.0.
            let (create, _) = v03.split_once(';').expect("V0_3 has statements");
            let mut setup = format!("{create};\n");
            for (ws, p) in workspace_bindings {
                setup.push_str(&format!(
                    "INSERT INTO `{}`.workspace_dp_bindings VALUES ('{ws}', '{p}');\n",
                    db.kubesphere
                ));
            }
            sql(Some(&db.name), &setup);
            sql(Some(&db.name), &v03);
        }
        db
    }

    /// `text` with the absolute names `devops.` and `kubesphere.` (quoted or not) rewritten.
    pub fn rename(&self, text: &str) -> String {
        text.replace("`kubesphere`.", &format!("`{}`.", self.kubesphere))
            .replace("kubesphere.", &format!("`{}`.", self.kubesphere))
            .replace("`devops`.", &format!("`{}`.", self.name))
            .replace("devops.", &format!("`{}`.", self.name))
    }

    /// A fresh database holding the bundled sample (`sample/devops.sql`, without its `USE` /
    /// `CREATE DATABASE` lines).
    pub fn with_sample() -> Self {
        let db = TestDb::empty();
        let text = std::fs::read_to_string(repo().join("sample/devops.sql")).expect("sample dump");
        let sql: String = text
            .lines()
            .filter(|l| {
                let u = l.trim_start().to_ascii_uppercase();
                !(u.starts_with("USE ") || u.starts_with("CREATE DATABASE"))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let out = client(&["--batch", &db.name], sql.as_bytes());
        assert!(
            out.status.success(),
            "loading the sample failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        db
    }

    /// Runs SQL in this database.
    pub fn exec(&self, statements: &str) {
        sql(Some(&self.name), statements);
    }

    /// `mysql://root@127.0.0.1:3306/<name>`.
    pub fn url(&self) -> String {
        format!("mysql://root@{HOST}:{PORT}/{}", self.name)
    }

    /// Dumps the database with the real `mysqldump` into `path`.
    pub fn dump_to(&self, path: &Path) {
        let out = Command::new(dump_program())
            .args([
                "--protocol=TCP",
                "-h",
                HOST,
                "-P",
                &PORT.to_string(),
                "-u",
                "root",
                &self.name,
            ])
            .output()
            .expect("run mysqldump");
        assert!(
            out.status.success(),
            "mysqldump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(path, &out.stdout).expect("write the dump");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Best effort, also while unwinding: never panic here.
        let _ = client(
            &["--batch"],
            format!(
                "DROP DATABASE IF EXISTS `{}`; DROP DATABASE IF EXISTS `{}`;",
                self.name, self.kubesphere
            )
            .as_bytes(),
        );
    }
}

/// A server account with a password, dropped on `Drop`.
pub struct TestUser {
    /// The user name (`ksdm_test_…`).
    pub name: String,
}

impl TestUser {
    /// Creates `<unique>@'%'` and `@'localhost'` with `password`, allowed to read `db`.
    pub fn create(password: &str, db: &TestDb) -> Self {
        let user = TestUser {
            name: unique_name(),
        };
        for host in ["%", "localhost", "127.0.0.1"] {
            sql(
                None,
                &format!(
                    "CREATE USER '{u}'@'{host}' IDENTIFIED BY '{password}'; GRANT SELECT ON `{d}`.* TO '{u}'@'{host}';",
                    u = user.name,
                    d = db.name
                ),
            );
        }
        user
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let stmts = ["%", "localhost", "127.0.0.1"]
            .iter()
            .map(|h| format!("DROP USER IF EXISTS '{}'@'{h}';", self.name))
            .collect::<String>();
        let _ = client(&["--batch"], stmts.as_bytes());
    }
}

/// A v2.1 DDL file from `../shared/fixtures/mysql` (tests using it start with `require_shared!`).
fn read_fixture(name: &str) -> String {
    let bytes =
        ksdm_test_fixtures::read(&format!("mysql/{name}")).expect("shared fixtures present");
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("fixture {name} is not UTF-8: {e}"))
}

/// A loopback TCP port that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
    let port = l.local_addr().expect("local addr").port();
    drop(l);
    port
}
