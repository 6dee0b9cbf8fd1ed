//! # ksdm-secret
//!
//! Jenkins `hudson.util.Secret` handling, as described in `docs/v21-sources.md` §5:
//!
//! * [`derive_key`] — `secrets/master.key` + `secrets/hudson.util.Secret` → `K_secret` (§5.2);
//! * [`decrypt`] / [`decrypt_with_fallback`] — a stored value → the text Jenkins would use, in
//!   the new `{…}` format (§5.3), the legacy brace-less format (§5.4), or Jenkins' plain-text
//!   fallback (§5.5), reported as a [`SecretForm`];
//! * [`encrypt_new_format`], [`encrypt_legacy`], [`make_key_files`] — the inverse, used to build
//!   sample `JENKINS_HOME`s whose secrets are encrypted under their own master key.
//!
//! ```
//! use ksdm_secret::{decrypt, derive_key, encrypt_new_format, make_key_files, SecretForm};
//!
//! let (master_key, hudson_util_secret) = make_key_files(&[7; 128], &[9; 256]);
//! let key = derive_key(master_key.as_bytes(), &hudson_util_secret)?;
//! let stored = encrypt_new_format(&key, "s3cret", [1; 16]);
//! let decoded = decrypt(&key, &stored);
//! assert_eq!(decoded.form, SecretForm::NewFormat);
//! assert_eq!(decoded.value, "s3cret");
//! assert_eq!(decrypt(&key, "not encrypted").form, SecretForm::PlainText);
//! # Ok::<(), ksdm_secret::KeyError>(())
//! ```
//!
//! Values are taken exactly as given (no trimming): see the [`decrypt`] module notes for why.
//! `SecretBytes` (§5.6) is not implemented. Nothing here logs or prints; key and value types
//! redact themselves in `Debug`.

#![deny(missing_docs)]

mod aes_modes;
mod decrypt;
mod encrypt;
mod jenkins_base64;
mod key;

pub use decrypt::{decrypt, decrypt_with_fallback, looks_like_new_format, Decoded, SecretForm};
pub use encrypt::{encrypt_legacy, encrypt_new_format};
pub use key::{
    derive_key, derive_key_with_master, derive_master_key, legacy_key_from_secret_key,
    make_key_files, KeyError, SecretKey, MAGIC,
};
