//! `read_live` against the real MariaDB on 127.0.0.1:3306: both schema generations, utf8mb4,
//! soft deletes, row order, UTC timestamps, NULLs, equality with the dump reader fed by the
//! real `mysqldump`, and the error cases.

mod support;

use std::time::{Duration, Instant};

use ksdm_model::v21::{MysqlData, Project};
use ksdm_source_mysql::{
    describe, read_live, read_live_with_warnings, MysqlError, MysqlOptions, SecretString, TlsMode,
};
use support::{closed_port, Generation, TestDb, TestUser, HOST, PORT};

fn opts(db: &TestDb) -> MysqlOptions {
    let mut o = MysqlOptions::new(db.url());
    o.tls = TlsMode::Disabled;
    o.connect_timeout = Duration::from_secs(10);
    o.query_timeout = Duration::from_secs(30);
    o
}

/// Reads `db` with the real `mysqldump` and the offline dump reader.
fn via_dump(db: &TestDb) -> ksdm_source::mysqldump::DumpRead {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("devops.sql");
    db.dump_to(&path);
    ksdm_source::mysqldump::read_dump_file(&path).expect("read the dump")
}

/// Asserts the live read equals the dump read and returns it.
async fn live_equals_dump(db: &TestDb) -> MysqlData {
    let live = read_live(&opts(db)).await.expect("read_live");
    let dump = via_dump(db);
    assert!(dump.issues.is_empty(), "dump issues: {:?}", dump.issues);
    assert_eq!(live, dump.data, "live read and dump read differ");
    live
}

const PROJECTS_V01: &str = "
INSERT INTO project VALUES
 ('project-W4zNlwJLzgRB','demo','first project','alice','2020-03-01 10:20:30','active','private',''),
 ('project-B6BZVN3mOPvx','old','was deleted','bob','2019-12-31 23:59:59','deleted','private',''),
 ('project-a1','lower','','carol','2020-01-02 03:04:05','active','private','');
INSERT INTO project_membership VALUES
 ('alice','project-W4zNlwJLzgRB','owner','active','alice'),
 ('dave','project-W4zNlwJLzgRB','developer','active','alice'),
 ('bob','project-B6BZVN3mOPvx','owner','active','bob'),
 ('erin','project-a1','reporter','active','carol');
INSERT INTO project_credential VALUES
 ('project-W4zNlwJLzgRB','github-token','_','alice','2020-03-02 00:00:00'),
 ('project-W4zNlwJLzgRB','gone-from-jenkins','_','alice','2020-03-03 00:00:00'),
 ('project-B6BZVN3mOPvx','kubeconfig','_','bob','2020-01-01 00:00:00');
";

fn project<'a>(data: &'a MysqlData, id: &str) -> &'a Project {
    data.projects
        .iter()
        .find(|p| p.project_id == id)
        .unwrap_or_else(|| panic!("project {id} missing"))
}

#[tokio::test]
async fn schema_without_workspace_column() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithoutWorkspace, PROJECTS_V01, &[]);
    let data = live_equals_dump(&db).await;
    assert!(!data.has_workspace_column);
    assert_eq!(data.projects.len(), 3);
    assert!(data.projects.iter().all(|p| p.workspace.is_none()));
    let p = project(&data, "project-W4zNlwJLzgRB");
    assert_eq!(
        (
            p.name.as_str(),
            p.description.as_str(),
            p.creator.as_str(),
            p.create_time.as_str(),
            p.status.as_str()
        ),
        (
            "demo",
            "first project",
            "alice",
            "2020-03-01 10:20:30",
            "active"
        )
    );
    assert_eq!((p.visibility.as_str(), p.extra.as_str()), ("private", ""));
    assert_eq!(data.memberships.len(), 4);
    assert_eq!(data.credentials.len(), 3);
}

#[tokio::test]
async fn schema_with_workspace_column_backfilled_by_v03() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(
        Generation::WithWorkspace,
        PROJECTS_V01,
        &[
            ("ws-one", "project-W4zNlwJLzgRB"),
            ("ws-stale", "project-gone"),
        ],
    );
    db.exec("INSERT INTO project VALUES ('project-new','fresh','','alice','2021-05-05 05:05:05','active','private','','ws-two');");
    let data = live_equals_dump(&db).await;
    assert!(data.has_workspace_column);
    assert_eq!(
        project(&data, "project-W4zNlwJLzgRB").workspace.as_deref(),
        Some("ws-one")
    );
    assert_eq!(
        project(&data, "project-a1").workspace.as_deref(),
        Some(""),
        "unbound project has ''"
    );
    assert_eq!(
        project(&data, "project-new").workspace.as_deref(),
        Some("ws-two")
    );
}

#[tokio::test]
async fn workspace_column_on_an_empty_table() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    let data = read_live(&opts(&db)).await.expect("read_live");
    assert!(data.has_workspace_column);
    assert!(data.projects.is_empty() && data.memberships.is_empty() && data.credentials.is_empty());
    let old = TestDb::with_schema(Generation::WithoutWorkspace, "", &[]);
    assert!(
        !read_live(&opts(&old))
            .await
            .expect("read_live")
            .has_workspace_column
    );
}

#[tokio::test]
async fn utf8mb4_text_survives() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    db.exec(
        "INSERT INTO project VALUES ('project-utf8','名前','emoji 🚀🎉 and CJK 中文説明 and \\'quotes\\' and back\\\\slash\\nnewline','李雷','2020-06-01 12:00:00','active','private','','工作区-🌏');
         INSERT INTO project_membership VALUES ('用户😀','project-utf8','owner','active','李雷');
         INSERT INTO project_credential VALUES ('project-utf8','凭证-🔑','_','李雷','2020-06-02 12:00:00');",
    );
    let data = live_equals_dump(&db).await;
    let p = project(&data, "project-utf8");
    assert_eq!(p.name, "名前");
    assert_eq!(
        p.description,
        "emoji 🚀🎉 and CJK 中文説明 and 'quotes' and back\\slash\nnewline"
    );
    assert_eq!(p.creator, "李雷");
    assert_eq!(p.workspace.as_deref(), Some("工作区-🌏"));
    assert_eq!(data.memberships[0].username, "用户😀");
    assert_eq!(data.credentials[0].credential_id, "凭证-🔑");
}

#[tokio::test]
async fn soft_deleted_projects_and_their_memberships_and_credentials_are_kept() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, PROJECTS_V01, &[]);
    // The v2.1 delete: memberships normally go, but a damaged database may still hold some.
    db.exec("INSERT INTO project_membership VALUES ('zed','project-B6BZVN3mOPvx','maintainer','active','bob');");
    let data = live_equals_dump(&db).await;
    let deleted = project(&data, "project-B6BZVN3mOPvx");
    assert_eq!(deleted.status, "deleted");
    assert!(!deleted.is_active());
    let members: Vec<_> = data
        .memberships
        .iter()
        .filter(|m| m.project_id == "project-B6BZVN3mOPvx")
        .map(|m| m.username.as_str())
        .collect();
    assert_eq!(members, ["bob", "zed"]);
    assert!(data
        .credentials
        .iter()
        .any(|c| c.project_id == "project-B6BZVN3mOPvx" && c.credential_id == "kubeconfig"));
}

#[tokio::test]
async fn credential_rows_are_read_whether_or_not_jenkins_has_them() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, PROJECTS_V01, &[]);
    db.exec(
        "INSERT INTO project_credential VALUES ('project-nowhere','orphan','_','ghost','2018-01-01 00:00:00'),
             ('project-a1','ssh','my-domain','carol','2020-02-02 02:02:02');",
    );
    let data = live_equals_dump(&db).await;
    let ids: Vec<_> = data
        .credentials
        .iter()
        .map(|c| {
            (
                c.project_id.as_str(),
                c.credential_id.as_str(),
                c.domain.as_str(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("project-a1", "ssh", "my-domain"),
            ("project-B6BZVN3mOPvx", "kubeconfig", "_"),
            ("project-nowhere", "orphan", "_"),
            ("project-W4zNlwJLzgRB", "github-token", "_"),
            ("project-W4zNlwJLzgRB", "gone-from-jenkins", "_"),
        ],
        "primary-key order under utf8mb4_unicode_ci (case-insensitive)"
    );
}

#[tokio::test]
async fn rows_come_in_primary_key_order_not_insertion_order() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithoutWorkspace, "", &[]);
    db.exec(
        "INSERT INTO project VALUES ('project-zz','z','','u','2020-01-01 00:00:00','active','private','');
         INSERT INTO project VALUES ('project-Ab','a','','u','2020-01-01 00:00:00','active','private','');
         INSERT INTO project VALUES ('project-aa','a2','','u','2020-01-01 00:00:00','active','private','');
         INSERT INTO project VALUES ('project-B','b','','u','2020-01-01 00:00:00','active','private','');
         INSERT INTO project_membership VALUES ('zoe','project-aa','owner','active','zoe'),('adam','project-zz','owner','active','adam'),('adam','project-aa','developer','active','zoe');",
    );
    let data = live_equals_dump(&db).await;
    let ids: Vec<_> = data
        .projects
        .iter()
        .map(|p| p.project_id.as_str())
        .collect();
    assert_eq!(ids, ["project-aa", "project-Ab", "project-B", "project-zz"]);
    let m: Vec<_> = data
        .memberships
        .iter()
        .map(|m| (m.username.as_str(), m.project_id.as_str()))
        .collect();
    assert_eq!(
        m,
        [
            ("adam", "project-aa"),
            ("adam", "project-zz"),
            ("zoe", "project-aa")
        ]
    );
}

#[tokio::test]
async fn timestamps_are_read_as_utc_text() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    // Written in a +08:00 session: stored (and read) as 00:30 UTC.
    db.exec(
        "SET time_zone = '+08:00';
         INSERT INTO project VALUES ('project-tz','tz','','u','2020-01-01 08:30:00','active','private','','');
         INSERT INTO project_credential VALUES ('project-tz','c','_','u','2020-07-01 07:59:59');",
    );
    let data = live_equals_dump(&db).await;
    assert_eq!(data.projects[0].create_time, "2020-01-01 00:30:00");
    assert_eq!(data.credentials[0].create_time, "2020-06-30 23:59:59");
}

#[tokio::test]
async fn nulls_read_as_empty_text_with_a_warning_like_the_dump_reader() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    db.exec(
        "ALTER TABLE project MODIFY description TEXT NULL;
         INSERT INTO project VALUES ('project-n','n',NULL,'u','2020-01-01 00:00:00','active','private','','w');",
    );
    let live = read_live_with_warnings(&opts(&db))
        .await
        .expect("read_live");
    assert_eq!(live.data.projects[0].description, "");
    assert_eq!(live.warnings.len(), 1, "{:?}", live.warnings);
    assert!(
        live.warnings[0].contains("`description`") && live.warnings[0].contains("1 NULL"),
        "{:?}",
        live.warnings
    );
    let dump = via_dump(&db);
    assert_eq!(live.data, dump.data);
    assert_eq!(dump.issues.len(), 1, "{:?}", dump.issues);
}

#[tokio::test]
async fn password_from_the_options_is_used_and_never_shown() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, PROJECTS_V01, &[]);
    let password = "pw-Zq8!x_unique";
    let user = TestUser::create(password, &db);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("password");
    std::fs::write(&file, format!("{password}\n")).expect("write password file");
    let url = format!("mysql://{}@{HOST}:{PORT}/{}", user.name, db.name);
    let mut good = MysqlOptions::from_url_and_env(&url, Some(&file), "KSDM_TEST_UNSET_PWD_VAR")
        .expect("options");
    good.tls = TlsMode::Disabled;
    let data = read_live(&good)
        .await
        .expect("read with the right password");
    assert_eq!(data.projects.len(), 3);
    assert!(!format!("{good:?}").contains(password));
    assert_eq!(describe(&good), url);
}

#[tokio::test]
async fn wrong_password_is_a_clear_error_without_the_password() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    let user = TestUser::create("the-right-one", &db);
    let wrong = "Wr0ng-S3cret-value";
    let mut o = MysqlOptions::new(format!(
        "mysql://{}:{wrong}@{HOST}:{PORT}/{}",
        user.name, db.name
    ));
    o.tls = TlsMode::Disabled;
    let err = read_live(&o).await.expect_err("wrong password must fail");
    let msg = err.to_string();
    assert!(matches!(err, MysqlError::AccessDenied { .. }), "{msg}");
    assert!(
        msg.contains(HOST) && msg.contains(&db.name) && msg.contains(&user.name),
        "{msg}"
    );
    assert!(
        !msg.contains(wrong) && !format!("{err:?}").contains(wrong),
        "{msg}"
    );

    let mut o = MysqlOptions::new(format!("mysql://{}@{HOST}:{PORT}/{}", user.name, db.name));
    o.password = Some(SecretString::from(wrong));
    o.tls = TlsMode::Disabled;
    let err = read_live(&o).await.expect_err("wrong password must fail");
    assert!(!err.to_string().contains(wrong) && !format!("{err:?}").contains(wrong));
}

#[tokio::test]
async fn unreachable_port_fails_fast_and_names_the_server() {
    let port = closed_port();
    let mut o = MysqlOptions::new(format!("mysql://root@127.0.0.1:{port}/devops"));
    o.connect_timeout = Duration::from_secs(5);
    let start = Instant::now();
    let err = read_live(&o).await.expect_err("nothing listens there");
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "took {:?}",
        start.elapsed()
    );
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            MysqlError::Unreachable { .. } | MysqlError::ConnectTimeout { .. }
        ),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("127.0.0.1:{port}")) && msg.contains("devops"),
        "{msg}"
    );
}

#[tokio::test]
async fn silent_server_hits_the_connect_timeout() {
    // Accepts TCP (kernel backlog) but never sends the MySQL greeting.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut o = MysqlOptions::new(format!("mysql://root@127.0.0.1:{port}/devops"));
    o.connect_timeout = Duration::from_millis(800);
    o.tls = TlsMode::Disabled;
    let start = Instant::now();
    let err = read_live(&o).await.expect_err("no greeting");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert!(matches!(err, MysqlError::ConnectTimeout { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    drop(listener);
}

#[tokio::test]
async fn missing_database_is_named() {
    support::ensure_server();
    let name = support::unique_name();
    let mut o = MysqlOptions::new(format!("mysql://root@{HOST}:{PORT}/{name}"));
    o.tls = TlsMode::Disabled;
    let err = read_live(&o).await.expect_err("no such database");
    assert!(matches!(err, MysqlError::MissingDatabase { .. }), "{err}");
    assert!(
        err.to_string().contains(&name) && err.to_string().contains(HOST),
        "{err}"
    );
}

#[tokio::test]
async fn missing_table_is_named() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    db.exec("DROP TABLE project_credential;");
    let err = read_live(&opts(&db)).await.expect_err("table missing");
    assert!(matches!(err, MysqlError::MissingTable { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("project_credential") && msg.contains(&db.name) && msg.contains(HOST),
        "{msg}"
    );

    let empty = TestDb::empty();
    let err = read_live(&opts(&empty))
        .await
        .expect_err("no tables at all");
    assert!(err.to_string().contains("`project`"), "{err}");
}

#[tokio::test]
async fn missing_column_is_named() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithoutWorkspace, "", &[]);
    db.exec("ALTER TABLE project_membership DROP COLUMN grant_by;");
    let err = read_live(&opts(&db)).await.expect_err("column missing");
    assert!(matches!(err, MysqlError::MissingColumn { .. }), "{err}");
    assert!(
        err.to_string().contains("`project_membership`.`grant_by`")
            && err.to_string().contains(&db.name),
        "{err}"
    );
}

#[tokio::test]
async fn unexpected_column_types_are_named() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    db.exec("ALTER TABLE project MODIFY create_time INT NOT NULL DEFAULT 0;");
    let err = read_live(&opts(&db)).await.expect_err("INT create_time");
    let msg = err.to_string();
    assert!(
        matches!(err, MysqlError::UnexpectedColumnType { .. }),
        "{msg}"
    );
    assert!(
        msg.contains("`project`.`create_time`") && msg.contains("int") && msg.contains(&db.name),
        "{msg}"
    );

    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    db.exec("ALTER TABLE project_credential MODIFY creator BLOB;");
    let err = read_live(&opts(&db)).await.expect_err("BLOB creator");
    let msg = err.to_string();
    assert!(
        msg.contains("`project_credential`.`creator`") && msg.contains("blob"),
        "{msg}"
    );

    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    db.exec("ALTER TABLE project MODIFY workspace INT NOT NULL DEFAULT 0;");
    let err = read_live(&opts(&db)).await.expect_err("INT workspace");
    assert!(err.to_string().contains("`project`.`workspace`"), "{err}");
}

#[tokio::test]
async fn datetime_and_varchar_create_time_are_accepted() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    db.exec(
        "ALTER TABLE project MODIFY create_time DATETIME NOT NULL;
         ALTER TABLE project_credential MODIFY create_time VARCHAR(40) NOT NULL;
         INSERT INTO project VALUES ('project-d','d','','u','2022-02-02 22:22:22','active','private','','w');
         INSERT INTO project_credential VALUES ('project-d','c','_','u','2022-02-03 00:00:00');",
    );
    let data = live_equals_dump(&db).await;
    assert_eq!(data.projects[0].create_time, "2022-02-02 22:22:22");
    assert_eq!(data.credentials[0].create_time, "2022-02-03 00:00:00");
}

#[tokio::test]
async fn required_tls_against_a_plain_server_is_a_tls_error() {
    ksdm_test_fixtures::require_shared!();
    support::ensure_server();
    let have_ssl = support::query(None, "SELECT @@have_ssl");
    if have_ssl.trim() == "YES" {
        // The server offers TLS: a required-TLS read must then succeed.
        let db = TestDb::with_schema(Generation::WithWorkspace, PROJECTS_V01, &[]);
        let mut o = opts(&db);
        o.tls = TlsMode::Required;
        assert_eq!(read_live(&o).await.expect("TLS read").projects.len(), 3);
        return;
    }
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    let mut o = opts(&db);
    o.tls = TlsMode::Required;
    let err = read_live(&o).await.expect_err("server without TLS");
    assert!(matches!(err, MysqlError::Tls { .. }), "{err}");
    assert!(err.to_string().contains(HOST), "{err}");
    for mode in [
        TlsMode::VerifyCa { ca_file: None },
        TlsMode::VerifyFull { ca_file: None },
    ] {
        o.tls = mode;
        let err = read_live(&o).await.expect_err("server without TLS");
        assert!(matches!(err, MysqlError::Tls { .. }), "{err}");
    }
    // Preferred falls back to plain TCP.
    o.tls = TlsMode::Preferred;
    read_live(&o).await.expect("preferred TLS falls back");
}

#[tokio::test]
async fn unreadable_ca_file_is_named() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, "", &[]);
    let mut o = opts(&db);
    o.tls = TlsMode::VerifyCa {
        ca_file: Some("/nonexistent/ksdm-ca.pem".into()),
    };
    let err = read_live(&o).await.expect_err("missing CA file");
    assert!(
        matches!(err, MysqlError::Tls { .. })
            && err.to_string().contains("/nonexistent/ksdm-ca.pem"),
        "{err}"
    );
}

#[test]
fn crypto_provider_install_is_idempotent() {
    ksdm_source_mysql::install_crypto_provider();
    ksdm_source_mysql::install_crypto_provider();
    assert!(rustls::crypto::CryptoProvider::get_default().is_some());
}

#[tokio::test]
async fn bundled_sample_reads_the_same_live_from_its_mysqldump_and_from_the_file() {
    let sample = support::repo().join("sample/devops.sql");
    let db = TestDb::empty();
    let text = std::fs::read(&sample).expect("sample/devops.sql");
    let out = support::client(&["--batch", &db.name], &text);
    assert!(
        out.status.success(),
        "loading the sample: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = live_equals_dump(&db).await;
    let file = ksdm_source::mysqldump::read_dump_file(&sample).expect("read the sample");
    assert_eq!(
        live, file.data,
        "the loaded sample reads back as the file does"
    );
    assert!(
        live.projects.iter().any(|p| !p.is_active()),
        "the sample has a deleted project"
    );
}

#[test]
fn blocking_read_works_outside_and_inside_a_runtime() {
    ksdm_test_fixtures::require_shared!();
    let db = TestDb::with_schema(Generation::WithWorkspace, PROJECTS_V01, &[]);
    let o = opts(&db);
    let outside = ksdm_source_mysql::read_live_blocking(&o).expect("blocking read");
    assert_eq!(outside.data.projects.len(), 3);
    assert!(outside.warnings.is_empty());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let inside = rt
        .block_on(async { ksdm_source_mysql::read_live_blocking(&o) })
        .expect("blocking read in a runtime");
    assert_eq!(inside, outside);
}
