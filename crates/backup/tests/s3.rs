//! S3 store against a real S3 server that checks signatures: SeaweedFS `weed mini` (see
//! `weed/mod.rs`), shared by the tests that run at the same time and stopped afterwards.

mod common;
mod weed;

use std::net::TcpListener;
use std::time::Duration;

use common::*;
use ksdm_backup::*;
use weed::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trip_backup_verify_restore() {
    let lease = lease();
    let store = bucket_store(&lease, "roundtrip").await;
    round_trip(&store, "20261123T121314Z-1111aaaa").await;
    assert!(store
        .describe()
        .starts_with("s3://roundtrip/backups/ks at http://127.0.0.1:"));
    // The same store reached through open_store.
    let opened = open_store("s3://roundtrip/backups/ks", &options(&lease, SECRET_KEY))
        .await
        .unwrap();
    let listing = list_backups(opened.as_ref()).await.unwrap();
    assert_eq!(
        listing
            .iter()
            .map(|r| r.run_id.as_str())
            .collect::<Vec<_>>(),
        ["20261123T121314Z-1111aaaa"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_multipart_upload_round_trip() {
    let lease = lease();
    let store = bucket_store(&lease, "multipart").await;
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    // 11 MiB + 123 bytes of varied data: 3 parts of at most 5 MiB.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..(11 * 1024 * 1024 + 123))
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(&big, &bytes).unwrap();
    store.put_file("run-x/big.bin", &big).await.unwrap();
    let listed = store.list("run-x/").await.unwrap();
    assert_eq!(
        listed,
        [ObjectInfo {
            key: "run-x/big.bin".into(),
            size: bytes.len() as u64
        }]
    );
    let back = dir.path().join("back.bin");
    assert_eq!(
        store.get_to_file("run-x/big.bin", &back).await.unwrap(),
        bytes.len() as u64
    );
    assert!(
        std::fs::read(&back).unwrap() == bytes,
        "multipart object differs"
    );
    assert!(store.exists("run-x/big.bin").await.unwrap());
    assert!(!store.exists("run-x/none").await.unwrap());
    let err = store.get_to_file("run-x/none", &back).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_wrong_secret_gives_a_clear_error() {
    let lease = lease();
    let _ = bucket_store(&lease, "wrongsecret").await;
    let wrong = "definitely-not-the-secret";
    let store = S3Store::connect("wrongsecret", "", &options(&lease, wrong))
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let export = export_dir(work.path());
    let err = create_backup_with(
        &store,
        input("20261123T121314Z-2222bbbb", &export),
        &passphrase(),
        &fast(),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            BackupError::Store(StoreError::SignatureMismatch { .. })
        ),
        "{text}"
    );
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");
    assert!(text.contains("bucket wrongsecret"), "{text}");
    assert!(text.contains(&lease.endpoint()), "{text}");
    assert!(text.contains("check the access key and secret"), "{text}");
    assert!(
        !text.contains(wrong) && !format!("{err:?}").contains(wrong),
        "secret leaked: {text}"
    );

    let err = list_backups(&store).await.unwrap_err();
    assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");

    let mut unknown = options(&lease, SECRET_KEY);
    unknown.access_key = Some("nosuchkey".into());
    let store = S3Store::connect("wrongsecret", "", &unknown).await.unwrap();
    let err = list_backups(&store).await.unwrap_err().to_string();
    assert!(err.contains("access key"), "{err}");

    let good = S3Store::connect("no-such-bucket", "", &options(&lease, SECRET_KEY))
        .await
        .unwrap();
    let err = list_backups(&good).await.unwrap_err().to_string();
    assert!(
        err.contains("no-such-bucket") && err.contains("does not exist"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_flipped_byte_fails_verify_and_restore() {
    let lease = lease();
    let store = bucket_store(&lease, "flipped").await;
    flipped_byte(&store, "20261123T121314Z-3333cccc").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_wrong_age_key_fails_clearly() {
    let lease = lease();
    let store = bucket_store(&lease, "wrongkey").await;
    wrong_key(&store, "20261123T121314Z-4444dddd").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_interrupted_upload_leaves_no_complete_backup() {
    let lease = lease();
    let store = bucket_store(&lease, "interrupted").await;
    interrupted_upload(&store, "20261123T121314Z-5555eeee").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_unreachable_endpoint_is_named() {
    install_crypto_provider();
    // A port nobody listens on (bound, then released).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut opts = S3Options {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        region: Some("us-east-1".into()),
        access_key: Some(ACCESS_KEY.into()),
        secret_key: Some(SecretString::from(SECRET_KEY)),
        ..S3Options::default()
    };
    let store = S3Store::connect("b", "", &opts).await.unwrap();
    let err = tokio::time::timeout(Duration::from_secs(60), list_backups(&store))
        .await
        .expect("bounded")
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("cannot reach S3 endpoint http://127.0.0.1:{port}")),
        "{text}"
    );
    opts.secret_key = None;
    let err = S3Store::connect("b", "", &opts).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("both the access key and the secret key"),
        "{err}"
    );
}
