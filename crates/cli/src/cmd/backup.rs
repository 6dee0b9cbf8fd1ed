//! `backup` (take one, list, describe, verify) and the backup step of `migrate`.

use std::path::Path;

use anyhow::{bail, Context, Result};
use ksdm_backup::{
    create_backup_with, describe, list_backups, open_store, verify, BackupInput, BackupOptions,
    BackupStore, DecryptionKey, Manifest, MysqlIssues, Protection, S3Options, SecretString,
};

use crate::args::{BackupCmdArgs, BackupCommand, KeyArgs, ProtectionArgs, StoreArgs};
use crate::cmd::export::{run_conversion, source_spec, Converted, Formats, Inputs, Mode};
use crate::exit;
use ksdm_run::RunError;

const PASSPHRASE_ENV: &str = "KSDM_BACKUP_PASSPHRASE";
/// log2 of the scrypt cost for passphrase-encrypted backups.
const SCRYPT_WORK_FACTOR: u8 = 18;

fn first_line(path: &Path) -> Result<SecretString> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let line = text.lines().next().unwrap_or_default().to_string();
    if line.is_empty() {
        bail!("{} is empty", path.display());
    }
    Ok(SecretString::from(line))
}

/// Environment variable holding an age identity (`AGE-SECRET-KEY-1…`) that opens a backup.
pub const IDENTITY_ENV: &str = "KSDM_BACKUP_IDENTITY";

fn env_passphrase() -> Option<SecretString> {
    std::env::var(PASSPHRASE_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
}

/// How a new backup is protected. With `--sample` and no choice made, an age identity next to the
/// export is used (made on the first run, reused later so earlier backups stay openable; the
/// sample's values are not real secrets) and its path returned.
pub fn protection(
    a: &ProtectionArgs,
    sample: bool,
    out: &Path,
) -> Result<(Protection, Option<std::path::PathBuf>)> {
    if a.insecure_plaintext_backup {
        return Ok((Protection::InsecurePlaintext, None));
    }
    if !a.recipient.is_empty() {
        return Ok((Protection::Recipients(a.recipient.clone()), None));
    }
    if let Some(f) = &a.passphrase_file {
        return Ok((Protection::Passphrase(first_line(f)?), None));
    }
    if let Some(p) = env_passphrase() {
        return Ok((Protection::Passphrase(p), None));
    }
    if sample {
        use ksdm_backup::ExposeSecret;
        let path = ksdm_model::OutputLayout::new(out).backup_identity();
        // An earlier run's key opens that run's backup: reuse it, never replace it.
        if path.exists() {
            let recipients = match DecryptionKey::from_identity_file(&path).with_context(|| {
                format!(
                    "reusing the backup key {} of an earlier run",
                    path.display()
                )
            })? {
                DecryptionKey::Identities(ids) => {
                    ids.iter().map(|i| i.to_public().to_string()).collect()
                }
                DecryptionKey::Passphrase(_) => Vec::new(),
            };
            if recipients.is_empty() {
                bail!("{} holds no age identity", path.display());
            }
            return Ok((Protection::Recipients(recipients), Some(path)));
        }
        let (identity, recipient) = ksdm_backup::generate_identity();
        let text = format!(
            "# age identity made by ks-devops-migrate for a --sample run\n# public key: {recipient}\n{}\n",
            identity.to_string().expose_secret()
        );
        ksdm_sink::tree::write_file(&path, text.as_bytes(), true)?;
        return Ok((Protection::Recipients(vec![recipient]), Some(path)));
    }
    Err(RunError::Usage(format!(
        "backups hold secret material (Jenkins key files, decrypted credentials): give --passphrase-file FILE, \
         {PASSPHRASE_ENV}, or --recipient AGE_PUBLIC_KEY (or, not recommended, --insecure-plaintext-backup)"
    ))
    .into())
}

/// The key to open an existing backup, if one was given.
pub fn key(a: &KeyArgs) -> Result<Option<DecryptionKey>> {
    key_from(
        a.passphrase_file.as_deref(),
        a.identity.identity_file.as_deref(),
    )
}

/// The key from `--identity-file`, else `--passphrase-file`, else the identity text in
/// `KSDM_BACKUP_IDENTITY` (for a pod: `job --env-from-secret`), else `KSDM_BACKUP_PASSPHRASE`.
pub fn key_from(
    passphrase_file: Option<&Path>,
    identity_file: Option<&Path>,
) -> Result<Option<DecryptionKey>> {
    if let Some(f) = identity_file {
        return Ok(Some(DecryptionKey::from_identity_file(f)?));
    }
    if let Some(f) = passphrase_file {
        return Ok(Some(DecryptionKey::Passphrase(first_line(f)?)));
    }
    if let Some(text) = std::env::var(IDENTITY_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        let text = zeroize::Zeroizing::new(text);
        return Ok(Some(DecryptionKey::parse_identities(
            Path::new(&format!("${IDENTITY_ENV}")),
            &text,
        )?));
    }
    Ok(env_passphrase().map(DecryptionKey::Passphrase))
}

/// The S3 settings of the store flags.
pub fn s3_options(a: &StoreArgs) -> S3Options {
    S3Options {
        endpoint: a.s3_endpoint.clone(),
        region: a.s3_region.clone(),
        profile: a.s3_profile.clone(),
        ..S3Options::default()
    }
}

/// Opens the store.
pub async fn store(a: &StoreArgs) -> Result<Box<dyn BackupStore>> {
    open_store(&a.store, &s3_options(a))
        .await
        .with_context(|| format!("opening backup store {}", a.store))
}

/// What [`take`] writes where.
pub struct Take<'a> {
    /// The store.
    pub store: &'a StoreArgs,
    /// The encryption.
    pub protection: &'a Protection,
    /// The run id (the backup's folder or prefix).
    pub run_id: &'a str,
    /// The run log so far.
    pub log: String,
    /// The key to verify by decrypting, when at hand.
    pub key: Option<DecryptionKey>,
    /// More `sources` lines for the manifest (the input digest).
    pub extra_sources: Vec<String>,
}

/// Takes a backup of what this run read and produced — the MySQL rows, the Jenkins files that
/// were converted (kept while reading, never read again), the export — then verifies it
/// (decrypting when the key is at hand). Every failure is [`RunError::Backup`] (exit 5).
pub fn take(
    rt: &tokio::runtime::Runtime,
    c: &Converted,
    export_dir: &Path,
    t: Take<'_>,
) -> Result<Manifest, RunError> {
    let Take {
        store: store_args,
        protection,
        run_id,
        log,
        key,
        extra_sources,
    } = t;
    let fail = |what: &str, e: anyhow::Error| {
        RunError::backup(format!("backup {run_id}: {what}"), e.into_boxed_dyn_error())
    };
    let mysql_json =
        serde_json::to_vec_pretty(&c.sources.mysql).map_err(|e| fail("MySQL rows", e.into()))?;
    let spool = c.spool.as_ref().ok_or_else(|| {
        fail(
            "Jenkins files",
            anyhow::anyhow!("were not kept while reading"),
        )
    })?;
    let files = spool.files().map_err(|e| fail("Jenkins files", e.into()))?;
    let mut sources = c.sources.descriptions.clone();
    sources.extend(extra_sources);
    let input = BackupInput {
        run_id: run_id.to_string(),
        tool_version: format!("ks-devops-migrate {}", env!("CARGO_PKG_VERSION")),
        sources,
        mysql_json,
        jenkins_files: Box::new(files),
        export_dir,
        log: log.into_bytes(),
        revealed: c.sources.revealed.as_deref(),
        mysql_issues: MysqlIssues {
            errors: c.sources.mysql_errors.clone(),
            warnings: c.sources.mysql_warnings.clone(),
        },
    };
    rt.block_on(async {
        let store = store(store_args)
            .await
            .map_err(|e| fail("opening the store", e))?;
        // age calibrates scrypt to ~1 s, which can mean 2^20 rounds and 1 GiB of memory: too much for
        // a Job pod. 2^18 (256 MiB, age's usual cost) is fixed instead.
        let options = BackupOptions {
            scrypt_work_factor: Some(SCRYPT_WORK_FACTOR),
            ..BackupOptions::default()
        };
        let manifest = create_backup_with(store.as_ref(), input, protection, &options)
            .await
            .map_err(|e| fail(&format!("writing to {}", store.describe()), e.into()))?;
        let report = verify(store.as_ref(), run_id, key.as_ref())
            .await
            .map_err(|e| fail("verifying", e.into()))?;
        if !report.is_ok() {
            let problems: Vec<String> = report
                .problems()
                .map(|p| format!("{}: {:?}", p.name, p.status))
                .collect();
            return Err(fail(
                "verifying",
                anyhow::anyhow!("does not verify: {}", problems.join("; ")),
            ));
        }
        Ok(manifest)
    })
}

/// The `sources` line that records the digest of a run's inputs in its backup manifest.
pub fn digest_line(digest: &str) -> String {
    format!("{}{digest}", ksdm_backup::layout::INPUT_DIGEST_PREFIX)
}

/// A complete backup in the store whose manifest records the same input digest (a crashed
/// run of the same Job took it), if any.
pub fn find_same_inputs(
    rt: &tokio::runtime::Runtime,
    store_args: &StoreArgs,
    digest: &str,
) -> Option<Manifest> {
    let line = digest_line(digest);
    rt.block_on(async {
        let store = store(store_args).await.ok()?;
        let list = list_backups(store.as_ref()).await.ok()?;
        for b in list.iter().rev().filter(|b| b.complete) {
            if let Ok(m) = describe(store.as_ref(), &b.run_id).await {
                if m.sources.contains(&line) {
                    return Some(m);
                }
            }
        }
        None
    })
}

/// Checks before reading anything that the store can be opened and, for a folder, written.
pub fn preflight_store(rt: &tokio::runtime::Runtime, a: &StoreArgs) -> Result<(), RunError> {
    let what = format!("backup store {}", a.store);
    if !a.store.starts_with("s3://") {
        let dir = Path::new(&a.store);
        std::fs::create_dir_all(dir)
            .map_err(|e| RunError::preflight(format!("{what}: cannot create it"), e))?;
        tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| RunError::preflight(format!("{what}: not writable"), e))?;
        return Ok(());
    }
    rt.block_on(async {
        let store = store(a)
            .await
            .map_err(|e| RunError::preflight(what.clone(), e.into_boxed_dyn_error()))?;
        list_backups(store.as_ref())
            .await
            .map(|_| ())
            .map_err(|e| RunError::preflight(format!("{what}: cannot be listed"), e))
    })
}

/// `backup …`.
pub fn backup(a: &BackupCmdArgs, no_progress: bool) -> Result<i32> {
    let rt = super::runtime()?;
    match &a.command {
        Some(BackupCommand::List { store: s }) => rt.block_on(async {
            let store = store(s).await?;
            let list = list_backups(store.as_ref()).await?;
            println!("{} backups in {}", list.len(), store.describe());
            for b in list {
                println!(
                    "{}  {}  {:>10} bytes  {}{}",
                    b.run_id,
                    b.created.as_deref().unwrap_or("-"),
                    b.size,
                    if b.complete { "complete" } else { "INCOMPLETE" },
                    b.problem.map(|p| format!(" ({p})")).unwrap_or_default()
                );
            }
            Ok(exit::OK)
        }),
        Some(BackupCommand::Describe { run, store: s }) => rt.block_on(async {
            let store = store(s).await?;
            let m = describe(store.as_ref(), run).await?;
            println!("{}", serde_json::to_string_pretty(&m)?);
            Ok(exit::OK)
        }),
        Some(BackupCommand::Verify {
            run,
            store: s,
            key: k,
        }) => {
            let key = key(k)?;
            rt.block_on(async {
                let store = store(s).await?;
                let report = match verify(store.as_ref(), run, key.as_ref()).await {
                    Ok(r) => r,
                    // A manifest that cannot be read: the backup fails verification (named).
                    Err(e) => {
                        eprintln!("ks-devops-migrate: {e}");
                        println!("backup {run}: FAILED");
                        return Ok(exit::ITEMS_FAILED);
                    }
                };
                for f in &report.files {
                    println!("{:<40} {:?}", f.name, f.status);
                }
                if key.is_none() {
                    println!("(no key given: encrypted files were checked by checksum only, not decrypted)");
                }
                if report.is_ok() {
                    println!("backup {run}: OK");
                    Ok(exit::OK)
                } else {
                    println!("backup {run}: FAILED");
                    Ok(exit::ITEMS_FAILED)
                }
            })
        }
        None => {
            let (Some(source), convert, store_args, prot) =
                (&a.source, &a.convert, &a.store, &a.protection)
            else {
                return Err(RunError::Usage(
                    "backup needs source flags (--mysql-dump/--mysql and --jenkins-home/--jenkins-url, --sample, or --from-backup RUN)"
                        .into(),
                )
                .into());
            };
            source_spec(source, &a.snapshot())?;
            let (protection, identity) = protection(prot, source.sample, &a.out)?;
            preflight_store(&rt, store_args)?;
            let c = run_conversion(
                &Inputs::new(source, convert, a.snapshot()),
                &a.out,
                Mode::Export,
                no_progress,
                "backup",
                true,
                Formats::ALL,
            )?;
            let run_id = super::new_run_id();
            let key = identity
                .as_deref()
                .map(DecryptionKey::from_identity_file)
                .transpose()?;
            let t = Take {
                store: store_args,
                protection: &protection,
                run_id: &run_id,
                log: c.report.summary_line(),
                key,
                extra_sources: Vec::new(),
            };
            let m = take(&rt, &c, &a.out, t)?;
            println!(
                "backup {} written to {} ({} files)",
                m.run_id,
                store_args.store,
                m.files.len()
            );
            if let Some(p) = identity {
                println!("backup key (age identity): {}", p.display());
            }
            Ok(if c.report.failed() {
                exit::ITEMS_FAILED
            } else {
                exit::OK
            })
        }
    }
}
