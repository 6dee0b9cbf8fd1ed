//! The key chain of §5.2: `secrets/master.key` → `K_master` → `secrets/hudson.util.Secret` →
//! `K_secret`, the historical `secret.key` key (§5.4), and the inverse (writing key files for a
//! generated `JENKINS_HOME`).

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::aes_modes;

/// The 13 ASCII bytes Jenkins appends to confidential keys and legacy secret values.
pub const MAGIC: &[u8] = b"::::MAGIC::::";

/// Length of an AES-128 key in bytes.
const KEY_LEN: usize = 16;

/// An AES-128 key: `K_secret` (the `hudson.util.Secret` key), `K_master`, or the historical
/// `secret.key` key.
///
/// `Debug` prints `<redacted>`; the bytes are wiped from memory when the key is dropped.
#[derive(Clone)]
pub struct SecretKey {
    bytes: [u8; KEY_LEN],
}

impl SecretKey {
    /// Wraps 16 raw key bytes.
    pub fn from_bytes(b: [u8; KEY_LEN]) -> Self {
        SecretKey { bytes: b }
    }

    /// The raw key bytes. Needed to compare with published key values in tests and to write
    /// keys; never log them.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// `Util.toAes128Key`: the first 16 bytes of SHA-256 over the UTF-8 text.
    fn from_text(text: &str) -> Self {
        let digest = Sha256::digest(text.as_bytes());
        let mut bytes = [0u8; KEY_LEN];
        for (dst, src) in bytes.iter_mut().zip(digest.iter()) {
            *dst = *src;
        }
        SecretKey { bytes }
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why `K_secret` could not be derived from `secrets/master.key` and `secrets/hudson.util.Secret`.
///
/// Messages name the file and the reason; they never contain key bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// `master.key` is not UTF-8 text and (decoded leniently, as Jenkins does) does not decrypt
    /// `hudson.util.Secret`.
    #[error(
        "secrets/master.key is not text (invalid UTF-8) and does not decrypt secrets/hudson.util.Secret: \
         wrong or corrupt master.key"
    )]
    MasterKeyNotText,
    /// `master.key` is empty or holds only whitespace.
    #[error("secrets/master.key is empty or holds only whitespace")]
    MasterKeyEmpty,
    /// `hudson.util.Secret` is empty or its length is not a multiple of the AES block size.
    #[error(
        "secrets/hudson.util.Secret is {len} bytes, not a non-empty multiple of 16: the file is truncated or corrupt"
    )]
    SecretFileLength {
        /// The file's length in bytes.
        len: usize,
    },
    /// PKCS#5 unpadding failed after decrypting `hudson.util.Secret` with `K_master`.
    #[error(
        "master.key does not decrypt secrets/hudson.util.Secret: wrong master.key or corrupt file"
    )]
    BadPadding,
    /// `hudson.util.Secret` decrypted, but the result does not end with `::::MAGIC::::`.
    #[error(
        "secrets/hudson.util.Secret decrypts but lacks the ::::MAGIC:::: suffix: wrong master.key or corrupt file"
    )]
    MissingMagic,
    /// `hudson.util.Secret` holds fewer than 16 key bytes before the MAGIC suffix.
    #[error("secrets/hudson.util.Secret holds only {len} key bytes; an AES-128 key needs 16")]
    TooShort {
        /// Number of key bytes found before the MAGIC suffix.
        len: usize,
    },
}

/// Reads key-file text like Jenkins' `TextFile.readTrim()`: decodes UTF-8 leniently (the 2.176
/// `InputStreamReader` replaces invalid bytes with U+FFFD), rewrites line terminators to `\n`
/// (`readLine` + `println`), and trims like `String.trim()` (every char ≤ U+0020 at both ends).
/// Returns the text and whether the input was valid UTF-8.
fn read_trim(bytes: &[u8]) -> (Zeroizing<String>, bool) {
    let (decoded, valid_utf8) = match std::str::from_utf8(bytes) {
        Ok(s) => (Zeroizing::new(s.to_owned()), true),
        Err(_) => (
            Zeroizing::new(String::from_utf8_lossy(bytes).into_owned()),
            false,
        ),
    };
    let mut normalized = Zeroizing::new(String::with_capacity(decoded.len()));
    let mut chars = decoded.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            normalized.push('\n');
        } else {
            normalized.push(c);
        }
    }
    let trimmed = Zeroizing::new(java_trim(&normalized).to_owned());
    (trimmed, valid_utf8)
}

/// Java's `String.trim()`: strips every char ≤ U+0020 from both ends.
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// `K_master` (§5.2 step 1): SHA-256 of the trimmed `secrets/master.key` text, first 16 bytes.
///
/// Invalid UTF-8 is decoded leniently, as Jenkins 2.176 does; only [`derive_key`] can tell
/// whether the result is right.
pub fn derive_master_key(master_key: &[u8]) -> Result<SecretKey, KeyError> {
    let (text, _) = read_trim(master_key);
    if text.is_empty() {
        return Err(KeyError::MasterKeyEmpty);
    }
    Ok(SecretKey::from_text(&text))
}

/// `K_secret` (§5.2): derives `K_master` from the `secrets/master.key` bytes, AES-128-ECB-decrypts
/// the `secrets/hudson.util.Secret` bytes with it, removes PKCS#5 padding, requires the
/// `::::MAGIC::::` suffix and returns the first 16 bytes.
pub fn derive_key(master_key: &[u8], hudson_util_secret: &[u8]) -> Result<SecretKey, KeyError> {
    let (text, valid_utf8) = read_trim(master_key);
    if text.is_empty() {
        return Err(KeyError::MasterKeyEmpty);
    }
    let master = SecretKey::from_text(&text);
    match derive_key_with_master(&master, hudson_util_secret) {
        Err(KeyError::BadPadding | KeyError::MissingMagic) if !valid_utf8 => {
            Err(KeyError::MasterKeyNotText)
        }
        other => other,
    }
}

/// §5.2 steps 2–3 with an already derived `K_master`: decrypts the `secrets/hudson.util.Secret`
/// bytes and returns `K_secret`.
pub fn derive_key_with_master(
    master: &SecretKey,
    hudson_util_secret: &[u8],
) -> Result<SecretKey, KeyError> {
    let len = hudson_util_secret.len();
    if len == 0 || len % aes_modes::BLOCK != 0 {
        return Err(KeyError::SecretFileLength { len });
    }
    let plain = aes_modes::ecb_decrypt(master.as_bytes(), hudson_util_secret)
        .ok_or(KeyError::BadPadding)?;
    let key_len = plain
        .len()
        .checked_sub(MAGIC.len())
        .ok_or(KeyError::MissingMagic)?;
    if !plain.ends_with(MAGIC) {
        return Err(KeyError::MissingMagic);
    }
    let bytes: [u8; KEY_LEN] = plain
        .get(..KEY_LEN)
        .filter(|_| key_len >= KEY_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or(KeyError::TooShort { len: key_len })?;
    Ok(SecretKey::from_bytes(bytes))
}

/// The historical key of very old instances (§5.4, `HistoricalSecrets.getLegacyKey`): SHA-256 of
/// the trimmed top-level `secret.key` text, first 16 bytes. Legacy (brace-less) values that do
/// not decrypt with `K_secret` are retried with it.
pub fn legacy_key_from_secret_key(text: &[u8]) -> SecretKey {
    let (trimmed, _) = read_trim(text);
    SecretKey::from_text(&trimmed)
}

/// Builds the key files of a generated `JENKINS_HOME` the way Jenkins writes them:
/// `secrets/master.key` = 256 lowercase hex characters of `master_key_seed` (no newline), and
/// `secrets/hudson.util.Secret` = AES-128-ECB(`K_master`, `secret_payload` ‖ MAGIC) with PKCS#5
/// padding (272 bytes). `K_secret` is then the first 16 bytes of `secret_payload`.
///
/// Returns `(master_key_text, hudson_util_secret_bytes)`.
pub fn make_key_files(
    master_key_seed: &[u8; 128],
    secret_payload: &[u8; 256],
) -> (String, Vec<u8>) {
    let text = hex::encode(master_key_seed);
    let master = SecretKey::from_text(&text);
    let mut plain = Zeroizing::new(Vec::with_capacity(secret_payload.len() + MAGIC.len()));
    plain.extend_from_slice(secret_payload);
    plain.extend_from_slice(MAGIC);
    let file = aes_modes::ecb_encrypt(master.as_bytes(), &plain);
    (text, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_trim_matches_java() {
        assert_eq!(read_trim(b"  abc \r\n").0.as_str(), "abc");
        assert_eq!(read_trim(b"a\rb\r\nc\n").0.as_str(), "a\nb\nc");
        assert_eq!(read_trim(b"\x01\x0babc\x1f").0.as_str(), "abc");
        let (text, utf8) = read_trim(b"ab\xffc");
        assert_eq!(text.as_str(), "ab\u{fffd}c");
        assert!(!utf8);
    }

    #[test]
    fn generated_key_files_round_trip() {
        let seed = [0x5au8; 128];
        let mut payload = [0u8; 256];
        for (i, b) in payload.iter_mut().enumerate() {
            *b = i as u8;
        }
        let (text, file) = make_key_files(&seed, &payload);
        assert_eq!(text.len(), 256);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(file.len(), 272);
        let key = derive_key(text.as_bytes(), &file).unwrap();
        assert_eq!(key.as_bytes()[..], payload[..16]);
    }

    #[test]
    fn key_file_errors() {
        let (text, file) = make_key_files(&[1u8; 128], &[2u8; 256]);
        assert_eq!(
            derive_key(b" \n", &file).unwrap_err(),
            KeyError::MasterKeyEmpty
        );
        assert_eq!(
            derive_key(text.as_bytes(), &file[..271]).unwrap_err(),
            KeyError::SecretFileLength { len: 271 }
        );
        assert_eq!(
            derive_key(text.as_bytes(), &[]).unwrap_err(),
            KeyError::SecretFileLength { len: 0 }
        );
        // a key that decrypts with valid padding but without MAGIC, and one too short
        let master = derive_master_key(text.as_bytes()).unwrap();
        let no_magic = aes_modes::ecb_encrypt(master.as_bytes(), &[3u8; 40]);
        assert_eq!(
            derive_key(text.as_bytes(), &no_magic).unwrap_err(),
            KeyError::MissingMagic
        );
        let mut short = vec![4u8; 10];
        short.extend_from_slice(MAGIC);
        let short = aes_modes::ecb_encrypt(master.as_bytes(), &short);
        assert_eq!(
            derive_key(text.as_bytes(), &short).unwrap_err(),
            KeyError::TooShort { len: 10 }
        );
        let only_magic = aes_modes::ecb_encrypt(master.as_bytes(), &MAGIC[4..]);
        assert_eq!(
            derive_key(text.as_bytes(), &only_magic).unwrap_err(),
            KeyError::MissingMagic
        );
    }

    #[test]
    fn debug_and_errors_never_show_key_bytes() {
        let key = SecretKey::from_bytes([0xab; 16]);
        assert_eq!(format!("{key:?}"), "<redacted>");
        let msg = KeyError::BadPadding.to_string();
        assert_eq!(
            msg,
            "master.key does not decrypt secrets/hudson.util.Secret: wrong master.key or corrupt file"
        );
    }
}
