//! Encryption (used by the estate generator) round-trips through decryption, and decryption
//! never panics on arbitrary input.

use ksdm_secret::{
    decrypt, decrypt_with_fallback, derive_key, encrypt_legacy, encrypt_new_format,
    legacy_key_from_secret_key, looks_like_new_format, make_key_files, SecretForm, SecretKey,
};
use proptest::prelude::*;

#[test]
fn generated_home_round_trip_both_formats() {
    let mut seed = [0u8; 128];
    let mut payload = [0u8; 256];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = (i * 7 + 3) as u8;
    }
    for (i, b) in payload.iter_mut().enumerate() {
        *b = (255 - i) as u8;
    }
    let (master_text, file) = make_key_files(&seed, &payload);
    assert_eq!(master_text, hex::encode(seed));
    assert_eq!(file.len(), 272);
    let key = derive_key(master_text.as_bytes(), &file).unwrap();
    assert_eq!(key.as_bytes().as_slice(), &payload[..16]);

    let pem = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n";
    let new = encrypt_new_format(&key, pem, [9u8; 16]);
    assert!(new.starts_with("{AQAAABAAAA") && new.ends_with('}'));
    assert!(looks_like_new_format(&new));
    let d = decrypt(&key, &new);
    assert_eq!((d.form, d.value.as_str()), (SecretForm::NewFormat, pem));

    let legacy = encrypt_legacy(&key, "password_1");
    assert!(!legacy.starts_with('{'));
    let d = decrypt(&key, &legacy);
    assert_eq!(
        (d.form, d.value.as_str()),
        (SecretForm::Legacy, "password_1")
    );
}

#[test]
fn historical_key_fallback_applies_to_legacy_only() {
    let key = SecretKey::from_bytes([1; 16]);
    let old = legacy_key_from_secret_key(b"0123456789abcdef0123456789abcdef\n");
    assert_eq!(
        old.as_bytes(),
        legacy_key_from_secret_key(b"0123456789abcdef0123456789abcdef").as_bytes()
    );

    let legacy = encrypt_legacy(&old, "ancient");
    assert_eq!(decrypt(&key, &legacy).form, SecretForm::PlainText);
    let d = decrypt_with_fallback(&key, Some(&old), &legacy);
    assert_eq!((d.form, d.value.as_str()), (SecretForm::Legacy, "ancient"));
    // K_secret still wins when both could apply.
    let current = encrypt_legacy(&key, "current");
    assert_eq!(
        decrypt_with_fallback(&key, Some(&old), &current).value,
        "current"
    );

    let new = encrypt_new_format(&old, "modern", [0; 16]);
    assert_eq!(
        decrypt_with_fallback(&key, Some(&old), &new).form,
        SecretForm::PlainText
    );
}

#[test]
fn empty_and_multibyte_values_round_trip() {
    let key = SecretKey::from_bytes([0x42; 16]);
    for text in ["", "x", "0123456789abcdef", "пароль", "密码🔑", "a\nb\r\n"] {
        let d = decrypt(&key, &encrypt_new_format(&key, text, [3; 16]));
        assert_eq!((d.form, d.value.as_str()), (SecretForm::NewFormat, text));
        let d = decrypt(&key, &encrypt_legacy(&key, text));
        assert_eq!((d.form, d.value.as_str()), (SecretForm::Legacy, text));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn new_format_round_trips(key in any::<[u8; 16]>(), iv in any::<[u8; 16]>(), text in ".{0,300}") {
        let key = SecretKey::from_bytes(key);
        let stored = encrypt_new_format(&key, &text, iv);
        let d = decrypt(&key, &stored);
        prop_assert_eq!(d.form, SecretForm::NewFormat);
        prop_assert_eq!(d.value, text);
    }

    #[test]
    fn legacy_round_trips(key in any::<[u8; 16]>(), text in ".{0,300}") {
        let key = SecretKey::from_bytes(key);
        let d = decrypt(&key, &encrypt_legacy(&key, &text));
        prop_assert_eq!(d.form, SecretForm::Legacy);
        prop_assert_eq!(d.value, text);
    }

    #[test]
    fn arbitrary_input_never_panics_and_falls_back_literally(s in "\\PC{0,200}|[A-Za-z0-9+/={} \n]{0,120}") {
        let key = SecretKey::from_bytes([7; 16]);
        let d = decrypt(&key, &s);
        let _ = looks_like_new_format(&s);
        if !d.is_decrypted() {
            prop_assert_eq!(d.value, s);
        }
    }
}
