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

// ---------------------------------------------------------------------------------------------
// Tables

/// The three `devops` tables this reader keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Table {
    Project,
    Membership,
    Credential,
}

/// `project` columns in model order, the optional `workspace` last.
const PROJECT_COLUMNS: [&str; 9] = {
    let c = v21_rows::PROJECT.columns;
    [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], "workspace"]
};
const MEMBERSHIP_COLUMNS: &[&str] = v21_rows::MEMBERSHIP.columns;
const CREDENTIAL_COLUMNS: &[&str] = v21_rows::CREDENTIAL.columns;

impl Table {
    fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case(v21_rows::PROJECT.name) {
            Some(Self::Project)
        } else if name.eq_ignore_ascii_case(v21_rows::MEMBERSHIP.name) {
            Some(Self::Membership)
        } else if name.eq_ignore_ascii_case(v21_rows::CREDENTIAL.name) {
            Some(Self::Credential)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Project => v21_rows::PROJECT.name,
            Self::Membership => v21_rows::MEMBERSHIP.name,
            Self::Credential => v21_rows::CREDENTIAL.name,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Project => 0,
            Self::Membership => 1,
            Self::Credential => 2,
        }
    }

    /// The fields the model needs, in model order (for `project` incl. the optional workspace).
    fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Project => &PROJECT_COLUMNS,
            Self::Membership => MEMBERSHIP_COLUMNS,
            Self::Credential => CREDENTIAL_COLUMNS,
        }
    }

    /// The known v2.1 column order for a row of `count` values, if it fits.
    fn default_layout(self, count: usize) -> Option<Vec<String>> {
        let cols: &[&str] = match (self, count) {
            (Self::Project, 9) => &PROJECT_COLUMNS,
            (Self::Project, 8) => &PROJECT_COLUMNS[..8],
            (Self::Membership, 5) => MEMBERSHIP_COLUMNS,
            (Self::Credential, 5) => CREDENTIAL_COLUMNS,
            _ => return None,
        };
        Some(cols.iter().map(|c| (*c).to_string()).collect())
    }
}

/// Rows and layouts of one database.
#[derive(Default)]
struct Bucket {
    /// Column names from `CREATE TABLE`, per table.
    ddl: [Option<Vec<String>>; 3],
    /// Whether the table occurs (DDL or INSERT), per table.
    seen: [bool; 3],
    data: MysqlData,
    issues: Vec<DumpIssue>,
    nulls: HashMap<(Table, &'static str), (u64, u64)>,
    missing_reported: HashSet<(Table, &'static str)>,
}

// ---------------------------------------------------------------------------------------------
// Input with lookahead

/// A byte window over a `BufRead` with arbitrary lookahead and absolute offsets.
struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    offset: u64,
}

impl<R: BufRead> Input<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(1 << 16),
            pos: 0,
            eof: false,
            offset: 0,
        }
    }

    #[inline]
    fn peek(&mut self, n: usize) -> io::Result<Option<u8>> {
        while self.pos + n >= self.buf.len() && !self.eof {
            self.fill()?;
        }
        Ok(self.buf.get(self.pos + n).copied())
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let chunk = loop {
            match self.inner.fill_buf() {
                Ok(c) => break c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if chunk.is_empty() {
            self.eof = true;
            return Ok(());
        }
        let n = chunk.len();
        self.buf.extend_from_slice(chunk);
        self.inner.consume(n);
        Ok(())
    }

    /// The bytes available without reading more (at least one unless at EOF).
    #[inline]
    fn available(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.buf.len() && !self.eof {
            self.fill()?;
        }
        Ok(&self.buf[self.pos.min(self.buf.len())..])
    }

    #[inline]
    fn advance(&mut self, n: usize) {
        self.pos += n;
        self.offset += n as u64;
    }

    fn matches(&mut self, pat: &[u8], ignore_case: bool) -> io::Result<bool> {
        for (i, p) in pat.iter().enumerate() {
            match self.peek(i)? {
                Some(b) if b == *p || (ignore_case && b.eq_ignore_ascii_case(p)) => {}
                _ => return Ok(false),
            }
        }
        Ok(true)
    }
}

// ---------------------------------------------------------------------------------------------
// Statement classification

/// What a statement is, as far as this reader cares.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    /// Not classified yet (head still short).
    Undecided,
    /// `INSERT`/`REPLACE` into a wanted table.
    Insert { db: Option<String>, table: Table },
    /// `CREATE TABLE` of a wanted table.
    Create { db: Option<String>, table: Table },
    /// `USE db`.
    Use(String),
    /// Anything else; the name is the table of an `INSERT` into another table.
    Discard(Option<String>),
}

/// A token of a statement head.
#[derive(Debug, PartialEq, Eq)]
enum HeadToken {
    Word(String),
    Quoted(String),
    Punct(u8),
}

/// Tokenizes the head of a statement; `None` at the end of the (incomplete) head.
struct HeadLexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl HeadLexer<'_> {
    fn next(&mut self) -> Option<HeadToken> {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        let start = self.i;
        let first = *self.s.get(start)?;
        // `…` identifiers, and "…" ones of `--compatible=ansi` dumps (ANSI_QUOTES; only
        // identifiers occur in a statement head).
        if first == b'`' || first == b'"' {
            let mut out = Vec::new();
            let mut j = start + 1;
            loop {
                let b = *self.s.get(j)?;
                if b == first {
                    if self.s.get(j + 1) == Some(&first) {
                        out.push(first);
                        j += 2;
                        continue;
                    }
                    self.i = j + 1;
                    return Some(HeadToken::Quoted(
                        String::from_utf8_lossy(&out).into_owned(),
                    ));
                }
                out.push(b);
                j += 1;
            }
        }
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        if is_word(first) {
            let mut j = start;
            while j < self.s.len() && is_word(self.s[j]) {
                j += 1;
            }
            self.i = j;
            return Some(HeadToken::Word(
                String::from_utf8_lossy(&self.s[start..j]).into_owned(),
            ));
        }
        self.i = start + 1;
        Some(HeadToken::Punct(first))
    }

    fn is_word(tok: &HeadToken, w: &str) -> bool {
        matches!(tok, HeadToken::Word(x) if x.eq_ignore_ascii_case(w))
    }

    /// Reads `name` or `db.name`; returns `(db, name, next token)`.
    fn qualified_name(
        &mut self,
        first: HeadToken,
    ) -> Option<(Option<String>, String, Option<HeadToken>)> {
        let a = match first {
            HeadToken::Word(w) | HeadToken::Quoted(w) => w,
            HeadToken::Punct(_) => return Some((None, String::new(), None)),
        };
        let next = self.next();
        if next == Some(HeadToken::Punct(b'.')) {
            match self.next()? {
                HeadToken::Word(b) | HeadToken::Quoted(b) => Some((Some(a), b, self.next())),
                HeadToken::Punct(_) => Some((None, String::new(), None)),
            }
        } else {
            Some((None, a, next))
        }
    }
}

/// Classifies a statement from its head. `None` means the head is too short to tell.
fn classify(head: &[u8], complete: bool) -> Option<Class> {
    let mut lx = HeadLexer { s: head, i: 0 };
    let undecided = if complete {
        Some(Class::Discard(None))
    } else {
        None
    };
    let Some(first) = lx.next() else {
        return undecided;
    };
    let HeadToken::Word(first) = first else {
        return Some(Class::Discard(None));
    };
    if first.eq_ignore_ascii_case("INSERT") || first.eq_ignore_ascii_case("REPLACE") {
        let mut tok = lx.next();
        loop {
            match &tok {
                Some(t)
                    if ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"]
                        .iter()
                        .any(|w| HeadLexer::is_word(t, w)) =>
                {
                    tok = lx.next();
                }
                Some(_) => break,
                None => return undecided,
            }
        }
        let t = tok?;
        let (db, name, after) = match lx.qualified_name(t) {
            Some(x) => x,
            None => return undecided,
        };
        // The token after the name must exist so that the name is known to be complete.
        if after.is_none() && !complete {
            return None;
        }
        return Some(match Table::from_name(&name) {
            Some(table) => Class::Insert { db, table },
            None => Class::Discard(Some(name)),
        });
    }
    if first.eq_ignore_ascii_case("CREATE") {
        let mut tok = lx.next();
        if tok
            .as_ref()
            .is_some_and(|t| HeadLexer::is_word(t, "TEMPORARY"))
        {
            tok = lx.next();
        }
        match &tok {
            Some(t) if HeadLexer::is_word(t, "TABLE") => {}
            Some(_) => return Some(Class::Discard(None)),
            None => return undecided,
        }
        let mut tok = lx.next();
        if tok.as_ref().is_some_and(|t| HeadLexer::is_word(t, "IF")) {
            let _not = lx.next();
            let _exists = lx.next();
            tok = lx.next();
        }
        let t = match tok {
            Some(t) => t,
            None => return undecided,
        };
        let (db, name, after) = match lx.qualified_name(t) {
            Some(x) => x,
            None => return undecided,
        };
        if after.is_none() && !complete {
            return None;
        }
        return Some(match Table::from_name(&name) {
            Some(table) => Class::Create { db, table },
            None => Class::Discard(None),
        });
    }
    if first.eq_ignore_ascii_case("USE") {
        if !complete {
            return None;
        }
        return Some(match lx.next() {
            Some(HeadToken::Word(db)) | Some(HeadToken::Quoted(db)) => Class::Use(db),
            _ => Class::Discard(None),
        });
    }
    Some(Class::Discard(None))
}

// ---------------------------------------------------------------------------------------------
// The reader

/// Lexer states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Normal,
    Quote(u8),
    Backtick,
    LineComment,
    BlockComment,
}

/// The statement being read.
struct Stmt {
    buf: Vec<u8>,
    start: u64,
    nonws: bool,
    class: Class,
    depth: i64,
    last_tuple_end: Option<usize>,
    next_classify: usize,
}

impl Stmt {
    fn new() -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            nonws: false,
            class: Class::Undecided,
            depth: 0,
            last_tuple_end: None,
            next_classify: 256,
        }
    }

    fn keeps(&self) -> bool {
        !matches!(self.class, Class::Discard(_))
    }

    #[inline]
    fn push(&mut self, b: u8, offset: u64) {
        if !self.nonws {
            if b.is_ascii_whitespace() {
                return;
            }
            self.nonws = true;
            self.start = offset;
        }
        if self.keeps() {
            self.buf.push(b);
            if self.class == Class::Undecided && self.buf.len() >= self.next_classify {
                match classify(&self.buf, false) {
                    Some(c) => self.set_class(c),
                    None => self.next_classify = self.buf.len() * 2,
                }
            }
        }
    }

    fn set_class(&mut self, c: Class) {
        if matches!(c, Class::Discard(_)) {
            self.buf = Vec::new();
        }
        self.class = c;
    }
}

struct DumpReader<R> {
    input: Input<R>,
    stmt: Stmt,
    lex: Lex,
    delimiter: Vec<u8>,
    current_db: Option<String>,
    buckets: Vec<(Option<String>, Bucket)>,
    issues: Vec<DumpIssue>,
    /// Longest statement of a wanted table that is buffered.
    max_statement: u64,
}

impl<R: BufRead> DumpReader<R> {
    fn new(inner: R) -> Self {
        Self {
            input: Input::new(inner),
            stmt: Stmt::new(),
            lex: Lex::Normal,
            delimiter: b";".to_vec(),
            current_db: None,
            buckets: Vec::new(),
            issues: Vec::new(),
            max_statement: ksdm_model::limits::MAX_DUMP_STATEMENT_BYTES,
        }
    }

    /// Reads the whole input. Errs only when the very first read fails.
    fn run(&mut self) -> io::Result<()> {
        match self.lex_all() {
            Ok(()) => {
                self.end_of_input();
                Ok(())
            }
            Err(e) if self.input.offset == 0 && self.input.buf.is_empty() => Err(e),
            Err(e) => {
                self.issues.push(DumpIssue {
                    kind: DumpIssueKind::ReadFailed,
                    table: None,
                    offset: self.input.offset,
                    detail: format!("reading the dump failed, the rest is missing: {e}"),
                });
                self.end_of_input();
                Ok(())
            }
        }
    }

    fn lex_all(&mut self) -> io::Result<()> {
        loop {
            if self.stmt.buf.len() as u64 > self.max_statement {
                self.refuse_statement();
            }
            match self.lex {
                Lex::Normal => {
                    let Some(b) = self.input.peek(0)? else {
                        return Ok(());
                    };
                    self.normal_byte(b)?;
                }
                Lex::Quote(q) => {
                    // Bulk-scan string content up to the next quote or backslash.
                    let keeps = self.stmt.keeps();
                    let avail = self.input.available()?;
                    if avail.is_empty() {
                        return Ok(());
                    }
                    let n = avail
                        .iter()
                        .position(|&c| c == q || c == b'\\')
                        .unwrap_or(avail.len());
                    if n > 0 {
                        if keeps {
                            self.stmt.buf.extend_from_slice(&avail[..n]);
                        }
                        self.input.advance(n);
                        continue;
                    }
                    let b = avail[0];
                    let off = self.input.offset;
                    self.stmt.push(b, off);
                    self.input.advance(1);
                    if b == b'\\' {
                        if let Some(n) = self.input.peek(0)? {
                            let off = self.input.offset;
                            self.stmt.push(n, off);
                            self.input.advance(1);
                        }
                    } else {
                        self.lex = Lex::Normal;
                    }
                }
                Lex::Backtick => {
                    let Some(b) = self.input.peek(0)? else {
                        return Ok(());
                    };
                    let off = self.input.offset;
                    self.stmt.push(b, off);
                    self.input.advance(1);
                    if b == b'`' {
                        self.lex = Lex::Normal;
                    }
                }
                Lex::LineComment => {
                    let avail = self.input.available()?;
                    if avail.is_empty() {
                        return Ok(());
                    }
                    match avail.iter().position(|&c| c == b'\n') {
                        Some(i) => {
                            self.input.advance(i + 1);
                            self.lex = Lex::Normal;
                            let off = self.input.offset;
                            self.stmt.push(b'\n', off);
                        }
                        None => {
                            let n = avail.len();
                            self.input.advance(n);
                        }
                    }
                }
                Lex::BlockComment => {
                    let Some(b) = self.input.peek(0)? else {
                        return Ok(());
                    };
                    if b == b'*' && self.input.peek(1)? == Some(b'/') {
                        self.input.advance(2);
                        self.lex = Lex::Normal;
                    } else {
                        self.input.advance(1);
                    }
                }
            }
        }
    }

    fn normal_byte(&mut self, b: u8) -> io::Result<()> {
        let input = &mut self.input;
        if !self.stmt.nonws && (b == b'D' || b == b'd') && input.matches(b"delimiter", true)? {
            if let Some(sep) = input.peek(9)? {
                if sep == b' ' || sep == b'\t' {
                    return self.delimiter_command();
                }
            }
        }
        if b == self.delimiter[0] && input.matches(&self.delimiter, false)? {
            let n = self.delimiter.len();
            input.advance(n);
            self.end_statement(true);
            return Ok(());
        }
        let off = input.offset;
        match b {
            b'\'' | b'"' => self.lex = Lex::Quote(b),
            b'`' => self.lex = Lex::Backtick,
            b'-' if input.peek(1)? == Some(b'-') && input.peek(2)?.is_none_or(|c| c <= b' ') => {
                input.advance(2);
                self.lex = Lex::LineComment;
                self.stmt.push(b' ', off);
                return Ok(());
            }
            b'#' => {
                input.advance(1);
                self.lex = Lex::LineComment;
                self.stmt.push(b' ', off);
                return Ok(());
            }
            b'/' if input.peek(1)? == Some(b'*') => {
                input.advance(2);
                self.lex = Lex::BlockComment;
                self.stmt.push(b' ', off);
                return Ok(());
            }
            b'(' => self.stmt.depth += 1,
            b')' => self.stmt.depth -= 1,
            _ => {}
        }
        self.stmt.push(b, off);
        self.input.advance(1);
        if b == b')' && self.stmt.depth == 0 {
            self.stmt.last_tuple_end = Some(self.stmt.buf.len());
        }
        Ok(())
    }

    /// The statement being buffered is over the limit: record it and read on without keeping
    /// its bytes (an unterminated quote then runs to the end of the input without growing
    /// memory, and is reported as a truncation as well).
    fn refuse_statement(&mut self) {
        if self.stmt.class == Class::Undecided {
            if let Some(c) = classify(&self.stmt.buf, false) {
                self.stmt.class = c;
            }
        }
        let table = match self.stmt.class.clone() {
            Class::Insert { db, table } | Class::Create { db, table } => {
                let db = db.or_else(|| self.current_db.clone());
                self.bucket(&db).seen[table.index()] = true;
                Some(table.name().to_string())
            }
            _ => None,
        };
        self.issues.push(DumpIssue {
            kind: DumpIssueKind::StatementTooLarge,
            table,
            offset: self.stmt.start,
            detail: format!(
                "the statement is longer than {} (the most this tool reads for one statement); \
                 it was skipped and its rows are missing",
                ksdm_model::limits::human_size(self.max_statement)
            ),
        });
        self.stmt.set_class(Class::Discard(None));
    }

    /// A client `DELIMITER xx` line: sets the statement delimiter.
    fn delimiter_command(&mut self) -> io::Result<()> {
        self.input.advance(9);
        let mut line = Vec::new();
        while let Some(b) = self.input.peek(0)? {
            self.input.advance(1);
            if b == b'\n' {
                break;
            }
            line.push(b);
        }
        let new: Vec<u8> = line
            .split(|c| c.is_ascii_whitespace())
            .find(|w| !w.is_empty())
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        if !new.is_empty() {
            tracing::debug!(delimiter = %String::from_utf8_lossy(&new), "mysqldump DELIMITER");
            self.delimiter = new;
        }
        Ok(())
    }

    fn end_of_input(&mut self) {
        if self.stmt.nonws {
            self.end_statement(false);
        } else if matches!(self.lex, Lex::Quote(_) | Lex::Backtick) {
            self.issues.push(DumpIssue {
                kind: DumpIssueKind::Truncated,
                table: None,
                offset: self.input.offset,
                detail: "the dump ends inside a quoted string".to_string(),
            });
        }
    }

    /// Handles a complete statement (`terminated`) or the unterminated rest at end of input.
    fn end_statement(&mut self, terminated: bool) {
        let mut stmt = std::mem::replace(&mut self.stmt, Stmt::new());
        if !stmt.nonws {
            return;
        }
        if stmt.class == Class::Undecided {
            stmt.class = classify(&stmt.buf, true).unwrap_or(Class::Discard(None));
        }
        let eof = self.input.offset;
        match stmt.class.clone() {
            Class::Use(db) => {
                if terminated {
                    tracing::debug!(database = %db, "mysqldump USE");
                    self.current_db = Some(db);
                } else {
                    self.truncated(
                        None,
                        stmt.start,
                        eof,
                        "the dump ends inside a USE statement",
                    );
                }
            }
            Class::Discard(table) => {
                if !terminated {
                    self.truncated(table, stmt.start, eof, "the dump ends inside a statement");
                }
            }
            Class::Create { db, table } => {
                let db = db.or_else(|| self.current_db.clone());
                if !terminated {
                    self.truncated(
                        Some(table.name().into()),
                        stmt.start,
                        eof,
                        "the dump ends inside CREATE TABLE",
                    );
                    self.bucket(&db).seen[table.index()] = true;
                    return;
                }
                self.create_table(db, table, &stmt);
            }
            Class::Insert { db, table } => {
                let db = db.or_else(|| self.current_db.clone());
                self.insert(db, table, &stmt, terminated, eof);
            }
            Class::Undecided => {}
        }
    }

    fn truncated(&mut self, table: Option<String>, start: u64, eof: u64, what: &str) {
        self.issues.push(DumpIssue {
            kind: DumpIssueKind::Truncated,
            table,
            offset: start,
            detail: format!("{what} (statement starts at byte {start}, input ends at byte {eof})"),
        });
    }

    fn bucket(&mut self, db: &Option<String>) -> &mut Bucket {
        let idx = match self.buckets.iter().position(|(k, _)| k == db) {
            Some(i) => i,
            None => {
                self.buckets.push((db.clone(), Bucket::default()));
                self.buckets.len() - 1
            }
        };
        &mut self.buckets[idx].1
    }

    fn text(&mut self, stmt: &Stmt, end: usize, table: Table) -> String {
        let bytes = stmt.buf.get(..end).unwrap_or(&stmt.buf);
        match std::str::from_utf8(bytes) {
            Ok(s) => ansi_identifiers_to_backticks(s),
            Err(_) => {
                self.issues.push(DumpIssue {
                    kind: DumpIssueKind::InvalidUtf8,
                    table: Some(table.name().into()),
                    offset: stmt.start,
                    detail: "statement is not valid UTF-8; invalid bytes replaced by U+FFFD".into(),
                });
                ansi_identifiers_to_backticks(&String::from_utf8_lossy(bytes))
            }
        }
    }

    fn create_table(&mut self, db: Option<String>, table: Table, stmt: &Stmt) {
        let sql = self.text(stmt, stmt.buf.len(), table);
        let bucket = self.bucket(&db);
        bucket.seen[table.index()] = true;
        match Parser::parse_sql(&MySqlDialect {}, &sql) {
            Ok(stmts) => {
                if let Some(Statement::CreateTable(ct)) = stmts.first() {
                    let cols: Vec<String> = ct
                        .columns
                        .iter()
                        .map(|c| c.name.value.to_ascii_lowercase())
                        .collect();
                    if table == Table::Project {
                        bucket.data.has_workspace_column = cols.iter().any(|c| c == "workspace");
                    }
                    bucket.ddl[table.index()] = Some(cols);
                }
            }
            Err(e) => bucket.issues.push(DumpIssue {
                kind: DumpIssueKind::UnparsableStatement,
                table: Some(table.name().into()),
                offset: stmt.start,
                detail: format!(
                    "CREATE TABLE could not be parsed ({e}); the known v2.1 column order is used"
                ),
            }),
        }
    }

    fn insert(
        &mut self,
        db: Option<String>,
        table: Table,
        stmt: &Stmt,
        terminated: bool,
        eof: u64,
    ) {
        let sql = self.text(stmt, stmt.buf.len(), table);
        let parsed = parse_insert(&sql);
        let (values, columns) = match parsed {
            Ok(x) => {
                if !terminated {
                    self.issues.push(DumpIssue {
                        kind: DumpIssueKind::MissingTerminator,
                        table: Some(table.name().into()),
                        offset: stmt.start,
                        detail: format!("the last statement has no terminating delimiter (input ends at byte {eof})"),
                    });
                }
                x
            }
            Err(e) if terminated => {
                self.bucket(&db).seen[table.index()] = true;
                self.bucket(&db).issues.push(DumpIssue {
                    kind: DumpIssueKind::UnparsableStatement,
                    table: Some(table.name().into()),
                    offset: stmt.start,
                    detail: format!("INSERT could not be parsed, its rows are missing: {e}"),
                });
                return;
            }
            Err(_) => {
                // Truncated: salvage the complete rows before the cut.
                self.bucket(&db).seen[table.index()] = true;
                let salvaged = stmt
                    .last_tuple_end
                    .map(|end| self.text(stmt, end, table))
                    .and_then(|s| parse_insert(&s).ok());
                let n = salvaged.as_ref().map_or(0, |(rows, _)| rows.len());
                self.truncated(
                    Some(table.name().into()),
                    stmt.start,
                    eof,
                    &format!("the dump ends inside an INSERT; {n} complete row(s) of it were read, the rest is missing"),
                );
                match salvaged {
                    Some(x) => x,
                    None => return,
                }
            }
        };
        let bucket = self.bucket(&db);
        bucket.seen[table.index()] = true;
        let fixed = if columns.is_empty() {
            bucket.ddl[table.index()].clone()
        } else {
            Some(columns)
        };
        let fixed_map = fixed.as_deref().map(|l| FieldMap::new(table, l));
        let mut by_count: HashMap<usize, Option<FieldMap>> = HashMap::new();
        for (row_no, row) in values.into_iter().enumerate() {
            let map = match &fixed_map {
                Some(m) => Some(m),
                None => by_count
                    .entry(row.len())
                    .or_insert_with(|| {
                        table
                            .default_layout(row.len())
                            .map(|l| FieldMap::new(table, &l))
                    })
                    .as_ref(),
            };
            let Some(map) = map.filter(|m| m.width == row.len()) else {
                bucket.issues.push(DumpIssue {
                    kind: DumpIssueKind::ColumnCountMismatch,
                    table: Some(table.name().into()),
                    offset: stmt.start,
                    detail: format!(
                        "row {} of the INSERT has {} values, which does not match the table's columns; row skipped",
                        row_no + 1,
                        row.len()
                    ),
                });
                continue;
            };
            bucket.store_row(table, map, row, stmt.start);
        }
    }

    fn finish(mut self, name: &str) -> Result<DumpRead, DumpError> {
        let candidates: Vec<usize> = self
            .buckets
            .iter()
            .enumerate()
            .filter(|(_, (_, b))| b.seen[Table::Project.index()])
            .map(|(i, _)| i)
            .collect();
        let chosen = match candidates
            .iter()
            .copied()
            .find(|&i| self.buckets[i].0.as_deref() == Some("devops"))
        {
            Some(i) => i,
            None => match candidates.as_slice() {
                [] => {
                    return Err(DumpError::NoProjectTable {
                        input: name.to_string(),
                    })
                }
                [only] => *only,
                _ => {
                    let databases = candidates
                        .iter()
                        .map(|&i| {
                            self.buckets[i]
                                .0
                                .clone()
                                .unwrap_or_else(|| "(no USE)".into())
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(DumpError::AmbiguousDatabase {
                        input: name.to_string(),
                        databases,
                    });
                }
            },
        };
        let (db, mut bucket) = self.buckets.swap_remove(chosen);
        if let Some(db) = db.as_deref().filter(|d| *d != "devops") {
            self.issues.push(DumpIssue {
                kind: DumpIssueKind::DatabaseChoice,
                table: None,
                offset: 0,
                detail: format!(
                    "the dump has no database `devops`; rows of database `{db}` were read"
                ),
            });
        }
        let mut nulls: Vec<_> = bucket.nulls.drain().collect();
        nulls.sort_by_key(|(_, (_, off))| *off);
        for ((table, column), (count, offset)) in nulls {
            bucket.issues.push(DumpIssue {
                kind: DumpIssueKind::NullValue,
                table: Some(table.name().into()),
                offset,
                detail: format!("{count} NULL value(s) in column `{column}` read as empty string"),
            });
        }
        let mut issues = self.issues;
        issues.append(&mut bucket.issues);
        issues.sort_by_key(|i| i.offset);
        Ok(DumpRead {
            data: bucket.data,
            issues,
        })
    }
}

/// Parses one `INSERT` with sqlparser: `(rows of values (None = NULL), explicit column list)`.
type ParsedInsert = (Vec<Vec<Result<Option<String>, String>>>, Vec<String>);

/// Rewrites `"…"` identifiers (a `mysqldump --compatible=ansi` dump, written for ANSI_QUOTES)
/// as `` `…` `` ones, which the MySQL dialect reads. Strings are always `'…'` in a dump, so a `"`
/// outside a string or a backtick identifier can only start an identifier.
///
/// Only a statement whose head (before the first `(`) has a `"` is rewritten: other dumps may
/// hold `"…"` strings in their values, which MySQL reads as strings without ANSI_QUOTES.
fn ansi_identifiers_to_backticks(sql: &str) -> String {
    let head = sql.find('(').map_or(sql, |i| &sql[..i]);
    if !head.contains('"') {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '`' => {
                // Copy the string or identifier verbatim up to its end.
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\\' && c == '\'' {
                        if let Some(e) = chars.next() {
                            out.push(e);
                        }
                    } else if d == c {
                        if chars.peek() == Some(&c) {
                            out.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '"' => {
                out.push('`');
                while let Some(d) = chars.next() {
                    match d {
                        '"' if chars.peek() == Some(&'"') => {
                            chars.next();
                            out.push('"');
                        }
                        '"' => break,
                        '`' => out.push_str("``"),
                        _ => out.push(d),
                    }
                }
                out.push('`');
            }
            _ => out.push(c),
        }
    }
    out
}

fn parse_insert(sql: &str) -> Result<ParsedInsert, String> {
    let stmts = Parser::parse_sql(&MySqlDialect {}, sql).map_err(|e| e.to_string())?;
    let Some(Statement::Insert(ins)) = stmts.into_iter().next() else {
        return Err("not an INSERT statement".into());
    };
    let columns = ins
        .columns
        .iter()
        .filter_map(|c| {
            c.0.last()
                .and_then(|p| p.as_ident())
                .map(|i| i.value.to_ascii_lowercase())
        })
        .collect();
    let Some(source) = ins.source else {
        return Err("INSERT without VALUES".into());
    };
    let SetExpr::Values(values) = *source.body else {
        return Err("INSERT without VALUES".into());
    };
    let rows = values
        .rows
        .into_iter()
        .map(|row| row.content.iter().map(expr_text).collect())
        .collect();
    Ok((rows, columns))
}

/// The text of a literal value; `Ok(None)` for `NULL`, `Err` for a non-literal.
fn expr_text(e: &Expr) -> Result<Option<String>, String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::NationalStringLiteral(s)
            | Value::EscapedStringLiteral(s)
            | Value::SingleQuotedByteStringLiteral(s)
            | Value::DoubleQuotedByteStringLiteral(s) => Ok(Some(s.clone())),
            Value::Number(n, _) => Ok(Some(n.to_string())),
            Value::Boolean(b) => Ok(Some(if *b { "1" } else { "0" }.to_string())),
            Value::Null => Ok(None),
            Value::HexStringLiteral(h) => Ok(Some(decode_hex(h))),
            other => Err(format!("unsupported literal {other}")),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr_text(expr)? {
            Some(s) => Ok(Some(format!("-{s}"))),
            None => Ok(None),
        },
        // `_binary'…'`, `_utf8mb4'…'` charset introducers.
        Expr::Prefixed { value, .. } => expr_text(value),
        Expr::Identifier(id) if id.quote_style == Some('"') => Ok(Some(id.value.clone())),
        Expr::Nested(inner) => expr_text(inner),
        other => Err(format!("expression {other}")),
    }
}

fn decode_hex(h: &str) -> String {
    let bytes: Vec<u8> = h
        .as_bytes()
        .chunks(2)
        .filter_map(|c| {
            std::str::from_utf8(c)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
        })
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Where each column of a layout goes in the table's model fields.
struct FieldMap {
    /// Number of columns of the layout.
    width: usize,
    /// Per layout column: index into [`Table::fields`], or `None` for an unknown column.
    targets: Vec<Option<usize>>,
    /// Whether the layout has `project.workspace`.
    has_workspace: bool,
}

impl FieldMap {
    fn new(table: Table, layout: &[String]) -> Self {
        let targets = layout
            .iter()
            .map(|col| table.fields().iter().position(|f| f == col))
            .collect();
        Self {
            width: layout.len(),
            targets,
            has_workspace: table == Table::Project && layout.iter().any(|c| c == "workspace"),
        }
    }
}

impl Bucket {
    fn store_row(
        &mut self,
        table: Table,
        map: &FieldMap,
        row: Vec<Result<Option<String>, String>>,
        offset: u64,
    ) {
        let mut vals: Vec<Option<String>> = vec![None; table.fields().len()];
        for (target, v) in map.targets.iter().zip(row) {
            let Some(fi) = *target else { continue };
            let field = table.fields()[fi];
            let text = match v {
                Ok(Some(s)) => s,
                Ok(None) => {
                    let e = self.nulls.entry((table, field)).or_insert((0, offset));
                    e.0 += 1;
                    String::new()
                }
                Err(what) => {
                    self.issues.push(DumpIssue {
                        kind: DumpIssueKind::UnexpectedValue,
                        table: Some(table.name().into()),
                        offset,
                        detail: format!("column `{field}` holds a non-literal value ({what}); read as empty string"),
                    });
                    String::new()
                }
            };
            vals[fi] = Some(text);
        }
        let has_ws = map.has_workspace;
        for (fi, field) in table.fields().iter().enumerate() {
            if vals[fi].is_none()
                && !(table == Table::Project && *field == "workspace")
                && self.missing_reported.insert((table, field))
            {
                self.issues.push(DumpIssue {
                    kind: DumpIssueKind::MissingColumn,
                    table: Some(table.name().into()),
                    offset,
                    detail: format!("column `{field}` is missing; read as empty string"),
                });
            }
        }
        let values = vals.into_iter().map(Option::unwrap_or_default);
        match table {
            Table::Project => {
                if has_ws {
                    self.data.has_workspace_column = true;
                }
                self.data.projects.push(project_from_values(values, has_ws));
            }
            Table::Membership => self.data.memberships.push(membership_from_values(values)),
            Table::Credential => self
                .data
                .credentials
                .push(credential_meta_from_values(values)),
        }
    }
}
