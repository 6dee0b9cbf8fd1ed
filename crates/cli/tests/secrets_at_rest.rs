//! Secrets at rest: after a migration and a rerun against the API server test double, with the
//! journal mirrored into ConfigMaps, no file the runs wrote (outside the Secret manifests of the
//! export tree, which hold the values by design, mode 0600) and no ConfigMap holds a credential
//! value, its base64, or an unkeyed SHA-256 of it or of the Secret that holds it.

mod cluster_support;
mod common;

use base64::Engine as _;
use cluster_support::*;
use ksdm_apply::object::canonical;
use ksdm_apply::{DesiredObject, ObjectKind};
use serde_json::Value;
use sha2::{Digest, Sha256};

const JOURNAL: &str = "ksdm-journal";

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_value_or_unkeyed_digest_in_any_file_or_configmap() {
    let h = Harness::start(default_options()).await;
    let env = [
        ("KSDM_JOURNAL_CONFIGMAP", JOURNAL),
        ("POD_NAMESPACE", "default"),
    ];
    let args = [
        "migrate",
        "--sample",
        "--exclude",
        BROKEN_PROJECT,
        "--kubeconfig",
        &h.kc(),
        "--namespace-timeout",
        "20s",
    ];
    let first = h.run_env(&args, &env).await;
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    let again = h.run_env(&args, &env).await;
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
    assert!(
        texts(&again).0.contains("0 created, 0 updated"),
        "rerun change detection still works\n{}",
        show(&again)
    );

    // The needles: every credential value in the cluster, in the forms a leak could take.
    let snapshot = h.server.snapshot();
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    let mut secrets = 0;
    for (key, obj) in snapshot.as_object().expect("snapshot") {
        if !key.starts_with("secrets/")
            || !obj["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("credential.devops.kubesphere.io/"))
        {
            continue;
        }
        secrets += 1;
        for (field, b64) in obj["data"].as_object().into_iter().flatten() {
            let b64 = b64.as_str().expect("base64 text");
            let value = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64");
            // A user name is not a secret (it is in the report and the RoleBindings too).
            if value.len() < 4 || field == "username" {
                continue; // too short to search for meaningfully
            }
            needles.push((format!("{key} {field}: value"), value.clone()));
            needles.push((format!("{key} {field}: base64"), b64.as_bytes().to_vec()));
            needles.push((
                format!("{key} {field}: sha256(value)"),
                sha_hex(&value).into_bytes(),
            ));
            needles.push((
                format!("{key} {field}: sha256(base64)"),
                sha_hex(b64.as_bytes()).into_bytes(),
            ));
        }
    }
    assert!(
        secrets >= 5 && needles.len() >= 20,
        "the sample migrates credentials with values: {secrets} Secrets"
    );
    // The unkeyed digest an earlier version journaled: SHA-256 over the whole desired Secret.
    let resources = h.out().join("resources");
    let secret_files: Vec<_> = files(&resources)
        .into_iter()
        .filter(|p| p.starts_with("secrets"))
        .collect();
    assert_eq!(secret_files.len(), secrets, "{secret_files:?}");
    for rel in &secret_files {
        let doc: Value =
            serde_saphyr::from_slice(&std::fs::read(resources.join(rel)).expect("read"))
                .expect("yaml");
        let parts: Vec<String> = rel
            .iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        let (ns, name) = (&parts[2], parts[3].trim_end_matches(".yaml"));
        let obj =
            DesiredObject::from_document(ObjectKind::Secret, Some(ns), name, doc, rel.clone())
                .expect("desired");
        let unkeyed = sha_hex(&serde_json::to_vec(&canonical(&obj.body)).expect("json"));
        assert_ne!(obj.digest(), unkeyed);
        needles.push((
            format!("unkeyed digest of Secret {ns}/{name}"),
            unkeyed.into_bytes(),
        ));
    }

    // The haystacks: every file under the working directory (output, journal, reports, backup
    // store) except the export's Secret manifests, and every ConfigMap in the cluster.
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    for rel in files(h.path()) {
        if rel.starts_with(std::path::Path::new(OUT).join("resources/secrets")) {
            continue;
        }
        haystacks.push((
            rel.display().to_string(),
            std::fs::read(h.path().join(&rel)).expect("read"),
        ));
    }
    let configmaps: Vec<(&String, &Value)> = snapshot
        .as_object()
        .expect("snapshot")
        .iter()
        .filter(|(k, _)| k.starts_with("configmaps/"))
        .collect();
    assert!(
        configmaps.len() >= 2,
        "the journal is mirrored: {:?}",
        configmaps.iter().map(|c| c.0).collect::<Vec<_>>()
    );
    for (key, cm) in &configmaps {
        haystacks.push((key.to_string(), cm.to_string().into_bytes()));
    }
    // Not a vacuous search: the journal file and the ConfigMaps do hold entries for the Secrets.
    let journal = std::fs::read_to_string(h.out().join("journal.jsonl")).expect("journal.jsonl");
    assert!(journal.contains("\"key\":\"Secret/"), "{journal}");
    assert!(
        configmaps
            .iter()
            .any(|(_, cm)| cm.to_string().contains("Secret/")),
        "a ConfigMap journals the Secrets"
    );

    let mut leaks = Vec::new();
    for (what, needle) in &needles {
        for (place, hay) in &haystacks {
            if hay.windows(needle.len()).any(|w| w == needle.as_slice()) {
                leaks.push(format!("{what} found in {place}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    eprintln!(
        "searched {} needles in {} files and ConfigMaps",
        needles.len(),
        haystacks.len()
    );
}
