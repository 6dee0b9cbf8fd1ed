//! A SeaweedFS `weed mini` S3 server for tests (shared by the backup crate's S3 tests and the
//! CLI's `--from-backup` tests): started on a free loopback port with its data in a temporary
//! folder and an `-s3.config` identity (without it SeaweedFS accepts any key), stopped when the
//! last test holding a [`Lease`] drops it. If the `weed` binary is missing,
//! `scripts/ensure-seaweedfs.sh` installs it (needs Python 3 with venv/pip). Set `KSDM_WEED` to
//! use another binary.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ksdm_backup::*;

pub const ACCESS_KEY: &str = "ksdmtestkey";
pub const SECRET_KEY: &str = "ksdm-test-secret-123";

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
pub struct Lease {
    weed: Arc<Weed>,
}

impl Lease {
    pub fn endpoint(&self) -> String {
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

pub fn lease() -> Lease {
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

pub fn options(lease: &Lease, secret: &str) -> S3Options {
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

/// A store in a fresh bucket under prefix `backups/ks`, retried until the server accepts writes
/// (bounded).
pub async fn bucket_store(lease: &Lease, bucket: &str) -> S3Store {
    bucket_store_at(lease, bucket, "backups/ks").await
}

/// A store in a fresh bucket under `prefix`, retried until the server accepts writes (bounded).
pub async fn bucket_store_at(lease: &Lease, bucket: &str, prefix: &str) -> S3Store {
    install_crypto_provider();
    let store = S3Store::connect(bucket, prefix, &options(lease, SECRET_KEY))
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
