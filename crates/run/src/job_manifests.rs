//! Manifests to run the migration in the cluster: ServiceAccount, least-privilege ClusterRole +
//! binding, a Role for the journal ConfigMaps (in the Job's namespace only), and the Job (or Jobs, when sharded).
//!
//! Sharding: pod `i` of `N` migrates the projects whose [`ksdm_apply::shard_of`] is `i`. An Indexed
//! Job (`completionMode: Indexed`) needs Kubernetes 1.21+; KubeSphere 3.0 runs on 1.15–1.18, where
//! the plain per-shard Job list (one Job per shard, `indexed: false`) is the way. Rerunning is a
//! plain rerun of the same Job(s) (delete and apply again): the journal ConfigMap and the
//! non-destructive apply make it resume without duplicating or overwriting anything.

use serde_json::{json, Value};

/// Options of [`job_manifests`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOptions {
    /// Container image of the tool.
    pub image: String,
    /// Namespace of the ServiceAccount, Job and journal ConfigMap.
    pub namespace: String,
    /// Base name of every object (default `ks-devops-migrate`).
    pub name: String,
    /// The CLI arguments (e.g. `["migrate", "--mysql", …]`); shard arguments are appended.
    pub args: Vec<String>,
    /// Number of shards (None or 1 = a single unsharded Job).
    pub shards: Option<u32>,
    /// One Indexed Job (Kubernetes 1.21+) instead of one Job per shard.
    pub indexed: bool,
    /// Job `backoffLimit`.
    pub backoff_limit: u32,
    /// Job `activeDeadlineSeconds`.
    pub active_deadline_seconds: u64,
    /// A Secret whose keys become environment variables (database and Jenkins credentials), if any.
    pub env_from_secret: Option<String>,
    /// Name of the journal ConfigMap (the per-project journal ConfigMaps are named after it; see
    /// [`ksdm_apply::mirror`]).
    pub journal_configmap: String,
    /// A PersistentVolumeClaim for a folder backup store: `(claim name, mount path)`.
    pub backup_volume: Option<(String, String)>,
}

impl JobOptions {
    /// Defaults for `image` in `namespace` with `args`.
    pub fn new(image: &str, namespace: &str, args: Vec<String>) -> Self {
        JobOptions {
            image: image.to_string(),
            namespace: namespace.to_string(),
            name: "ks-devops-migrate".into(),
            args,
            shards: None,
            indexed: false,
            backoff_limit: 3,
            active_deadline_seconds: 6 * 3600,
            env_from_secret: None,
            journal_configmap: "ks-devops-migrate-journal".into(),
            backup_volume: None,
        }
    }
}

fn labels(o: &JobOptions) -> Value {
    json!({"app.kubernetes.io/name": "ks-devops-migrate", "app.kubernetes.io/instance": o.name})
}

/// Whether the migrate arguments ask to update existing objects (`--existing update`, or
/// `--adopt-installer-migration`, which replaces the objects it adopts), which needs `patch`
/// (server-side apply) and `update` (get + replace on Kubernetes 1.15).
fn updates_existing(args: &[String]) -> bool {
    args.iter().enumerate().any(|(i, a)| {
        a == "--existing=update"
            || a == "--adopt-installer-migration"
            || (a == "--existing" && args.get(i + 1).is_some_and(|v| v == "update"))
    })
}

/// Exactly what `migrate` (and `verify`/`restore` run with the same account) calls; a test runs all
/// of them against an API server enforcing these rules and takes each permission away in turn.
/// Not needed, so not granted: `watch` (the tool polls), `list` on DevOpsProjects and Namespaces,
/// reading CRDs (preflight falls back to API discovery, open to every user), creating
/// SelfSubjectAccessReviews (every authenticated user may, through `system:basic-user`).
fn cluster_role(o: &JobOptions) -> Value {
    let mut write = vec!["create"];
    if updates_existing(&o.args) {
        write.extend(["patch", "update"]);
    }
    let with = |base: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(write.iter().copied()).collect()
    };
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": o.name, "labels": labels(o)},
        "rules": [
            // Cluster-scoped; verify finds extra objects by listing inside the project namespaces only.
            {"apiGroups": ["devops.kubesphere.io"], "resources": ["devopsprojects"], "verbs": with(&["get"])},
            {"apiGroups": ["devops.kubesphere.io"], "resources": ["pipelines"], "verbs": with(&["get", "list"])},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": with(&["get", "list"])},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": with(&["get", "list"])},
            // RBAC escalation prevention: creating a RoleBinding to a Role needs either every
            // permission of that Role or `bind` on it. `bind` on the three DevOps roles is far
            // narrower than holding `admin`'s `*` on `*`.
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["bind"], "resourceNames": ["admin", "operator", "viewer"]},
            // Waiting for the controller to create each project's namespace.
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
        ],
    })
}

fn container(o: &JobOptions, args: Vec<String>, index_env: bool) -> Value {
    let mut env = vec![
        json!({"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}),
        json!({"name": "KSDM_JOURNAL_CONFIGMAP", "value": o.journal_configmap}),
    ];
    if index_env {
        env.push(json!({"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}));
    }
    let mut c = json!({"name": "migrate", "image": o.image, "args": args, "env": env});
    if let (Some(secret), Some(map)) = (&o.env_from_secret, c.as_object_mut()) {
        map.insert("envFrom".into(), json!([{"secretRef": {"name": secret}}]));
    }
    if let (Some((_, mount)), Some(map)) = (&o.backup_volume, c.as_object_mut()) {
        map.insert(
            "volumeMounts".into(),
            json!([{"name": "backups", "mountPath": mount}]),
        );
    }
    c
}

fn job(o: &JobOptions, name: String, args: Vec<String>, indexed_shards: Option<u32>) -> Value {
    let mut spec = json!({
        "backoffLimit": o.backoff_limit,
        "activeDeadlineSeconds": o.active_deadline_seconds,
        "template": {
            "metadata": {"labels": labels(o)},
            "spec": {
                "serviceAccountName": o.name,
                "restartPolicy": "Never",
                "containers": [container(o, args, indexed_shards.is_some())],
            },
        },
    });
    if let Some((claim, _)) = &o.backup_volume {
        spec["template"]["spec"]["volumes"] =
            json!([{"name": "backups", "persistentVolumeClaim": {"claimName": claim}}]);
        // The image runs as 65532; fsGroup makes the volume writable for it.
        spec["template"]["spec"]["securityContext"] = json!({"fsGroup": 65532});
    }
    if let (Some(n), Some(map)) = (indexed_shards, spec.as_object_mut()) {
        map.insert("completionMode".into(), json!("Indexed"));
        map.insert("completions".into(), json!(n));
        map.insert("parallelism".into(), json!(n));
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": o.namespace, "labels": labels(o)},
        "spec": spec,
    })
}

/// The manifests as multi-document YAML, with a comment header explaining sharding and reruns.
pub fn job_manifests(o: &JobOptions) -> String {
    let shards = o.shards.filter(|n| *n > 1);
    let mut docs = vec![
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": o.name, "namespace": o.namespace, "labels": labels(o)}}),
        cluster_role(o),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": o.name, "labels": labels(o)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": o.name},
            "subjects": [{"kind": "ServiceAccount", "name": o.name, "namespace": o.namespace}],
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": o.name, "namespace": o.namespace, "labels": labels(o)},
            "rules": [
                // The journal: the status ConfigMap plus one per project named after it
                // (`<journal>-<project>`, unknown in advance), found again by a labelled list.
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "create", "update"]},
            ],
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": o.name, "namespace": o.namespace, "labels": labels(o)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": o.name},
            "subjects": [{"kind": "ServiceAccount", "name": o.name, "namespace": o.namespace}],
        }),
    ];
    let mut header = String::from(
        "# ks-devops-migrate: in-cluster migration.\n\
         # Rerun: delete the Job(s) and apply this file again; the run resumes (journal ConfigMap) and\n\
         # changes nothing that is already migrated.\n",
    );
    match shards {
        None => docs.push(job(o, o.name.clone(), o.args.clone(), None)),
        Some(n) if o.indexed => {
            header.push_str(&format!(
                "# Sharded: one Indexed Job, pod i of {n} migrates the projects whose FNV-1a hash mod {n} is i.\n\
                 # Indexed Jobs need Kubernetes 1.21+. KubeSphere 3.0 runs on 1.15-1.18: there, use the plain\n\
                 # per-shard Job list instead (generate it without --indexed).\n"
            ));
            let mut args = o.args.clone();
            args.extend([
                "--shards".to_string(),
                n.to_string(),
                "--shard-index".to_string(),
                "$(JOB_COMPLETION_INDEX)".to_string(),
            ]);
            docs.push(job(o, o.name.clone(), args, Some(n)));
        }
        Some(n) => {
            header.push_str(&format!(
                "# Sharded: {n} Jobs; Job {}-shard-i migrates the projects whose FNV-1a hash mod {n} is i.\n\
                 # (Kubernetes 1.21+ could run one Indexed Job instead.)\n",
                o.name
            ));
            for i in 0..n {
                let mut args = o.args.clone();
                args.extend([
                    "--shards".to_string(),
                    n.to_string(),
                    "--shard-index".to_string(),
                    i.to_string(),
                ]);
                docs.push(job(o, format!("{}-shard-{i}", o.name), args, None));
            }
        }
    }
    let mut out = header;
    for doc in docs {
        out.push_str("---\n");
        out.push_str(
            &serde_saphyr::to_string(&doc)
                .unwrap_or_else(|e| format!("# cannot render this document: {e}\n")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verbs_on(o: &JobOptions, resource: &str) -> Vec<String> {
        let role = cluster_role(o);
        let rule = role["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["resources"][0] == resource)
            .cloned()
            .unwrap_or_default();
        rule["verbs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn patch_and_update_only_when_existing_objects_are_updated() {
        let plain = JobOptions::new("i", "ns", vec!["migrate".into(), "--sample".into()]);
        assert_eq!(verbs_on(&plain, "secrets"), ["get", "list", "create"]);
        for args in [vec!["--existing", "update"], vec!["--existing=update"]] {
            let mut a = vec!["migrate".to_string()];
            a.extend(args.iter().map(|s| s.to_string()));
            let o = JobOptions::new("i", "ns", a);
            assert_eq!(
                verbs_on(&o, "secrets"),
                ["get", "list", "create", "patch", "update"],
                "{args:?}"
            );
            assert_eq!(
                verbs_on(&o, "devopsprojects"),
                ["get", "create", "patch", "update"]
            );
        }
        let keep = JobOptions::new(
            "i",
            "ns",
            vec!["migrate".into(), "--existing".into(), "keep".into()],
        );
        assert_eq!(verbs_on(&keep, "pipelines"), ["get", "list", "create"]);
        let adopt = JobOptions {
            args: vec!["--adopt-installer-migration".into()],
            ..keep.clone()
        };
        assert_eq!(
            verbs_on(&adopt, "secrets"),
            ["get", "list", "create", "patch", "update"]
        );
    }
}
