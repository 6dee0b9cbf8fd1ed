//! Jobs the KubeSphere v3.0 parser cannot read are held back (no Pipeline, outcome Failed, a
//! manual task, exit 4) and get a minimally repaired `config.xml` plus a diff under
//! `<out>/jenkins-repairs/`; after copying the repairs into `JENKINS_HOME` they migrate.

mod common;

use std::path::Path;

const PROJECT: &str = "project-W4zNlwJLzgRB";
const NS: &str = "project-w4znlwjlzgrb";

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json")).unwrap()
}

fn pipeline_item<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "pipeline" && i["id"] == id)
        .unwrap_or_else(|| panic!("no report item for pipeline {id}"))
}

fn add_job(home: &Path, job: &str, xml: &[u8]) {
    let dir = home.join("jobs").join(PROJECT).join("jobs").join(job);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.xml"), xml).unwrap();
}

fn export(home: &Path, out: &Path) -> std::process::Output {
    let dump = common::repo().join("sample/devops.sql");
    common::run(&[
        "export",
        "--mysql-dump",
        dump.to_str().unwrap(),
        "--jenkins-home",
        home.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

/// A plain job as Jenkins saves it when nobody typed a description (no `<description>`), with a
/// boolean parameter saved without one either.
const NO_DESCRIPTION: &str = "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job@2.40\">\n  <actions/>\n  <keepDependencies>false</keepDependencies>\n  <properties>\n    <hudson.model.ParametersDefinitionProperty>\n      <parameterDefinitions>\n        <hudson.model.BooleanParameterDefinition>\n          <name>DRY_RUN</name>\n          <defaultValue>true</defaultValue>\n        </hudson.model.BooleanParameterDefinition>\n      </parameterDefinitions>\n    </hudson.model.ParametersDefinitionProperty>\n  </properties>\n  <definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\" plugin=\"workflow-cps@2.80\">\n    <script>node { echo 'hi' }</script>\n    <sandbox>true</sandbox>\n  </definition>\n  <triggers/>\n  <disabled>false</disabled>\n</flow-definition>";

#[test]
fn unreadable_job_is_held_back_with_a_repair_and_migrates_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    common::copy_dir(&common::repo().join("sample/jenkins_home"), &home);
    add_job(&home, "no-description", NO_DESCRIPTION.as_bytes());
    let forbidden = NO_DESCRIPTION
        .replace("<actions/>", "<description>colour \u{1b}</description>")
        .replace(
            "<description>colour \u{1b}</description>",
            "<description>colour &#x1b;[0m</description>",
        );
    add_job(&home, "escape-char", forbidden.as_bytes());

    let out = tmp.path().join("out");
    let o = export(&home, &out);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("jenkins-repairs"), "{stdout}");

    let r = report(&out);
    // No Pipeline object for either job.
    let pipelines = out
        .join("resources/pipelines.devops.kubesphere.io/namespaces")
        .join(NS);
    assert!(!pipelines.join("no-description.yaml").exists());
    assert!(!pipelines.join("escape-char.yaml").exists());

    let item = pipeline_item(&r, "no-description");
    assert_eq!(item["outcome"], "Failed");
    let text = item["findings"].to_string();
    assert!(text.contains("has no <description> element"), "{text}");
    assert!(text.contains("parameter `DRY_RUN`"), "{text}");
    assert!(text.contains("pipeline.v30-held-back"), "{text}");
    let tasks = r["manual_tasks"].to_string();
    assert!(tasks.contains("no-description"), "{tasks}");

    let item = pipeline_item(&r, "escape-char");
    assert_eq!(item["outcome"], "Failed");
    let text = item["findings"].to_string();
    assert!(text.contains("U+001B") && text.contains("byte "), "{text}");
    assert!(text.contains("no automatic repair"), "{text}");

    // The repair: only additions, the rest byte for byte, plus a diff.
    let rel = format!("jenkins-repairs/jobs/{PROJECT}/jobs/no-description/config.xml");
    let repaired = std::fs::read_to_string(out.join(&rel)).unwrap();
    let expected = NO_DESCRIPTION
        .replace(
            "  <actions/>\n",
            "  <description></description>\n  <actions/>\n",
        )
        .replace(
            "          <name>DRY_RUN</name>",
            "          <description></description>\n          <name>DRY_RUN</name>",
        );
    assert_eq!(repaired, expected);
    let diff = std::fs::read_to_string(out.join(format!("{rel}.diff"))).unwrap();
    assert!(diff.contains("+  <description></description>"), "{diff}");
    assert!(!out
        .join(format!("jenkins-repairs/jobs/{PROJECT}/jobs/escape-char"))
        .exists());

    // Copy the repair over the job (what an administrator does) and rerun: it migrates.
    std::fs::copy(
        out.join(&rel),
        home.join(format!("jobs/{PROJECT}/jobs/no-description/config.xml")),
    )
    .unwrap();
    let out2 = tmp.path().join("out2");
    export(&home, &out2);
    let r2 = report(&out2);
    assert_ne!(pipeline_item(&r2, "no-description")["outcome"], "Failed");
    let yaml = std::fs::read_to_string(
        out2.join("resources/pipelines.devops.kubesphere.io/namespaces")
            .join(NS)
            .join("no-description.yaml"),
    )
    .unwrap();
    assert!(yaml.contains("DRY_RUN"), "{yaml}");
    assert!(!out2
        .join(format!(
            "jenkins-repairs/jobs/{PROJECT}/jobs/no-description"
        ))
        .exists());
}

/// Every real-world job of the `jenkins-wild` corpus in one project folder: the 14 jobs v3.0.0
/// panics on are held back and repaired; after the repairs are copied in, all 14 migrate.
#[test]
fn jenkins_wild_corpus_held_back_repaired_migrated() {
    let wild = ksdm_test_fixtures::require_shared!("jenkins-wild");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    common::copy_dir(&common::repo().join("sample/jenkins_home"), &home);
    let mut panics = Vec::new();
    for e in std::fs::read_dir(&wild).unwrap().filter_map(Result::ok) {
        let p = e.path();
        if !p.join("config.xml").is_file() {
            continue;
        }
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(p.join("meta.json")).unwrap()).unwrap();
        let job = meta["job_name"].as_str().unwrap().to_owned();
        add_job(&home, &job, &std::fs::read(p.join("config.xml")).unwrap());
        let pipeline_class = meta["category"].as_str().unwrap() != "negative";
        if meta["v30_outcome"] == "panic" && pipeline_class {
            panics.push(job);
        }
    }
    assert_eq!(panics.len(), 14);

    let out = tmp.path().join("out");
    assert_eq!(export(&home, &out).status.code(), Some(4));
    let r = report(&out);
    let held: Vec<String> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["kind"] == "pipeline" && i["findings"].to_string().contains("pipeline.v30-held-back")
        })
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let mut held_sorted = held.clone();
    held_sorted.sort();
    panics.sort();
    assert_eq!(
        held_sorted, panics,
        "held back = exactly the jobs v3.0.0 panics on"
    );
    let pipelines = out
        .join("resources/pipelines.devops.kubesphere.io/namespaces")
        .join(NS);
    let mut repaired = 0;
    for job in &panics {
        assert!(
            !pipelines.join(format!("{job}.yaml")).exists(),
            "{job} must not be written"
        );
        let rel = format!("jobs/{PROJECT}/jobs/{job}/config.xml");
        let fixed = out.join("jenkins-repairs").join(&rel);
        assert!(fixed.is_file(), "no repair for {job}");
        assert!(fixed.with_file_name("config.xml.diff").is_file());
        std::fs::copy(&fixed, home.join(&rel)).unwrap();
        repaired += 1;
    }

    let out2 = tmp.path().join("out2");
    export(&home, &out2);
    let r2 = report(&out2);
    let pipelines2 = out2
        .join("resources/pipelines.devops.kubesphere.io/namespaces")
        .join(NS);
    let migrated = panics
        .iter()
        .filter(|job| {
            pipeline_item(&r2, job)["outcome"] != "Failed"
                && pipelines2.join(format!("{job}.yaml")).is_file()
        })
        .count();
    eprintln!("jenkins-wild end to end: {} held back, {repaired} repaired, {migrated} migrated after repair", panics.len());
    assert_eq!(migrated, panics.len());
}
