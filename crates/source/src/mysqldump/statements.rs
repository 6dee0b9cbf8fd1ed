//! The statement loop: splits the dump into statements and hands the kept ones on.

use super::*;

pub(super) struct DumpReader<R> {
    pub(super) input: Input<R>,
    pub(super) stmt: Stmt,
    pub(super) lex: Lex,
    pub(super) delimiter: Vec<u8>,
    pub(super) current_db: Option<String>,
    pub(super) buckets: Vec<(Option<String>, Bucket)>,
    pub(super) issues: Vec<DumpIssue>,
    /// Longest statement of a wanted table that is buffered.
    pub(super) max_statement: u64,
}

impl<R: BufRead> DumpReader<R> {
    pub(super) fn new(inner: R) -> Self {
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
    pub(super) fn run(&mut self) -> io::Result<()> {
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

    pub(super) fn lex_all(&mut self) -> io::Result<()> {
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

    pub(super) fn normal_byte(&mut self, b: u8) -> io::Result<()> {
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
    pub(super) fn refuse_statement(&mut self) {
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
    pub(super) fn delimiter_command(&mut self) -> io::Result<()> {
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

    pub(super) fn end_of_input(&mut self) {
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
    pub(super) fn end_statement(&mut self, terminated: bool) {
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

    pub(super) fn truncated(&mut self, table: Option<String>, start: u64, eof: u64, what: &str) {
        self.issues.push(DumpIssue {
            kind: DumpIssueKind::Truncated,
            table,
            offset: start,
            detail: format!("{what} (statement starts at byte {start}, input ends at byte {eof})"),
        });
    }

    pub(super) fn bucket(&mut self, db: &Option<String>) -> &mut Bucket {
        let idx = match self.buckets.iter().position(|(k, _)| k == db) {
            Some(i) => i,
            None => {
                self.buckets.push((db.clone(), Bucket::default()));
                self.buckets.len() - 1
            }
        };
        &mut self.buckets[idx].1
    }

    pub(super) fn text(&mut self, stmt: &Stmt, end: usize, table: Table) -> String {
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

    pub(super) fn create_table(&mut self, db: Option<String>, table: Table, stmt: &Stmt) {
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

    pub(super) fn insert(
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

    pub(super) fn finish(mut self, name: &str) -> Result<DumpRead, DumpError> {
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
