//! Client-side encryption with age: how a backup is protected and how it is opened again.

use std::path::Path;
use std::str::FromStr;

use age::secrecy::SecretString;

use crate::error::BackupError;
use crate::manifest::EncryptionKind;

/// How the secret-bearing files of a backup (Jenkins files, generated YAML tree) are protected.
#[derive(Clone)]
pub enum Protection {
    /// age passphrase encryption (scrypt). Anyone with the passphrase can restore.
    Passphrase(SecretString),
    /// age X25519 recipients (`age1…` public keys). Restoring needs one of the identities.
    Recipients(Vec<String>),
    /// No encryption. Only on the user's explicit `--insecure-plaintext-backup`.
    InsecurePlaintext,
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Protection::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            Protection::Recipients(r) => f.debug_tuple("Recipients").field(r).finish(),
            Protection::InsecurePlaintext => f.write_str("InsecurePlaintext"),
        }
    }
}

/// A boxed age recipient that can move to a worker thread.
pub(crate) type BoxedRecipient = Box<dyn age::Recipient + Send>;

impl Protection {
    /// The manifest's encryption kind.
    pub fn kind(&self) -> EncryptionKind {
        match self {
            Protection::Passphrase(_) => EncryptionKind::Passphrase,
            Protection::Recipients(_) => EncryptionKind::Recipients,
            Protection::InsecurePlaintext => EncryptionKind::None,
        }
    }

    /// True unless insecure plaintext.
    pub fn encrypts(&self) -> bool {
        !matches!(self, Protection::InsecurePlaintext)
    }

    /// Checks the recipients parse (fails before anything is written).
    pub fn validate(&self) -> Result<(), BackupError> {
        self.recipients(None).map(|_| ())
    }

    /// The age recipients, or `None` for plaintext. `work_factor` overrides the scrypt work
    /// factor (log2 N) of passphrase encryption.
    pub(crate) fn recipients(
        &self,
        work_factor: Option<u8>,
    ) -> Result<Option<Vec<BoxedRecipient>>, BackupError> {
        match self {
            Protection::InsecurePlaintext => Ok(None),
            Protection::Passphrase(p) => {
                let mut r = age::scrypt::Recipient::new(p.clone());
                // Never more than a restore accepts; age's own default is a timing calibration
                // that could exceed it on a fast machine.
                let w = work_factor
                    .filter(|w| *w >= 1)
                    .unwrap_or(MAX_SCRYPT_WORK_FACTOR)
                    .min(MAX_SCRYPT_WORK_FACTOR);
                r.set_work_factor(w);
                Ok(Some(vec![Box::new(r)]))
            }
            Protection::Recipients(list) => {
                if list.is_empty() {
                    return Err(BackupError::Recipient {
                        recipient: String::new(),
                        reason: "no recipient given".into(),
                    });
                }
                let mut out: Vec<BoxedRecipient> = Vec::with_capacity(list.len());
                for text in list {
                    let r = age::x25519::Recipient::from_str(text.trim()).map_err(|e| {
                        BackupError::Recipient {
                            recipient: text.clone(),
                            reason: e.to_string(),
                        }
                    })?;
                    out.push(Box::new(r));
                }
                Ok(Some(out))
            }
        }
    }
}

/// The key that opens an encrypted backup.
#[derive(Clone)]
pub enum DecryptionKey {
    /// The passphrase the backup was made with.
    Passphrase(SecretString),
    /// age X25519 identities (secret keys); any one matching recipient suffices.
    Identities(Vec<age::x25519::Identity>),
}

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecryptionKey::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            DecryptionKey::Identities(ids) => write!(f, "Identities(<{} redacted>)", ids.len()),
        }
    }
}

impl DecryptionKey {
    /// Parses the text of an age identity file: `AGE-SECRET-KEY-1…` lines; `#` comments and
    /// blank lines are ignored. `origin` names the file in errors.
    pub fn parse_identities(origin: &Path, text: &str) -> Result<DecryptionKey, BackupError> {
        let mut ids = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // The line is a secret: report only its number.
            let id =
                age::x25519::Identity::from_str(line).map_err(|_| BackupError::IdentityFile {
                    path: origin.to_path_buf(),
                    reason: format!(
                        "line {} is not an age X25519 secret key (AGE-SECRET-KEY-1…)",
                        index + 1
                    ),
                })?;
            ids.push(id);
        }
        if ids.is_empty() {
            return Err(BackupError::IdentityFile {
                path: origin.to_path_buf(),
                reason: "it holds no identity".into(),
            });
        }
        Ok(DecryptionKey::Identities(ids))
    }

    /// Reads an age identity file.
    pub fn from_identity_file(path: &Path) -> Result<DecryptionKey, BackupError> {
        let text = std::fs::read_to_string(path).map_err(|e| BackupError::IdentityFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse_identities(path, &text)
    }

    /// Opens an age file with this key; returns the plaintext reader.
    pub(crate) fn decrypt<R: std::io::BufRead>(
        &self,
        input: R,
    ) -> Result<age::stream::StreamReader<R>, age::DecryptError> {
        let decryptor = age::Decryptor::new_buffered(input)?;
        match self {
            DecryptionKey::Passphrase(p) => {
                let mut id = age::scrypt::Identity::new(p.clone());
                // age otherwise derives the highest accepted cost from a timing run, so a busy
                // machine can refuse a backup it wrote itself. Accept exactly what this tool
                // writes at most: a hostile file claiming a higher cost (2^22 and up costs
                // gigabytes of memory and minutes) is refused before any work is done.
                id.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
                decryptor.decrypt(std::iter::once(&id as &dyn age::Identity))
            }
            DecryptionKey::Identities(ids) => {
                decryptor.decrypt(ids.iter().map(|i| i as &dyn age::Identity))
            }
        }
    }
}

/// Highest scrypt cost (log2 N) written and accepted: 2^18 (about 256 MiB of memory and a
/// second of work per file). A backup whose header asks for more is refused on restore.
pub const MAX_SCRYPT_WORK_FACTOR: u8 = 18;

/// A new X25519 identity and its public recipient string (for tests, examples and key setup).
pub fn generate_identity() -> (age::x25519::Identity, String) {
    let id = age::x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    (id, recipient)
}

/// Human wording of an age decryption failure (never includes key material).
pub(crate) fn describe_decrypt_error(e: &age::DecryptError) -> String {
    match e {
        age::DecryptError::NoMatchingKeys => {
            "the given key does not match (wrong passphrase, or none of the identities is a recipient)".into()
        }
        age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
            "wrong passphrase or key".into()
        }
        age::DecryptError::InvalidMac => "header MAC mismatch: wrong passphrase, or the file is damaged".into(),
        age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat => {
            "not a valid age file (damaged or not encrypted)".into()
        }
        age::DecryptError::ExcessiveWork { required, .. } => {
            format!("the passphrase work factor {required} is higher than this tool accepts")
        }
        age::DecryptError::Io(io) => format!("damaged or truncated data: {io}"),
        other => other.to_string(),
    }
}
