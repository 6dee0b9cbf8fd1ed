//! Reader of a `mysqldump` of the KubeSphere v2.1 `devops` database (`docs/v21-sources.md` §2).
//!
//! The dump is read statement by statement with a small lexer that splits on the statement
//! delimiter (`;`, or whatever a `DELIMITER` line sets) outside `'…'`/`"…"` strings (with
//! backslash escapes), `` `…` `` identifiers and `--`/`#`/`/* … */` comments (MySQL's
//! `/*!40101 … */` and MariaDB's `/*M!999999\- … */` are comments too). Only `INSERT`/`REPLACE`
//! and `CREATE TABLE` statements of the tables `project`, `project_membership` and
//! `project_credential` are buffered and handed to `sqlparser` (MySQL dialect); every other
//! statement is skipped without being stored.
//!
//! Column order: an `INSERT` column list (`--complete-insert`) wins, then the `CREATE TABLE`
//! seen earlier in the dump, then the known v2.1 order (`project` has 8 values without and 9
//! with the `workspace` column).
//!
//! Databases: rows are collected per database (the current `USE` database, or an explicit
//! `db`.`table` qualifier). The result is database `devops` if the dump has it; otherwise the
//! only database that holds a `project` table (with a warning if it is named otherwise);
//! several candidates and none named `devops` is an error.
//!
//! Damage does not abort the read: a truncated or unparsable statement, a `NULL` value and the
//! like become [`DumpIssue`]s next to the rows that could be read. The read is an error only
//! when the input cannot be read at all or holds no `project` table.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

mod lexer;
mod rows;
mod schema;
mod statements;

use lexer::*;
use rows::*;
use schema::*;
use statements::*;

use ksdm_model::v21::MysqlData;
use sqlparser::ast::{Expr, SetExpr, Statement, UnaryOperator, Value};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use ksdm_model::v21_rows::{
    self, credential_meta_from_values, membership_from_values, project_from_values,
};

/// The result of reading a dump: the rows of the `devops` tables and what went wrong on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpRead {
    /// Rows of `project`, `project_membership` and `project_credential`.
    pub data: MysqlData,
    /// Problems found while reading, in input order; see [`DumpIssue::is_error`].
    pub issues: Vec<DumpIssue>,
}

/// What kind of problem a [`DumpIssue`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DumpIssueKind {
    /// The dump ends inside a statement (rows of that statement may be missing).
    Truncated,
    /// Reading the input failed part-way; everything after the offset is missing.
    ReadFailed,
    /// A statement of a wanted table could not be parsed; its rows are missing.
    UnparsableStatement,
    /// A row has a different number of values than the table has columns; the row is skipped.
    ColumnCountMismatch,
    /// A required column is missing from the table's column list; read as `""`.
    MissingColumn,
    /// `NULL` values (the v2.1 columns are all `NOT NULL`); read as `""`.
    NullValue,
    /// A value that is not a literal (e.g. a function call); read as `""`.
    UnexpectedValue,
    /// A statement is not valid UTF-8; invalid bytes were replaced by U+FFFD.
    InvalidUtf8,
    /// The last statement has no terminating delimiter but parsed completely.
    MissingTerminator,
    /// The rows were taken from a database not named `devops`.
    DatabaseChoice,
    /// A statement of a wanted table is longer than the limit
    /// ([`ksdm_model::limits::MAX_DUMP_STATEMENT_BYTES`]); it was skipped, its rows are missing.
    StatementTooLarge,
}

/// One problem found while reading a dump. Never contains secret values (the `devops` tables
/// hold none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpIssue {
    /// The kind of problem.
    pub kind: DumpIssueKind,
    /// The table concerned, if any.
    pub table: Option<String>,
    /// Byte offset in the (decompressed) input where the problem starts.
    pub offset: u64,
    /// Human-readable detail.
    pub detail: String,
}

impl DumpIssue {
    /// True when rows may be missing or wrong (truncation, read failure, unparsable statement,
    /// skipped row); false for warnings such as `NULL` values.
    pub fn is_error(&self) -> bool {
        matches!(
            self.kind,
            DumpIssueKind::Truncated
                | DumpIssueKind::StatementTooLarge
                | DumpIssueKind::ReadFailed
                | DumpIssueKind::UnparsableStatement
                | DumpIssueKind::ColumnCountMismatch
        )
    }
}

impl fmt::Display for DumpIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.is_error() { "error" } else { "warning" };
        match &self.table {
            Some(t) => write!(
                f,
                "{level}: table `{t}` at byte {}: {}",
                self.offset, self.detail
            ),
            None => write!(f, "{level}: at byte {}: {}", self.offset, self.detail),
        }
    }
}

/// Why a dump could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The file could not be opened.
    #[error("cannot open mysqldump file {path}: {source}")]
    Open {
        /// The dump file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Nothing could be read from the input.
    #[error("cannot read mysqldump {input}: {source}")]
    Read {
        /// The dump file or `<input>`.
        input: String,
        /// The cause.
        source: io::Error,
    },
    /// The dump holds no `project` table (no `CREATE TABLE` and no `INSERT` for it).
    #[error("mysqldump {input} holds no `project` table of the devops database")]
    NoProjectTable {
        /// The dump file or `<input>`.
        input: String,
    },
    /// The file is the XML that `mysqldump --xml` writes, not SQL.
    #[error(
        "mysqldump {input} is in mysqldump's XML format (written with --xml); this tool reads SQL \
         dumps: dump the database again without --xml"
    )]
    XmlFormat {
        /// The dump file or `<input>`.
        input: String,
    },
    /// Several databases hold a `project` table and none is named `devops`.
    #[error("mysqldump {input} holds `project` tables in several databases ({databases}) and none is `devops`")]
    AmbiguousDatabase {
        /// The dump file or `<input>`.
        input: String,
        /// The database names, comma-separated.
        databases: String,
    },
}

/// Reads a dump file; a gzip-compressed file (`.sql.gz`, detected by its magic bytes) is
/// decompressed on the fly.
pub fn read_dump_file(path: &Path) -> Result<DumpRead, DumpError> {
    let file = std::fs::File::open(path).map_err(|source| DumpError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let name = path.display().to_string();
    let head = reader.fill_buf().map_err(|source| DumpError::Read {
        input: name.clone(),
        source,
    })?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(reader);
        read_dump_named(BufReader::with_capacity(1 << 16, gz), &name)
    } else {
        read_dump_named(reader, &name)
    }
}

/// Refuses the XML that `mysqldump --xml` writes (looked at without consuming the input).
fn refuse_xml<R: BufRead>(input: &mut R, name: &str) -> Result<(), DumpError> {
    let head = input.fill_buf().map_err(|source| DumpError::Read {
        input: name.to_string(),
        source,
    })?;
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if head.starts_with(b"<?xml") || head.starts_with(b"<mysqldump") {
        return Err(DumpError::XmlFormat {
            input: name.to_string(),
        });
    }
    Ok(())
}

/// Reads a dump from any buffered reader (uncompressed SQL text).
pub fn read_dump<R: BufRead>(input: R) -> Result<DumpRead, DumpError> {
    read_dump_named(input, "<input>")
}

/// [`read_dump`] with another limit on the length of one statement of a wanted table (the
/// default is [`ksdm_model::limits::MAX_DUMP_STATEMENT_BYTES`]). A longer statement is skipped
/// with a [`DumpIssueKind::StatementTooLarge`] issue.
pub fn read_dump_limited<R: BufRead>(
    input: R,
    max_statement_bytes: u64,
) -> Result<DumpRead, DumpError> {
    let mut input = input;
    refuse_xml(&mut input, "<input>")?;
    let mut reader = DumpReader::new(input);
    reader.max_statement = max_statement_bytes;
    reader.run().map_err(|source| DumpError::Read {
        input: "<input>".to_string(),
        source,
    })?;
    reader.finish("<input>")
}

fn read_dump_named<R: BufRead>(mut input: R, name: &str) -> Result<DumpRead, DumpError> {
    refuse_xml(&mut input, name)?;
    let mut reader = DumpReader::new(input);
    reader.run().map_err(|source| DumpError::Read {
        input: name.to_string(),
        source,
    })?;
    reader.finish(name)
}
