//! `migrate` (the six steps), `plan` (dry run) and `verify`.

use anyhow::Result;

use crate::args::{ClusterRunArgs, MigrateArgs};
use crate::cmd::export::{print_result, run_conversion, Formats, Mode};
use crate::cmd::{backup, cluster};
use crate::exit;

/// read → convert → YAML + report → backup → apply (projects, secrets, pipelines, role bindings).
pub fn migrate(a: &MigrateArgs, no_progress: bool) -> Result<i32> {
    if a.dry_run {
        return plan_inner(&a.source, &a.convert, &a.out, &a.cluster, no_progress, "migrate --dry-run");
    }
    std::fs::create_dir_all(&a.out)?;
    // Decide how the backup is protected before reading anything: a missing key fails fast.
    let (protection, identity) = backup::protection(&a.protection, a.source.sample, &a.out)?;
    let started = std::time::Instant::now();
    let Some(c) = run_conversion(&a.source, &a.convert, &a.out, Mode::Export, no_progress, "migrate", Formats::ALL)? else {
        return Ok(exit::INPUT);
    };
    println!("[1-3/6] read, converted and wrote the v3.0 objects");
    print_result(&c.report, &a.out, Mode::Export, Formats::ALL);
    let run_id = super::new_run_id();
    let rt = super::runtime()?;

    // Step 4: the backup, before anything is written to the cluster.
    let key = identity.as_deref().map(ksdm_backup::DecryptionKey::from_identity_file).transpose()?;
    let log = format!(
        "ks-devops-migrate {} migrate run {run_id}\ninputs: {}\nconversion: {}\nconversion took {:.1}s\n",
        env!("CARGO_PKG_VERSION"),
        c.sources.descriptions.join("; "),
        c.report.summary_line(),
        started.elapsed().as_secs_f64()
    );
    match backup::take(&rt, &c.sources, &a.out, &a.store, &protection, &run_id, log, key) {
        Ok(m) => {
            println!("[4/6] backup {} written and verified in {} ({} files)", m.run_id, a.store.store, m.files.len());
            if let Some(p) = &identity {
                println!("      backup key (age identity, keep it safe): {}", p.display());
                println!(
                    "      restore: ks-devops-migrate restore {} --store {} --identity-file {} --to-dir DIR",
                    m.run_id,
                    a.store.store,
                    p.display()
                );
            }
        }
        Err(e) => {
            eprintln!("ks-devops-migrate: backup failed, nothing was applied: {e:#}");
            return Ok(exit::STEP_FAILED);
        }
    }

    // Steps 5 and 6: apply, then the role bindings (the engine applies them last per project).
    if a.no_apply || !cluster::configured(&a.cluster) {
        println!(
            "[5-6/6] no cluster configured (--kubeconfig, KUBECONFIG or in-cluster): stopping after the backup; \
             rerun with --kubeconfig FILE to apply"
        );
        return Ok(if c.report.failed() { exit::ITEMS_FAILED } else { exit::OK });
    }
    let applied = cluster::apply(&rt, &a.cluster, &a.out, &run_id, false, no_progress)?;
    for p in &applied.problems {
        eprintln!("ks-devops-migrate: {p}");
    }
    if !applied.problems.is_empty() && applied.report.per_object.is_empty() {
        eprintln!("ks-devops-migrate: the cluster is not ready; nothing was applied");
        return Ok(exit::STEP_FAILED);
    }
    println!("[5-6/6] applied: {}", applied.report.summary_line());
    println!("        details: {}", a.out.join("apply.md").display());
    Ok(if c.report.failed() || !applied.ok() { exit::ITEMS_FAILED } else { exit::OK })
}

/// `plan`.
pub fn plan(a: &ClusterRunArgs, no_progress: bool) -> Result<i32> {
    plan_inner(&a.source, &a.convert, &a.out, &a.cluster, no_progress, "plan")
}

fn plan_inner(
    source: &crate::args::SourceArgs,
    convert: &crate::args::ConvertArgs,
    out: &std::path::Path,
    c: &crate::args::ClusterArgs,
    no_progress: bool,
    command: &str,
) -> Result<i32> {
    let Some(conv) = run_conversion(source, convert, out, Mode::Export, no_progress, command, Formats::ALL)? else {
        return Ok(exit::INPUT);
    };
    print_result(&conv.report, out, Mode::Export, Formats::ALL);
    let rt = super::runtime()?;
    let run_id = super::new_run_id();
    let applied = cluster::apply(&rt, c, out, &run_id, true, no_progress)?;
    for p in &applied.problems {
        eprintln!("ks-devops-migrate: {p}");
    }
    println!("plan (nothing written): {}", applied.report.summary_line());
    println!("diffs: {}", out.join("plan.md").display());
    Ok(if conv.report.failed() || !applied.ok() { exit::ITEMS_FAILED } else { exit::OK })
}

/// `verify`.
pub fn verify(a: &ClusterRunArgs, no_progress: bool) -> Result<i32> {
    let Some(conv) = run_conversion(&a.source, &a.convert, &a.out, Mode::Export, no_progress, "verify", Formats::ALL)? else {
        return Ok(exit::INPUT);
    };
    let rt = super::runtime()?;
    let (report, md) = cluster::verify(&rt, &a.cluster, &a.out)?;
    println!("verify: {}", report.summary_line());
    println!("details: {} (and verify.json)", md.display());
    let _ = conv;
    Ok(if report.is_clean() { exit::OK } else { exit::ITEMS_FAILED })
}
