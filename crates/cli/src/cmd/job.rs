//! `job`: prints the manifests that run `migrate` in-cluster. The forwarded `migrate`
//! arguments are parsed with the same parser as on the command line and refused when wrong.

use anyhow::Result;
use clap::Parser;
use ksdm_run::RunError;
use ksdm_run::{job_manifests, JobOptions};

use crate::args::{Cli, Command, JobArgs, JOB_BACKUP_MOUNT};
use crate::exit;

/// Prints the manifests.
pub fn job(a: &JobArgs) -> Result<i32> {
    let mut args = vec!["migrate".to_string()];
    args.extend(a.migrate_args.iter().cloned());
    for (flag, why) in [
        ("--shards", "use `job --shards N`"),
        ("--shard-index", "the Job sets it per shard"),
        ("--in-job", "the Job sets it"),
        ("--kubeconfig", "the pod uses its ServiceAccount"),
    ] {
        if args
            .iter()
            .any(|x| x == flag || x.starts_with(&format!("{flag}=")))
        {
            return Err(RunError::Usage(format!(
                "{flag} is not for the forwarded migrate arguments: {why}"
            ))
            .into());
        }
    }
    let parsed = Cli::try_parse_from(
        std::iter::once("ks-devops-migrate".to_string()).chain(args.iter().cloned()),
    )
    .map_err(|e| {
        RunError::Usage(format!(
            "the migrate arguments after `--` are not valid: {}",
            e.render()
        ))
    })?;
    let Command::Migrate(m) = parsed.command else {
        return Err(
            RunError::Usage("the arguments after `--` must be migrate flags".into()).into(),
        );
    };
    m.source.spec()?;
    if m.dry_run || m.no_apply {
        return Err(RunError::Usage(
            "--dry-run and --no-apply make no sense in a Job that applies".into(),
        )
        .into());
    }
    if let Some(n) = a.shards {
        if n == 0 {
            return Err(RunError::Usage("--shards must be at least 1".into()).into());
        }
    }
    // The backup store must outlive the pod.
    ksdm_run::job::check_store(&m.store.store, a.backup_pvc.as_deref())?;
    if a.backup_pvc.is_some() && !m.store.store.starts_with("s3://") {
        let default = args
            .iter()
            .all(|x| x != "--store" && !x.starts_with("--store="));
        if default {
            args.extend(["--store".to_string(), JOB_BACKUP_MOUNT.to_string()]);
        } else if !std::path::Path::new(&m.store.store).starts_with(JOB_BACKUP_MOUNT) {
            return Err(RunError::Usage(format!(
                "--store {} is not on the --backup-pvc volume, which is mounted at {JOB_BACKUP_MOUNT}",
                m.store.store
            ))
            .into());
        }
    }
    args.push("--in-job".into());
    let mut opts = JobOptions::new(&a.image, &a.namespace, args);
    opts.shards = a.shards;
    opts.indexed = a.indexed;
    opts.env_from_secret = a.env_from_secret.clone();
    opts.backup_volume = a
        .backup_pvc
        .clone()
        .map(|claim| (claim, JOB_BACKUP_MOUNT.to_string()));
    print!("{}", job_manifests(&opts));
    Ok(exit::OK)
}
