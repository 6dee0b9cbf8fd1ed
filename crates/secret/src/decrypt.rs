//! Reading a stored `hudson.util.Secret` value the way Jenkins' `Secret.fromString` does
//! (§5.3–5.5).
//!
//! # The value text is used exactly as given (no trimming)
//!
//! Jenkins hands the element text to `Secret.fromString` untouched (XStream's
//! `reader.getValue()` does not trim, and neither does `fromString`). So:
//! * `{…}` is tried as the new format only when the text starts with `{` and ends with `}`; a
//!   value wrapped in whitespace, such as the `\n{AQAA…}\n` password default in the KubeSphere
//!   `workflowjob-jenkins-saved.xml` fixture, goes down the legacy path, where `{` is not base64,
//!   and Jenkins uses the whole text literally. [`decrypt`] does the same and returns
//!   [`SecretForm::PlainText`]; [`looks_like_new_format`] lets a caller flag such values.
//! * whitespace *inside* the base64 is skipped, because Jenkins 2.176 decodes with the lenient
//!   trilead decoder (see `jenkins_base64`).
//!
//! Callers that want a different policy (e.g. trimming XML text) must apply it before calling.
//!
//! # Where Jenkins throws instead of falling back
//! A `{…}` payload shorter than 9 bytes, or whose lengths overflow Java's `int`, makes Jenkins
//! 2.176 throw while loading; here such values are kept as plain text, like every other value
//! that does not decrypt.

use ksdm_model::Plaintext;
use zeroize::Zeroizing;

use crate::aes_modes;
use crate::jenkins_base64;
use crate::key::{java_trim, SecretKey, MAGIC};

/// First payload byte of the new format (`PAYLOAD_V1`).
const PAYLOAD_V1: u8 = 1;
/// Bytes before the IV: version, IV length, data length.
const HEADER_LEN: usize = 9;
/// The only IV length AES-CBC accepts.
const IV_LEN: usize = 16;

/// How a stored value was interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretForm {
    /// `{base64}` new format (Jenkins ≥ 2.44): AES-128-CBC, decrypted.
    NewFormat,
    /// Brace-less legacy format: AES-128-ECB with the MAGIC suffix, decrypted (with `K_secret`
    /// or the historical key).
    Legacy,
    /// Did not decrypt in any way: Jenkins' fallback uses the text literally. Worth flagging.
    PlainText,
    /// Not valid data (`""`, whitespace only, `{}` or braces around whitespace): kept as is.
    NotData,
}

/// The result of reading one stored secret value.
///
/// `Debug` never shows `value`.
#[derive(Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The value Jenkins would use: the decrypted text, or the input itself for
    /// [`SecretForm::PlainText`] and [`SecretForm::NotData`].
    pub value: String,
    /// How the value was interpreted.
    pub form: SecretForm,
    /// The decrypted bytes were not valid UTF-8 and invalid sequences were replaced by U+FFFD,
    /// as Java's `new String(bytes, UTF_8)` does. Worth flagging.
    pub lossy_utf8: bool,
}

impl Decoded {
    /// True when the value came out of decryption (new or legacy format).
    pub fn is_decrypted(&self) -> bool {
        matches!(self.form, SecretForm::NewFormat | SecretForm::Legacy)
    }

    /// Moves the value into a [`Plaintext`] that never prints and is wiped on drop.
    pub fn into_plaintext(self) -> Plaintext {
        Plaintext::from_string(self.value)
    }

    fn literal(stored: &str, form: SecretForm) -> Self {
        Decoded {
            value: stored.to_owned(),
            form,
            lossy_utf8: false,
        }
    }

    fn decrypted(bytes: &[u8], form: SecretForm) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(s) => Decoded {
                value: s.to_owned(),
                form,
                lossy_utf8: false,
            },
            Err(_) => Decoded {
                value: String::from_utf8_lossy(bytes).into_owned(),
                form,
                lossy_utf8: true,
            },
        }
    }
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("value", &format_args!("<redacted>"))
            .field("form", &self.form)
            .field("lossy_utf8", &self.lossy_utf8)
            .finish()
    }
}

/// Reads a stored value like Jenkins' `Secret.fromString` with `K_secret`: `{base64}` new format,
/// brace-less legacy format, otherwise the text itself. Never fails, never panics.
pub fn decrypt(key: &SecretKey, stored: &str) -> Decoded {
    decrypt_with_fallback(key, None, stored)
}

/// Like [`decrypt`], but legacy values that do not decrypt with `key` are retried with the
/// historical `secret.key` key (see [`crate::legacy_key_from_secret_key`]), as
/// `HistoricalSecrets.decrypt` does. New-format values never use the historical key.
pub fn decrypt_with_fallback(
    key: &SecretKey,
    historical: Option<&SecretKey>,
    stored: &str,
) -> Decoded {
    if !is_valid_data(stored) {
        return Decoded::literal(stored, SecretForm::NotData);
    }
    if let Some(inner) = braced(stored) {
        return match decrypt_new_format(key, inner) {
            Some(plain) => Decoded::decrypted(&plain, SecretForm::NewFormat),
            None => Decoded::literal(stored, SecretForm::PlainText),
        };
    }
    let Ok(bytes) = jenkins_base64::decode(stored) else {
        return Decoded::literal(stored, SecretForm::PlainText);
    };
    let found = decrypt_legacy(key, &bytes)
        .or_else(|| historical.and_then(|old| decrypt_legacy(old, &bytes)));
    match found {
        Some(plain) => Decoded::decrypted(&plain, SecretForm::Legacy),
        None => Decoded::literal(stored, SecretForm::PlainText),
    }
}

/// True when the text, after trimming surrounding whitespace, is structurally a new-format
/// value: braces, base64, version byte 1, a 16-byte IV and a consistent length. Used to flag
/// [`SecretForm::PlainText`] results that are probably ciphertexts (under another key, or
/// wrapped in whitespace so that Jenkins itself took them literally).
pub fn looks_like_new_format(stored: &str) -> bool {
    braced(java_trim(stored))
        .and_then(|inner| jenkins_base64::decode(inner).ok())
        .is_some_and(|payload| split_v1(&payload).is_some())
}

/// `Secret.isValidData`: `""`, whitespace only, `{}` and braces around whitespace are not data.
fn is_valid_data(stored: &str) -> bool {
    if stored == "{}" || java_trim(stored).is_empty() {
        return false;
    }
    match braced(stored) {
        Some(inner) => !java_trim(inner).is_empty(),
        None => true,
    }
}

/// The text between `{` and `}` when the value starts and ends with them.
fn braced(stored: &str) -> Option<&str> {
    stored.strip_prefix('{')?.strip_suffix('}')
}

/// Splits a new-format payload into IV and ciphertext after Jenkins' checks: version byte 1,
/// `len == 9 + ivLen + dataLen` exactly, and an IV of 16 bytes (anything else makes the Java
/// cipher reject the IV).
fn split_v1(payload: &[u8]) -> Option<(&[u8; IV_LEN], &[u8])> {
    let (&version, rest) = payload.split_first()?;
    if version != PAYLOAD_V1 {
        return None;
    }
    let iv_len = u64::from(u32::from_be_bytes(rest.get(0..4)?.try_into().ok()?));
    let data_len = u64::from(u32::from_be_bytes(rest.get(4..8)?.try_into().ok()?));
    let total = u64::try_from(payload.len()).ok()?;
    if total != HEADER_LEN as u64 + iv_len + data_len || iv_len != IV_LEN as u64 {
        return None;
    }
    let iv = payload
        .get(HEADER_LEN..HEADER_LEN + IV_LEN)?
        .try_into()
        .ok()?;
    let ct = payload.get(HEADER_LEN + IV_LEN..)?;
    Some((iv, ct))
}

/// §5.3: base64 payload (without braces) → plaintext bytes.
fn decrypt_new_format(key: &SecretKey, inner: &str) -> Option<Zeroizing<Vec<u8>>> {
    let payload = Zeroizing::new(jenkins_base64::decode(inner).ok()?);
    let (iv, ct) = split_v1(&payload)?;
    aes_modes::cbc_decrypt(key.as_bytes(), iv, ct)
}

/// §5.4 with one key: ECB-decrypt, require the MAGIC suffix, strip it.
fn decrypt_legacy(key: &SecretKey, bytes: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut plain = aes_modes::ecb_decrypt(key.as_bytes(), bytes)?;
    if !plain.ends_with(MAGIC) {
        return None;
    }
    let len = plain.len().checked_sub(MAGIC.len())?;
    plain.truncate(len);
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_data() {
        let key = SecretKey::from_bytes([0; 16]);
        for s in ["", " ", "\n\t", "{}", "{ }", "{\n}"] {
            let d = decrypt(&key, s);
            assert_eq!(d.form, SecretForm::NotData, "{s:?}");
            assert_eq!(d.value, s);
        }
    }

    #[test]
    fn split_v1_checks() {
        let mut p = vec![1u8, 0, 0, 0, 16, 0, 0, 0, 16];
        p.extend_from_slice(&[0u8; 32]);
        assert!(split_v1(&p).is_some());
        assert!(split_v1(&p[..40]).is_none()); // length mismatch
        p[0] = 2;
        assert!(split_v1(&p).is_none()); // version
        let mut q = vec![1u8, 0, 0, 0, 8, 0, 0, 0, 16];
        q.extend_from_slice(&[0u8; 24]);
        assert!(split_v1(&q).is_none()); // IV of 8 bytes
        let mut r = vec![1u8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        r.extend_from_slice(&[0u8; 7]);
        assert!(split_v1(&r).is_none()); // huge lengths, no overflow
        assert!(split_v1(&[1, 0, 0]).is_none());
        assert!(split_v1(&[]).is_none());
    }

    #[test]
    fn invalid_utf8_is_replaced_like_java_and_flagged() {
        let key = SecretKey::from_bytes([5; 16]);
        let iv = [6u8; 16];
        let ct = aes_modes::cbc_encrypt(key.as_bytes(), &iv, b"ok\xffok");
        let mut payload = vec![1u8, 0, 0, 0, 16, 0, 0, 0, ct.len() as u8];
        payload.extend_from_slice(&iv);
        payload.extend_from_slice(&ct);
        let stored = format!("{{{}}}", jenkins_base64::encode(&payload));
        let d = decrypt(&key, &stored);
        assert_eq!(d.form, SecretForm::NewFormat);
        assert!(d.lossy_utf8);
        assert_eq!(d.value, "ok\u{fffd}ok");

        let mut legacy = b"\xc3".to_vec();
        legacy.extend_from_slice(MAGIC);
        let stored = jenkins_base64::encode(&aes_modes::ecb_encrypt(key.as_bytes(), &legacy));
        let d = decrypt(&key, &stored);
        assert_eq!(
            (d.form, d.value.as_str(), d.lossy_utf8),
            (SecretForm::Legacy, "\u{fffd}", true)
        );
    }

    #[test]
    fn empty_cbc_ciphertext_is_the_empty_string_like_java() {
        let key = SecretKey::from_bytes([5; 16]);
        let mut payload = vec![1u8, 0, 0, 0, 16, 0, 0, 0, 0];
        payload.extend_from_slice(&[0u8; 16]);
        let d = decrypt(&key, &format!("{{{}}}", jenkins_base64::encode(&payload)));
        assert_eq!((d.form, d.value.as_str()), (SecretForm::NewFormat, ""));
    }

    #[test]
    fn whitespace_inside_base64_is_skipped_like_jenkins_2_176() {
        let key = SecretKey::from_bytes([8; 16]);
        let stored = crate::encrypt_new_format(&key, "pw", [1; 16]);
        let spaced = format!("{{\n{}\n}}", &stored[1..stored.len() - 1]);
        assert_eq!(decrypt(&key, &spaced).value, "pw");
        let legacy = crate::encrypt_legacy(&key, "pw");
        let wrapped = format!("\n  {legacy}\n");
        assert_eq!(decrypt(&key, &wrapped).form, SecretForm::Legacy);
        // but outer whitespace around braces defeats the new format, as in Jenkins
        assert_eq!(
            decrypt(&key, &format!(" {stored}")).form,
            SecretForm::PlainText
        );
    }

    #[test]
    fn decoded_debug_is_redacted() {
        let d = Decoded {
            value: "hunter2".into(),
            form: SecretForm::Legacy,
            lossy_utf8: false,
        };
        let s = format!("{d:?}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("<redacted>") && s.contains("Legacy"), "{s}");
        assert_eq!(d.into_plaintext().expose(), b"hunter2");
    }
}
