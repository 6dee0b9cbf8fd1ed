//! Pipeline `config.xml` → v3.0 spec, exactly as the v3.0.0 controller parses it.

use ksdm_convert::v30_parse::{
    parse_job, read_github_like, read_scm_source_as, source_class, ParsedJob, SourceFlavour,
    V30Failures,
};
use ksdm_jenkins_xml::dom;
use ksdm_model::v21::JobClass;
use ksdm_model::v30::{
    Discarder, DiscoverPrFromForks, GitCloneOption, GitSource, GithubSource, MultiBranchPipeline,
    MultibranchJobTrigger, NoScmPipeline, Parameter, PipelineSpec, RemoteTrigger, SingleSvnSource,
    SvnSource, TimerTrigger,
};
use ksdm_model::Severity;

fn fixture(rel: &str) -> Vec<u8> {
    ksdm_test_fixtures::read(&format!("jenkins-xml/{rel}"))
        .expect("shared fixtures present (checked by require_shared!)")
}

fn codes(p: &ParsedJob) -> Vec<&str> {
    p.findings.iter().map(|f| f.code.as_str()).collect()
}

fn plain(p: &ParsedJob) -> &NoScmPipeline {
    p.spec
        .as_ref()
        .and_then(|s| s.pipeline.as_ref())
        .expect("plain pipeline spec")
}

fn multi(p: &ParsedJob) -> &MultiBranchPipeline {
    p.spec
        .as_ref()
        .and_then(|s| s.multi_branch_pipeline.as_ref())
        .expect("multibranch spec")
}

fn has_manual_failure(p: &ParsedJob, needle: &str) -> bool {
    p.findings.iter().any(|f| {
        f.severity == Severity::Manual
            && f.code == "pipeline.v30-parser-fails"
            && f.message.contains(needle)
    })
}

const CPS: &str = "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition";

/// A plain job around `inner` (children of the root besides description/properties/definition).
fn plain_xml(description: &str, properties: &str, script: &str) -> String {
    format!(
        "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job@2.32\">\n<description>{description}</description>\n\
         <properties>{properties}</properties>\n<definition class=\"{CPS}\" plugin=\"workflow-cps\">\n<script>{script}</script>\n\
         <sandbox>true</sandbox>\n</definition>\n<triggers/>\n<disabled>false</disabled>\n</flow-definition>\n"
    )
}

/// A multibranch job whose first branch source is `source` (a full `<source …>` element).
fn multibranch_xml(source: &str) -> String {
    format!(
        "<?xml version='1.1' encoding='UTF-8'?>\n<org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject>\n\
         <description>d</description>\n<sources class=\"jenkins.branch.MultiBranchProject$BranchSourceList\">\n<data>\n\
         <jenkins.branch.BranchSource>\n{source}\n</jenkins.branch.BranchSource>\n</data>\n</sources>\n\
         <factory class=\"org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory\"><scriptPath>Jenkinsfile</scriptPath></factory>\n\
         </org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject>"
    )
}

#[test]
fn every_fixture_is_well_formed() {
    let dir = ksdm_test_fixtures::require_shared!("jenkins-xml");
    let mut count = 0;
    for sub in std::fs::read_dir(&dir).unwrap() {
        let sub = sub.unwrap().path();
        if !sub.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&sub).unwrap() {
            let file = file.unwrap().path();
            if file.extension().and_then(|e| e.to_str()) == Some("xml") {
                let bytes = std::fs::read(&file).unwrap();
                let root = dom::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                assert!(!root.name.is_empty());
                count += 1;
            }
        }
    }
    assert_eq!(count, 12, "all twelve fixture files were parsed");
}

#[test]
fn kubesphere_workflowjob_jenkins_saved() {
    ksdm_test_fixtures::require_shared!();
    let p = parse_job(
        "hello",
        &fixture("kubesphere/workflowjob-jenkins-saved.xml"),
    )
    .unwrap();
    assert_eq!(p.class, JobClass::WorkflowJob);
    let script = "\npipeline { agent any parameters { string(name: 'PERSON', defaultValue: 'Mr Jenkins', description: 'Who should I say hello to?') text(name: 'BIOGRAPHY', defaultValue: '', description: 'Enter some information about the person') booleanParam(name: 'TOGGLE', defaultValue: true, description: 'Toggle this value') password(name: 'PASSWORD', defaultValue: 'SECRET', description: 'Enter a password') } stages { stage('Example') { steps { echo \"Hello ${params.PERSON}\" echo \"Biography: ${params.BIOGRAPHY}\" echo \"Toggle: ${params.TOGGLE}\" echo \"Choice: ${params.CHOICE}\" echo \"Password: ${params.PASSWORD}\" } } } }\n";
    let expected = PipelineSpec {
        type_: "pipeline".into(),
        pipeline: Some(NoScmPipeline {
            name: "hello".into(),
            description: String::new(),
            discarder: Some(Discarder {
                days_to_keep: "7".into(),
                num_to_keep: "10".into(),
            }),
            parameters: vec![
                Parameter {
                    name: "PERSON".into(),
                    default_value: "Mr Jenkins".into(),
                    type_: "string".into(),
                    description: "Who should I say hello to?".into(),
                },
                Parameter {
                    name: "BIOGRAPHY".into(),
                    default_value: String::new(),
                    type_: "text".into(),
                    description: "Enter some information about the person".into(),
                },
                Parameter {
                    name: "TOGGLE".into(),
                    default_value: "true".into(),
                    type_: "boolean".into(),
                    description: "Toggle this value".into(),
                },
                Parameter {
                    name: "PASSWORD".into(),
                    default_value: "PASSWORD".into(),
                    type_: "password".into(),
                    description: "Enter a password".into(),
                },
                Parameter {
                    name: "1".into(),
                    default_value: "1\n2\n3".into(),
                    type_: "choice".into(),
                    description: "x".into(),
                },
            ],
            disable_concurrent: false,
            timer_trigger: None,
            remote_trigger: None,
            jenkinsfile: script.into(),
        }),
        multi_branch_pipeline: None,
    };
    assert_eq!(p.spec, Some(expected));
    // The empty Jira property configures nothing (a note); the password default is a loss.
    assert_eq!(
        codes(&p),
        [
            "pipeline.inert-property-dropped",
            "pipeline.password-default"
        ]
    );
    assert!(p.findings[0]
        .message
        .contains("hudson.plugins.jira.JiraProjectProperty"));
    assert_eq!(p.findings[0].severity, Severity::Info);
    assert_eq!(p.findings[1].severity, Severity::Warning);
}

#[test]
fn ks_devops_multibranch_github_ks_generated() {
    ksdm_test_fixtures::require_shared!();
    let p = parse_job(
        "gh",
        &fixture("ks-devops/multibranch-github-ks-generated.xml"),
    )
    .unwrap();
    assert_eq!(p.class, JobClass::WorkflowMultiBranchProject);
    let expected = PipelineSpec {
        type_: "multi-branch-pipeline".into(),
        pipeline: None,
        multi_branch_pipeline: Some(MultiBranchPipeline {
            name: "gh".into(),
            description: String::new(),
            discarder: Some(Discarder {
                days_to_keep: "7".into(),
                num_to_keep: "5".into(),
            }),
            timer_trigger: None,
            source_type: "github".into(),
            git_source: None,
            github_source: Some(GithubSource {
                scm_id: String::new(),
                owner: "jenkins-zh".into(),
                repo: "jenkins-client-java".into(),
                credential_id: "github".into(),
                api_uri: String::new(),
                discover_branches: 1,
                discover_pr_from_origin: 2,
                discover_pr_from_forks: None,
                git_clone_option: Some(GitCloneOption {
                    shallow: false,
                    timeout: 20,
                    depth: 1,
                }),
                regex_filter: String::new(),
            }),
            bitbucket_server_source: None,
            svn_source: None,
            single_svn_source: None,
            script_path: "Jenkinsfile".into(),
            multibranch_job_trigger: None,
        }),
    };
    assert_eq!(p.spec, Some(expected));
    assert_eq!(
        codes(&p),
        [
            "pipeline.v30-parser-fails",
            "pipeline.trait-lost",
            "pipeline.fork-trust-unsupported",
            "pipeline.round-trip-unstable"
        ]
    );
    assert!(has_manual_failure(
        &p,
        "ForkPullRequestDiscoveryTrait> has no <trust>"
    ));
    assert!(p.findings[1]
        .message
        .contains("github_branch_source.TagDiscoveryTrait"));
}

#[test]
fn ks_devops_multibranch_bitbucket_jenkins_saved() {
    ksdm_test_fixtures::require_shared!();
    let p = parse_job(
        "bb",
        &fixture("ks-devops/multibranch-bitbucket-jenkins-saved.xml"),
    )
    .unwrap();
    let expected = MultiBranchPipeline {
        name: "bb".into(),
        description: String::new(),
        discarder: Some(Discarder {
            days_to_keep: "-1".into(),
            num_to_keep: "-1".into(),
        }),
        timer_trigger: None,
        source_type: "bitbucket_server".into(),
        git_source: None,
        github_source: None,
        bitbucket_server_source: Some(GithubSource {
            scm_id: String::new(),
            owner: "linuxsuren".into(),
            repo: "jenkins-cli".into(),
            credential_id: String::new(),
            api_uri: "https://bitbucket.org".into(),
            discover_branches: 1,
            discover_pr_from_origin: 1,
            discover_pr_from_forks: Some(DiscoverPrFromForks {
                strategy: 1,
                trust: 2,
            }),
            git_clone_option: None,
            regex_filter: String::new(),
        }),
        svn_source: None,
        single_svn_source: None,
        script_path: "Jenkinsfile".into(),
        multibranch_job_trigger: Some(MultibranchJobTrigger {
            create_action_job_to_trigger: String::new(),
            delete_action_job_to_trigger: String::new(),
        }),
    };
    assert_eq!(multi(&p), &expected);
    // A Kubernetes folder property without clouds configures nothing; the empty health metrics
    // become WorstChildHealthMetric on a rewrite.
    assert_eq!(
        codes(&p),
        [
            "pipeline.inert-property-dropped",
            "pipeline.health-metrics-reset"
        ]
    );
    assert!(p.findings[0].message.contains("KubernetesFolderProperty"));
}

#[test]
fn ks_devops_multibranch_gitlab_has_empty_source_type() {
    ksdm_test_fixtures::require_shared!();
    let p = parse_job(
        "gl",
        &fixture("ks-devops/multibranch-gitlab-jenkins-saved.xml"),
    )
    .unwrap();
    let expected = MultiBranchPipeline {
        name: "gl".into(),
        description: String::new(),
        discarder: Some(Discarder {
            days_to_keep: "7".into(),
            num_to_keep: "5".into(),
        }),
        timer_trigger: None,
        source_type: String::new(),
        git_source: None,
        github_source: None,
        bitbucket_server_source: None,
        svn_source: None,
        single_svn_source: None,
        script_path: "Jenkinsfile".into(),
        multibranch_job_trigger: None,
    };
    assert_eq!(multi(&p), &expected);
    assert_eq!(codes(&p), ["pipeline.source-unsupported"]);
    assert!(p.findings[0]
        .message
        .contains("io.jenkins.plugins.gitlabbranchsource.GitLabSCMSource"));
}

#[test]
fn workflow_job_plugin_config_without_description() {
    ksdm_test_fixtures::require_shared!();
    let p = parse_job("p", &fixture("workflow-job-plugin/config.xml")).unwrap();
    let expected = NoScmPipeline {
        name: "p".into(),
        description: String::new(),
        discarder: None,
        parameters: vec![],
        disable_concurrent: false,
        timer_trigger: None,
        remote_trigger: None,
        jenkinsfile: "input 'hangs forever'".into(),
    };
    assert_eq!(plain(&p), &expected);
    assert_eq!(codes(&p), ["pipeline.v30-parser-fails"]);
    assert!(has_manual_failure(
        &p,
        "<flow-definition> has no <description>"
    ));
}

#[test]
fn branch_api_non_workflow_multibranch_is_other() {
    ksdm_test_fixtures::require_shared!();
    let p = parse_job("mbp", &fixture("branch-api-plugin/config.xml")).unwrap();
    assert_eq!(
        p.class,
        JobClass::Other("integration.harness.BasicMultiBranchProject".into())
    );
    assert_eq!(p.spec, None);
    assert_eq!(codes(&p), ["pipeline.unsupported-job-class"]);
    assert!(p.findings[0]
        .message
        .contains("integration.harness.BasicMultiBranchProject"));
}

#[test]
fn bare_sources_read_directly() {
    ksdm_test_fixtures::require_shared!();
    let mut fails = V30Failures::default();
    let git = dom::parse(&fixture("git-plugin/modern.xml")).unwrap();
    let mut m = MultiBranchPipeline::default();
    read_scm_source_as(source_class::GIT, &git, &mut m, &mut fails);
    assert_eq!(m.source_type, "git");
    assert_eq!(
        m.git_source,
        Some(GitSource {
            url: "git://git.test/example.git".into(),
            ..GitSource::default()
        })
    );

    let gh = dom::parse(&fixture("github-branch-source-plugin/modern.xml")).unwrap();
    let s = read_github_like(&gh, SourceFlavour::GitHub, &mut fails);
    assert_eq!(
        s,
        GithubSource {
            owner: "cloudbeers".into(),
            repo: "stunning-adventure".into(),
            ..GithubSource::default()
        }
    );

    let bb = dom::parse(&fixture(
        "bitbucket-branch-source-plugin/retrieve_prs_test_server.xml",
    ))
    .unwrap();
    let s = read_github_like(&bb, SourceFlavour::Bitbucket, &mut fails);
    assert_eq!(
        s,
        GithubSource {
            scm_id: String::new(),
            owner: "DUB".into(),
            repo: "stunning-adventure".into(),
            credential_id: "bb-server-creds".into(),
            api_uri: "https://bitbucket.test".into(),
            discover_branches: 3,
            discover_pr_from_origin: 1,
            discover_pr_from_forks: Some(DiscoverPrFromForks {
                strategy: 1,
                trust: 1
            }),
            git_clone_option: None,
            regex_filter: ".*".into(),
        }
    );
    assert!(fails.0.is_empty(), "{:?}", fails.0);
}

// ---- quirks, hand-written ----

#[test]
fn crlf_becomes_lf_but_char_ref_cr_survives() {
    let xml = plain_xml("a\r\nb\rc", "", "line1\r\nline2&#xd;\nline3");
    let p = parse_job("j", xml.as_bytes()).unwrap();
    assert_eq!(plain(&p).description, "a\nb\nc");
    assert_eq!(plain(&p).jenkinsfile, "line1\nline2\r\nline3");
    assert_eq!(codes(&p), ["pipeline.round-trip-unstable"]);
    assert!(p.findings[0].message.contains("jenkinsfile"));
}

#[test]
fn single_line_document_gets_every_1_1_rewritten() {
    let xml = format!(
        "<?xml version='1.1' encoding='UTF-8'?><flow-definition><description>release 1.1</description><properties/>\
         <definition class=\"{CPS}\"><script>echo \"v1.1.1\"</script></definition></flow-definition>"
    );
    let p = parse_job("j", xml.as_bytes()).unwrap();
    assert_eq!(plain(&p).description, "release 1.0");
    assert_eq!(plain(&p).jenkinsfile, "echo \"v1.0.1\"");
    assert_eq!(codes(&p), ["pipeline.first-line-version-rewrite"]);

    // The same document on several lines: only the declaration is rewritten.
    let multi_line = xml.replacen("?><flow-definition>", "?>\n<flow-definition>", 1);
    let p = parse_job("j", multi_line.as_bytes()).unwrap();
    assert_eq!(plain(&p).description, "release 1.1");
    assert_eq!(plain(&p).jenkinsfile, "echo \"v1.1.1\"");
    assert!(codes(&p).is_empty(), "{:?}", p.findings);
}

#[test]
fn first_line_1_1_in_attributes_only_is_not_reported() {
    let xml = format!(
        "<?xml version=\"1.1\" encoding=\"UTF-8\"?><flow-definition plugin=\"workflow-job@2.1.1\">\n<description>x</description>\
         <properties/><definition class=\"{CPS}\"><script>s</script></definition></flow-definition>"
    );
    let p = parse_job("j", xml.as_bytes()).unwrap();
    assert_eq!(plain(&p).description, "x");
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

#[test]
fn cdata_null_lines_and_non_ascii_are_kept_byte_for_byte() {
    let script = "<![CDATA[node { sh 'a && b < c' }\nnull\n]]>null\n中文 ü 🚀";
    let p = parse_job("j", plain_xml("null", "", script).as_bytes()).unwrap();
    assert_eq!(
        plain(&p).jenkinsfile,
        "node { sh 'a && b < c' }\nnull\nnull\n中文 ü 🚀"
    );
    assert_eq!(plain(&p).description, "null");
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

#[test]
fn xml10_forbidden_char_ref_is_read_and_reported() {
    let p = parse_job("j", plain_xml("", "", "echo '&#x1b;[31mred'").as_bytes()).unwrap();
    assert_eq!(plain(&p).jenkinsfile, "echo '\u{1b}[31mred'");
    assert_eq!(codes(&p), ["pipeline.v30-parser-fails"]);
    assert!(has_manual_failure(&p, "U+001B"));
}

#[test]
fn content_before_declaration_is_reported() {
    let xml = format!("\n{}", plain_xml("d", "", "s"));
    let p = parse_job("j", xml.as_bytes()).unwrap();
    assert_eq!(plain(&p).description, "d");
    assert!(has_manual_failure(&p, "precedes the XML declaration"));
}

#[test]
fn missing_description_and_parameter_description_are_reported() {
    let xml = format!(
        "<flow-definition><properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>\
         <hudson.model.StringParameterDefinition><name>A</name><defaultValue>x</defaultValue></hudson.model.StringParameterDefinition>\
         </parameterDefinitions></hudson.model.ParametersDefinitionProperty></properties>\
         <definition class=\"{CPS}\"><script>s</script></definition></flow-definition>"
    );
    let p = parse_job("j", xml.as_bytes()).unwrap();
    assert_eq!(
        plain(&p).parameters,
        vec![Parameter {
            name: "A".into(),
            default_value: "x".into(),
            type_: "string".into(),
            description: String::new()
        }]
    );
    assert!(has_manual_failure(
        &p,
        "<flow-definition> has no <description>"
    ));
    assert!(has_manual_failure(
        &p,
        "parameter `A` (<hudson.model.StringParameterDefinition>) has no <description>"
    ));
}

#[test]
fn parameter_types_file_password_unknown_and_empty_list() {
    let props = "<hudson.model.ParametersDefinitionProperty><parameterDefinitions>\
        <hudson.model.FileParameterDefinition><name>F</name><description>f</description></hudson.model.FileParameterDefinition>\
        <hudson.model.PasswordParameterDefinition><name>P</name><description/><defaultValue>{AQAAsecret}</defaultValue></hudson.model.PasswordParameterDefinition>\
        <hudson.model.RunParameterDefinition><name>R</name><description>r</description><projectName>x</projectName></hudson.model.RunParameterDefinition>\
        </parameterDefinitions></hudson.model.ParametersDefinitionProperty>";
    let p = parse_job("j", plain_xml("", props, "s").as_bytes()).unwrap();
    assert_eq!(
        plain(&p).parameters,
        vec![
            Parameter {
                name: "F".into(),
                default_value: String::new(),
                type_: "file".into(),
                description: "f".into()
            },
            Parameter {
                name: "P".into(),
                default_value: "P".into(),
                type_: "password".into(),
                description: String::new()
            },
            Parameter {
                name: "R".into(),
                default_value: "unknown".into(),
                type_: "hudson.model.RunParameterDefinition".into(),
                description: "r".into()
            },
        ]
    );
    assert_eq!(
        codes(&p),
        [
            "pipeline.password-default",
            "pipeline.parameter-type-unsupported",
            "pipeline.round-trip-unstable"
        ]
    );
    assert!(!p.findings.iter().any(|f| f.message.contains("AQAAsecret")));

    let empty = "<hudson.model.ParametersDefinitionProperty><parameterDefinitions/></hudson.model.ParametersDefinitionProperty>";
    let p = parse_job("j", plain_xml("", empty, "s").as_bytes()).unwrap();
    assert!(plain(&p).parameters.is_empty());
}

#[test]
fn both_choice_shapes_are_read() {
    let wrapped = "<hudson.model.ParametersDefinitionProperty><parameterDefinitions><hudson.model.ChoiceParameterDefinition>\
        <name>C</name><description/><choices class=\"java.util.Arrays$ArrayList\"><a class=\"string-array\">\
        <string> 1</string><string>2</string><string>3 </string></a></choices></hudson.model.ChoiceParameterDefinition>\
        </parameterDefinitions></hudson.model.ParametersDefinitionProperty>";
    let flat = "<hudson.model.ParametersDefinitionProperty><parameterDefinitions><hudson.model.ChoiceParameterDefinition>\
        <name>C</name><description/><choices><string> 1</string><string>2</string><string>3 </string></choices>\
        </hudson.model.ChoiceParameterDefinition></parameterDefinitions></hudson.model.ParametersDefinitionProperty>";
    let expected = vec![Parameter {
        name: "C".into(),
        default_value: "1\n2\n3".into(),
        type_: "choice".into(),
        description: String::new(),
    }];
    let p = parse_job("j", plain_xml("", wrapped, "s").as_bytes()).unwrap();
    assert_eq!(plain(&p).parameters, expected);
    // The outer spaces of " 1" and "3 " are gone after a rewrite: a loss that names them.
    assert_eq!(
        codes(&p),
        ["pipeline.choice-values-changed"],
        "{:?}",
        p.findings
    );
    assert!(p.findings[0].message.contains(r#"[" 1", "2", "3 "]"#));
    let p = parse_job("j", plain_xml("", flat, "s").as_bytes()).unwrap();
    assert_eq!(plain(&p).parameters, expected);
    assert!(has_manual_failure(
        &p,
        "without the <a class=\"string-array\"> wrapper"
    ));
}

#[test]
fn plain_triggers_discarder_concurrency_and_token() {
    let props =
        "<org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>\
        <org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty><triggers>\
        <hudson.triggers.SCMTrigger><spec>H/5 * * * *</spec></hudson.triggers.SCMTrigger>\
        <hudson.triggers.TimerTrigger><spec>H 2 * * *</spec></hudson.triggers.TimerTrigger>\
        </triggers></org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>";
    let xml =
        plain_xml("", props, "s").replace("<disabled>", "<authToken>tok</authToken><disabled>");
    let p = parse_job("j", xml.as_bytes()).unwrap();
    let got = plain(&p);
    assert!(got.disable_concurrent);
    assert_eq!(
        got.timer_trigger,
        Some(TimerTrigger {
            cron: "H 2 * * *".into(),
            interval: String::new()
        })
    );
    assert_eq!(
        got.remote_trigger,
        Some(RemoteTrigger {
            token: "tok".into()
        })
    );
    assert_eq!(got.discarder, None);
    assert_eq!(codes(&p), ["pipeline.trigger-lost"]);
    assert!(p.findings[0].message.contains("hudson.triggers.SCMTrigger"));
}

#[test]
fn scm_definition_and_sandbox_false_are_reported() {
    let xml = "<flow-definition><description/><properties/>\
        <definition class=\"org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition\"><scriptPath>Jenkinsfile</scriptPath></definition>\
        <displayName>Nice</displayName></flow-definition>";
    let p = parse_job("j", xml.as_bytes()).unwrap();
    assert_eq!(plain(&p).jenkinsfile, "");
    assert_eq!(
        codes(&p),
        ["pipeline.scm-definition-lost", "pipeline.setting-lost"]
    );
    assert!(p.findings[0].message.contains("CpsScmFlowDefinition"));
    assert!(p.findings[1].message.contains("displayName"));

    let xml = plain_xml("", "", "s").replace("<sandbox>true</sandbox>", "<sandbox>false</sandbox>");
    let p = parse_job("j", xml.as_bytes()).unwrap();
    assert_eq!(codes(&p), ["pipeline.sandbox-false"]);
}

#[test]
fn git_source_with_traits_and_timer() {
    let source = "<source class=\"jenkins.plugins.git.GitSCMSource\" plugin=\"git\"><id>p1</id><remote>https://g/x.git</remote>\
        <credentialsId>c</credentialsId><traits><jenkins.plugins.git.traits.BranchDiscoveryTrait/>\
        <jenkins.plugins.git.traits.CloneOptionTrait><extension class=\"hudson.plugins.git.extensions.impl.CloneOption\">\
        <shallow>true</shallow><noTags>false</noTags><honorRefspec>true</honorRefspec><reference/><timeout>-1</timeout><depth>x</depth>\
        </extension></jenkins.plugins.git.traits.CloneOptionTrait>\
        <jenkins.scm.impl.trait.RegexSCMHeadFilterTrait plugin=\"scm-api@2.4.0\"><regex>main|rel.*</regex></jenkins.scm.impl.trait.RegexSCMHeadFilterTrait>\
        <jenkins.plugins.git.traits.TagDiscoveryTrait/></traits></source>";
    let xml = multibranch_xml(source).replace(
        "<sources",
        "<triggers><com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger><spec>H/5 * * * *</spec>\
         <interval>600000</interval></com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger></triggers><sources",
    );
    let p = parse_job("g", xml.as_bytes()).unwrap();
    let m = multi(&p);
    assert_eq!(m.source_type, "git");
    assert_eq!(
        m.timer_trigger,
        Some(TimerTrigger {
            cron: String::new(),
            interval: "600000".into()
        })
    );
    assert_eq!(
        m.git_source,
        Some(GitSource {
            scm_id: String::new(),
            url: "https://g/x.git".into(),
            credential_id: "c".into(),
            discover_branches: true,
            git_clone_option: Some(GitCloneOption {
                shallow: true,
                timeout: -1,
                depth: 0
            }),
            regex_filter: "main|rel.*".into(),
        })
    );
    assert_eq!(m.description, "d");
    assert_eq!(m.discarder, None);
    assert_eq!(codes(&p), ["pipeline.trait-lost"]);
    assert!(p.findings[0].message.contains("TagDiscoveryTrait"));
}

#[test]
fn svn_and_single_svn_sources() {
    let svn = "<source class=\"jenkins.scm.impl.subversion.SubversionSCMSource\"><id>x</id><credentialsId>c</credentialsId>\
        <remoteBase>svn://h/r</remoteBase><includes>trunk,branches/*</includes><excludes/></source>";
    let p = parse_job("s", multibranch_xml(svn).as_bytes()).unwrap();
    assert_eq!(multi(&p).source_type, "svn");
    assert_eq!(
        multi(&p).svn_source,
        Some(SvnSource {
            scm_id: String::new(),
            remote: "svn://h/r".into(),
            credential_id: "c".into(),
            includes: "trunk,branches/*".into(),
            excludes: String::new(),
        })
    );
    let single = "<source class=\"jenkins.scm.impl.SingleSCMSource\"><id>x</id><name>master</name>\
        <scm class=\"hudson.scm.SubversionSCM\"><locations><hudson.scm.SubversionSCM_-ModuleLocation>\
        <remote>svn://h/trunk</remote><credentialsId>c2</credentialsId><local>.</local></hudson.scm.SubversionSCM_-ModuleLocation>\
        </locations></scm><quietOperation>true</quietOperation></source>";
    let p = parse_job("s", multibranch_xml(single).as_bytes()).unwrap();
    assert_eq!(multi(&p).source_type, "single_svn");
    assert_eq!(
        multi(&p).single_svn_source,
        Some(SingleSvnSource {
            scm_id: String::new(),
            remote: "svn://h/trunk".into(),
            credential_id: "c2".into()
        })
    );
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

fn github_with_trust(trust: &str) -> ParsedJob {
    let source = format!(
        "<source class=\"org.jenkinsci.plugins.github_branch_source.GitHubSCMSource\"><id/><credentialsId>c</credentialsId>\
         <repoOwner>o</repoOwner><repository>r</repository><apiUri>https://ghe/api/v3</apiUri><traits>\
         <org.jenkinsci.plugins.github__branch__source.ForkPullRequestDiscoveryTrait><strategyId>3</strategyId>\
         <trust class=\"{trust}\"/></org.jenkinsci.plugins.github__branch__source.ForkPullRequestDiscoveryTrait>\
         <jenkins.scm.impl.trait.RegexSCMHeadFilterTrait><regex>.*</regex></jenkins.scm.impl.trait.RegexSCMHeadFilterTrait>\
         </traits></source>"
    );
    parse_job("gh", multibranch_xml(&source).as_bytes()).unwrap()
}

#[test]
fn github_trust_codes() {
    let prefix = "org.jenkinsci.plugins.github_branch_source.ForkPullRequestDiscoveryTrait$";
    for (name, code) in [
        ("TrustContributors", 1),
        ("TrustEveryone", 2),
        ("TrustPermission", 3),
        ("TrustNobody", 4),
    ] {
        let p = github_with_trust(&format!("{prefix}{name}"));
        let s = multi(&p).github_source.clone().unwrap();
        assert_eq!(
            s.discover_pr_from_forks,
            Some(DiscoverPrFromForks {
                strategy: 3,
                trust: code
            }),
            "{name}"
        );
        assert_eq!(s.regex_filter, ".*");
        assert_eq!(s.api_uri, "https://ghe/api/v3");
        assert!(p.findings.is_empty(), "{name}: {:?}", p.findings);
    }
    // Unknown or bare `$` trust: the whole fork setting is dropped; regex still read.
    for trust in [format!("{prefix}TrustTeamForks"), prefix.to_owned()] {
        let p = github_with_trust(&trust);
        let s = multi(&p).github_source.clone().unwrap();
        assert_eq!(s.discover_pr_from_forks, None);
        assert_eq!(s.regex_filter, ".*");
        assert_eq!(codes(&p), ["pipeline.fork-trust-unsupported"]);
    }
    // No `$` at all: the v3.0 parser panics (index out of range).
    let p = github_with_trust("TrustEveryone");
    assert_eq!(
        multi(&p)
            .github_source
            .as_ref()
            .unwrap()
            .discover_pr_from_forks,
        None
    );
    assert!(has_manual_failure(&p, "has no `$`"));
}

fn bitbucket_with_trust(trust: &str) -> ParsedJob {
    // Written the way the v2.1 generator wrote it: a stray `>` after the branch trait's tags.
    let source = format!(
        "<source class=\"com.cloudbees.jenkins.plugins.bitbucket.BitbucketSCMSource\"><id>x</id><credentialsId>c</credentialsId>\
         <repoOwner>o</repoOwner><repository>r</repository><serverUrl>https://bb</serverUrl><traits>\
         <com.cloudbees.jenkins.plugins.bitbucket.BranchDiscoveryTrait>><strategyId>3</strategyId></com.cloudbees.jenkins.plugins.bitbucket.BranchDiscoveryTrait>&gt;\
         <com.cloudbees.jenkins.plugins.bitbucket.OriginPullRequestDiscoveryTrait><strategyId>2</strategyId></com.cloudbees.jenkins.plugins.bitbucket.OriginPullRequestDiscoveryTrait>\
         <com.cloudbees.jenkins.plugins.bitbucket.ForkPullRequestDiscoveryTrait><strategyId>1</strategyId>\
         <trust class=\"{trust}\"/></com.cloudbees.jenkins.plugins.bitbucket.ForkPullRequestDiscoveryTrait>\
         <jenkins.plugins.git.traits.CloneOptionTrait><extension class=\"hudson.plugins.git.extensions.impl.CloneOption\">\
         <shallow>false</shallow><noTags>false</noTags><honorRefspec>true</honorRefspec><reference/><timeout>10</timeout><depth>1</depth>\
         </extension></jenkins.plugins.git.traits.CloneOptionTrait></traits></source>"
    );
    parse_job("bb", multibranch_xml(&source).as_bytes()).unwrap()
}

#[test]
fn bitbucket_trust_codes_and_stray_gt() {
    let prefix = "com.cloudbees.jenkins.plugins.bitbucket.ForkPullRequestDiscoveryTrait$";
    for (name, code) in [
        ("TrustEveryone", 1),
        ("TrustTeamForks", 2),
        ("TrustNobody", 3),
    ] {
        let p = bitbucket_with_trust(&format!("{prefix}{name}"));
        assert_eq!(multi(&p).source_type, "bitbucket_server");
        assert_eq!(
            multi(&p).bitbucket_server_source,
            Some(GithubSource {
                scm_id: String::new(),
                owner: "o".into(),
                repo: "r".into(),
                credential_id: "c".into(),
                api_uri: "https://bb".into(),
                discover_branches: 3,
                discover_pr_from_origin: 2,
                discover_pr_from_forks: Some(DiscoverPrFromForks {
                    strategy: 1,
                    trust: code
                }),
                git_clone_option: Some(GitCloneOption {
                    shallow: false,
                    timeout: 10,
                    depth: 1
                }),
                regex_filter: String::new(),
            }),
            "{name}"
        );
        assert!(p.findings.is_empty(), "{name}: {:?}", p.findings);
    }
    let p = bitbucket_with_trust(&format!("{prefix}TrustContributors"));
    let s = multi(&p).bitbucket_server_source.clone().unwrap();
    assert_eq!(s.discover_pr_from_forks, None);
    assert!(s.git_clone_option.is_some());
    assert_eq!(
        codes(&p),
        [
            "pipeline.fork-trust-unsupported",
            "pipeline.round-trip-unstable"
        ]
    );
}

#[test]
fn github_clone_and_regex_need_a_fork_trait() {
    let source = "<source class=\"org.jenkinsci.plugins.github_branch_source.GitHubSCMSource\"><repoOwner>o</repoOwner><traits>\
        <org.jenkinsci.plugins.github__branch__source.BranchDiscoveryTrait><strategyId>1</strategyId></org.jenkinsci.plugins.github__branch__source.BranchDiscoveryTrait>\
        <jenkins.scm.impl.trait.RegexSCMHeadFilterTrait><regex>.*</regex></jenkins.scm.impl.trait.RegexSCMHeadFilterTrait></traits></source>";
    let p = parse_job("gh", multibranch_xml(source).as_bytes()).unwrap();
    let s = multi(&p).github_source.clone().unwrap();
    assert_eq!(
        s,
        GithubSource {
            owner: "o".into(),
            discover_branches: 1,
            ..GithubSource::default()
        }
    );
    assert_eq!(codes(&p), ["pipeline.trait-lost"]);
}

#[test]
fn multibranch_extra_sources_build_strategies_and_missing_script_path() {
    let source = "<source class=\"jenkins.plugins.git.GitSCMSource\"><remote>a</remote><traits/></source>\
        <buildStrategies><jenkins.branch.buildstrategies.basic.NamedBranchBuildStrategyImpl/></buildStrategies>";
    let xml = multibranch_xml(source)
        .replace(
            "</data>",
            "<jenkins.branch.BranchSource><source class=\"jenkins.plugins.git.GitSCMSource\"><remote>b</remote><traits/></source></jenkins.branch.BranchSource></data>",
        )
        .replace("<scriptPath>Jenkinsfile</scriptPath>", "");
    let p = parse_job("m", xml.as_bytes()).unwrap();
    let m = multi(&p);
    assert_eq!(m.git_source.as_ref().map(|g| g.url.as_str()), Some("a"));
    assert_eq!(m.script_path, "");
    assert_eq!(
        codes(&p),
        [
            "pipeline.v30-parser-fails",
            "pipeline.extra-branch-sources",
            "pipeline.build-strategy-lost"
        ]
    );
    assert!(has_manual_failure(&p, "<factory> has no <scriptPath>"));
}

#[test]
fn not_well_formed_is_an_error_naming_the_job() {
    let e = parse_job(
        "broken",
        b"<flow-definition><description></flow-definition>",
    )
    .unwrap_err();
    assert_eq!(e.job, "broken");
    assert!(e.to_string().contains("broken"));
}
