//! AES-128 in the two block modes Jenkins uses (`AES/ECB/PKCS5Padding`, which Java calls plain
//! `"AES"`, and `AES/CBC/PKCS5Padding`), with Java's PKCS#5 padding rules.

use aes::cipher::{block_padding::Pkcs7, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use aes::Aes128;
use zeroize::Zeroizing;

/// AES block size in bytes.
pub(crate) const BLOCK: usize = 16;

/// AES-128-ECB decryption with PKCS#5 unpadding. `None` when the input is empty or not a
/// multiple of the block size, or when the padding is malformed (usually: wrong key).
pub(crate) fn ecb_decrypt(key: &[u8; 16], ct: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if ct.is_empty() || ct.len() % BLOCK != 0 {
        return None;
    }
    let dec = ecb::Decryptor::<Aes128>::new(key.into());
    dec.decrypt_padded_vec::<Pkcs7>(ct).ok().map(Zeroizing::new)
}

/// AES-128-ECB encryption with PKCS#5 padding (always adds 1..=16 padding bytes).
pub(crate) fn ecb_encrypt(key: &[u8; 16], pt: &[u8]) -> Vec<u8> {
    let enc = ecb::Encryptor::<Aes128>::new(key.into());
    enc.encrypt_padded_vec::<Pkcs7>(pt)
}

/// AES-128-CBC decryption with PKCS#5 unpadding.
///
/// Java's `PKCS5Padding.unpad` returns an empty result for an empty ciphertext instead of
/// failing, so an empty `ct` decrypts to an empty plaintext here too. A non-empty `ct` that is not
/// a multiple of the block size, or has malformed padding, gives `None`.
pub(crate) fn cbc_decrypt(key: &[u8; 16], iv: &[u8; 16], ct: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if ct.is_empty() {
        return Some(Zeroizing::new(Vec::new()));
    }
    if ct.len() % BLOCK != 0 {
        return None;
    }
    let dec = cbc::Decryptor::<Aes128>::new(key.into(), iv.into());
    dec.decrypt_padded_vec::<Pkcs7>(ct).ok().map(Zeroizing::new)
}

/// AES-128-CBC encryption with PKCS#5 padding.
pub(crate) fn cbc_encrypt(key: &[u8; 16], iv: &[u8; 16], pt: &[u8]) -> Vec<u8> {
    let enc = cbc::Encryptor::<Aes128>::new(key.into(), iv.into());
    enc.encrypt_padded_vec::<Pkcs7>(pt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecb_round_trip_and_padding_sizes() {
        let key = [7u8; 16];
        for len in [0usize, 1, 15, 16, 17, 269] {
            let pt = vec![0xabu8; len];
            let ct = ecb_encrypt(&key, &pt);
            assert_eq!(ct.len(), (len / 16 + 1) * 16);
            assert_eq!(
                ecb_decrypt(&key, &ct).as_deref().map(|v| v.as_slice()),
                Some(pt.as_slice())
            );
        }
    }

    #[test]
    fn cbc_round_trip_and_edge_cases() {
        let key = [1u8; 16];
        let iv = [2u8; 16];
        let ct = cbc_encrypt(&key, &iv, b"hello");
        assert_eq!(ct.len(), 16);
        assert_eq!(
            cbc_decrypt(&key, &iv, &ct).as_deref().map(|v| v.as_slice()),
            Some(&b"hello"[..])
        );
        assert_eq!(cbc_decrypt(&key, &iv, &[]).map(|v| v.len()), Some(0));
        assert!(cbc_decrypt(&key, &iv, &ct[..15]).is_none());
        assert!(ecb_decrypt(&key, &[]).is_none());
        assert!(ecb_decrypt(&key, &[0u8; 15]).is_none());
    }
}
