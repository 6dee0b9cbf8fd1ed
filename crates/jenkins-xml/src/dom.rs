//! A small owned element tree over `quick-xml` for Jenkins XML (`docs/v21-sources.md` §3.3).
//!
//! What it accepts and how it reads:
//! * XML 1.1 declarations (single or double quoted) and a UTF-8 byte-order mark;
//! * character references XML 1.0 forbids (e.g. `&#x1b;`) — they are decoded, and the first one
//!   is recorded in [`Document::xml10_forbidden_char`] because Go's decoder (the v3.0 controller)
//!   refuses them;
//! * the five predefined entities and numeric references; any other entity is an error;
//! * CDATA sections are taken verbatim (no entity decoding);
//! * comments, processing instructions and the DOCTYPE are skipped; stray text between elements is
//!   kept in the parent's [`Element::text`];
//! * XML end-of-line handling on *raw* text only: CRLF and lone CR become LF, while a CR written as
//!   `&#xd;` stays a CR (what Go's `encoding/xml` does as well).
//!
//! Element names are kept raw (as written, XStream-escaped) and unescaped (`__` → `_`, `_-` → `$`).
//! Attribute values (e.g. `class`) are never XStream-unescaped.
//!
//! Hostile input: elements nested deeper than [`MAX_DEPTH`] are refused with an [`XmlError`]
//! before the tree grows further (a tree that deep would overflow the stack when it is walked or
//! dropped). The parser itself is iterative; no entity is ever expanded except the five
//! predefined ones and character references, so entity bombs and external entities are refused
//! as unknown entities, and a DOCTYPE's internal subset is skipped, never interpreted.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Deepest element nesting accepted (the root element is level 1). Jenkins' own files nest about
/// ten levels deep; anything near this limit is corrupt or hostile.
pub const MAX_DEPTH: usize = 256;

/// A well-formedness error, with the byte offset where the reader stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XML is not well-formed at byte {position}: {reason}")]
pub struct XmlError {
    /// Byte offset in the input (after a byte-order mark, if any).
    pub position: u64,
    /// Why the document was refused.
    pub reason: String,
}

/// One element with its attributes, child elements and character data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// XStream-unescaped name (`__` → `_`, `_-` → `$`), comparable with Java class names.
    pub name: String,
    /// The name exactly as written in the file.
    pub raw_name: String,
    /// Attributes in document order, values entity-decoded (never XStream-unescaped).
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// All direct character data (text and CDATA) concatenated, entity-decoded, line ends
    /// normalised. Stray text between child elements is included.
    pub text: String,
    /// Length in bytes of the prefix of [`Element::text`] that comes before the first child
    /// element, comment or processing instruction — what Go's `etree` `Element.Text()` returns.
    pub leading_text_len: usize,
}

/// The XML declaration of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declaration {
    /// `version` pseudo-attribute (`"1.0"`, `"1.1"`, …); empty when absent.
    pub version: String,
    /// `encoding` pseudo-attribute, if present.
    pub encoding: Option<String>,
    /// Byte offset of `<?xml` in the input (after a byte-order mark, if any).
    pub offset: usize,
}

/// A parsed document: the root element plus the prolog facts the v3.0 parser quirks depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The root element.
    pub root: Element,
    /// The XML declaration, if any.
    pub declaration: Option<Declaration>,
    /// The input started with a UTF-8 byte-order mark.
    pub had_bom: bool,
    /// Anything (even whitespace or a blank line) precedes the XML declaration.
    pub content_before_declaration: bool,
    /// Byte length of the first line (up to, not including, the first `\n`; the whole input when
    /// there is none). Offsets exclude a byte-order mark.
    pub first_line_len: usize,
    /// The whole document up to the root's end tag is on one line (no `\n` before it ends).
    pub single_line: bool,
    /// The first character XML 1.0 forbids (raw or as a character reference), with its offset.
    pub xml10_forbidden_char: Option<(u64, char)>,
}

impl Document {
    /// Whether the declaration says version 1.1.
    pub fn declares_xml11(&self) -> bool {
        self.declaration
            .as_ref()
            .is_some_and(|d| d.version == "1.1")
    }
}

impl Element {
    /// The first child whose unescaped name is `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The first child whose raw (as written) name is `raw_name`.
    pub fn child_raw(&self, raw_name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.raw_name == raw_name)
    }

    /// All children whose unescaped name is `name`, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The full character data of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Follows first children by unescaped name: `find_path(&["a", "b"])` is `child("a")?.child("b")`.
    pub fn find_path(&self, path: &[&str]) -> Option<&Element> {
        let mut cur = self;
        for name in path {
            cur = cur.child(name)?;
        }
        Some(cur)
    }

    /// The character data before the first child element, comment or processing instruction
    /// (Go `etree` `Element.Text()` semantics).
    pub fn leading_text(&self) -> &str {
        self.text.get(..self.leading_text_len).unwrap_or(&self.text)
    }
}

/// XStream-unescapes an element name: `__` → `_`, `_-` → `$`.
pub fn unescape_xstream_name(raw: &str) -> String {
    if !raw.contains('_') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            match chars.peek() {
                Some('_') => {
                    chars.next();
                    out.push('_');
                }
                Some('-') => {
                    chars.next();
                    out.push('$');
                }
                _ => out.push('_'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses `bytes` and returns the root element.
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    parse_document(bytes).map(|d| d.root)
}

/// An element under construction.
struct Frame {
    element: Element,
    leading_closed: bool,
}

impl Frame {
    fn close_leading(&mut self) {
        if !self.leading_closed {
            self.leading_closed = true;
            self.element.leading_text_len = self.element.text.len();
        }
    }
}

/// Parses `bytes` into a [`Document`].
pub fn parse_document(bytes: &[u8]) -> Result<Document, XmlError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let (had_bom, body) = match bytes.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let text = std::str::from_utf8(body).map_err(|e| XmlError {
        position: e.valid_up_to() as u64,
        reason: "the document is not valid UTF-8".to_owned(),
    })?;

    let first_line_len = memchr_newline(text.as_bytes()).unwrap_or(text.len());
    let mut doc = Document {
        had_bom,
        first_line_len,
        ..Document::default()
    };

    let mut reader = Reader::from_str(text);
    {
        let cfg = reader.config_mut();
        cfg.trim_text(false);
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
    }

    let mut stack: Vec<Frame> = Vec::with_capacity(16);
    let mut root: Option<Element> = None;
    let mut seen_markup = false;

    loop {
        let start = reader.buffer_position();
        let event = reader.read_event().map_err(|e| XmlError {
            position: reader.error_position(),
            reason: e.to_string(),
        })?;
        match event {
            Event::Decl(decl) => {
                if seen_markup || root.is_some() || !stack.is_empty() {
                    return Err(err(
                        start,
                        "XML declaration after the start of the document",
                    ));
                }
                let version = decl
                    .version()
                    .map_err(|e| err(start, &format!("bad XML declaration: {e}")))?;
                let encoding = match decl.encoding() {
                    Some(Ok(enc)) => Some(enc.into_owned()),
                    Some(Err(e)) => return Err(err(start, &format!("bad XML declaration: {e}"))),
                    None => None,
                };
                let offset = usize::try_from(start).unwrap_or(usize::MAX);
                doc.content_before_declaration = offset > 0;
                doc.declaration = Some(Declaration {
                    version: version.into_owned(),
                    encoding,
                    offset,
                });
                seen_markup = true;
            }
            Event::Start(tag) => {
                seen_markup = true;
                if root.is_some() {
                    return Err(err(start, "content after the root element"));
                }
                check_depth(stack.len() + 1, start)?;
                if let Some(parent) = stack.last_mut() {
                    parent.close_leading();
                }
                let element = open_element(&tag, start, &mut doc)?;
                stack.push(Frame {
                    element,
                    leading_closed: false,
                });
            }
            Event::Empty(tag) => {
                seen_markup = true;
                if root.is_some() {
                    return Err(err(start, "content after the root element"));
                }
                check_depth(stack.len() + 1, start)?;
                let element = open_element(&tag, start, &mut doc)?;
                match stack.last_mut() {
                    Some(parent) => {
                        parent.close_leading();
                        parent.element.children.push(element);
                    }
                    None => {
                        root = Some(element);
                        doc.single_line = reader.buffer_position() <= first_line_len as u64;
                    }
                }
            }
            Event::End(_) => {
                let Some(mut frame) = stack.pop() else {
                    return Err(err(start, "end tag without a start tag"));
                };
                frame.close_leading();
                match stack.last_mut() {
                    Some(parent) => parent.element.children.push(frame.element),
                    None => {
                        doc.single_line = reader.buffer_position() <= first_line_len as u64;
                        root = Some(frame.element);
                    }
                }
            }
            Event::Text(t) => {
                let raw: &str = &t;
                check_raw_chars(raw, start, &mut doc);
                // Top-level text (whitespace, a blank line before the declaration, stray text
                // after the root) is tolerated and dropped; the declaration's offset records it.
                if let Some(frame) = stack.last_mut() {
                    push_normalised(&mut frame.element.text, raw);
                }
            }
            Event::CData(c) => {
                let raw: &str = &c;
                check_raw_chars(raw, start, &mut doc);
                match stack.last_mut() {
                    Some(frame) => push_normalised(&mut frame.element.text, raw),
                    None => return Err(err(start, "CDATA outside the root element")),
                }
            }
            Event::GeneralRef(r) => {
                let name: &str = &r;
                match stack.last_mut() {
                    Some(frame) => resolve_name(name, start, &mut doc, &mut frame.element.text)?,
                    None => return Err(err(start, "entity reference outside the root element")),
                }
            }
            Event::Comment(_) | Event::PI(_) => {
                seen_markup = true;
                if let Some(frame) = stack.last_mut() {
                    frame.close_leading();
                }
            }
            Event::DocType(_) => {
                seen_markup = true;
            }
            Event::Eof => break,
        }
    }

    if let Some(open) = stack.last() {
        return Err(err(
            reader.buffer_position(),
            &format!(
                "unexpected end of document inside <{}>",
                open.element.raw_name
            ),
        ));
    }
    match root {
        Some(root) => {
            doc.root = root;
            Ok(doc)
        }
        None => Err(err(reader.buffer_position(), "no root element")),
    }
}

/// Refuses an element at nesting level `depth` beyond [`MAX_DEPTH`].
fn check_depth(depth: usize, position: u64) -> Result<(), XmlError> {
    if depth > MAX_DEPTH {
        return Err(err(
            position,
            &format!("elements are nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    Ok(())
}

fn err(position: u64, reason: &str) -> XmlError {
    XmlError {
        position,
        reason: reason.to_owned(),
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Builds an element from a start tag: names and decoded attributes.
fn open_element(
    tag: &BytesStart<'_>,
    position: u64,
    doc: &mut Document,
) -> Result<Element, XmlError> {
    let raw_name: String = tag.name().as_ref().to_owned();
    let name = unescape_xstream_name(&raw_name);
    let mut attrs = Vec::new();
    for attr in tag.attributes() {
        let attr =
            attr.map_err(|e| err(position, &format!("bad attribute in <{raw_name}>: {e}")))?;
        let key: String = attr.key.as_ref().to_owned();
        let raw_value: &str = &attr.value;
        let value = decode_attribute(raw_value, position, doc)?;
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        raw_name,
        attrs,
        ..Element::default()
    })
}

/// Decodes an attribute value: references resolved, raw CR/CRLF → LF, nothing else normalised
/// (as Go's `encoding/xml`).
fn decode_attribute(raw: &str, position: u64, doc: &mut Document) -> Result<String, XmlError> {
    check_raw_chars(raw, position, doc);
    if !raw.contains('&') {
        let mut out = String::with_capacity(raw.len());
        push_normalised(&mut out, raw);
        return Ok(out);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        push_normalised(&mut out, &rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';') else {
            return Err(err(
                position,
                "unterminated reference in an attribute value",
            ));
        };
        let name = &after[..semi];
        resolve_name(name, position, doc, &mut out)?;
        rest = &after[semi + 1..];
    }
    push_normalised(&mut out, rest);
    Ok(out)
}

/// Resolves the name between `&` and `;` and appends its replacement text to `out`.
fn resolve_name(
    name: &str,
    position: u64,
    doc: &mut Document,
    out: &mut String,
) -> Result<(), XmlError> {
    let replacement = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let Some(num) = name.strip_prefix('#') else {
                return Err(err(position, &format!("unknown entity &{name};")));
            };
            let code = match num.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => num.parse::<u32>(),
            }
            .map_err(|_| err(position, &format!("malformed character reference &{name};")))?;
            let ch = char::from_u32(code)
                .filter(|&c| c != '\0')
                .ok_or_else(|| err(position, &format!("invalid character reference &{name};")))?;
            if !is_xml10_char(ch) && doc.xml10_forbidden_char.is_none() {
                doc.xml10_forbidden_char = Some((position, ch));
            }
            ch
        }
    };
    out.push(replacement);
    Ok(())
}

/// Whether `ch` is a legal XML 1.0 character (Go `encoding/xml` `isInCharacterRange`).
fn is_xml10_char(ch: char) -> bool {
    matches!(ch, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Records the first raw character XML 1.0 forbids.
fn check_raw_chars(raw: &str, position: u64, doc: &mut Document) {
    if doc.xml10_forbidden_char.is_some() {
        return;
    }
    let bytes = raw.as_bytes();
    let suspicious = bytes
        .iter()
        .any(|&b| (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0xEF);
    if !suspicious {
        return;
    }
    if let Some((i, ch)) = raw.char_indices().find(|&(_, c)| !is_xml10_char(c)) {
        doc.xml10_forbidden_char = Some((position + i as u64, ch));
    }
}

/// Appends raw text with XML end-of-line handling: CRLF and lone CR become LF.
fn push_normalised(out: &mut String, raw: &str) {
    if !raw.as_bytes().contains(&b'\r') {
        out.push_str(raw);
        return;
    }
    let mut rest = raw;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if let Some(stripped) = rest.strip_prefix('\n') {
            rest = stripped;
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_xml11_declaration_with_single_quotes() {
        let doc =
            parse_document(b"<?xml version='1.1' encoding='UTF-8'?>\n<a><b>x</b></a>").unwrap();
        assert!(doc.declares_xml11());
        assert!(!doc.content_before_declaration);
        assert!(!doc.single_line);
        assert_eq!(
            doc.declaration.as_ref().unwrap().encoding.as_deref(),
            Some("UTF-8")
        );
        assert_eq!(doc.root.child_text("b"), Some("x"));
    }

    #[test]
    fn records_content_before_declaration_and_bom() {
        let doc = parse_document(b"\n<?xml version=\"1.1\"?><a/>").unwrap();
        assert!(doc.content_before_declaration);
        assert_eq!(doc.first_line_len, 0);
        let doc = parse_document(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><a>t</a>").unwrap();
        assert!(doc.had_bom);
        assert!(!doc.content_before_declaration);
        assert!(doc.single_line);
        assert_eq!(doc.root.text, "t");
    }

    #[test]
    fn decodes_references_and_keeps_cdata_verbatim() {
        let root = parse(b"<a>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;<![CDATA[&lt;x>]]></a>").unwrap();
        assert_eq!(root.text, "<>&\"'AB&lt;x>");
    }

    #[test]
    fn accepts_xml10_forbidden_char_refs_and_records_them() {
        let doc = parse_document(b"<?xml version='1.1'?><a>esc&#x1b;[0m</a>").unwrap();
        assert_eq!(doc.root.text, "esc\u{1b}[0m");
        assert_eq!(doc.xml10_forbidden_char.map(|(_, c)| c), Some('\u{1b}'));
        let doc = parse_document(b"<a>&#9;&#xd;ok</a>").unwrap();
        assert_eq!(doc.xml10_forbidden_char, None);
    }

    #[test]
    fn normalises_raw_line_ends_but_not_char_refs() {
        let root = parse(b"<a>1\r\n2\r3&#xd;\n4<![CDATA[5\r\n]]></a>").unwrap();
        assert_eq!(root.text, "1\n2\n3\r\n45\n");
    }

    #[test]
    fn unescapes_xstream_names_but_not_class_values() {
        let root = parse(
            b"<x.Outer_-Inner class=\"a.github_branch_source.T$U\"><github__branch__source.T/></x.Outer_-Inner>",
        )
        .unwrap();
        assert_eq!(root.name, "x.Outer$Inner");
        assert_eq!(root.raw_name, "x.Outer_-Inner");
        assert_eq!(root.attr("class"), Some("a.github_branch_source.T$U"));
        assert_eq!(root.children[0].name, "github_branch_source.T");
        assert!(root.child("github_branch_source.T").is_some());
        assert!(root.child_raw("github__branch__source.T").is_some());
        assert_eq!(unescape_xstream_name("a___b_c"), "a__b_c");
    }

    #[test]
    fn leading_text_stops_at_first_child_or_comment() {
        let root = parse(b"<a>one<!-- c -->two<b/>three</a>").unwrap();
        assert_eq!(root.text, "onetwothree");
        assert_eq!(root.leading_text(), "one");
        let root = parse(b"<a>x<![CDATA[y]]>&amp;z<b/></a>").unwrap();
        assert_eq!(root.leading_text(), "xy&z");
    }

    #[test]
    fn tolerates_stray_text_comments_and_pis() {
        let root = parse(b"<?xml version='1.1'?><!-- c --><a><b>1</b>>stray<?pi x?><c>2</c></a>\n")
            .unwrap();
        assert_eq!(root.find_path(&["c"]).map(|c| c.text.as_str()), Some("2"));
        assert_eq!(root.text, ">stray");
        assert_eq!(root.children_named("b").count(), 1);
    }

    #[test]
    fn refuses_malformed_documents() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"<a>&foo;</a>",
            b"<a/><b/>",
            b"<a>\xff</a>",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(!e.reason.is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn refuses_nesting_beyond_the_limit_without_overflowing() {
        let nest = |n: usize, leaf: &str| {
            let mut s = "<a>".repeat(n - 1);
            s.push_str(leaf);
            s.push_str(&"</a>".repeat(n - 1));
            s
        };
        // Exactly at the limit: accepted (both a start tag and an empty element as the leaf).
        assert!(parse(nest(MAX_DEPTH, "<b>x</b>").as_bytes()).is_ok());
        assert!(parse(nest(MAX_DEPTH, "<b/>").as_bytes()).is_ok());
        // One deeper: refused.
        for leaf in ["<b>x</b>", "<b/>"] {
            let e = parse(nest(MAX_DEPTH + 1, leaf).as_bytes()).unwrap_err();
            assert!(e.reason.contains("nested more than 256 levels"), "{e}");
        }
        // 200,000 levels, closed or not: a clear error, no stack overflow.
        let deep = nest(200_000, "<b/>");
        assert!(parse(deep.as_bytes())
            .unwrap_err()
            .reason
            .contains("nested"));
        assert!(parse("<a>".repeat(200_000).as_bytes())
            .unwrap_err()
            .reason
            .contains("nested"));
    }

    #[test]
    fn refuses_entity_bombs_and_external_entities() {
        let bomb = b"<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><l>&b;</l>";
        assert!(parse(bomb)
            .unwrap_err()
            .reason
            .contains("unknown entity &b;"));
        let xxe = b"<?xml version=\"1.0\"?><!DOCTYPE f [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><f>&x;</f>";
        assert!(parse(xxe)
            .unwrap_err()
            .reason
            .contains("unknown entity &x;"));
        let attr = b"<!DOCTYPE f [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><f k=\"&x;\"/>";
        assert!(parse(attr)
            .unwrap_err()
            .reason
            .contains("unknown entity &x;"));
    }

    #[test]
    fn attributes_are_decoded() {
        let root = parse(b"<a k=\"x&amp;y&#x1b;\" r='../..'/>").unwrap();
        assert_eq!(root.attr("k"), Some("x&y\u{1b}"));
        assert_eq!(root.attr("r"), Some("../.."));
        assert_eq!(root.attr("missing"), None);
    }
}
