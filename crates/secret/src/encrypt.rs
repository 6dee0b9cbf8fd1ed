//! Writing `hudson.util.Secret` values (the inverse of `decrypt`), for generated sample estates.

use zeroize::Zeroizing;

use crate::aes_modes;
use crate::jenkins_base64;
use crate::key::{SecretKey, MAGIC};

/// Encrypts like Jenkins' `Secret.getEncryptedValue()` (§5.3): AES-128-CBC with PKCS#5 padding
/// under `key` and `iv`, payload `0x01 ‖ be32(16) ‖ be32(len(ct)) ‖ iv ‖ ct`, returned as
/// `"{" + base64(payload) + "}"`.
pub fn encrypt_new_format(key: &SecretKey, plaintext: &str, iv: [u8; 16]) -> String {
    let ct = aes_modes::cbc_encrypt(key.as_bytes(), &iv, plaintext.as_bytes());
    // A ciphertext over 4 GiB cannot be represented; Jenkins would not accept it either.
    let ct_len = u32::try_from(ct.len()).unwrap_or(u32::MAX);
    let iv_len: u32 = 16;
    let mut payload = Vec::with_capacity(9 + iv.len() + ct.len());
    payload.push(1u8);
    payload.extend_from_slice(&iv_len.to_be_bytes());
    payload.extend_from_slice(&ct_len.to_be_bytes());
    payload.extend_from_slice(&iv);
    payload.extend_from_slice(&ct);
    format!("{{{}}}", jenkins_base64::encode(&payload))
}

/// Encrypts in the pre-2.44 legacy format (§5.4): `base64(AES-128-ECB(plaintext ‖ MAGIC))` with
/// PKCS#5 padding, no braces.
pub fn encrypt_legacy(key: &SecretKey, plaintext: &str) -> String {
    let mut plain = Zeroizing::new(Vec::with_capacity(plaintext.len() + MAGIC.len()));
    plain.extend_from_slice(plaintext.as_bytes());
    plain.extend_from_slice(MAGIC);
    jenkins_base64::encode(&aes_modes::ecb_encrypt(key.as_bytes(), &plain))
}
