//! Byte input with lookahead, statement classification and the lexer state of one statement.

use super::*;

// ---------------------------------------------------------------------------------------------
// Input with lookahead

/// A byte window over a `BufRead` with arbitrary lookahead and absolute offsets.
pub(super) struct Input<R> {
    pub(super) inner: R,
    pub(super) buf: Vec<u8>,
    pub(super) pos: usize,
    pub(super) eof: bool,
    pub(super) offset: u64,
}

impl<R: BufRead> Input<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(1 << 16),
            pos: 0,
            eof: false,
            offset: 0,
        }
    }

    #[inline]
    pub(super) fn peek(&mut self, n: usize) -> io::Result<Option<u8>> {
        while self.pos + n >= self.buf.len() && !self.eof {
            self.fill()?;
        }
        Ok(self.buf.get(self.pos + n).copied())
    }

    pub(super) fn fill(&mut self) -> io::Result<()> {
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
    pub(super) fn available(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.buf.len() && !self.eof {
            self.fill()?;
        }
        Ok(&self.buf[self.pos.min(self.buf.len())..])
    }

    #[inline]
    pub(super) fn advance(&mut self, n: usize) {
        self.pos += n;
        self.offset += n as u64;
    }

    pub(super) fn matches(&mut self, pat: &[u8], ignore_case: bool) -> io::Result<bool> {
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
pub(super) enum Class {
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
pub(super) enum HeadToken {
    Word(String),
    Quoted(String),
    Punct(u8),
}

/// Tokenizes the head of a statement; `None` at the end of the (incomplete) head.
pub(super) struct HeadLexer<'a> {
    pub(super) s: &'a [u8],
    pub(super) i: usize,
}

impl HeadLexer<'_> {
    pub(super) fn next(&mut self) -> Option<HeadToken> {
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

    pub(super) fn is_word(tok: &HeadToken, w: &str) -> bool {
        matches!(tok, HeadToken::Word(x) if x.eq_ignore_ascii_case(w))
    }

    /// Reads `name` or `db.name`; returns `(db, name, next token)`.
    pub(super) fn qualified_name(
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
pub(super) fn classify(head: &[u8], complete: bool) -> Option<Class> {
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
pub(super) enum Lex {
    Normal,
    Quote(u8),
    Backtick,
    LineComment,
    BlockComment,
}

/// The statement being read.
pub(super) struct Stmt {
    pub(super) buf: Vec<u8>,
    pub(super) start: u64,
    pub(super) nonws: bool,
    pub(super) class: Class,
    pub(super) depth: i64,
    pub(super) last_tuple_end: Option<usize>,
    pub(super) next_classify: usize,
}

impl Stmt {
    pub(super) fn new() -> Self {
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

    pub(super) fn keeps(&self) -> bool {
        !matches!(self.class, Class::Discard(_))
    }

    #[inline]
    pub(super) fn push(&mut self, b: u8, offset: u64) {
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

    pub(super) fn set_class(&mut self, c: Class) {
        if matches!(c, Class::Discard(_)) {
            self.buf = Vec::new();
        }
        self.class = c;
    }
}
