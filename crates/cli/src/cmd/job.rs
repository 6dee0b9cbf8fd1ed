//! `job`: prints the manifests that run `migrate` in-cluster.

use anyhow::Result;
use ksdm_apply::{job_manifests, JobOptions};

use crate::args::JobArgs;
use crate::exit;

/// Prints the manifests.
pub fn job(a: &JobArgs) -> Result<i32> {
    let mut args = vec!["migrate".to_string()];
    args.extend(a.migrate_args.iter().cloned());
    let mut opts = JobOptions::new(&a.image, &a.namespace, args);
    opts.shards = a.shards;
    opts.indexed = a.indexed;
    opts.env_from_secret = a.env_from_secret.clone();
    print!("{}", job_manifests(&opts));
    Ok(exit::OK)
}
