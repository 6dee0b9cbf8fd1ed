//! Loss findings measured against v3.0.0's own generator on the real-world corpus
//! (`jenkins-wild`: each case's `v30-regenerated.xml` is what v3.0.0 writes back from its parse).
//!
//! Measured here at the level of job and folder properties: every property of `config.xml` that
//! the generator does not write back must be named by a finding — a loss when it configures
//! something, a note (`pipeline.inert-property-dropped`) when it configures nothing — and every
//! property reported lost must really be missing from the generator's output.

use ksdm_convert::v30_parse::parse_job;
use ksdm_jenkins_xml::dom;
use ksdm_model::{Finding, Severity};

fn case_dirs() -> Vec<std::path::PathBuf> {
    let dir = ksdm_test_fixtures::path("jenkins-wild").expect("checked by require_shared!");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("v30-regenerated.xml").is_file())
        .collect();
    v.sort();
    v
}

/// `job_name` from the case's meta.json (a plain string value).
fn job_name(case: &std::path::Path) -> String {
    let meta = std::fs::read_to_string(case.join("meta.json")).unwrap();
    let at = meta.find("\"job_name\"").expect("job_name");
    meta[at..]
        .split('"')
        .nth(3)
        .expect("job_name value")
        .to_string()
}

fn findings(case: &std::path::Path) -> Vec<Finding> {
    let xml = std::fs::read(case.join("config.xml")).unwrap();
    parse_job(&job_name(case), &xml).unwrap().findings
}

/// Raw names of the children of the root's `<properties>`.
fn properties(xml: &[u8]) -> Vec<String> {
    let root = dom::parse(xml).unwrap();
    root.child_raw("properties")
        .map(|p| p.children.iter().map(|c| c.raw_name.clone()).collect())
        .unwrap_or_default()
}

/// Properties the generator keeps in some form (their settings are checked by other findings).
const MODELLED: [&str; 7] = [
    "hudson.model.ParametersDefinitionProperty",
    "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty",
    "jenkins.model.BuildDiscarderProperty",
    "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty",
    "org.jenkinsci.plugins.pipeline.modeldefinition.config.FolderConfig",
    "org.jenkinsci.plugins.docker.workflow.declarative.FolderConfig",
    "org.jenkinsci.plugins.workflow.multibranch.PipelineTriggerProperty",
];

#[test]
fn property_losses_match_the_v30_generator() {
    ksdm_test_fixtures::require_shared!("jenkins-wild");
    let (mut true_pos, mut false_neg, mut false_pos, mut inert) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for case in case_dirs() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let original = properties(&std::fs::read(case.join("config.xml")).unwrap());
        let regenerated = properties(&std::fs::read(case.join("v30-regenerated.xml")).unwrap());
        let fs = findings(&case);
        let names = |code: &str, sev: Severity, prop: &str| {
            fs.iter().any(|f| {
                f.code == code && f.severity == sev && f.message.contains(&format!("`{prop}`"))
            })
        };
        for prop in original.iter().filter(|p| !MODELLED.contains(&p.as_str())) {
            let display = prop.replace("_-", "$");
            let dropped = !regenerated.contains(prop);
            let as_loss = names("pipeline.property-lost", Severity::Warning, &display);
            let as_note = names("pipeline.inert-property-dropped", Severity::Info, &display);
            match (dropped, as_loss, as_note) {
                (true, true, false) => true_pos += 1,
                (true, false, true) => inert += 1,
                (true, false, false) => {
                    false_neg += 1;
                    problems.push(format!(
                        "{name}: {prop} dropped by the generator but not reported"
                    ));
                }
                (false, true, _) => {
                    false_pos += 1;
                    problems.push(format!(
                        "{name}: {prop} reported lost but the generator keeps it"
                    ));
                }
                _ => {}
            }
        }
    }
    let recall = true_pos as f64 / (true_pos + false_neg).max(1) as f64;
    let precision = true_pos as f64 / (true_pos + false_pos).max(1) as f64;
    println!(
        "properties dropped by the v3.0.0 generator: {} reported as lost, {inert} as inert notes, {false_neg} missed; \
         {false_pos} false alarms; recall {recall:.2}, precision {precision:.2}",
        true_pos
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        true_pos > 5 && inert > 10,
        "the corpus exercises both: {true_pos} losses, {inert} inert"
    );
}

/// The false alarms of the issue's cases are notes now, and what they keep is named.
#[test]
fn inert_properties_are_notes_not_losses() {
    ksdm_test_fixtures::require_shared!("jenkins-wild");
    let dir = ksdm_test_fixtures::path("jenkins-wild").unwrap();
    for (case, inert) in [
        (
            "001-plain-inline-wfjob2.9-large-script",
            &[
                "DatadogJobProperty",
                "RebuildSettings",
                "ThrottleJobProperty",
            ][..],
        ),
        (
            "007-plain-inline-wfjob2.21-cwl-test",
            &["ScannerJobProperty", "RebuildSettings"][..],
        ),
        (
            "008-plain-inline-wfjob2.29-description",
            &["RebuildSettings"][..],
        ),
        (
            "060-mb-bitbucket-ksdevops-team-forks",
            &["KubernetesFolderProperty"][..],
        ),
    ] {
        let fs = findings(&dir.join(case));
        assert!(
            !fs.iter().any(|f| f.code == "pipeline.property-lost"),
            "{case}: {fs:#?}"
        );
        for p in inert {
            assert!(
                fs.iter()
                    .any(|f| f.code == "pipeline.inert-property-dropped"
                        && f.severity == Severity::Info
                        && f.message.contains(p)),
                "{case}: {p} is a note: {fs:#?}"
            );
        }
    }
}

/// A password parameter's default is a loss (the rewrite writes the parameter's name as the
/// default), and a string parameter's trim=true dropped by a rewrite is named.
#[test]
fn password_default_and_trim_are_losses() {
    let xml = br#"<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <actions/>
  <description>d</description>
  <keepDependencies>false</keepDependencies>
  <properties>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.PasswordParameterDefinition>
          <name>TOKEN</name>
          <description></description>
          <defaultValue>{AQAAABAAAAAQ}</defaultValue>
        </hudson.model.PasswordParameterDefinition>
        <hudson.model.StringParameterDefinition>
          <name>TAG</name>
          <description></description>
          <defaultValue>v1</defaultValue>
          <trim>true</trim>
        </hudson.model.StringParameterDefinition>
        <hudson.model.ChoiceParameterDefinition>
          <name>ENV</name>
          <description></description>
          <choices class="java.util.Arrays$ArrayList">
            <a class="string-array">
              <string></string>
              <string>dev</string>
              <string>prod </string>
            </a>
          </choices>
        </hudson.model.ChoiceParameterDefinition>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>node {}</script>
    <sandbox>true</sandbox>
  </definition>
  <triggers/>
  <disabled>false</disabled>
</flow-definition>"#;
    let fs = parse_job("j", xml).unwrap().findings;
    let find = |code: &str| {
        fs.iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("{code}: {fs:#?}"))
    };
    let pw = find("pipeline.password-default");
    assert_eq!(pw.severity, Severity::Warning);
    assert!(pw.message.contains("`TOKEN`"), "{}", pw.message);
    assert!(!pw.message.contains("AQAA"), "never the encrypted value");
    let trim = find("pipeline.parameter-trim-lost");
    assert!(trim.message.contains("`TAG`") && trim.message.contains("trim=true"));
    let choice = find("pipeline.choice-values-changed");
    assert!(
        choice.message.contains(r#"["", "dev", "prod "]"#)
            && choice.message.contains(r#"["dev", "prod"]"#),
        "{}",
        choice.message
    );
}
