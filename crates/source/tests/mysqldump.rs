//! Tests of the mysqldump reader with dumps in MariaDB and MySQL styles.

use ksdm_source::mysqldump::{read_dump, read_dump_file, DumpError, DumpIssueKind, DumpRead};

fn read(sql: &str) -> DumpRead {
    match read_dump(sql.as_bytes()) {
        Ok(r) => r,
        Err(e) => panic!("dump not read: {e}"),
    }
}

const MARIADB_HEADER: &str = "/*M!999999\\- enable the sandbox mode */ \n\
-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n\
--\n\
-- Host: localhost    Database: devops\n\
-- ------------------------------------------------------\n\
-- Server version\t10.11.6-MariaDB-0+deb12u1\n\
\n\
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
/*!40101 SET NAMES utf8mb4 */;\n\
/*!40103 SET TIME_ZONE='+00:00' */;\n\
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n";

/// A MariaDB-style dump: one row per line, CREATE TABLE, workspace column, other tables.
fn mariadb_dump() -> String {
    let mut s = String::from(MARIADB_HEADER);
    s.push_str(
        r#"
--
-- Table structure for table `flyway_schema_history`
--

DROP TABLE IF EXISTS `flyway_schema_history`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `flyway_schema_history` (
  `installed_rank` int(11) NOT NULL,
  `version` varchar(50) DEFAULT NULL,
  `description` varchar(200) NOT NULL,
  `script` varchar(1000) NOT NULL,
  PRIMARY KEY (`installed_rank`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `flyway_schema_history` WRITE;
/*!40000 ALTER TABLE `flyway_schema_history` DISABLE KEYS */;
INSERT INTO `flyway_schema_history` VALUES
(1,'0.1','init','V0_1__init.sql'),
(2,'0.2','credential; INSERT INTO project VALUES (\'x\')','V0_2__credential.sql');
/*!40000 ALTER TABLE `flyway_schema_history` ENABLE KEYS */;
UNLOCK TABLES;

DROP TABLE IF EXISTS `project`;
CREATE TABLE `project` (
  `project_id` varchar(50) COLLATE utf8mb4_unicode_ci NOT NULL,
  `name` varchar(50) COLLATE utf8mb4_unicode_ci NOT NULL,
  `description` text COLLATE utf8mb4_unicode_ci NOT NULL,
  `creator` varchar(50) COLLATE utf8mb4_unicode_ci NOT NULL,
  `create_time` timestamp NOT NULL DEFAULT current_timestamp(),
  `status` varchar(50) COLLATE utf8mb4_unicode_ci NOT NULL,
  `visibility` varchar(50) COLLATE utf8mb4_unicode_ci NOT NULL,
  `extra` text COLLATE utf8mb4_unicode_ci NOT NULL,
  `workspace` varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '',
  PRIMARY KEY (`project_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

LOCK TABLES `project` WRITE;
/*!40000 ALTER TABLE `project` DISABLE KEYS */;
INSERT INTO `project` VALUES
('project-W4zNlwJLzgRB','demo','It\'s a \"demo\"; with \\ backslash\nand newline','admin','2020-01-02 03:04:05','active','private','','ws1'),
('project-B6BZVN3mOPvx','gone','','alice','2020-02-03 04:05:06','deleted','private','','ws2'),
('project-Emoji1234567','emoji','DevOps 🚀 — 测试 ümlaut','bob','2020-03-04 05:06:07','active','private','','ws1');
/*!40000 ALTER TABLE `project` ENABLE KEYS */;
UNLOCK TABLES;

DROP TABLE IF EXISTS `project_credential`;
CREATE TABLE `project_credential` (
  `project_id` varchar(50) NOT NULL,
  `credential_id` varchar(255) NOT NULL,
  `domain` varchar(255) NOT NULL,
  `creator` varchar(50) NOT NULL,
  `create_time` timestamp NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (`project_id`,`credential_id`,`domain`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

LOCK TABLES `project_credential` WRITE;
INSERT INTO `project_credential` VALUES
('project-W4zNlwJLzgRB','github-id','_','admin','2020-01-02 03:04:06'),
('project-W4zNlwJLzgRB','From SSH','_','admin','2020-01-02 03:04:07');
UNLOCK TABLES;

DROP TABLE IF EXISTS `project_membership`;
CREATE TABLE `project_membership` (
  `username` varchar(50) NOT NULL,
  `project_id` varchar(50) NOT NULL,
  `role` varchar(50) NOT NULL,
  `status` varchar(50) NOT NULL,
  `grant_by` varchar(50) NOT NULL,
  PRIMARY KEY (`username`,`project_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

LOCK TABLES `project_membership` WRITE;
INSERT INTO `project_membership` VALUES
('admin','project-W4zNlwJLzgRB','owner','active','admin'),
('dev1','project-W4zNlwJLzgRB','developer','active','admin');
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2024-01-01 10:00:00
"#,
    );
    s
}

#[test]
fn mariadb_dump_with_workspace_and_ddl() {
    let r = read(&mariadb_dump());
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    let d = &r.data;
    assert!(d.has_workspace_column);
    assert_eq!(d.projects.len(), 3);
    let p = &d.projects[0];
    assert_eq!(p.project_id, "project-W4zNlwJLzgRB");
    assert_eq!(p.name, "demo");
    assert_eq!(
        p.description,
        "It's a \"demo\"; with \\ backslash\nand newline"
    );
    assert_eq!(p.creator, "admin");
    assert_eq!(p.create_time, "2020-01-02 03:04:05");
    assert_eq!(p.status, "active");
    assert_eq!(p.visibility, "private");
    assert_eq!(p.extra, "");
    assert_eq!(p.workspace.as_deref(), Some("ws1"));
    assert!(!d.projects[1].is_active());
    assert_eq!(d.projects[2].description, "DevOps 🚀 — 测试 ümlaut");
    assert_eq!(d.credentials.len(), 2);
    assert_eq!(d.credentials[1].credential_id, "From SSH");
    assert_eq!(d.credentials[1].domain, "_");
    assert_eq!(d.memberships.len(), 2);
    assert_eq!(d.memberships[1].username, "dev1");
    assert_eq!(d.memberships[1].role, "developer");
    assert_eq!(d.memberships[1].grant_by, "admin");
}

#[test]
fn mysql_style_single_line_without_ddl_and_without_workspace() {
    let sql = "-- MySQL dump 10.13  Distrib 8.0.11, for Linux (x86_64)\n\
        /*!40101 SET NAMES utf8 */;\n\
        LOCK TABLES `project` WRITE;\n\
        INSERT INTO `project` VALUES ('p-1','one','','u1','2019-12-01 00:00:00','active','private',''),('p-2','two','d','u2','2019-12-02 00:00:00','active','private','');\n\
        UNLOCK TABLES;\n\
        INSERT INTO `project_membership` VALUES ('u1','p-1','owner','active','u1'),('u2','p-2','maintainer','active','u1');\n\
        INSERT INTO `project_credential` VALUES ('p-1','c1','_','u1','2019-12-01 00:00:01');\n";
    let r = read(sql);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert!(!r.data.has_workspace_column);
    assert_eq!(r.data.projects.len(), 2);
    assert_eq!(r.data.projects[1].description, "d");
    assert_eq!(r.data.projects[1].workspace, None);
    assert_eq!(r.data.memberships[1].role, "maintainer");
    assert_eq!(r.data.credentials[0].create_time, "2019-12-01 00:00:01");
}

#[test]
fn workspace_detected_by_value_count_without_ddl() {
    let sql = "INSERT INTO project VALUES ('p-1','one','','u1','2019-12-01 00:00:00','active','private','','ws');";
    let r = read(sql);
    assert!(r.data.has_workspace_column);
    assert_eq!(r.data.projects[0].workspace.as_deref(), Some("ws"));
}

#[test]
fn complete_insert_column_lists_in_any_order_and_extra_columns() {
    let sql = "INSERT INTO `project` (`status`, `project_id`, `name`, `description`, `creator`, `create_time`, `visibility`, `extra`, `workspace`, `future_col`) VALUES ('active','p-9','nine','','u','2021-01-01 00:00:00','private','','w9',42);\n\
        INSERT INTO `project_membership` (`project_id`,`username`,`role`,`status`,`grant_by`) VALUES ('p-9','u','owner','active','u');";
    let r = read(sql);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    let p = &r.data.projects[0];
    assert_eq!(
        (
            p.project_id.as_str(),
            p.status.as_str(),
            p.workspace.as_deref()
        ),
        ("p-9", "active", Some("w9"))
    );
    assert_eq!(r.data.memberships[0].username, "u");
    assert_eq!(r.data.memberships[0].project_id, "p-9");
}

#[test]
fn ddl_column_order_is_used_without_column_list() {
    // A DDL with a different column order than the usual one.
    let sql = "CREATE TABLE `project_membership` (`project_id` varchar(50) NOT NULL, `username` varchar(50) NOT NULL, `role` varchar(50), `status` varchar(50), `grant_by` varchar(50));\n\
        CREATE TABLE project (`project_id` varchar(50), `name` varchar(50), `description` text, `creator` varchar(50), `create_time` timestamp, `status` varchar(50), `visibility` varchar(50), `extra` text);\n\
        INSERT INTO `project_membership` VALUES ('p-1','bob','reporter','active','alice');";
    let r = read(sql);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(r.data.memberships[0].username, "bob");
    assert_eq!(r.data.memberships[0].project_id, "p-1");
    assert!(r.data.projects.is_empty(), "empty project table");
    assert!(!r.data.has_workspace_column);
}

#[test]
fn all_mysql_escapes_and_numbers() {
    let sql = r"INSERT INTO project VALUES ('p\'1','a\\b\n\r\t\0\Z\b\x','q\''' and \x22','u',20200101,'active','private','');";
    let r = read(sql);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    let p = &r.data.projects[0];
    assert_eq!(p.project_id, "p'1");
    assert_eq!(p.name, "a\\b\n\r\t\0\u{1a}\u{8}x");
    assert_eq!(p.description, "q'' and x22");
    assert_eq!(p.create_time, "20200101", "numbers are stringified");
}

#[test]
fn double_quoted_strings_and_introducers() {
    let sql = r#"INSERT INTO project VALUES ("p-1","say \"hi\"",_utf8mb4'd',_binary 'u','2020-01-01 00:00:00','active','private','');"#;
    let r = read(sql);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    let p = &r.data.projects[0];
    assert_eq!(p.project_id, "p-1");
    assert_eq!(p.name, "say \"hi\"");
    assert_eq!(p.description, "d");
    assert_eq!(p.creator, "u");
}

#[test]
fn null_values_become_empty_with_a_warning() {
    let sql = "INSERT INTO project VALUES ('p-1','n',NULL,'u','2020-01-01 00:00:00','active','private',NULL),('p-2','n',NULL,'u','2020-01-01 00:00:00','active','private','');";
    let r = read(sql);
    assert_eq!(r.data.projects.len(), 2);
    assert_eq!(r.data.projects[0].description, "");
    let nulls: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.kind == DumpIssueKind::NullValue)
        .collect();
    assert_eq!(nulls.len(), 2, "{:?}", r.issues);
    assert!(nulls.iter().all(|i| !i.is_error()));
    assert!(nulls
        .iter()
        .any(|i| i.detail.contains("2 NULL") && i.detail.contains("description")));
}

#[test]
fn truncated_dump_keeps_complete_rows_and_reports_table_and_offset() {
    let head = "INSERT INTO `project` VALUES ('p-1','a','','u','2020-01-01 00:00:00','active','private','');\n";
    let cut = "INSERT INTO `project_membership` VALUES ('u','p-1','owner','active','u'),\n('v','p-1','developer','active','u'),\n('w','p-1','rep";
    let sql = format!("{head}{cut}");
    let r = read(&sql);
    assert_eq!(r.data.projects.len(), 1);
    assert_eq!(
        r.data.memberships.len(),
        2,
        "complete rows before the cut are kept"
    );
    let t: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.kind == DumpIssueKind::Truncated)
        .collect();
    assert_eq!(t.len(), 1, "{:?}", r.issues);
    assert!(t[0].is_error());
    assert_eq!(t[0].table.as_deref(), Some("project_membership"));
    assert_eq!(t[0].offset, head.len() as u64);
    let shown = t[0].to_string();
    assert!(
        shown.contains("project_membership") && shown.contains(&head.len().to_string()),
        "{shown}"
    );
}

#[test]
fn truncated_in_the_middle_of_the_first_row() {
    let sql = "INSERT INTO project VALUES ('p-1','a','','u','2020-01-01 00:00:00','act";
    let r = read(sql);
    assert!(r.data.projects.is_empty());
    assert!(r
        .issues
        .iter()
        .any(|i| i.kind == DumpIssueKind::Truncated && i.table.as_deref() == Some("project")));
}

#[test]
fn missing_final_semicolon_is_a_warning_only() {
    let sql = "INSERT INTO project VALUES ('p-1','a','','u','2020-01-01 00:00:00','active','private','')\n";
    let r = read(sql);
    assert_eq!(r.data.projects.len(), 1);
    assert_eq!(r.issues.len(), 1);
    assert_eq!(r.issues[0].kind, DumpIssueKind::MissingTerminator);
    assert!(!r.issues[0].is_error());
}

#[test]
fn empty_tables_are_fine_but_no_project_table_is_an_error() {
    let sql = "CREATE TABLE `project` (`project_id` varchar(50), `name` varchar(50), `description` text, `creator` varchar(50), `create_time` timestamp, `status` varchar(50), `visibility` varchar(50), `extra` text, `workspace` varchar(255));\n\
        CREATE TABLE `project_membership` (`username` varchar(50), `project_id` varchar(50), `role` varchar(50), `status` varchar(50), `grant_by` varchar(50));";
    let r = read(sql);
    assert!(r.data.projects.is_empty() && r.data.memberships.is_empty());
    assert!(r.data.has_workspace_column);

    let err = read_dump("CREATE TABLE other (a int);\nINSERT INTO other VALUES (1);".as_bytes());
    assert!(
        matches!(err, Err(DumpError::NoProjectTable { .. })),
        "{err:?}"
    );
    let err = read_dump(&b""[..]);
    assert!(matches!(err, Err(DumpError::NoProjectTable { .. })));
}

#[test]
fn garbage_input_is_an_error_not_a_panic() {
    let garbage: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(read_dump(&garbage[..]).is_err());
    let text = "hello world; this is not ' a dump\n/* unterminated";
    assert!(matches!(
        read_dump(text.as_bytes()),
        Err(DumpError::NoProjectTable { .. })
    ));
}

#[test]
fn unparsable_insert_is_reported_and_others_still_read() {
    let sql = "INSERT INTO project VALUES ('p-1','a','','u','2020-01-01 00:00:00','active','private','');\n\
        INSERT INTO project VALUES ('p-2', 'b' 'c' ) ) garbage;\n\
        INSERT INTO project VALUES ('p-3','a','','u','2020-01-01 00:00:00','active','private','','toomany','x');\n\
        INSERT INTO project_membership VALUES ('u','p-1','owner','active','u');";
    let r = read(sql);
    assert_eq!(r.data.projects.len(), 1);
    assert_eq!(r.data.memberships.len(), 1);
    assert!(r
        .issues
        .iter()
        .any(|i| i.kind == DumpIssueKind::UnparsableStatement
            && i.table.as_deref() == Some("project")));
    assert!(r
        .issues
        .iter()
        .any(|i| i.kind == DumpIssueKind::ColumnCountMismatch));
}

#[test]
fn several_databases_take_devops() {
    let sql = "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `devops`;\nUSE `devops`;\n\
        INSERT INTO `project` VALUES ('p-dev','a','','u','2020-01-01 00:00:00','active','private','');\n\
        CREATE DATABASE `kubesphere`;\nUSE `kubesphere`;\n\
        INSERT INTO `project` VALUES ('p-other','a','','u','2020-01-01 00:00:00','active','private','');\n\
        INSERT INTO `project_membership` VALUES ('x','p-other','owner','active','x');\n\
        INSERT INTO `devops`.`project_membership` VALUES ('u','p-dev','owner','active','u');\n";
    let r = read(sql);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(r.data.projects.len(), 1);
    assert_eq!(r.data.projects[0].project_id, "p-dev");
    assert_eq!(r.data.memberships.len(), 1);
    assert_eq!(r.data.memberships[0].username, "u");
}

#[test]
fn only_other_database_is_used_with_a_warning_and_ambiguity_is_an_error() {
    let one = "USE `devops_copy`;\nINSERT INTO project VALUES ('p','a','','u','t','active','private','');";
    let r = read(one);
    assert_eq!(r.data.projects.len(), 1);
    assert!(r
        .issues
        .iter()
        .any(|i| i.kind == DumpIssueKind::DatabaseChoice && i.detail.contains("devops_copy")));

    let two = "USE a;\nINSERT INTO project VALUES ('p','a','','u','t','active','private','');\nUSE b;\nINSERT INTO project VALUES ('q','a','','u','t','active','private','');";
    assert!(matches!(
        read_dump(two.as_bytes()),
        Err(DumpError::AmbiguousDatabase { .. })
    ));
}

#[test]
fn comments_quotes_and_delimiters_do_not_split_statements() {
    let sql = "# hash comment; INSERT INTO project VALUES ('no');\n\
        /* block; comment 'with quote */\n\
        DELIMITER ;;\n\
        CREATE PROCEDURE p() BEGIN INSERT INTO project VALUES ('in-proc'); END ;;\n\
        DELIMITER ;\n\
        INSERT INTO project -- trailing; comment\n VALUES ('p-1','semi;colon','a--b /* not */ #x','u','t','active','private','`tick`');\n";
    let r = read(sql);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(r.data.projects.len(), 1, "{:?}", r.data.projects);
    let p = &r.data.projects[0];
    assert_eq!(p.name, "semi;colon");
    assert_eq!(p.description, "a--b /* not */ #x");
    assert_eq!(p.extra, "`tick`");
}

#[test]
fn reads_small_chunks_across_buffer_boundaries() {
    let dump = mariadb_dump();
    let reader = std::io::BufReader::with_capacity(3, dump.as_bytes());
    let r = read_dump(reader).expect("read");
    assert_eq!(r.data, read(&dump).data);
    assert_eq!(r.data.projects.len(), 3);
}

#[test]
fn read_dump_file_plain_and_gzip_and_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("devops.sql");
    std::fs::write(&plain, mariadb_dump()).expect("write");
    assert_eq!(
        read_dump_file(&plain).expect("plain").data.projects.len(),
        3
    );

    let gz = dir.path().join("devops.sql.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, mariadb_dump().as_bytes()).expect("gz");
    std::fs::write(&gz, enc.finish().expect("gz")).expect("write");
    assert_eq!(read_dump_file(&gz).expect("gz").data.memberships.len(), 2);

    let missing = dir.path().join("nope.sql");
    let err = read_dump_file(&missing).expect_err("missing file");
    assert!(err.to_string().contains("nope.sql"), "{err}");
}

#[test]
fn hundred_thousand_memberships() {
    let mut sql =
        String::from("INSERT INTO project VALUES ('p-1','a','','u','t','active','private','');\n");
    for chunk in 0..100 {
        sql.push_str("INSERT INTO `project_membership` VALUES ");
        for i in 0..1000 {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('user{chunk}_{i}','project-W4zNlwJLzgRB','developer','active','admin')"
            ));
        }
        sql.push_str(";\n");
    }
    let start = std::time::Instant::now();
    let r = read(&sql);
    let took = start.elapsed();
    assert_eq!(r.data.memberships.len(), 100_000);
    assert_eq!(r.data.memberships[99_999].username, "user99_999");
    // Generous bound: debug builds are much slower than release.
    eprintln!("100k memberships parsed in {took:?}");
    assert!(took.as_secs() < 60, "took {took:?}");
}

#[test]
fn ansi_quoted_identifiers_read_like_backticks() {
    let ansi = "CREATE TABLE \"project\" (\n  \"project_id\" varchar(50) NOT NULL,\n  \"name\" varchar(50) NOT NULL,\n  \"description\" text NOT NULL,\n  \"creator\" varchar(50) NOT NULL,\n  \"create_time\" datetime NOT NULL,\n  \"status\" varchar(50) NOT NULL,\n  \"visibility\" varchar(50) NOT NULL,\n  \"extra\" text NOT NULL,\n  \"workspace\" varchar(50) NOT NULL DEFAULT '',\n  PRIMARY KEY (\"project_id\")\n);\n\
        INSERT INTO \"project\" (\"name\", \"project_id\", \"description\", \"creator\", \"create_time\", \"status\", \"visibility\", \"extra\", \"workspace\") \
        VALUES ('P \"1\"','p1','say \\\"hi\\\" ''x''','alice','2020-01-01 00:00:00','active','private','','ws');\n\
        INSERT INTO \"project_membership\" VALUES ('alice','p1','owner','active','admin');\n";
    let r = read(ansi);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(r.data.projects.len(), 1);
    let p = &r.data.projects[0];
    assert_eq!((p.project_id.as_str(), p.name.as_str()), ("p1", "P \"1\""));
    assert_eq!(p.description, "say \"hi\" 'x'");
    assert_eq!(p.workspace.as_deref(), Some("ws"));
    assert!(r.data.has_workspace_column);
    assert_eq!(r.data.memberships.len(), 1);
}

#[test]
fn xml_dump_is_refused_naming_the_format() {
    let xml = "<?xml version=\"1.0\"?>\n<mysqldump xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<database name=\"devops\">\n";
    let e = read_dump(xml.as_bytes()).unwrap_err();
    assert!(matches!(e, DumpError::XmlFormat { .. }), "{e}");
    assert!(
        e.to_string().contains("XML format (written with --xml)"),
        "{e}"
    );
}
