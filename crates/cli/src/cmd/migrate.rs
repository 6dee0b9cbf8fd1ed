//! `migrate` (the six steps), `plan` (dry run) and `verify`.
//!
//! Order of a run: the plan is checked completely before any I/O (flags, TLS mode, shard,
//! kubeconfig, backup key); then everything the run needs is contacted and checked (cluster
//! preflight, backup store, MySQL, Jenkins login) before the estate is read; then Jenkins is
//! read once, converted, backed up (the same files), applied.

use anyhow::Result;
use ksdm_run::RunError;

use crate::args::{ClusterRunArgs, MigrateArgs, SnapshotFlags};
use crate::cmd::export::{print_result, run_conversion, source_spec, Formats, Inputs, Mode};
use crate::cmd::{backup, cluster};
use crate::exit;

/// read → convert → YAML + report → backup → apply (projects, secrets, pipelines, role bindings).
pub fn migrate(a: &MigrateArgs, no_progress: bool) -> Result<i32> {
    if a.dry_run {
        if cluster::sample_without_kubeconfig(&a.cluster, a.source.sample, "migrate --dry-run") {
            return Ok(exit::USAGE);
        }
        return plan_inner(
            &a.source,
            a.snapshot(),
            &a.convert,
            &a.out,
            &a.cluster,
            no_progress,
            "migrate --dry-run",
        );
    }
    match migrate_run(a, no_progress) {
        Ok((code, totals)) if a.in_job => Ok(finish_in_job(code, &totals)),
        Ok((code, _)) => Ok(code),
        Err(e) if a.in_job => {
            let code = ksdm_run::exit_code_of(&e);
            let _ = ksdm_run::job::write_termination_message(&format!(
                "exit {code}: {}",
                ksdm_run::anyhow_chain_text(&e)
            ));
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// In a Job: the totals go to the termination message; "items failed" exits 0 (not retried).
fn finish_in_job(code: i32, totals: &str) -> i32 {
    let verdict = if code == exit::ITEMS_FAILED {
        "ITEMS FAILED (see the report and the journal ConfigMap)"
    } else {
        "OK"
    };
    let text = format!("{verdict}: {totals} (exit {code})");
    if let Err(e) = ksdm_run::job::write_termination_message(&text) {
        eprintln!("ks-devops-migrate: cannot write the termination message: {e}");
    }
    if code == exit::ITEMS_FAILED {
        println!("result: items failed; exiting 0 so the Job does not repeat the run ({text})");
    }
    ksdm_run::job::in_job_exit_code(code)
}

fn migrate_run(a: &MigrateArgs, no_progress: bool) -> Result<(i32, String)> {
    // The plan, before any I/O.
    if a.repair_jenkins_jobs && a.source.jenkins_url.is_none() {
        return Err(RunError::Usage(
            "--repair-jenkins-jobs posts the repaired config.xml files to a live Jenkins: give --jenkins-url URL (with a Jenkins home, copy the files from <out>/jenkins-repairs/ yourself)".into(),
        )
        .into());
    }
    if a.repair_jenkins_jobs && a.source.from_backup.is_some() {
        return Err(RunError::Usage(
            "--repair-jenkins-jobs reads the repaired jobs back from the live Jenkins, but with --from-backup Jenkins is read \
             from the backup: run the repair from the live sources (--mysql/--mysql-dump with --jenkins-url) instead".into(),
        )
        .into());
    }
    source_spec(&a.source, &a.snapshot())?;
    a.cluster.validate()?;
    let shard = a.cluster.shard()?;
    let apply = !a.no_apply && cluster::configured(&a.cluster, a.source.sample);
    std::fs::create_dir_all(&a.out)?;
    let (protection, identity) = backup::protection(&a.protection, a.source.sample, &a.out)?;
    let rt = super::runtime()?;
    // Everything the run needs, before reading the estate.
    if apply {
        cluster::preflight_cluster(&rt, &a.cluster)?;
    }
    backup::preflight_store(&rt, &a.store)?;

    let started = std::time::Instant::now();
    let inputs = Inputs {
        source: &a.source,
        snapshot: a.snapshot(),
        convert: &a.convert,
        shard,
        extra_notes: Vec::new(),
    };
    let c = run_conversion(
        &inputs,
        &a.out,
        Mode::Export,
        no_progress,
        "migrate",
        true,
        Formats::ALL,
    )?;
    println!("[1-3/6] read, converted and wrote the v3.0 objects");
    print_result(&c.report, &a.out, Mode::Export, Formats::ALL);
    let mut totals = c.report.summary_line();

    // Step 4: the backup, before anything is written to the cluster. A retried Job reuses the
    // backup a crashed attempt took of the same inputs.
    let mysql_json = serde_json::to_vec_pretty(&c.sources.mysql)?;
    let plan_text = format!("{:?} {:?} {:?}", a.convert, shard, a.source.secret_plan());
    let digest = match &c.spool {
        Some(s) => Some(ksdm_run::input_digest(&mysql_json, s, &plan_text)?),
        None => None,
    };
    // A backup of an earlier attempt is reused only without adoption: adoption backs up the
    // cluster's and Jenkins' current state, which the digest of the inputs does not cover.
    let earlier = match (&digest, a.in_job && !a.cluster.adopt_installer_migration) {
        (Some(d), true) => backup::find_same_inputs(&rt, &a.store, d),
        _ => None,
    };
    let new_run_id = super::new_run_id();
    // --adopt-installer-migration: what will be repaired goes into this run's backup.
    let adoption = if a.cluster.adopt_installer_migration && apply && earlier.is_none() {
        let adoption = cluster::prepare_adoption(
            &rt,
            &a.cluster,
            &a.out,
            &c,
            &a.source,
            format!(
                "backup {new_run_id} ({})",
                ksdm_backup::layout::adoption_before_archive(protection.encrypts())
            ),
        )?;
        println!(
            "[4/6] KubeSphere's migration Job wrote {} of the export's objects ({} to repair); {} deleted v2.1 projects were recreated by it",
            adoption.survey.candidates.len(),
            adoption.survey.repairs(),
            adoption.survey.recreated_deleted.len()
        );
        Some(adoption)
    } else {
        None
    };
    let run_id = match earlier {
        Some(m) => {
            println!(
                "[4/6] backup {} of the same inputs is already in {} (an earlier attempt of this Job): not taken again",
                m.run_id, a.store.store
            );
            m.run_id
        }
        None => {
            let run_id = new_run_id;
            let key = identity
                .as_deref()
                .map(ksdm_backup::DecryptionKey::from_identity_file)
                .transpose()?;
            let log = format!(
                "ks-devops-migrate {} migrate run {run_id}\ninputs: {}\nconversion: {}\nconversion took {:.1}s\n",
                env!("CARGO_PKG_VERSION"),
                c.sources.descriptions.join("; "),
                c.report.summary_line(),
                started.elapsed().as_secs_f64()
            );
            let extra = digest.iter().map(|d| backup::digest_line(d)).collect();
            let t = backup::Take {
                store: &a.store,
                protection: &protection,
                run_id: &run_id,
                log,
                key,
                extra_sources: extra,
            };
            let m = backup::take(&rt, &c, &a.out, t)?;
            println!(
                "[4/6] backup {} written and verified in {} ({} files)",
                m.run_id,
                a.store.store,
                m.files.len()
            );
            if let Some(p) = &identity {
                println!(
                    "      backup key (age identity, keep it safe): {}",
                    p.display()
                );
                println!(
                    "      restore: ks-devops-migrate restore {} --store {} --identity-file {} --to-dir DIR",
                    m.run_id,
                    a.store.store,
                    p.display()
                );
            }
            run_id
        }
    };

    // With --repair-jenkins-jobs: the originals are in the verified backup; hand Jenkins the
    // repaired files, then read the estate again so those jobs become Pipelines.
    let mut c = c;
    let mut posted_lines = Vec::new();
    if a.repair_jenkins_jobs {
        let posted = ksdm_run::repair_jenkins::post_repairs(&c.sources, &a.out)?;
        if posted.is_empty() {
            println!(
                "[4/6] --repair-jenkins-jobs: no job was held back; nothing posted to Jenkins"
            );
        } else {
            let lines: Vec<String> = posted.iter().map(|p| p.line()).collect();
            for l in &lines {
                println!("[4/6] {l}");
            }
            let again = Inputs {
                source: &a.source,
                snapshot: a.snapshot(),
                convert: &a.convert,
                shard,
                extra_notes: lines.clone(),
            };
            c = run_conversion(
                &again,
                &a.out,
                Mode::Export,
                no_progress,
                "migrate --repair-jenkins-jobs",
                false,
                Formats::ALL,
            )?;
            println!("[4/6] read and converted again after the repairs");
            print_result(&c.report, &a.out, Mode::Export, Formats::ALL);
            totals = c.report.summary_line();
            posted_lines = lines;
        }
    }

    // Steps 5 and 6: apply, then the role bindings (the engine applies them last per project).
    if !apply {
        if a.source.sample && !a.no_apply {
            println!(
                "[5-6/6] the sample is applied only with an explicit --kubeconfig FILE ($KUBECONFIG and \
                 in-cluster credentials are ignored for it): stopping after the backup"
            );
        } else {
            println!(
                "[5-6/6] no cluster configured (--kubeconfig, KUBECONFIG or in-cluster): stopping after the backup; \
                 rerun with --kubeconfig FILE to apply"
            );
        }
        return Ok((
            if c.report.failed() {
                exit::ITEMS_FAILED
            } else {
                exit::OK
            },
            totals,
        ));
    }
    let applied = cluster::apply(
        &rt,
        &a.cluster,
        &a.out,
        &run_id,
        false,
        no_progress,
        &posted_lines,
        adoption,
    )?;
    for p in &applied.problems {
        eprintln!("ks-devops-migrate: {p}");
    }
    if !applied.problems.is_empty() && applied.report.per_object.is_empty() {
        return Err(RunError::Preflight {
            what: format!(
                "the cluster is not ready; nothing was applied: {}",
                applied.problems.join("; ")
            ),
            source: None,
        }
        .into());
    }
    println!("[5-6/6] applied: {}", applied.report.summary_line());
    println!(
        "        details: {}",
        ksdm_model::OutputLayout::new(&a.out)
            .apply_reports(false)
            .0
            .display()
    );
    totals = format!("{totals}; applied: {}", applied.report.summary_line());
    Ok((
        if c.report.failed() || !applied.ok() {
            exit::ITEMS_FAILED
        } else {
            exit::OK
        },
        totals,
    ))
}

/// `plan`.
pub fn plan(a: &ClusterRunArgs, no_progress: bool) -> Result<i32> {
    if cluster::sample_without_kubeconfig(&a.cluster, a.source.sample, "plan") {
        return Ok(exit::USAGE);
    }
    plan_inner(
        &a.source,
        a.snapshot.flags(),
        &a.convert,
        &a.out,
        &a.cluster,
        no_progress,
        "plan",
    )
}

fn plan_inner(
    source: &crate::args::SourceArgs,
    snapshot: SnapshotFlags<'_>,
    convert: &crate::args::ConvertArgs,
    out: &std::path::Path,
    c: &crate::args::ClusterArgs,
    no_progress: bool,
    command: &str,
) -> Result<i32> {
    source_spec(source, &snapshot)?;
    c.validate()?;
    let shard = c.shard()?;
    let rt = super::runtime()?;
    cluster::preflight_cluster(&rt, c)?;
    let conv = run_conversion(
        &Inputs {
            source,
            snapshot,
            convert,
            shard,
            extra_notes: Vec::new(),
        },
        out,
        Mode::Export,
        no_progress,
        command,
        false,
        Formats::ALL,
    )?;
    print_result(&conv.report, out, Mode::Export, Formats::ALL);
    let run_id = super::new_run_id();
    let adoption = if c.adopt_installer_migration {
        Some(cluster::prepare_adoption(
            &rt,
            c,
            out,
            &conv,
            source,
            format!(
                "nothing yet (a dry run writes nothing; `migrate` backs it up first): {}",
                ksdm_model::OutputLayout::new(out)
                    .adoption_before()
                    .display()
            ),
        )?)
    } else {
        None
    };
    let applied = cluster::apply(&rt, c, out, &run_id, true, no_progress, &[], adoption)?;
    for p in &applied.problems {
        eprintln!("ks-devops-migrate: {p}");
    }
    println!("plan (nothing written): {}", applied.report.summary_line());
    println!(
        "diffs: {}",
        ksdm_model::OutputLayout::new(out)
            .apply_reports(true)
            .0
            .display()
    );
    Ok(if conv.report.failed() || !applied.ok() {
        exit::ITEMS_FAILED
    } else {
        exit::OK
    })
}

/// `verify`.
pub fn verify(a: &ClusterRunArgs, no_progress: bool) -> Result<i32> {
    if cluster::sample_without_kubeconfig(&a.cluster, a.source.sample, "verify") {
        return Ok(exit::USAGE);
    }
    source_spec(&a.source, &a.snapshot.flags())?;
    a.cluster.validate()?;
    if a.cluster.adopt_installer_migration {
        return Err(RunError::Usage(
            "--adopt-installer-migration is for migrate and plan; verify changes nothing".into(),
        )
        .into());
    }
    let shard = a.cluster.shard()?;
    let rt = super::runtime()?;
    // An unusable cluster stops verify before the estate is read (exit 5).
    cluster::check_reachable(&rt, &a.cluster)?;
    let inputs = Inputs {
        source: &a.source,
        snapshot: a.snapshot.flags(),
        convert: &a.convert,
        shard,
        extra_notes: Vec::new(),
    };
    let conv = run_conversion(
        &inputs,
        &a.out,
        Mode::Export,
        no_progress,
        "verify",
        false,
        Formats::ALL,
    )?;
    let (report, md) = cluster::verify(&rt, &a.cluster, &a.out)?;
    println!("verify: {}", report.summary_line());
    // With a snapshot source and a live Jenkins: every job against the snapshot's config.xml.
    let mut jobs_clean = true;
    if let (Some(url), true) = (
        &a.source.jenkins_url,
        ksdm_run::adopt::jenkins_is_snapshot(&conv.sources),
    ) {
        let live = ksdm_run::adopt::live_client(
            url,
            &a.source.jenkins_user,
            a.source.jenkins_token_file.as_deref(),
            a.source.jenkins_concurrency,
        )?;
        let jobs =
            ksdm_run::verify_jobs::verify_jobs(&conv.sources, &conv.scope, &a.out, live, &rt)?;
        println!(
            "verify: Jenkins jobs against the snapshot: {}",
            jobs.summary_line()
        );
        let mut text = std::fs::read_to_string(&md).unwrap_or_default();
        text.push_str(&jobs.to_markdown());
        ksdm_sink::tree::write_file(&md, text.as_bytes(), false)?;
        let json_path = ksdm_model::OutputLayout::new(&a.out).verify_reports().1;
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json_path)?).unwrap_or_default();
        if let Some(map) = json.as_object_mut() {
            map.insert("jenkins_jobs".into(), serde_json::to_value(&jobs)?);
        }
        ksdm_sink::tree::write_file(
            &json_path,
            serde_json::to_string_pretty(&json)?.as_bytes(),
            false,
        )?;
        jobs_clean = jobs.is_clean();
    }
    println!("details: {} (and verify.json)", md.display());
    Ok(if report.is_clean() && jobs_clean {
        exit::OK
    } else {
        exit::ITEMS_FAILED
    })
}
