//! Decrypted secret values.

use zeroize::Zeroizing;

/// A decrypted credential value (password, private key, token, kubeconfig).
///
/// `Debug` and `Display` print `<redacted>`, so a value that slips into a log line, an error
/// message or a report never shows. The bytes are wiped from memory on drop. Read the value only
/// where it is written into a Secret, with [`Plaintext::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Plaintext(Zeroizing<Vec<u8>>);

impl Plaintext {
    /// Wraps decrypted bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Plaintext(Zeroizing::new(bytes))
    }

    /// Wraps a decrypted string.
    pub fn from_string(s: String) -> Self {
        Plaintext(Zeroizing::new(s.into_bytes()))
    }

    /// The secret bytes. Call only where the value goes into its destination object.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes (safe to report).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let p = Plaintext::from_string("hunter2".into());
        assert_eq!(format!("{p:?} {p}"), "<redacted> <redacted>");
        assert_eq!(p.expose(), b"hunter2");
    }
}
