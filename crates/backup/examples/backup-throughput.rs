//! Measures backup, verify and restore throughput against a local folder store.
//!
//! ```text
//! cargo run --release -p ksdm-backup --example backup-throughput -- [MB] [--passphrase]
//! ```
//!
//! Generates an export tree of about `MB` megabytes (default 256) in a temporary folder — YAML-
//! like text files of 64 KiB, half of them with pseudo-random (incompressible) payloads — plus
//! the same amount again as Jenkins files, backs it up (X25519 recipient by default; with
//! `--passphrase`, age scrypt at its default work factor, about one second per encrypted file),
//! verifies it with the key, restores the export tree and the Jenkins files, and prints timings.

use std::time::Instant;

use ksdm_backup::*;
use ksdm_model::v21::JenkinsFile;

const FILE_SIZE: usize = 64 * 1024;

fn payload(index: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(FILE_SIZE);
    if index & 1 == 0 {
        let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ index as u64;
        while out.len() < FILE_SIZE {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            out.extend_from_slice(&state.to_le_bytes());
        }
    } else {
        let mut line = 0;
        while out.len() < FILE_SIZE {
            out.extend_from_slice(
                format!("  - name: item-{index}-{line}\n    value: \"pipeline step {line}\"\n")
                    .as_bytes(),
            );
            line += 1;
        }
    }
    out.truncate(FILE_SIZE);
    out
}

fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1_000_000.0 / seconds.max(1e-9)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let megabytes: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(256);
    let use_passphrase = args.iter().any(|a| a == "--passphrase");
    let files = (megabytes * 1_000_000).div_ceil(FILE_SIZE);

    let work = tempfile::tempdir()?;
    let export = work.path().join("export");
    for i in 0..files {
        let dir = export.join(format!("resources/project-{:03}/pipelines", i % 100));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("p{i}.yaml")), payload(i))?;
    }
    std::fs::write(export.join("report.md"), "# report\n")?;
    std::fs::write(export.join("report.json"), "{}")?;
    let data_bytes = 2 * (files * FILE_SIZE) as u64;

    let (protection, key) = if use_passphrase {
        let p = SecretString::from("throughput-test-passphrase");
        (
            Protection::Passphrase(p.clone()),
            DecryptionKey::Passphrase(p),
        )
    } else {
        let (id, public) = generate_identity();
        (
            Protection::Recipients(vec![public]),
            DecryptionKey::Identities(vec![id]),
        )
    };
    let store = LocalStore::new(work.path().join("store"));
    let run_id = layout::new_run_id(time::OffsetDateTime::now_utc());
    let jenkins = (0..files).map(|i| {
        Ok(JenkinsFile {
            path: format!("jobs/project-{:03}/jobs/p{i}/config.xml", i % 100),
            bytes: payload(i + 1),
        })
    });
    let input = BackupInput {
        run_id: run_id.clone(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        sources: vec!["generated".into()],
        mysql_json: b"{}".to_vec(),
        jenkins_files: Box::new(jenkins),
        export_dir: &export,
        log: Vec::new(),
        revealed: None,
        mysql_issues: MysqlIssues::default(),
    };

    let start = Instant::now();
    let manifest = create_backup(&store, input, &protection).await?;
    let backup_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let report = verify(&store, &run_id, Some(&key)).await?;
    let verify_s = start.elapsed().as_secs_f64();
    assert!(report.is_ok(), "verify failed: {report:?}");

    let start = Instant::now();
    let out = work.path().join("restored");
    let a = restore_to_dir(&store, &run_id, Some(&key), &out).await?;
    let b =
        restore_jenkins_files(&store, &run_id, Some(&key), &work.path().join("jenkins")).await?;
    let restore_s = start.elapsed().as_secs_f64();

    println!(
        "data: {:.1} MB in {} files ({}), stored {:.1} MB",
        data_bytes as f64 / 1e6,
        2 * files,
        if use_passphrase {
            "age passphrase"
        } else {
            "age X25519 recipient"
        },
        manifest.total_size() as f64 / 1e6
    );
    println!(
        "backup : {backup_s:7.2} s  {:8.1} MB/s",
        mb_per_s(data_bytes, backup_s)
    );
    println!(
        "verify : {verify_s:7.2} s  {:8.1} MB/s",
        mb_per_s(data_bytes, verify_s)
    );
    println!(
        "restore: {restore_s:7.2} s  {:8.1} MB/s ({} files)",
        mb_per_s(a.bytes + b.bytes, restore_s),
        a.files + b.files
    );
    Ok(())
}
