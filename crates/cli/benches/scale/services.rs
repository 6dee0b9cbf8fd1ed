//! The real services of the live measurements: MariaDB on 127.0.0.1:3306 (started by
//! `scripts/ensure-mariadb.sh`) and a SeaweedFS S3 server (`weed mini`, installed by
//! `scripts/ensure-seaweedfs.sh`) started here on free loopback ports and stopped on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// S3 access key of the bench's SeaweedFS identity.
pub const ACCESS_KEY: &str = "ksdmbenchkey";
/// Its secret key (a throwaway for a loopback server).
pub const SECRET_KEY: &str = "ksdm-bench-secret-123";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the `mariadb` client as root on 127.0.0.1:3306 with `args`, feeding `stdin`.
pub fn mariadb(args: &[&str], stdin: Option<&Path>) -> std::process::Output {
    let mut cmd = Command::new("mariadb");
    cmd.args(["-h", "127.0.0.1", "-P", "3306", "-u", "root"])
        .args(args)
        .env_remove("MYSQL_PWD");
    match stdin {
        Some(p) => cmd.stdin(std::fs::File::open(p).expect("open the dump")),
        None => cmd.stdin(Stdio::null()),
    };
    cmd.output().expect("run the mariadb client")
}

/// Makes sure MariaDB answers, then loads `dump` into a fresh database `db`.
pub fn load_dump(dump: &Path, db: &str) {
    let ok = Command::new("bash")
        .arg(repo().join("scripts/ensure-mariadb.sh"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "scripts/ensure-mariadb.sh failed");
    let out = mariadb(
        &[
            "-e",
            &format!("DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}`"),
        ],
        None,
    );
    assert!(out.status.success(), "create database {db}: {out:?}");
    // The generated dump names no database (no USE / CREATE DATABASE).
    let out = mariadb(&["--batch", db], Some(dump));
    assert!(
        out.status.success(),
        "loading {}: {}",
        dump.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Drops database `db`.
pub fn drop_db(db: &str) {
    let _ = mariadb(&["-e", &format!("DROP DATABASE IF EXISTS `{db}`")], None);
}

/// A running `weed mini`, stopped on drop.
pub struct Weed {
    child: Child,
    /// S3 port on 127.0.0.1.
    pub port: u16,
    data: PathBuf,
}

impl Weed {
    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
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
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn port_free(port: u32) -> bool {
    u16::try_from(port)
        .map(|p| TcpListener::bind(("127.0.0.1", p)).is_ok())
        .unwrap_or(false)
}

/// Starts `weed mini` with its data in `data` (removed on drop) and an S3 identity.
pub fn start_weed(data: &Path) -> Weed {
    let out = Command::new("bash")
        .arg(repo().join("scripts/ensure-seaweedfs.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run ensure-seaweedfs.sh");
    assert!(out.status.success(), "ensure-seaweedfs.sh failed");
    let weed = PathBuf::from(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim(),
    );
    std::fs::create_dir_all(data.join("data")).expect("weed data dir");
    std::fs::create_dir_all(data.join("logs")).expect("weed log dir");
    let config = data.join("s3.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"identities":[{{"name":"bench","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","List","Tagging","Write"]}}]}}"#
        ),
    )
    .expect("s3.json");
    let base = (0..200)
        .map(|i| 21000 + (std::process::id() * 7 + i * 97) % 28000)
        .find(|p| (0..=4).all(|i| port_free(p + i) && port_free(p + i + 10000)))
        .expect("a free port range for weed mini");
    let log = std::fs::File::create(data.join("weed.log")).expect("weed.log");
    let child = Command::new(&weed)
        .arg(format!("-logdir={}", data.join("logs").display()))
        .arg("mini")
        .arg(format!("-dir={}", data.join("data").display()))
        .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
        .arg(format!("-s3.port={base}"))
        .arg(format!("-master.port={}", base + 1))
        .arg(format!("-volume.port={}", base + 2))
        .arg(format!("-filer.port={}", base + 3))
        .arg(format!("-admin.port={}", base + 4))
        .args([
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
        ])
        .arg(format!("-s3.config={}", config.display()))
        .arg(format!(
            "-s3.localSocket={}",
            data.join("s3.sock").display()
        ))
        .arg(format!(
            "-filer.localSocket={}",
            data.join("filer.sock").display()
        ))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start weed mini");
    let weed = Weed {
        child,
        port: base as u16,
        data: data.to_path_buf(),
    };
    // Ready when a bucket can be created (the S3 gateway answers and the filer is up).
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let created = s3_curl(&weed, &["-X", "PUT"], "/bench")
            .map(|code| code == 200 || code == 409)
            .unwrap_or(false);
        if created {
            return weed;
        }
        assert!(Instant::now() < deadline, "weed mini not ready within 90 s");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A signed S3 request with curl (SigV4); returns the HTTP status.
pub fn s3_curl(weed: &Weed, extra: &[&str], path: &str) -> Option<u16> {
    let out = s3_curl_cmd(weed, extra, path).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// The curl command of [`s3_curl`] (for timing an upload).
pub fn s3_curl_cmd(weed: &Weed, extra: &[&str], path: &str) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(["--aws-sigv4", "aws:amz:us-east-1:s3"])
        .args(["--user", &format!("{ACCESS_KEY}:{SECRET_KEY}")])
        .args(["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"])
        .args(extra)
        .arg(format!("{}{path}", weed.endpoint()));
    cmd
}
