//! A dump of database `devops` as MariaDB 10.11's `mysqldump` writes it (connected to the
//! KubeSphere v2.1 MySQL 8.0.11 server): header comments, `/*!40101 SET … */` session settings,
//! per table `DROP TABLE IF EXISTS` + `CREATE TABLE` + `LOCK TABLES` + extended `INSERT`s with one
//! `(…)` row per line + `UNLOCK TABLES`, tables in name order, and the footer.
//!
//! Rows are streamed from iterators to any [`Write`], so big estates use flat memory; a new
//! `INSERT` starts whenever a statement would pass [`INSERT_CHUNK_BYTES`] (mysqldump's
//! `net_buffer_length` behaviour).

use std::io::{self, Write};

use ksdm_model::v21::{CredentialMeta, Membership, Project};

/// Size after which the current extended `INSERT` is closed and a new one started.
pub const INSERT_CHUNK_BYTES: usize = 1024 * 1024 - 1024;

/// What the dump looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpOptions {
    /// Whether `project` has the `workspace` column (schema after `V0_3__workspace`).
    pub workspace_column: bool,
    /// Whether the `flyway_schema_history` table (not DevOps data) is included.
    pub flyway_history: bool,
    /// Whether the first line is MariaDB ≥ 10.11.8's `/*M!999999\- enable the sandbox mode */`.
    pub sandbox_line: bool,
    /// The `-- Dump completed on …` time, `YYYY-MM-DD HH:MM:SS`.
    pub completed_on: String,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            workspace_column: true,
            flyway_history: true,
            sandbox_line: true,
            completed_on: "2021-03-15  9:41:07".to_owned(),
        }
    }
}

/// One SQL value of a dumped row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue<'a> {
    /// A quoted, escaped string (also used for timestamps).
    Str(&'a str),
    /// An unquoted integer.
    Int(i64),
    /// `NULL`.
    Null,
}

/// Appends `s` as a single-quoted MySQL string literal, escaped the way `mysql_real_escape_string`
/// does: `\0 \n \r \\ \' \" \Z`.
pub fn push_sql_string(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\u{1a}' => out.push_str("\\Z"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

fn push_row(out: &mut String, values: &[SqlValue<'_>]) {
    out.push('(');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match v {
            SqlValue::Str(s) => push_sql_string(out, s),
            SqlValue::Int(n) => out.push_str(&n.to_string()),
            SqlValue::Null => out.push_str("NULL"),
        }
    }
    out.push(')');
}

const TABLE_SUFFIX: &str = ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;";

/// `CREATE TABLE` as MySQL 8.0.11's `SHOW CREATE TABLE` prints it: one definition per line,
/// indented by two spaces.
fn create_table(table: &str, definitions: &[&str]) -> String {
    format!(
        "CREATE TABLE `{table}` (\n  {}\n{TABLE_SUFFIX}",
        definitions.join(",\n  ")
    )
}

fn flyway_ddl() -> String {
    create_table(
        "flyway_schema_history",
        &[
            "`installed_rank` int(11) NOT NULL",
            "`version` varchar(50) DEFAULT NULL",
            "`description` varchar(200) NOT NULL",
            "`type` varchar(20) NOT NULL",
            "`script` varchar(1000) NOT NULL",
            "`checksum` int(11) DEFAULT NULL",
            "`installed_by` varchar(100) NOT NULL",
            "`installed_on` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP",
            "`execution_time` int(11) NOT NULL",
            "`success` tinyint(1) NOT NULL",
            "PRIMARY KEY (`installed_rank`)",
            "KEY `flyway_schema_history_s_idx` (`success`)",
        ],
    )
}

fn project_ddl(workspace: bool) -> String {
    let mut defs = vec![
        "`project_id` varchar(50) NOT NULL",
        "`name` varchar(50) NOT NULL",
        "`description` text NOT NULL",
        "`creator` varchar(50) NOT NULL",
        "`create_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP",
        "`status` varchar(50) NOT NULL",
        "`visibility` varchar(50) NOT NULL",
        "`extra` text NOT NULL",
    ];
    if workspace {
        defs.push("`workspace` varchar(255) NOT NULL DEFAULT ''");
    }
    defs.push("PRIMARY KEY (`project_id`)");
    create_table("project", &defs)
}

fn credential_ddl() -> String {
    create_table(
        "project_credential",
        &[
            "`project_id` varchar(50) NOT NULL",
            "`credential_id` varchar(255) NOT NULL",
            "`domain` varchar(255) NOT NULL",
            "`creator` varchar(50) NOT NULL",
            "`create_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP",
            "PRIMARY KEY (`project_id`,`credential_id`,`domain`)",
        ],
    )
}

fn membership_ddl() -> String {
    create_table(
        "project_membership",
        &[
            "`username` varchar(50) NOT NULL",
            "`project_id` varchar(50) NOT NULL",
            "`role` varchar(50) NOT NULL",
            "`status` varchar(50) NOT NULL",
            "`grant_by` varchar(50) NOT NULL",
            "PRIMARY KEY (`username`,`project_id`)",
        ],
    )
}

/// Writes one table: structure, then its rows as chunked extended `INSERT`s.
fn write_table<W: Write + ?Sized, I>(w: &mut W, table: &str, ddl: &str, rows: I) -> io::Result<()>
where
    I: Iterator<Item = String>,
{
    write!(
        w,
        "\n--\n-- Table structure for table `{table}`\n--\n\n\
DROP TABLE IF EXISTS `{table}`;\n\
/*!40101 SET @saved_cs_client     = @@character_set_client */;\n\
/*!40101 SET character_set_client = utf8mb4 */;\n\
{ddl}\n\
/*!40101 SET character_set_client = @saved_cs_client */;\n\
\n--\n-- Dumping data for table `{table}`\n--\n\n\
LOCK TABLES `{table}` WRITE;\n\
/*!40000 ALTER TABLE `{table}` DISABLE KEYS */;\n"
    )?;
    let head = format!("INSERT INTO `{table}` VALUES\n");
    let mut stmt_len = 0usize;
    for row in rows {
        if stmt_len == 0 {
            w.write_all(head.as_bytes())?;
            stmt_len = head.len();
        } else if stmt_len + row.len() + 2 > INSERT_CHUNK_BYTES {
            w.write_all(b";\n")?;
            w.write_all(head.as_bytes())?;
            stmt_len = head.len();
        } else {
            w.write_all(b",\n")?;
        }
        w.write_all(row.as_bytes())?;
        stmt_len += row.len() + 2;
    }
    if stmt_len > 0 {
        w.write_all(b";\n")?;
    }
    write!(
        w,
        "/*!40000 ALTER TABLE `{table}` ENABLE KEYS */;\nUNLOCK TABLES;\n"
    )
}

fn header<W: Write + ?Sized>(w: &mut W, opts: &DumpOptions) -> io::Result<()> {
    if opts.sandbox_line {
        w.write_all(b"/*M!999999\\- enable the sandbox mode */ \n")?;
    }
    w.write_all(
        b"-- MariaDB dump 10.19  Distrib 10.11.11-MariaDB, for debian-linux-gnu (x86_64)\n\
--\n\
-- Host: 127.0.0.1    Database: devops\n\
-- ------------------------------------------------------\n\
-- Server version\t8.0.11\n\
\n\
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;\n\
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;\n\
/*!40101 SET NAMES utf8mb4 */;\n\
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n\
/*!40103 SET TIME_ZONE='+00:00' */;\n\
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n\
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n\
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n\
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n",
    )
}

fn footer<W: Write + ?Sized>(w: &mut W, opts: &DumpOptions) -> io::Result<()> {
    write!(
        w,
        "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n\
\n\
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n\
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n\
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;\n\
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n\
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;\n\
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;\n\
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\
\n\
-- Dump completed on {}\n",
        opts.completed_on
    )
}

/// The rows Flyway leaves in `flyway_schema_history` after the three DevOps migrations.
fn flyway_rows() -> Vec<String> {
    let rows: [(i64, &str, &str, &str, i64, &str, i64); 3] = [
        (
            1,
            "0.1",
            "init",
            "V0_1__init.sql",
            -1_405_373_337,
            "2019-12-10 06:31:02",
            41,
        ),
        (
            2,
            "0.2",
            "credential",
            "V0_2__credential.sql",
            1_146_021_398,
            "2019-12-10 06:31:02",
            15,
        ),
        (
            3,
            "0.3",
            "workspace",
            "V0_3__workspace.sql",
            -684_221_510,
            "2019-12-10 06:31:03",
            87,
        ),
    ];
    rows.iter()
        .map(|(rank, version, desc, script, checksum, on, ms)| {
            let mut s = String::new();
            push_row(
                &mut s,
                &[
                    SqlValue::Int(*rank),
                    SqlValue::Str(version),
                    SqlValue::Str(desc),
                    SqlValue::Str("SQL"),
                    SqlValue::Str(script),
                    SqlValue::Int(*checksum),
                    SqlValue::Str("root"),
                    SqlValue::Str(on),
                    SqlValue::Int(*ms),
                    SqlValue::Int(1),
                ],
            );
            s
        })
        .collect()
}

/// The `(…)` text of a `project` row.
pub fn project_row(p: &Project, workspace_column: bool) -> String {
    let mut s = String::new();
    let mut v = vec![
        SqlValue::Str(&p.project_id),
        SqlValue::Str(&p.name),
        SqlValue::Str(&p.description),
        SqlValue::Str(&p.creator),
        SqlValue::Str(&p.create_time),
        SqlValue::Str(&p.status),
        SqlValue::Str(&p.visibility),
        SqlValue::Str(&p.extra),
    ];
    if workspace_column {
        v.push(SqlValue::Str(p.workspace.as_deref().unwrap_or("")));
    }
    push_row(&mut s, &v);
    s
}

/// The `(…)` text of a `project_credential` row.
pub fn credential_row(c: &CredentialMeta) -> String {
    let mut s = String::new();
    push_row(
        &mut s,
        &[
            SqlValue::Str(&c.project_id),
            SqlValue::Str(&c.credential_id),
            SqlValue::Str(&c.domain),
            SqlValue::Str(&c.creator),
            SqlValue::Str(&c.create_time),
        ],
    );
    s
}

/// The `(…)` text of a `project_membership` row.
pub fn membership_row(m: &Membership) -> String {
    let mut s = String::new();
    push_row(
        &mut s,
        &[
            SqlValue::Str(&m.username),
            SqlValue::Str(&m.project_id),
            SqlValue::Str(&m.role),
            SqlValue::Str(&m.status),
            SqlValue::Str(&m.grant_by),
        ],
    );
    s
}

/// Writes the whole dump of `devops`. Tables come in name order (`flyway_schema_history`,
/// `project`, `project_credential`, `project_membership`), so `projects` is consumed first, then
/// `credentials`, then `memberships`: each can be a lazy iterator.
pub fn write_dump<W, P, C, M>(
    w: &mut W,
    opts: &DumpOptions,
    projects: P,
    credentials: C,
    memberships: M,
) -> io::Result<()>
where
    W: Write + ?Sized,
    P: IntoIterator<Item = Project>,
    C: IntoIterator<Item = CredentialMeta>,
    M: IntoIterator<Item = Membership>,
{
    header(w, opts)?;
    if opts.flyway_history {
        write_table(
            w,
            "flyway_schema_history",
            &flyway_ddl(),
            flyway_rows().into_iter(),
        )?;
    }
    let ws = opts.workspace_column;
    write_table(
        w,
        "project",
        &project_ddl(ws),
        projects.into_iter().map(|p| project_row(&p, ws)),
    )?;
    write_table(
        w,
        "project_credential",
        &credential_ddl(),
        credentials.into_iter().map(|c| credential_row(&c)),
    )?;
    write_table(
        w,
        "project_membership",
        &membership_ddl(),
        memberships.into_iter().map(|m| membership_row(&m)),
    )?;
    footer(w, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(id: &str, name: &str) -> Project {
        Project {
            project_id: id.into(),
            name: name.into(),
            description: String::new(),
            creator: "admin".into(),
            create_time: "2020-01-02 03:04:05".into(),
            status: "active".into(),
            visibility: "private".into(),
            extra: String::new(),
            workspace: Some("ws".into()),
        }
    }

    #[test]
    fn escapes_like_mysql_real_escape_string() {
        let mut s = String::new();
        push_sql_string(&mut s, "a'b\"c\\d\ne\rf\0g\u{1a}h部署");
        assert_eq!(s, r#"'a\'b\"c\\d\ne\rf\0g\Zh部署'"#);
    }

    #[test]
    fn dump_layout_with_and_without_workspace() {
        let mut out = Vec::new();
        let opts = DumpOptions::default();
        write_dump(
            &mut out,
            &opts,
            vec![project("project-A", "x'y"), project("project-B", "z")],
            vec![],
            vec![],
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19"));
        assert!(s.contains(
            "INSERT INTO `project` VALUES\n('project-A','x\\'y','','admin','2020-01-02 03:04:05','active','private','','ws'),\n('project-B','z','','admin','2020-01-02 03:04:05','active','private','','ws');\n"
        ), "{s}");
        assert!(s.contains(
            "CREATE TABLE `project` (\n  `project_id` varchar(50) NOT NULL,\n  `name` varchar(50) NOT NULL,\n"
        ));
        assert!(s.contains("  `workspace` varchar(255) NOT NULL DEFAULT '',\n  PRIMARY KEY (`project_id`)\n) ENGINE=InnoDB"));
        // Empty tables have no INSERT.
        assert!(s.contains(
            "LOCK TABLES `project_membership` WRITE;\n/*!40000 ALTER TABLE `project_membership` DISABLE KEYS */;\n/*!40000 ALTER TABLE `project_membership` ENABLE KEYS */;\nUNLOCK TABLES;\n"
        ));
        let flyway = s.find("`flyway_schema_history` VALUES").unwrap();
        let first_project = s.find("INSERT INTO `project` VALUES").unwrap();
        assert!(flyway < first_project);
        assert!(s.ends_with("-- Dump completed on 2021-03-15  9:41:07\n"));

        let mut out = Vec::new();
        let opts = DumpOptions {
            workspace_column: false,
            flyway_history: false,
            ..DumpOptions::default()
        };
        write_dump(
            &mut out,
            &opts,
            vec![project("project-A", "x")],
            vec![],
            vec![],
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains("workspace"));
        assert!(!s.contains("flyway"));
        assert!(s.contains(
            "('project-A','x','','admin','2020-01-02 03:04:05','active','private','');\n"
        ));
    }

    #[test]
    fn long_tables_are_split_into_several_inserts() {
        let rows = (0..30_000).map(|i| Membership {
            username: format!("user-{i:08}-with-a-rather-long-name"),
            project_id: "project-W4zNlwJLzgRB".into(),
            role: "developer".into(),
            status: "active".into(),
            grant_by: "admin".into(),
        });
        let mut out = Vec::new();
        write_dump(&mut out, &DumpOptions::default(), vec![], vec![], rows).unwrap();
        let s = String::from_utf8(out).unwrap();
        let inserts = s
            .matches("INSERT INTO `project_membership` VALUES\n")
            .count();
        assert!(inserts >= 2, "{inserts}");
        assert_eq!(s.matches("\n('user-").count(), 30_000);
        for stmt in s.split("INSERT INTO").skip(1) {
            let end = stmt.find(";\n").unwrap();
            assert!(end < INSERT_CHUNK_BYTES);
        }
    }
}
