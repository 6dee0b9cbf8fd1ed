//! The four public vectors in `../shared/fixtures/jenkins-secrets/` (their `EXPECTED.md` files are the
//! ground truth), the value-layer vectors listed in that folder's `SOURCE.md`, and edge cases.
//! Stored values and published key values are read from the fixture files.

use ksdm_secret::{
    decrypt, derive_key, derive_key_with_master, derive_master_key, looks_like_new_format, Decoded,
    KeyError, SecretForm, SecretKey,
};
use sha2::{Digest, Sha256};

/// Reads `rel` from `../shared/fixtures` (each test starts with `require_shared!`).
fn read(rel: &str) -> Vec<u8> {
    ksdm_test_fixtures::read(rel).expect("shared fixtures present (checked by require_shared!)")
}

fn read_text(rel: &str) -> String {
    String::from_utf8(read(rel)).unwrap_or_else(|e| panic!("{rel} is not UTF-8: {e}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Minimal XML text unescaping (the fixtures use none, but stay correct if they did).
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The text of the first `<tag>…</tag>` at or after `from`.
fn element_after(xml: &str, from: usize, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let rest = &xml[from..];
    let start = rest
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> after offset {from}"))
        + open.len();
    let end = rest[start..]
        .find(&close)
        .unwrap_or_else(|| panic!("<{tag}> not closed"))
        + start;
    unescape(&rest[start..end])
}

/// The text of `<tag>` inside the credential whose `<id>` is `id`.
fn credential_field(xml: &str, id: &str, tag: &str) -> String {
    let marker = format!("<id>{id}</id>");
    let at = xml
        .find(&marker)
        .unwrap_or_else(|| panic!("credential {id} not found"));
    element_after(xml, at, tag)
}

/// The backticked 32-hex-digit value in the `EXPECTED.md` table row whose first cell starts with
/// `row_start` (e.g. "K_master", "K_secret").
fn expected_key_hex(expected_md: &str, row_start: &str) -> String {
    let prefix = format!("| {row_start}");
    let line = expected_md
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no row {row_start:?} in EXPECTED.md"));
    let cells: Vec<&str> = line.split('|').collect();
    let value = cells
        .get(2)
        .expect("row has a value cell")
        .trim()
        .trim_matches('`')
        .to_owned();
    assert_eq!(value.len(), 32, "{row_start} value {value:?}");
    assert!(value.bytes().all(|b| b.is_ascii_hexdigit()));
    value
}

/// Checks derivation against `EXPECTED.md` and returns K_secret.
fn check_key_derivation(dir: &str, master_rel: &str, secret_rel: &str) -> SecretKey {
    let expected_md = read_text(&format!("{dir}/EXPECTED.md"));
    let master = read(&format!("{dir}/{master_rel}"));
    let file = read(&format!("{dir}/{secret_rel}"));
    assert_eq!(master.len(), 256, "{dir}: master.key is 256 hex characters");
    assert_eq!(file.len(), 272, "{dir}: hudson.util.Secret is 272 bytes");

    let k_master = derive_master_key(&master).expect("K_master");
    assert_eq!(
        hex::encode(k_master.as_bytes()),
        expected_key_hex(&expected_md, "K_master"),
        "{dir}"
    );
    let k_secret = derive_key(&master, &file).expect("K_secret");
    assert_eq!(
        hex::encode(k_secret.as_bytes()),
        expected_key_hex(&expected_md, "K_secret"),
        "{dir}"
    );
    let via_master = derive_key_with_master(&k_master, &file).expect("K_secret via K_master");
    assert_eq!(via_master.as_bytes(), k_secret.as_bytes());

    // Trimming (§5.1): a trailing newline / CRLF / surrounding blanks give the same key …
    for variant in [
        [master.as_slice(), b"\n"].concat(),
        [master.as_slice(), b"\r\n"].concat(),
        [b"  ".as_slice(), master.as_slice(), b" \n\n"].concat(),
    ] {
        let k = derive_key(&variant, &file).expect("trimmed master.key derives the key");
        assert_eq!(k.as_bytes(), k_secret.as_bytes(), "{dir}");
    }
    // … while hashing the untrimmed text gives a K_master that fails PKCS#5 unpadding.
    let untrimmed = [master.as_slice(), b"\n"].concat();
    let digest = Sha256::digest(&untrimmed);
    let mut raw = [0u8; 16];
    raw.copy_from_slice(&digest[..16]);
    assert_eq!(
        derive_key_with_master(&SecretKey::from_bytes(raw), &file).unwrap_err(),
        KeyError::BadPadding,
        "{dir}: untrimmed master.key"
    );
    k_secret
}

fn assert_decrypted(d: &Decoded, form: SecretForm, text: &str, sha: &str) {
    assert_eq!(d.form, form);
    assert!(!d.lossy_utf8);
    assert_eq!(d.value.len(), text.len());
    assert_eq!(d.value, text);
    assert_eq!(sha256_hex(d.value.as_bytes()), sha);
}

fn assert_decrypted_by_hash(
    d: &Decoded,
    form: SecretForm,
    len: usize,
    sha: &str,
    final_newline: bool,
) {
    assert_eq!(d.form, form);
    assert!(!d.lossy_utf8);
    assert_eq!(d.value.len(), len);
    assert_eq!(sha256_hex(d.value.as_bytes()), sha);
    assert_eq!(d.value.ends_with('\n'), final_newline);
}

/// The text of the fenced block after the heading `### {name}` in `EXPECTED.md` (without the
/// newline before the closing fence).
fn expected_block(expected_md: &str, name: &str) -> String {
    let heading = format!("### {name}\n");
    let at = expected_md
        .find(&heading)
        .unwrap_or_else(|| panic!("no block {name}"));
    let rest = &expected_md[at..];
    let start = rest.find("```\n").expect("opening fence") + 4;
    let end = rest[start..].find("\n```").expect("closing fence") + start;
    rest[start..end].to_owned()
}

#[test]
fn hoto_jenkins_2_141() {
    ksdm_test_fixtures::require_shared!();
    let dir = "jenkins-secrets/hoto-jenkins_2.141";
    let key = check_key_derivation(dir, "master.key", "hudson.util.Secret");
    assert_eq!(
        key.as_bytes().as_slice(),
        read(&format!("{dir}/decrypted/hudson.util.Secret")).as_slice()
    );
    let xml = read_text(&format!("{dir}/credentials.xml"));
    let md = read_text(&format!("{dir}/EXPECTED.md"));

    let password = decrypt(&key, &credential_field(&xml, "gitlab", "password"));
    assert_decrypted(
        &password,
        SecretForm::NewFormat,
        "Drmhze6EPcv0fN_81Bj",
        "d8134dcf033e119174ae0fd92738794aa7f849ae0fe57b4c3eb5c1a0b26ad31d",
    );
    let passphrase = decrypt(
        &key,
        &credential_field(&xml, "production-bastion", "passphrase"),
    );
    assert_decrypted(
        &passphrase,
        SecretForm::NewFormat,
        "IEPkO5nYhEG",
        "30b4894903de567458800994552fc49ef5d546364ae651c1593063964807c500",
    );
    let private_key = decrypt(
        &key,
        &credential_field(&xml, "production-bastion", "privateKey"),
    );
    assert_decrypted_by_hash(
        &private_key,
        SecretForm::NewFormat,
        886,
        "03f3238edbde1a6f74f2c920496e24e0509ce90618274719485d3d3b0cd93917",
        false,
    );
    assert_eq!(
        private_key.value,
        expected_block(&md, "production-bastion-privateKey")
    );

    let stored = credential_field(&xml, "exampleId", "password");
    let example = decrypt(&key, &stored);
    assert_decrypted(
        &example,
        SecretForm::PlainText,
        "examplePassword",
        "c668bfca4f595524053592d642cf97373d4fc778372bbd2364fbbe1b4b9eaafd",
    );
    assert!(!looks_like_new_format(&stored));
}

#[test]
fn hoto_jenkins_2_141_brace_strictness() {
    ksdm_test_fixtures::require_shared!();
    let dir = "jenkins-secrets/hoto-jenkins_2.141";
    let key = derive_key(
        &read(&format!("{dir}/master.key")),
        &read(&format!("{dir}/hudson.util.Secret")),
    )
    .unwrap();
    let md = read_text(&format!("{dir}/EXPECTED.md"));
    // Both stored forms are read from the "Extra value" table of EXPECTED.md.
    let bare = md
        .lines()
        .find_map(|l| {
            l.strip_prefix("| `AQAA")
                .map(|r| format!("AQAA{}", &r[..r.find('`').unwrap()]))
        })
        .expect("unbraced extra value");
    let braced = format!("{{{bare}}}");
    assert!(md.contains(&format!("`{braced}`")));
    assert_eq!(
        bare,
        "AQAAABAAAAAQtnCexFYLFtmTQCL0x3wnirMnXVA7aZy+lfrfso+SjHI="
    );

    let without = decrypt(&key, &bare);
    assert_eq!(without.form, SecretForm::PlainText);
    assert_eq!(without.value, bare);
    let with = decrypt(&key, &braced);
    assert_eq!(with.form, SecretForm::NewFormat);
    assert_eq!(with.value, "ilovexfire");
}

#[test]
fn hoto_jenkins_1_625_1() {
    ksdm_test_fixtures::require_shared!();
    let dir = "jenkins-secrets/hoto-jenkins_1.625.1";
    let key = check_key_derivation(dir, "master.key", "hudson.util.Secret");
    assert_eq!(
        key.as_bytes().as_slice(),
        read(&format!("{dir}/decrypted/hudson.util.Secret")).as_slice()
    );
    let xml = read_text(&format!("{dir}/credentials.xml"));
    let md = read_text(&format!("{dir}/EXPECTED.md"));
    let id_pw = "cd8ad67a-30a3-4261-b56a-300b860f2764";
    let id_ssh = "d90e353f-0fcf-4ce5-aa53-c43235999251";

    let password = decrypt(&key, &credential_field(&xml, id_pw, "password"));
    assert_decrypted(
        &password,
        SecretForm::Legacy,
        "password_1",
        "38c5ae2bcd1f12aa269e45ae8c8762f030630a5137dd6d1c799c019626f33096",
    );
    let passphrase = decrypt(&key, &credential_field(&xml, id_ssh, "passphrase"));
    assert_decrypted(
        &passphrase,
        SecretForm::Legacy,
        "passphrase",
        "1e089e3c5323ad80a90767bdd5907297b4138163f027097fd3bdbeab528d2d68",
    );
    let private_key = decrypt(&key, &credential_field(&xml, id_ssh, "privateKey"));
    assert_decrypted(
        &private_key,
        SecretForm::PlainText,
        "LINE_1\nLINE_2\nLINE_2",
        "5de233946cb9ceb949a743525970a9b9bf835127646e2358837fa7be4d58c023",
    );
    assert_eq!(
        private_key.value,
        expected_block(&md, &format!("{id_ssh}-privateKey"))
    );
}

#[test]
fn jenkins_core_secretcompat() {
    ksdm_test_fixtures::require_shared!();
    let dir = "jenkins-secrets/jenkins-core-secretcompat";
    let key = check_key_derivation(dir, "secrets/master.key", "secrets/hudson.util.Secret");
    let xml = read_text(&format!("{dir}/jobs/OldSecret/config.xml"));
    let stored = element_after(&xml, 0, "defaultValue");
    assert_eq!(stored, "z/Dd3qrHdQ6/C5lR7uEafM/jD3nQDrGprw3XsfZ/0vo=");
    assert_decrypted(
        &decrypt(&key, &stored),
        SecretForm::Legacy,
        "theSecret",
        "0a8f80ff47997faa82f169f7896fa78d2e46cd6354daf49162ba65416adddf12",
    );
    // The description is plain text and stays as it is.
    let description = element_after(
        &xml,
        xml.find("<hudson.model.PasswordParameterDefinition>")
            .unwrap(),
        "description",
    );
    let d = decrypt(&key, &description);
    assert_eq!(
        (d.form, d.value.as_str()),
        (SecretForm::PlainText, "theSecret")
    );
}

#[test]
fn ssh_credentials_fips() {
    ksdm_test_fixtures::require_shared!();
    let dir = "jenkins-secrets/ssh-credentials-fips";
    let key = check_key_derivation(dir, "secrets/master.key", "secrets/hudson.util.Secret");
    let xml = read_text(&format!("{dir}/credentials.xml"));
    let md = read_text(&format!("{dir}/EXPECTED.md"));
    let pass_sha = "14c4d32b3d858801431d47543138a433bc17681501aafe6a7f9784de8b2f62cc";

    for id in ["valid-rsa-key", "invalid-rsa-key"] {
        let pass = decrypt(&key, &credential_field(&xml, id, "passphrase"));
        assert_decrypted(&pass, SecretForm::NewFormat, "fipsvalidpassword", pass_sha);
    }
    let valid = decrypt(&key, &credential_field(&xml, "valid-rsa-key", "privateKey"));
    assert_decrypted_by_hash(
        &valid,
        SecretForm::NewFormat,
        1862,
        "76a014a9c5f9426094da7ad00d957a3f96ab767a5257d1c23133e9b6330992d7",
        true,
    );
    assert_eq!(
        valid.value,
        format!("{}\n", expected_block(&md, "valid-rsa-key-privateKey"))
    );
    let invalid = decrypt(
        &key,
        &credential_field(&xml, "invalid-rsa-key", "privateKey"),
    );
    assert_decrypted_by_hash(
        &invalid,
        SecretForm::NewFormat,
        1085,
        "e5748ee1a502f6ab63159d90b04d2a233082ea0340358e614a8046b2f8c4a041",
        false,
    );
    assert_eq!(
        invalid.value,
        expected_block(&md, "invalid-rsa-key-privateKey")
    );
}

/// The value-layer table in `../shared/fixtures/jenkins-secrets/SOURCE.md` (tarvitz/jenkins-utils data):
/// rows `| K_secret or "same" | stored | format | plaintext |`.
#[test]
fn value_layer_vectors_from_source_md() {
    ksdm_test_fixtures::require_shared!();
    let md = read_text("jenkins-secrets/SOURCE.md");
    let section = &md[md
        .find("## Value-layer vectors")
        .expect("value-layer section")..];
    let mut key_hex = String::new();
    let mut rows = 0;
    for line in section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, k, stored, format, plain, ..] = cells.as_slice() else {
            continue;
        };
        if !stored.starts_with('`') {
            continue; // header row
        }
        if *k != "same" {
            key_hex = k.trim_matches('`').to_owned();
        }
        let raw: [u8; 16] = hex::decode(&key_hex).unwrap().try_into().unwrap();
        let key = SecretKey::from_bytes(raw);
        let d = decrypt(&key, stored.trim_matches('`'));
        let form = if *format == "legacy" {
            SecretForm::Legacy
        } else {
            SecretForm::NewFormat
        };
        assert_eq!(d.form, form, "{line}");
        assert_eq!(d.value, plain.trim_matches('`'), "{line}");
        rows += 1;
    }
    assert_eq!(rows, 3);
}

#[test]
fn wrong_master_key_is_a_clear_error() {
    ksdm_test_fixtures::require_shared!();
    let a = "jenkins-secrets/hoto-jenkins_2.141";
    let b = "jenkins-secrets/ssh-credentials-fips";
    let master_a = read(&format!("{a}/master.key"));
    let file_b = read(&format!("{b}/secrets/hudson.util.Secret"));
    let err = derive_key(&master_a, &file_b).unwrap_err();
    assert!(
        matches!(err, KeyError::BadPadding | KeyError::MissingMagic),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("hudson.util.Secret") && msg.contains("master.key"),
        "{msg}"
    );
    // No key material in the message.
    let k_master = derive_master_key(&master_a).unwrap();
    assert!(!msg
        .to_lowercase()
        .contains(&hex::encode(&k_master.as_bytes()[..4])));
    assert!(!msg.contains(std::str::from_utf8(&master_a[..16]).unwrap()));

    // A non-UTF-8 master.key that does not work either is reported as not text.
    let mut binary = master_a.clone();
    binary[0] = 0xff;
    assert_eq!(
        derive_key(&binary, &file_b).unwrap_err(),
        KeyError::MasterKeyNotText
    );
    assert_eq!(
        derive_key(b"\n", &file_b).unwrap_err(),
        KeyError::MasterKeyEmpty
    );
}

#[test]
fn values_under_the_wrong_key_fall_back_to_plain_text() {
    ksdm_test_fixtures::require_shared!();
    let dir = "jenkins-secrets/hoto-jenkins_2.141";
    let xml = read_text(&format!("{dir}/credentials.xml"));
    let other = "jenkins-secrets/hoto-jenkins_1.625.1";
    let wrong = derive_key(
        &read(&format!("{other}/master.key")),
        &read(&format!("{other}/hudson.util.Secret")),
    )
    .unwrap();
    for (id, tag) in [
        ("gitlab", "password"),
        ("production-bastion", "passphrase"),
        ("production-bastion", "privateKey"),
    ] {
        let stored = credential_field(&xml, id, tag);
        let d = decrypt(&wrong, &stored);
        assert_eq!(d.form, SecretForm::PlainText, "{id}/{tag}");
        assert_eq!(d.value, stored);
        assert!(looks_like_new_format(&stored), "{id}/{tag}");
    }
    let legacy_xml = read_text(&format!("{other}/credentials.xml"));
    let stored = credential_field(
        &legacy_xml,
        "cd8ad67a-30a3-4261-b56a-300b860f2764",
        "password",
    );
    let key_2141 = derive_key(
        &read(&format!("{dir}/master.key")),
        &read(&format!("{dir}/hudson.util.Secret")),
    )
    .unwrap();
    let d = decrypt(&key_2141, &stored);
    assert_eq!(
        (d.form, d.value.as_str()),
        (SecretForm::PlainText, stored.as_str())
    );
}

/// The newline-wrapped `{AQAA…}` default in the KubeSphere WorkflowJob fixture: Jenkins passes
/// the element text untrimmed to `Secret.fromString`, so it is not tried as the new format and
/// is used literally. `looks_like_new_format` flags it.
#[test]
fn whitespace_wrapped_value_is_literal_but_flagged() {
    ksdm_test_fixtures::require_shared!();
    let xml = read_text("jenkins-xml/kubesphere/workflowjob-jenkins-saved.xml");
    let at = xml
        .find("<hudson.model.PasswordParameterDefinition>")
        .expect("password parameter");
    let stored = element_after(&xml, at, "defaultValue");
    assert!(stored.starts_with('\n') && stored.ends_with('\n'));
    let key = SecretKey::from_bytes([0x11; 16]); // no key files were published for it
    let d = decrypt(&key, &stored);
    assert_eq!(d.form, SecretForm::PlainText);
    assert_eq!(d.value, stored);
    assert!(looks_like_new_format(&stored));
    // Trimmed it is a structurally valid value, still not decryptable without its key.
    let trimmed = decrypt(&key, stored.trim());
    assert_eq!(trimmed.form, SecretForm::PlainText);
}

#[test]
fn truncated_and_garbage_values_never_panic() {
    ksdm_test_fixtures::require_shared!();
    let dir = "jenkins-secrets/hoto-jenkins_2.141";
    let key = derive_key(
        &read(&format!("{dir}/master.key")),
        &read(&format!("{dir}/hudson.util.Secret")),
    )
    .unwrap();
    let xml = read_text(&format!("{dir}/credentials.xml"));
    let good = credential_field(&xml, "gitlab", "password");
    let inner = &good[1..good.len() - 1];

    // Every truncation of the base64 inside the braces.
    for cut in 0..inner.len() {
        let s = format!("{{{}}}", &inner[..cut]);
        let d = decrypt(&key, &s);
        if cut == 0 {
            assert_eq!(d.form, SecretForm::NotData);
        } else {
            assert_eq!(d.form, SecretForm::PlainText, "{s}");
        }
        assert_eq!(d.value, s);
    }
    // Single-character corruption anywhere (including the header bytes) never panics; it
    // either falls back to the literal text or (rarely, for a flipped ciphertext bit in the
    // first block) decrypts to something else.
    let alphabet = b"A/+z=!{} \n";
    for i in 0..good.len() {
        for &c in alphabet {
            let mut bytes = good.clone().into_bytes();
            bytes[i] = c;
            let s = String::from_utf8(bytes).unwrap();
            let d = decrypt(&key, &s);
            if !d.is_decrypted() {
                assert_eq!(d.value, s);
            }
        }
    }
    for s in [
        "{",
        "}",
        "}{",
        "{=}",
        "{====}",
        "{AQ==}",
        "{AQAAAA==}",
        "AQAA",
        "=",
        "{\u{0}}",
        "ünïcödé",
        "{ü}",
    ] {
        let d = decrypt(&key, s);
        assert!(!d.is_decrypted(), "{s:?}");
        assert_eq!(d.value, s);
    }
}

#[test]
fn debug_output_never_shows_values_or_keys() {
    ksdm_test_fixtures::require_shared!();
    let dir = "jenkins-secrets/jenkins-core-secretcompat";
    let key = derive_key(
        &read(&format!("{dir}/secrets/master.key")),
        &read(&format!("{dir}/secrets/hudson.util.Secret")),
    )
    .unwrap();
    let d = decrypt(&key, "z/Dd3qrHdQ6/C5lR7uEafM/jD3nQDrGprw3XsfZ/0vo=");
    assert_eq!(d.value, "theSecret");
    let shown = format!("{d:?} {d:#?}");
    assert!(!shown.contains("theSecret"), "{shown}");
    assert!(shown.contains("<redacted>"));
    let key_shown = format!("{key:?} {key:#?}");
    assert_eq!(key_shown, "<redacted> <redacted>");
    let plain = d.into_plaintext();
    assert_eq!(format!("{plain:?}"), "<redacted>");
    assert_eq!(plain.expose(), b"theSecret");
}
