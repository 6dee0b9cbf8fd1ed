//! `restore RUN`: unpack a backup, or re-apply its v3.0 objects through the same apply path as
//! `migrate` (non-destructive by default; `--dry-run` shows what would change).

use anyhow::{Context, Result};
use ksdm_backup::{restore_jenkins_files, restore_to_dir};

use crate::args::RestoreArgs;
use crate::cmd::{backup, cluster};
use crate::exit;

/// Runs `restore`.
pub fn restore(a: &RestoreArgs) -> Result<i32> {
    a.cluster.validate()?;
    if a.cluster.adopt_installer_migration {
        return Err(ksdm_run::RunError::Usage(
            "--adopt-installer-migration is for migrate and plan (they read the snapshot); restore re-applies a backup as it is".into(),
        )
        .into());
    }
    let rt = super::runtime()?;
    let key = backup::key(&a.key)?;
    if let Some(dir) = &a.jenkins_files {
        let s = match rt.block_on(async {
            let store = backup::store(&a.store).await?;
            restore_jenkins_files(store.as_ref(), &a.run, key.as_ref(), dir)
                .await
                .map_err(anyhow::Error::from)
        }) {
            Ok(s) => s,
            Err(e) => return Ok(unusable(&e)),
        };
        println!(
            "{} Jenkins files ({} bytes) of backup {} written to {}",
            s.files,
            s.bytes,
            s.run_id,
            s.dir.display()
        );
        println!("copy them into JENKINS_HOME (same relative paths) with Jenkins stopped, then start Jenkins");
        return Ok(exit::OK);
    }
    if a.to_dir.is_none() {
        // Re-applying: the cluster is checked before the backup is fetched (exit 5 when not ready).
        cluster::preflight_cluster(&rt, &a.cluster)?;
    }
    let (dir, _tmp) = match &a.to_dir {
        Some(d) => (d.clone(), None),
        None => {
            let t = tempfile::tempdir().context("creating a temporary folder")?;
            (t.path().join("restore"), Some(t))
        }
    };
    let s = match rt.block_on(async {
        let store = backup::store(&a.store).await?;
        restore_to_dir(store.as_ref(), &a.run, key.as_ref(), &dir)
            .await
            .map_err(anyhow::Error::from)
    }) {
        Ok(s) => s,
        Err(e) => return Ok(unusable(&e)),
    };
    if a.to_dir.is_some() {
        println!(
            "{} files ({} bytes) of backup {} unpacked into {}",
            s.files,
            s.bytes,
            s.run_id,
            dir.display()
        );
        return Ok(exit::OK);
    }
    let run_id = super::new_run_id();
    let applied = cluster::apply(&rt, &a.cluster, &dir, &run_id, a.dry_run, true, &[], None)?;
    if !applied.problems.is_empty() && applied.report.per_object.is_empty() {
        return Err(ksdm_run::RunError::Preflight {
            what: format!(
                "the cluster is not ready; nothing was restored: {}",
                applied.problems.join("; ")
            ),
            source: None,
        }
        .into());
    }
    for p in &applied.problems {
        eprintln!("ks-devops-migrate: {p}");
    }
    print!("{}", applied.report.to_markdown());
    println!(
        "{}: {}",
        if a.dry_run {
            "restore plan (nothing written)"
        } else {
            "restored"
        },
        applied.report.summary_line()
    );
    Ok(if applied.ok() {
        exit::OK
    } else {
        exit::ITEMS_FAILED
    })
}

/// A backup that cannot be opened, read or trusted (wrong key, damaged, incomplete): named on
/// stderr, exit 3 (the input could not be used); nothing was restored.
fn unusable(e: &anyhow::Error) -> i32 {
    eprintln!("ks-devops-migrate: cannot restore: {e:#}");
    exit::INPUT
}
