//! Least privilege, enforced: the API server test double enforces exactly the ClusterRole and Role
//! that `job` prints (as if bound to the kubeconfig's user). Under those rules a full `migrate`, a
//! rerun, `verify` and a `restore` into a rebuilt cluster all pass, and every single permission
//! (one verb × group × resource × name) is what some real API call of that scenario needed.
//! The slower proof takes each permission away in turn and shows the scenario breaks — an exit
//! status, the final state, or a warning the full rules do not cause — so none is superfluous.

mod cluster_support;
mod common;

use cluster_support::*;
use ksdm_test_apiserver::{AuthorizationRecord, RbacPolicy, RbacRule, RbacScope, ServerOptions};
use serde_json::Value;

/// The Job's namespace (the Role and the journal ConfigMaps live there).
const JOB_NS: &str = "default";
const PASS: &str = "pass.txt";

/// `job` output for the sample (all of it: its project with a corrupt job also holds the only
/// maintainer and reporter, so every role is bound).
fn job_yaml(extra_migrate_args: &[&str]) -> String {
    let mut args = vec![
        "job",
        "--namespace",
        JOB_NS,
        "--backup-pvc",
        "ksdm-backups",
        "--",
        "--sample",
    ];
    args.extend_from_slice(extra_migrate_args);
    let o = common::run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    String::from_utf8(o.stdout).expect("utf-8")
}

/// The journal ConfigMap name the Job's pod gets.
fn journal_configmap(yaml: &str) -> String {
    let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).expect("YAML");
    let job = docs.iter().find(|d| d["kind"] == "Job").expect("a Job");
    let env = job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .clone();
    env.iter()
        .find(|e| e["name"] == "KSDM_JOURNAL_CONFIGMAP")
        .and_then(|e| e["value"].as_str())
        .map(str::to_string)
        .expect("KSDM_JOURNAL_CONFIGMAP")
}

/// What one step did.
struct Step {
    name: &'static str,
    code: Option<i32>,
    output: String,
}

/// What a scenario did: its steps, the final state of both clusters, every authorisation.
struct Outcome {
    steps: Vec<Step>,
    migrated: Value,
    restored: Value,
    authorizations: Vec<AuthorizationRecord>,
}

impl Outcome {
    fn codes(&self) -> Vec<(&'static str, Option<i32>)> {
        self.steps.iter().map(|s| (s.name, s.code)).collect()
    }

    /// Lines that warn or note a problem (compared between the full and the reduced rules).
    fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.steps {
            for l in s.output.lines() {
                let lower = l.to_ascii_lowercase();
                if lower.contains("warning")
                    || lower.contains("cannot")
                    || lower.contains("forbidden")
                    || lower.contains("not allowed")
                {
                    out.push(format!("{}: {}", s.name, l.trim()));
                }
            }
        }
        out
    }
}

/// The default server, enforcing `policy` (None = everything allowed).
fn options(policy: Option<&RbacPolicy>) -> ServerOptions {
    match policy {
        Some(p) => default_options().with_rbac(p.clone()),
        None => default_options(),
    }
}

/// migrate → rerun → verify on one server; restore of the backup into a second, empty server.
/// Stops at the first failing step (later steps would only fail the same way).
/// A step "fails" when its exit status is neither 0 nor 4 (the sample's corrupt job).
async fn scenario(policy: Option<&RbacPolicy>, configmap: &str, extra: &[&str]) -> Outcome {
    let h = Harness::start(options(policy)).await;
    std::fs::write(h.path().join(PASS), "rbac trial passphrase\n").expect("passphrase");
    let kc = h.kc();
    let env = [
        ("POD_NAMESPACE", JOB_NS),
        ("KSDM_JOURNAL_CONFIGMAP", configmap),
    ];
    let mut base = vec![
        "--sample",
        "--kubeconfig",
        kc.as_str(),
        "--namespace-timeout",
        "20s",
    ];
    base.extend_from_slice(extra);
    let mut steps = Vec::new();
    for name in ["migrate", "rerun", "verify"] {
        let mut args = vec![if name == "verify" {
            "verify"
        } else {
            "migrate"
        }];
        args.extend(base.iter().copied());
        if name != "verify" {
            args.extend(["--passphrase-file", PASS]);
        }
        let o = h.run_env(&args, &env).await;
        let failed = !matches!(o.status.code(), Some(0 | 4));
        let mut output = show(&o);
        if name == "verify" {
            // What verify found (the sample's corrupt job makes it exit 4 either way).
            output
                .push_str(&std::fs::read_to_string(h.out().join("verify.md")).unwrap_or_default());
        }
        steps.push(Step {
            name,
            code: o.status.code(),
            output,
        });
        if failed {
            return Outcome {
                steps,
                migrated: normalized(&h.server.snapshot()),
                restored: Value::Null,
                authorizations: h.server.authorizations(),
            };
        }
    }
    let migrated = normalized(&h.server.snapshot());
    // Each migrate is a run with its own backup; restore the first.
    let run = backup_runs(h.path()).into_iter().next().expect("a backup");
    let rebuilt = ksdm_test_apiserver::TestApiServer::start(options(policy))
        .await
        .expect("second server");
    let kc2 = h.path().join("rebuilt.kubeconfig");
    std::fs::write(&kc2, rebuilt.kubeconfig_yaml()).expect("kubeconfig");
    let kc2 = kc2.display().to_string();
    let o = h
        .run_env(
            &[
                "restore",
                &run,
                "--passphrase-file",
                PASS,
                "--kubeconfig",
                &kc2,
                "--namespace-timeout",
                "20s",
            ],
            &env,
        )
        .await;
    steps.push(Step {
        name: "restore",
        code: o.status.code(),
        output: show(&o),
    });
    let restored = normalized(&rebuilt.snapshot());
    let mut authorizations = h.server.authorizations();
    authorizations.extend(rebuilt.authorizations());
    Outcome {
        steps,
        migrated,
        restored,
        authorizations,
    }
}

/// Objects of the migration (not the journal ConfigMaps, whose content names the run).
fn migrated_objects(snapshot: &Value) -> Vec<String> {
    snapshot
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| !k.starts_with("configmaps/") && !k.starts_with("namespaces/"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn describe(scope: &RbacScope, atom: &RbacRule) -> String {
    format!("{scope}: {atom}")
}

/// The printed rules, the journal ConfigMap name, and the scenario under exactly those rules
/// (asserted to end exactly as without any access control: same exit statuses, same objects, rerun
/// changing nothing, restore reproducing the migrated objects).
async fn printed_rules_and_full_run(extra: &[&str]) -> (RbacPolicy, String, Outcome, Vec<String>) {
    let yaml = job_yaml(extra);
    let policy = RbacPolicy::from_manifests(&yaml).expect("job prints RBAC manifests");
    let configmap = journal_configmap(&yaml);
    eprintln!("permissions printed by job {extra:?}:");
    for (s, a) in policy.atoms() {
        eprintln!("  {}", describe(&s, &a));
    }
    let open = scenario(None, &configmap, extra).await;
    let full = scenario(Some(&policy), &configmap, extra).await;
    assert_eq!(
        full.steps.len(),
        4,
        "{}",
        full.steps.last().map(|s| s.output.as_str()).unwrap_or("")
    );
    for (s, o) in full.steps.iter().zip(&open.steps) {
        assert_eq!(
            s.code, o.code,
            "{} ends differently under the printed rules:\n{}\n--- without access control ---\n{}",
            s.name, s.output, o.output
        );
    }
    assert!(
        full.steps[1].output.contains("0 created, 0 updated"),
        "rerun changed something:\n{}",
        full.steps[1].output
    );
    let objects = migrated_objects(&full.migrated);
    assert!(objects.len() > 10, "{objects:?}");
    for k in &objects {
        assert_eq!(
            full.migrated.get(k),
            open.migrated.get(k),
            "the printed rules change the result at {k}"
        );
        assert_eq!(
            full.migrated.get(k),
            full.restored.get(k),
            "restore into a rebuilt cluster differs at {k}"
        );
    }
    // Reading a CRD is refused on purpose (preflight then asks API discovery): nothing else is.
    let refused: Vec<&AuthorizationRecord> = full
        .authorizations
        .iter()
        .filter(|a| !a.allowed && !a.review && a.resource != "customresourcedefinitions")
        .collect();
    assert!(
        refused.is_empty(),
        "requests refused under the printed rules: {refused:?}"
    );
    (policy, configmap, full, objects)
}

/// Every printed permission was needed by a real request (not only asked about by preflight).
fn assert_every_permission_used(policy: &RbacPolicy, full: &Outcome) {
    let unused: Vec<String> = policy
        .atoms()
        .iter()
        .filter(|(scope, atom)| {
            !full.authorizations.iter().any(|a| {
                !a.review
                    && a.allowed
                    && scope.covers(a.namespace.as_deref())
                    && atom.allows(&a.verb, &a.group, &a.resource, a.name.as_deref())
            })
        })
        .map(|(s, a)| describe(s, a))
        .collect();
    assert!(
        unused.is_empty(),
        "printed permissions no request of migrate/rerun/verify/restore used: {unused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_rules_suffice_and_every_permission_is_used() {
    let (policy, _, full, _) = printed_rules_and_full_run(&[]).await;
    assert_every_permission_used(&policy, &full);
}

async fn removing_any_permission_breaks_something(extra: &[&str]) {
    let (policy, configmap, full, objects) = printed_rules_and_full_run(extra).await;
    let atoms = policy.atoms();
    let baseline_warnings = full.warnings();

    let mut superfluous = Vec::new();
    for (scope, atom) in &atoms {
        let reduced = policy.without(scope, atom);
        let o = scenario(Some(&reduced), &configmap, extra).await;
        let codes_differ = o.codes() != full.codes();
        let state_differs = objects.iter().any(|k| {
            o.migrated.get(k) != full.migrated.get(k) || o.restored.get(k) != full.restored.get(k)
        });
        let new_warnings: Vec<String> = o
            .warnings()
            .into_iter()
            .filter(|w| !baseline_warnings.contains(w))
            .collect();
        eprintln!(
            "without {}: steps {:?}, state {}, {} new warnings {:?}",
            describe(scope, atom),
            o.codes(),
            if state_differs { "differs" } else { "same" },
            new_warnings.len(),
            new_warnings.first()
        );
        if !codes_differ && !state_differs && new_warnings.is_empty() {
            superfluous.push(describe(scope, atom));
        }
    }
    assert!(
        superfluous.is_empty(),
        "permissions nothing needs (job prints too much): {superfluous:?}"
    );
}

/// One scenario per printed permission (about 20 binary runs a minute on 2 cores): run by
/// `scripts/test.sh`, or `cargo test -p ks-devops-migrate --test cli_rbac -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: one full scenario per permission; scripts/test.sh runs it"]
async fn removing_any_printed_permission_breaks_something() {
    removing_any_permission_breaks_something(&[]).await;
}
