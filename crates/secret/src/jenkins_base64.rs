//! Base64 exactly as Jenkins 2.176 reads and writes `hudson.util.Secret` values.
//!
//! KubeSphere v2.1 runs Jenkins 2.176.2, whose `Secret` and `HistoricalSecrets` decode with
//! `com.trilead.ssh2.crypto.Base64` (later Jenkins versions switched to `java.util.Base64`). That
//! decoder, re-implemented here from its documented behaviour:
//! * skips `\n`, `\r`, space and tab anywhere in the input;
//! * rejects any other character outside `A–Z a–z 0–9 + / =`;
//! * works in groups of four symbols: `=` in the first position ends decoding; `=` in the second
//!   position is an error; `=` in the third or fourth position emits the final one or two bytes
//!   and ends decoding (anything after is ignored);
//! * silently drops an incomplete trailing group (so padding is optional).
//!
//! Encoding is standard padded base64, as Jenkins writes it.

use base64::Engine as _;

/// The input contained a character that is not base64 (or `=` in a group's second position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotBase64;

/// Marker for `=` inside a group.
const PAD: u8 = 64;

fn symbol(c: char) -> Option<u8> {
    match c {
        'A'..='Z' => Some(c as u8 - b'A'),
        'a'..='z' => Some(c as u8 - b'a' + 26),
        '0'..='9' => Some(c as u8 - b'0' + 52),
        '+' => Some(62),
        '/' => Some(63),
        '=' => Some(PAD),
        _ => None,
    }
}

/// Decodes like Jenkins 2.176 (see the module docs).
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, NotBase64> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 3);
    let mut group = [0u8; 4];
    let mut filled = 0usize;
    for c in text.chars() {
        if matches!(c, '\n' | '\r' | ' ' | '\t') {
            continue;
        }
        let v = symbol(c).ok_or(NotBase64)?;
        if let Some(slot) = group.get_mut(filled) {
            *slot = v;
        }
        filled += 1;
        if filled < 4 {
            continue;
        }
        filled = 0;
        let [a, b, c3, d] = group;
        if a == PAD {
            break;
        }
        if b == PAD {
            return Err(NotBase64);
        }
        let (a, b) = (u32::from(a), u32::from(b));
        if c3 == PAD {
            let v = (a << 6) | b;
            out.push((v >> 4) as u8);
            break;
        }
        let c3 = u32::from(c3);
        if d == PAD {
            let v = (a << 12) | (b << 6) | c3;
            out.push((v >> 10) as u8);
            out.push((v >> 2) as u8);
            break;
        }
        let v = (a << 18) | (b << 12) | (c3 << 6) | u32::from(d);
        out.push((v >> 16) as u8);
        out.push((v >> 8) as u8);
        out.push(v as u8);
    }
    Ok(out)
}

/// Standard padded base64, as Jenkins writes secret payloads.
pub(crate) fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_standard_base64() {
        assert_eq!(decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(decode("aGk=").unwrap(), b"hi");
        assert_eq!(decode("aA==").unwrap(), b"h");
        assert_eq!(decode("").unwrap(), b"");
    }

    #[test]
    fn trilead_leniency() {
        // whitespace anywhere is skipped
        assert_eq!(decode(" aGVs\nbG8=\r\n\t").unwrap(), b"hello");
        // an incomplete trailing group is dropped
        assert_eq!(decode("aGVsbG8").unwrap(), b"hel");
        // decoding stops at padding; the rest is ignored, even non-base64 characters
        assert_eq!(decode("aGk=!!!!").unwrap(), b"hi");
        assert_eq!(decode("====").unwrap(), b"");
    }

    #[test]
    fn rejects_non_base64() {
        assert_eq!(decode("{aGk=}"), Err(NotBase64));
        assert_eq!(decode("a=bc"), Err(NotBase64));
        assert_eq!(decode("examplePassword-"), Err(NotBase64));
        assert_eq!(decode("é"), Err(NotBase64));
    }

    #[test]
    fn encode_is_padded_standard() {
        assert_eq!(encode(b"hi"), "aGk=");
        assert_eq!(
            decode(&encode(&[0xff, 0xfe, 0x00])).unwrap(),
            [0xff, 0xfe, 0x00]
        );
    }
}
