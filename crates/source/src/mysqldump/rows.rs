//! Row decoding: `INSERT` statements parsed with sqlparser into values.

use super::*;

/// Parses one `INSERT` with sqlparser: `(rows of values (None = NULL), explicit column list)`.
pub(super) type ParsedInsert = (Vec<Vec<Result<Option<String>, String>>>, Vec<String>);

/// Rewrites `"…"` identifiers (a `mysqldump --compatible=ansi` dump, written for ANSI_QUOTES)
/// as `` `…` `` ones, which the MySQL dialect reads. Strings are always `'…'` in a dump, so a `"`
/// outside a string or a backtick identifier can only start an identifier.
///
/// Only a statement whose head (before the first `(`) has a `"` is rewritten: other dumps may
/// hold `"…"` strings in their values, which MySQL reads as strings without ANSI_QUOTES.
pub(super) fn ansi_identifiers_to_backticks(sql: &str) -> String {
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

pub(super) fn parse_insert(sql: &str) -> Result<ParsedInsert, String> {
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
pub(super) fn expr_text(e: &Expr) -> Result<Option<String>, String> {
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

pub(super) fn decode_hex(h: &str) -> String {
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
