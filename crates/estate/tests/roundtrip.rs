//! A spec written by the v2.1 generator parses back (with ksdm-source's reproduction of the v3.0
//! parser) to the same spec, once the documented v3.0 parse quirks are applied to the expectation:
//! password default = parameter name, choice values joined and trimmed, file parameters without a
//! default, `scm_id` never read, GitHub/Bitbucket clone option and regex read only with a fork
//! trait. Generated text avoids CR and control characters (XML end-of-line handling and XML 1.0
//! rules change those) and uses only values the generator writes unchanged (valid trust codes,
//! non-negative clone numbers, integer scan intervals).

use ksdm_estate::{
    create_multi_branch_pipeline_config_xml, create_pipeline_config_xml, jenkins_resaved,
    ResaveOptions,
};
use ksdm_model::v21::JobClass;
use ksdm_model::v30::{
    Discarder, DiscoverPrFromForks, GitCloneOption, GitSource, GithubSource, MultiBranchPipeline,
    MultibranchJobTrigger, NoScmPipeline, Parameter, PipelineSpec, RemoteTrigger, SingleSvnSource,
    SvnSource, TimerTrigger, TYPE_MULTI_BRANCH, TYPE_PIPELINE,
};
use proptest::prelude::*;
use rand::SeedableRng;

/// Text as users type it: ASCII with XML-special characters, some non-ASCII, newlines and tabs.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[a-zA-Z0-9 _.,:;/=+*?!$#@%^(){}\\[\\]|~`'\"<>&\\-\\n\\t部署✓äß]{0,40}",
    )
    .expect("regex")
}

fn word() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9][-a-zA-Z0-9_]{0,20}").expect("regex")
}

fn opt_text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), text()]
}

fn discarder() -> impl Strategy<Value = Option<Discarder>> {
    proptest::option::of((opt_text(), opt_text()).prop_map(|(d, n)| Discarder {
        days_to_keep: d,
        num_to_keep: n,
    }))
}

fn parameter() -> impl Strategy<Value = Parameter> {
    (
        word(),
        prop::sample::select(vec![
            "string", "choice", "text", "boolean", "file", "password",
        ]),
        opt_text(),
        opt_text(),
    )
        .prop_map(|(name, t, default_value, description)| Parameter {
            name,
            type_: t.to_owned(),
            default_value,
            description,
        })
}

fn plain() -> impl Strategy<Value = NoScmPipeline> {
    (
        word(),
        opt_text(),
        discarder(),
        prop::collection::vec(parameter(), 0..5),
        any::<bool>(),
        proptest::option::of(opt_text()),
        proptest::option::of(opt_text()),
        proptest::string::string_regex(
            "(pipeline \\{\n  echo \"[a-z<>&'\\]部署 ✓]{0,20}\"\n\\}\n|null\n|[a-z ]{0,10})",
        )
        .expect("regex"),
    )
        .prop_map(
            |(
                name,
                description,
                discarder,
                parameters,
                disable_concurrent,
                cron,
                token,
                jenkinsfile,
            )| {
                NoScmPipeline {
                    name,
                    description,
                    discarder,
                    parameters,
                    disable_concurrent,
                    timer_trigger: cron.map(|cron| TimerTrigger {
                        cron,
                        interval: String::new(),
                    }),
                    remote_trigger: token.map(|token| RemoteTrigger { token }),
                    jenkinsfile,
                }
            },
        )
}

fn clone_option() -> impl Strategy<Value = Option<GitCloneOption>> {
    proptest::option::of((any::<bool>(), 0i64..120, 0i64..50).prop_map(
        |(shallow, timeout, depth)| GitCloneOption {
            shallow,
            timeout,
            depth,
        },
    ))
}

fn github_like(max_trust: i64) -> impl Strategy<Value = GithubSource> {
    (
        (opt_text(), opt_text(), opt_text(), opt_text()),
        (0i64..4, 0i64..4),
        proptest::option::of((0i64..4, 1i64..=max_trust)),
        clone_option(),
        opt_text(),
    )
        .prop_map(
            |(
                (owner, repo, credential_id, api_uri),
                (b, o),
                forks,
                git_clone_option,
                regex_filter,
            )| GithubSource {
                scm_id: String::new(),
                owner,
                repo,
                credential_id,
                api_uri,
                discover_branches: b,
                discover_pr_from_origin: o,
                discover_pr_from_forks: forks
                    .map(|(strategy, trust)| DiscoverPrFromForks { strategy, trust }),
                git_clone_option,
                regex_filter,
            },
        )
}

#[derive(Debug, Clone)]
enum Source {
    Git(GitSource),
    GitHub(GithubSource),
    Bitbucket(GithubSource),
    Svn(SvnSource),
    SingleSvn(SingleSvnSource),
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        (
            opt_text(),
            opt_text(),
            any::<bool>(),
            clone_option(),
            opt_text()
        )
            .prop_map(
                |(url, credential_id, discover_branches, git_clone_option, regex_filter)| {
                    Source::Git(GitSource {
                        scm_id: String::new(),
                        url,
                        credential_id,
                        discover_branches,
                        git_clone_option,
                        regex_filter,
                    })
                }
            ),
        github_like(4).prop_map(Source::GitHub),
        github_like(3).prop_map(Source::Bitbucket),
        (opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
            |(remote, credential_id, includes, excludes)| {
                Source::Svn(SvnSource {
                    scm_id: String::new(),
                    remote,
                    credential_id,
                    includes,
                    excludes,
                })
            }
        ),
        (opt_text(), opt_text()).prop_map(|(remote, credential_id)| Source::SingleSvn(
            SingleSvnSource {
                scm_id: String::new(),
                remote,
                credential_id
            }
        )),
    ]
}

fn multibranch() -> impl Strategy<Value = MultiBranchPipeline> {
    (
        word(),
        opt_text(),
        discarder(),
        proptest::option::of(0i64..400_000_000),
        source(),
        opt_text(),
        proptest::option::of((opt_text(), opt_text())),
    )
        .prop_map(
            |(name, description, discarder, interval, source, script_path, trigger)| {
                let mut m = MultiBranchPipeline {
                    name,
                    description,
                    discarder,
                    timer_trigger: interval.map(|i| TimerTrigger {
                        cron: String::new(),
                        interval: i.to_string(),
                    }),
                    script_path,
                    multibranch_job_trigger: trigger.map(|(c, d)| MultibranchJobTrigger {
                        create_action_job_to_trigger: c,
                        delete_action_job_to_trigger: d,
                    }),
                    ..Default::default()
                };
                match source {
                    Source::Git(s) => {
                        m.source_type = "git".into();
                        m.git_source = Some(s);
                    }
                    Source::GitHub(s) => {
                        m.source_type = "github".into();
                        m.github_source = Some(s);
                    }
                    Source::Bitbucket(s) => {
                        m.source_type = "bitbucket_server".into();
                        m.bitbucket_server_source = Some(s);
                    }
                    Source::Svn(s) => {
                        m.source_type = "svn".into();
                        m.svn_source = Some(s);
                    }
                    Source::SingleSvn(s) => {
                        m.source_type = "single_svn".into();
                        m.single_svn_source = Some(s);
                    }
                }
                m
            },
        )
}

/// The spec the v3.0 parser reads back from what the v2.1 generator wrote for `p`.
fn expected_plain(p: &NoScmPipeline) -> NoScmPipeline {
    let mut e = p.clone();
    for param in &mut e.parameters {
        match param.type_.as_str() {
            "password" => param.default_value = param.name.clone(),
            "file" => param.default_value.clear(),
            "choice" => param.default_value = param.default_value.trim().to_owned(),
            _ => {}
        }
    }
    e
}

fn expected_github_like(s: &mut GithubSource) {
    if s.discover_pr_from_forks.is_none() {
        s.git_clone_option = None;
        s.regex_filter.clear();
    }
}

fn expected_multibranch(m: &MultiBranchPipeline) -> MultiBranchPipeline {
    let mut e = m.clone();
    if let Some(s) = e.github_source.as_mut() {
        expected_github_like(s);
    }
    if let Some(s) = e.bitbucket_server_source.as_mut() {
        expected_github_like(s);
    }
    e
}

fn parse(name: &str, xml: &str) -> PipelineSpec {
    let parsed = ksdm_convert::v30_parse::parse_job(name, xml.as_bytes())
        .expect("generated XML is well-formed");
    parsed.spec.expect("a pipeline job")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn plain_pipeline_round_trips(p in plain()) {
        let xml = create_pipeline_config_xml(&p);
        let parsed = ksdm_convert::v30_parse::parse_job(&p.name, xml.as_bytes()).expect("well-formed");
        prop_assert_eq!(parsed.class, JobClass::WorkflowJob);
        let expected = PipelineSpec { type_: TYPE_PIPELINE.into(), pipeline: Some(expected_plain(&p)), multi_branch_pipeline: None };
        prop_assert_eq!(parsed.spec, Some(expected));
    }

    #[test]
    fn multibranch_pipeline_round_trips(m in multibranch(), project in "project-[a-zA-Z0-9]{12}") {
        let xml = create_multi_branch_pipeline_config_xml(&project, &m).expect("generates");
        let expected = PipelineSpec {
            type_: TYPE_MULTI_BRANCH.into(),
            pipeline: None,
            multi_branch_pipeline: Some(expected_multibranch(&m)),
        };
        prop_assert_eq!(parse(&m.name, &xml), expected);
    }

    #[test]
    fn jenkins_resaved_pipeline_round_trips(p in plain(), seed in any::<u64>()) {
        // Jenkins stores the discarder as integers and booleans as true/false.
        let mut p = p;
        if let Some(d) = p.discarder.as_mut() {
            d.days_to_keep = "7".into();
            d.num_to_keep = "-1".into();
        }
        for param in &mut p.parameters {
            if param.type_ == "boolean" {
                param.default_value = if param.default_value.len() % 2 == 0 { "true".into() } else { "false".into() };
            }
        }
        let key = ksdm_secret::SecretKey::from_bytes([7u8; 16]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let xml = jenkins_resaved(&p, &ResaveOptions { jira_project_property: true, ..Default::default() }, &key, &mut rng);
        let expected = PipelineSpec { type_: TYPE_PIPELINE.into(), pipeline: Some(expected_plain(&p)), multi_branch_pipeline: None };
        prop_assert_eq!(parse(&p.name, &xml), expected);
    }
}

#[test]
fn sample_jobs_parse_as_expected_classes() {
    let dir = tempfile::tempdir().expect("tempdir");
    ksdm_estate::write_sample(dir.path()).expect("sample");
    let jobs = dir
        .path()
        .join("jenkins_home/jobs/project-W4zNlwJLzgRB/jobs");
    let read = |n: &str| std::fs::read(jobs.join(n).join("config.xml")).expect("config.xml");
    let parse_bytes = |n: &str| ksdm_convert::v30_parse::parse_job(n, &read(n));
    assert_eq!(
        parse_bytes("build-app").expect("parses").class,
        JobClass::WorkflowJob
    );
    assert_eq!(
        parse_bytes("api-gateway").expect("parses").class,
        JobClass::WorkflowMultiBranchProject
    );
    assert!(matches!(
        parse_bytes("legacy-freestyle").expect("parses").class,
        JobClass::Other(_)
    ));
    assert!(
        parse_bytes("broken-job").is_err(),
        "the truncated config.xml must not parse"
    );
    let scm = parse_bytes("infra-from-scm")
        .expect("parses")
        .spec
        .expect("spec");
    assert_eq!(scm.pipeline.expect("plain").jenkinsfile, "");
}
