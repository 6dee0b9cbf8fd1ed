//! The KubeSphere v2.1.1 pipeline `config.xml` generators, `createPipelineConfigXml` and
//! `createMultiBranchPipelineConfigXml` (`docs/v21-sources.md` §3.4–3.5), as the bytes Jenkins
//! stores for a KubeSphere-created job (dialect 1), plus the Jenkins re-saved form of a plain
//! pipeline (dialect 2).
//!
//! Input is the v3.0 [`PipelineSpec`], whose fields are 1:1 with the v2.1 model. The generators
//! reproduce v2.1's element order and its defects: the GitHub trust class ending in `$` for an
//! unknown trust code, the Bitbucket `BranchDiscoveryTrait>` element name (a stray `&gt;`), the
//! single-svn elements appended to `source` instead of `scm`, and `<disabled>` inside `<triggers>`.

use ksdm_model::v30::{
    GitCloneOption, GitSource, GithubSource, MultiBranchPipeline, NoScmPipeline, Parameter,
    PipelineSpec, SingleSvnSource, SvnSource, TYPE_MULTI_BRANCH, TYPE_PIPELINE,
};
use ksdm_secret::SecretKey;
use rand::RngCore;

use crate::xml::{document, Dialect, El};

/// Why v2.1 would have refused to generate a job (`fmt.Errorf` or a nil dereference in Go).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// `spec.type` is neither `pipeline` nor `multi-branch-pipeline`, or its sub-object is missing.
    #[error("pipeline {name:?}: unsupported pipeline type {type_:?} or missing pipeline object")]
    UnsupportedType {
        /// Job name (empty when unknown).
        name: String,
        /// The `type` value.
        type_: String,
    },
    /// `source_type` is not one of the five v2.1 source types ("unsupport source type").
    #[error("multi-branch pipeline {name:?}: unsupported source type {source_type:?}")]
    UnsupportedSource {
        /// Job name.
        name: String,
        /// The `source_type` value.
        source_type: String,
    },
    /// `source_type` names a source whose object is absent (a nil dereference in v2.1).
    #[error("multi-branch pipeline {name:?}: source type {source_type:?} has no source object")]
    MissingSource {
        /// Job name.
        name: String,
        /// The `source_type` value.
        source_type: String,
    },
    /// The multibranch timer interval is not an integer (`strconv.ParseInt` failed).
    #[error("multi-branch pipeline {name:?}: timer interval {interval:?} is not an integer")]
    BadInterval {
        /// Job name.
        name: String,
        /// The interval text.
        interval: String,
    },
}

/// Java class of each supported parameter type (v2.1 `ParameterTypeMap`).
pub fn parameter_class(type_: &str) -> Option<&'static str> {
    Some(match type_ {
        "string" => "hudson.model.StringParameterDefinition",
        "choice" => "hudson.model.ChoiceParameterDefinition",
        "text" => "hudson.model.TextParameterDefinition",
        "boolean" => "hudson.model.BooleanParameterDefinition",
        "file" => "hudson.model.FileParameterDefinition",
        "password" => "hudson.model.PasswordParameterDefinition",
        _ => return None,
    })
}

/// v2.1 `toCrontab`: the `PeriodicFolderTrigger` spec written for a scan interval in milliseconds.
pub fn to_crontab(millis: i64) -> &'static str {
    const MIN: i128 = 60_000;
    let m = millis as i128;
    if m <= 5 * MIN {
        "* * * * *"
    } else if m <= 30 * MIN {
        "H/5 * * * *"
    } else if m <= 60 * MIN {
        "H/15 * * * *"
    } else if m <= 8 * 60 * MIN {
        "H/30 * * * *"
    } else if m <= 24 * 60 * MIN {
        "H H/4 * * *"
    } else if m <= 48 * 60 * MIN {
        "H H/12 * * *"
    } else {
        "H H * * *"
    }
}

/// Generates a job's `config.xml` as v2.1 would have created it for `spec` in project
/// `project_id` (dispatches on `spec.type`).
pub fn pipeline_config_xml(project_id: &str, spec: &PipelineSpec) -> Result<String, GenerateError> {
    match (
        spec.type_.as_str(),
        &spec.pipeline,
        &spec.multi_branch_pipeline,
    ) {
        (TYPE_PIPELINE, Some(p), _) => Ok(create_pipeline_config_xml(p)),
        (TYPE_MULTI_BRANCH, _, Some(m)) => create_multi_branch_pipeline_config_xml(project_id, m),
        _ => Err(GenerateError::UnsupportedType {
            name: spec
                .pipeline
                .as_ref()
                .map(|p| p.name.clone())
                .or_else(|| spec.multi_branch_pipeline.as_ref().map(|m| m.name.clone()))
                .unwrap_or_default(),
            type_: spec.type_.clone(),
        }),
    }
}

fn declarative_actions(plugin: &str) -> El {
    El::new("actions")
        .child(
            El::new("org.jenkinsci.plugins.pipeline.modeldefinition.actions.DeclarativeJobAction")
                .attr("plugin", plugin),
        )
        .child(
            El::new(
                "org.jenkinsci.plugins.pipeline.modeldefinition.actions.DeclarativeJobPropertyTrackerAction",
            )
            .attr("plugin", plugin)
            .child(El::new("jobProperties"))
            .child(El::new("triggers"))
            .child(El::new("parameters"))
            .child(El::new("options")),
        )
}

fn log_rotator(days: &str, num: &str) -> El {
    El::new("jenkins.model.BuildDiscarderProperty").child(
        El::new("strategy")
            .attr("class", "hudson.tasks.LogRotator")
            .child(El::text("daysToKeep", days))
            .child(El::text("numToKeep", num))
            .child(El::text("artifactDaysToKeep", "-1"))
            .child(El::text("artifactNumToKeep", "-1")),
    )
}

fn choice_values(default_value: &str) -> El {
    let mut a = El::new("a").attr("class", "string-array");
    for v in default_value.split('\n') {
        a.push_text("string", v);
    }
    El::new("choices")
        .attr("class", "java.util.Arrays$ArrayList")
        .child(a)
}

fn timer_property(cron: &str) -> El {
    El::new("org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty").child(
        El::new("triggers")
            .child(El::new("hudson.triggers.TimerTrigger").child(El::text("spec", cron))),
    )
}

/// The `<definition>` of a plain pipeline: the Jenkinsfile `script`, sandboxed, under the
/// `workflow-cps` plugin attribute `plugin`.
fn cps_definition(plugin: &str, script: &str) -> El {
    El::new("definition")
        .attr(
            "class",
            "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition",
        )
        .attr("plugin", plugin)
        .child(El::text("script", script))
        .child(El::text("sandbox", "true"))
}

/// v2.1 `createPipelineConfigXml`, stored by Jenkins (dialect 1).
pub fn create_pipeline_config_xml(p: &NoScmPipeline) -> String {
    let mut root = El::new("flow-definition").attr("plugin", "workflow-job");
    root.push(declarative_actions("pipeline-model-definition"));
    root.push_text("description", &p.description);
    let props = root.push(El::new("properties"));
    if p.disable_concurrent {
        props.push(El::new(
            "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty",
        ));
    }
    if let Some(d) = &p.discarder {
        props.push(log_rotator(&d.days_to_keep, &d.num_to_keep));
    }
    if !p.parameters.is_empty() {
        let defs = props
            .push(El::new("hudson.model.ParametersDefinitionProperty"))
            .push(El::new("parameterDefinitions"));
        for param in &p.parameters {
            // v2.1 silently skips a parameter whose type is not in ParameterTypeMap.
            let Some(class) = parameter_class(&param.type_) else {
                continue;
            };
            let mut def = El::new(class);
            def.push_text("name", &param.name);
            def.push_text("description", &param.description);
            match param.type_.as_str() {
                "choice" => {
                    def.push(choice_values(&param.default_value));
                }
                "file" => {}
                _ => def.push_text("defaultValue", &param.default_value),
            }
            defs.push(def);
        }
    }
    if let Some(t) = &p.timer_trigger {
        props.push(timer_property(&t.cron));
    }
    root.push(cps_definition("workflow-cps", &p.jenkinsfile));
    root.push(El::new("triggers"));
    if let Some(r) = &p.remote_trigger {
        root.push_text("authToken", &r.token);
    }
    root.push_text("disabled", "false");
    document(&root, Dialect::KubeSphere)
}

const MB_CLASS: &str = "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject";

fn owner(reference: &str) -> El {
    El::new("owner")
        .attr("class", MB_CLASS)
        .attr("reference", reference)
}

fn clone_option_trait(c: &GitCloneOption) -> El {
    let timeout = if c.timeout >= 0 { c.timeout } else { 10 };
    let depth = if c.depth >= 0 { c.depth } else { 1 };
    El::new("jenkins.plugins.git.traits.CloneOptionTrait").child(
        El::new("extension")
            .attr("class", "hudson.plugins.git.extensions.impl.CloneOption")
            .child(El::text(
                "shallow",
                if c.shallow { "true" } else { "false" },
            ))
            .child(El::text("noTags", "false"))
            .child(El::text("honorRefspec", "true"))
            .child(El::new("reference"))
            .child(El::text("timeout", &timeout.to_string()))
            .child(El::text("depth", &depth.to_string())),
    )
}

fn regex_trait(regex: &str) -> El {
    El::new("jenkins.scm.impl.trait.RegexSCMHeadFilterTrait")
        .attr("plugin", "scm-api@2.4.0")
        .child(El::text("regex", regex))
}

fn git_source(id: &str, s: &GitSource) -> El {
    let mut src = El::new("source")
        .attr("class", "jenkins.plugins.git.GitSCMSource")
        .attr("plugin", "git")
        .child(El::text("id", id))
        .child(El::text("remote", &s.url));
    if !s.credential_id.is_empty() {
        src.push_text("credentialsId", &s.credential_id);
    }
    let traits = src.push(El::new("traits"));
    if s.discover_branches {
        traits.push(El::new("jenkins.plugins.git.traits.BranchDiscoveryTrait"));
    }
    if let Some(c) = &s.git_clone_option {
        traits.push(clone_option_trait(c));
    }
    if !s.regex_filter.is_empty() {
        traits.push(regex_trait(&s.regex_filter));
    }
    src
}

/// Which of the two GitHub-shaped sources is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScmHost {
    GitHub,
    BitbucketServer,
}

fn github_like_source(id: &str, s: &GithubSource, host: ScmHost) -> El {
    let (class, plugin, trait_pkg, trust_prefix) = match host {
        ScmHost::GitHub => (
            "org.jenkinsci.plugins.github_branch_source.GitHubSCMSource",
            "github-branch-source",
            "org.jenkinsci.plugins.github__branch__source",
            "org.jenkinsci.plugins.github_branch_source.ForkPullRequestDiscoveryTrait$",
        ),
        ScmHost::BitbucketServer => (
            "com.cloudbees.jenkins.plugins.bitbucket.BitbucketSCMSource",
            "cloudbees-bitbucket-branch-source",
            "com.cloudbees.jenkins.plugins.bitbucket",
            "com.cloudbees.jenkins.plugins.bitbucket.ForkPullRequestDiscoveryTrait$",
        ),
    };
    let mut src = El::new("source")
        .attr("class", class)
        .attr("plugin", plugin)
        .child(El::text("id", id))
        .child(El::text("credentialsId", &s.credential_id))
        .child(El::text("repoOwner", &s.owner))
        .child(El::text("repository", &s.repo));
    match host {
        ScmHost::GitHub if !s.api_uri.is_empty() => src.push_text("apiUri", &s.api_uri),
        ScmHost::GitHub => {}
        ScmHost::BitbucketServer => src.push_text("serverUrl", &s.api_uri),
    }
    let traits = src.push(El::new("traits"));
    if s.discover_branches != 0 {
        // v2.1 defect: the Bitbucket element name carries a stray '>'.
        let name = match host {
            ScmHost::GitHub => format!("{trait_pkg}.BranchDiscoveryTrait"),
            ScmHost::BitbucketServer => format!("{trait_pkg}.BranchDiscoveryTrait>"),
        };
        traits.push(El::new(&name).child(El::text("strategyId", &s.discover_branches.to_string())));
    }
    if s.discover_pr_from_origin != 0 {
        traits.push(
            El::new(&format!("{trait_pkg}.OriginPullRequestDiscoveryTrait")).child(El::text(
                "strategyId",
                &s.discover_pr_from_origin.to_string(),
            )),
        );
    }
    if let Some(f) = &s.discover_pr_from_forks {
        let trust = match (host, f.trust) {
            (ScmHost::GitHub, 1) => "TrustContributors",
            (ScmHost::GitHub, 2) => "TrustEveryone",
            (ScmHost::GitHub, 3) => "TrustPermission",
            (ScmHost::GitHub, 4) => "TrustNobody",
            // v2.1.1 defect: an unknown code leaves the class ending in '$'.
            (ScmHost::GitHub, _) => "",
            (ScmHost::BitbucketServer, 2) => "TrustTeamForks",
            (ScmHost::BitbucketServer, 3) => "TrustNobody",
            (ScmHost::BitbucketServer, _) => "TrustEveryone",
        };
        traits.push(
            El::new(&format!("{trait_pkg}.ForkPullRequestDiscoveryTrait"))
                .child(El::text("strategyId", &f.strategy.to_string()))
                .child(El::new("trust").attr("class", &format!("{trust_prefix}{trust}"))),
        );
    }
    if let Some(c) = &s.git_clone_option {
        traits.push(clone_option_trait(c));
    }
    if !s.regex_filter.is_empty() {
        traits.push(regex_trait(&s.regex_filter));
    }
    src
}

fn svn_source(id: &str, s: &SvnSource) -> El {
    let mut src = El::new("source")
        .attr("class", "jenkins.scm.impl.subversion.SubversionSCMSource")
        .attr("plugin", "subversion")
        .child(El::text("id", id));
    for (name, value) in [
        ("credentialsId", &s.credential_id),
        ("remoteBase", &s.remote),
        ("includes", &s.includes),
        ("excludes", &s.excludes),
    ] {
        if !value.is_empty() {
            src.push_text(name, value);
        }
    }
    src
}

fn single_svn_source(id: &str, s: &SingleSvnSource) -> El {
    let mut location = El::new("hudson.scm.SubversionSCM_-ModuleLocation");
    if !s.remote.is_empty() {
        location.push_text("remote", &s.remote);
    }
    if !s.credential_id.is_empty() {
        location.push_text("credentialsId", &s.credential_id);
    }
    location.push_text("local", ".");
    location.push_text("depthOption", "infinity");
    location.push_text("ignoreExternalsOption", "true");
    location.push_text("cancelProcessOnExternalsFail", "true");
    El::new("source")
        .attr("class", "jenkins.scm.impl.SingleSCMSource")
        .attr("plugin", "scm-api")
        .child(El::text("id", id))
        .child(El::text("name", "master"))
        .child(
            El::new("scm")
                .attr("class", "hudson.scm.SubversionSCM")
                .attr("plugin", "subversion")
                .child(El::new("locations").child(location)),
        )
        // v2.1 defect: these belong to <scm> but are appended to <source>.
        .child(El::new("excludedRegions"))
        .child(El::new("includedRegions"))
        .child(El::new("excludedUsers"))
        .child(El::new("excludedRevprop"))
        .child(El::new("excludedCommitMessages"))
        .child(El::new("workspaceUpdater").attr("class", "hudson.scm.subversion.UpdateUpdater"))
        .child(El::text("ignoreDirPropChanges", "false"))
        .child(El::text("filterChangelog", "false"))
        .child(El::text("quietOperation", "true"))
}

fn source_element(project_id: &str, m: &MultiBranchPipeline) -> Result<El, GenerateError> {
    let id = format!("{project_id}{}", m.name);
    let missing = || GenerateError::MissingSource {
        name: m.name.clone(),
        source_type: m.source_type.clone(),
    };
    Ok(match m.source_type.as_str() {
        "git" => git_source(&id, m.git_source.as_ref().ok_or_else(missing)?),
        "github" => github_like_source(
            &id,
            m.github_source.as_ref().ok_or_else(missing)?,
            ScmHost::GitHub,
        ),
        "bitbucket_server" => github_like_source(
            &id,
            m.bitbucket_server_source.as_ref().ok_or_else(missing)?,
            ScmHost::BitbucketServer,
        ),
        "svn" => svn_source(&id, m.svn_source.as_ref().ok_or_else(missing)?),
        "single_svn" => single_svn_source(&id, m.single_svn_source.as_ref().ok_or_else(missing)?),
        other => {
            return Err(GenerateError::UnsupportedSource {
                name: m.name.clone(),
                source_type: other.to_owned(),
            })
        }
    })
}

/// v2.1 `createMultiBranchPipelineConfigXml(projectId, pipeline)`, stored by Jenkins (dialect 1).
/// The branch source id is `project_id + name`.
pub fn create_multi_branch_pipeline_config_xml(
    project_id: &str,
    m: &MultiBranchPipeline,
) -> Result<String, GenerateError> {
    // The template.
    let mut root = El::new(MB_CLASS).attr("plugin", "workflow-multibranch");
    root.push(El::new("actions"));
    root.push(
        El::new("properties").child(
            El::new("org.jenkinsci.plugins.pipeline.modeldefinition.config.FolderConfig")
                .attr("plugin", "pipeline-model-definition")
                .child(El::text("dockerLabel", ""))
                .child(El::new("registry").attr("plugin", "docker-commons")),
        ),
    );
    root.push(
        El::new("folderViews")
            .attr("class", "jenkins.branch.MultiBranchProjectViewHolder")
            .attr("plugin", "branch-api")
            .child(owner("../..")),
    );
    root.push(
        El::new("healthMetrics").child(
            El::new("com.cloudbees.hudson.plugins.folder.health.WorstChildHealthMetric")
                .attr("plugin", "cloudbees-folder")
                .child(El::text("nonRecursive", "false")),
        ),
    );
    root.push(
        El::new("icon")
            .attr("class", "jenkins.branch.MetadataActionFolderIcon")
            .attr("plugin", "branch-api")
            .child(owner("../..")),
    );
    // Appended by the generator.
    root.push_text("description", &m.description);
    if let Some(t) = &m.multibranch_job_trigger {
        if let Some(props) = root.child_mut("properties") {
            props.push(
                El::new("org.jenkinsci.plugins.workflow.multibranch.PipelineTriggerProperty")
                    .attr("plugin", "multibranch-action-triggers")
                    .child(El::text(
                        "createActionJobsToTrigger",
                        &t.create_action_job_to_trigger,
                    ))
                    .child(El::text(
                        "deleteActionJobsToTrigger",
                        &t.delete_action_job_to_trigger,
                    )),
            );
        }
    }
    if let Some(d) = &m.discarder {
        root.push(
            El::new("orphanedItemStrategy")
                .attr(
                    "class",
                    "com.cloudbees.hudson.plugins.folder.computed.DefaultOrphanedItemStrategy",
                )
                .attr("plugin", "cloudbees-folder")
                .child(El::text("pruneDeadBranches", "true"))
                .child(El::text("daysToKeep", &d.days_to_keep))
                .child(El::text("numToKeep", &d.num_to_keep)),
        );
    }
    let triggers = root.push(El::new("triggers"));
    if let Some(t) = &m.timer_trigger {
        let millis: i64 = t.interval.parse().map_err(|_| GenerateError::BadInterval {
            name: m.name.clone(),
            interval: t.interval.clone(),
        })?;
        triggers.push(
            El::new("com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger")
                .attr("plugin", "cloudbees-folder")
                .child(El::text("spec", to_crontab(millis)))
                .child(El::text("interval", &t.interval)),
        );
        // v2.1 defect: <disabled> lands inside <triggers>, and only with a timer.
        triggers.push_text("disabled", "false");
    }
    let source = source_element(project_id, m)?;
    root.push(
        El::new("sources")
            .attr(
                "class",
                "jenkins.branch.MultiBranchProject$BranchSourceList",
            )
            .attr("plugin", "branch-api")
            .child(owner("../.."))
            .child(
                El::new("data").child(
                    El::new("jenkins.branch.BranchSource")
                        .child(
                            El::new("strategy")
                                .attr(
                                    "class",
                                    "jenkins.branch.NamedExceptionsBranchPropertyStrategy",
                                )
                                .child(El::new("defaultProperties").attr("class", "empty-list"))
                                .child(El::new("namedExceptions").attr("class", "empty-list")),
                        )
                        .child(source),
                ),
            ),
    );
    root.push(
        El::new("factory")
            .attr(
                "class",
                "org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory",
            )
            .child(owner("../.."))
            .child(El::text("scriptPath", &m.script_path)),
    );
    Ok(document(&root, Dialect::KubeSphere))
}

/// Foreign settings a user added in the Jenkins UI before Jenkins re-saved a plain pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResaveOptions {
    /// Adds `hudson.plugins.jira.JiraProjectProperty` (jira plugin), as a Jira-enabled Jenkins does.
    pub jira_project_property: bool,
    /// Adds `com.coravy.hudson.plugins.github.GithubProjectProperty` with this project URL.
    pub github_project_url: Option<String>,
    /// Adds `<quietPeriod>` (seconds) after `<triggers>`.
    pub quiet_period: Option<u32>,
}

fn int_or_minus_one(s: &str) -> String {
    s.trim()
        .parse::<i64>()
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "-1".to_owned())
}

/// The same plain pipeline after an edit in the Jenkins UI (XStream re-save, dialect 2):
/// single-quoted declaration, versioned plugin attributes, `<description>` before
/// `<keepDependencies>` and `<properties>`, `<trim>false</trim>` on string and text parameters,
/// the password default encrypted with `key` (IV from `rng`), and `<disabled>false</disabled>`.
pub fn jenkins_resaved<R: RngCore + ?Sized>(
    p: &NoScmPipeline,
    opts: &ResaveOptions,
    key: &SecretKey,
    rng: &mut R,
) -> String {
    let mut root = El::new("flow-definition").attr("plugin", "workflow-job@2.32");
    root.push(declarative_actions("pipeline-model-definition@1.3.9"));
    root.push_text("description", &p.description);
    root.push_text("keepDependencies", "false");
    let props = root.push(El::new("properties"));
    if opts.jira_project_property {
        props.push(El::new("hudson.plugins.jira.JiraProjectProperty").attr("plugin", "jira@3.0.8"));
    }
    if let Some(url) = &opts.github_project_url {
        props.push(
            El::new("com.coravy.hudson.plugins.github.GithubProjectProperty")
                .attr("plugin", "github@1.29.4")
                .child(El::text("projectUrl", url))
                .child(El::text("displayName", "")),
        );
    }
    if p.disable_concurrent {
        props.push(El::new(
            "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty",
        ));
    }
    if let Some(d) = &p.discarder {
        props.push(log_rotator(
            &int_or_minus_one(&d.days_to_keep),
            &int_or_minus_one(&d.num_to_keep),
        ));
    }
    if !p.parameters.is_empty() {
        let defs = props
            .push(El::new("hudson.model.ParametersDefinitionProperty"))
            .push(El::new("parameterDefinitions"));
        for param in &p.parameters {
            if let Some(def) = resaved_parameter(param, key, rng) {
                defs.push(def);
            }
        }
    }
    if let Some(t) = &p.timer_trigger {
        props.push(timer_property(&t.cron));
    }
    root.push(cps_definition("workflow-cps@2.73", &p.jenkinsfile));
    root.push(El::new("triggers"));
    if let Some(q) = opts.quiet_period {
        root.push_text("quietPeriod", &q.to_string());
    }
    if let Some(r) = &p.remote_trigger {
        root.push_text("authToken", &r.token);
    }
    root.push_text("disabled", "false");
    document(&root, Dialect::XStream)
}

fn resaved_parameter<R: RngCore + ?Sized>(
    param: &Parameter,
    key: &SecretKey,
    rng: &mut R,
) -> Option<El> {
    let class = parameter_class(&param.type_)?;
    let mut def = El::new(class);
    def.push_text("name", &param.name);
    def.push_text("description", &param.description);
    match param.type_.as_str() {
        "string" | "text" => {
            def.push_text("defaultValue", &param.default_value);
            def.push_text("trim", "false");
        }
        "boolean" => {
            let b = param.default_value.trim() == "true";
            def.push_text("defaultValue", if b { "true" } else { "false" });
        }
        "password" => {
            let mut iv = [0u8; 16];
            rng.fill_bytes(&mut iv);
            def.push_text(
                "defaultValue",
                &ksdm_secret::encrypt_new_format(key, &param.default_value, iv),
            );
        }
        "choice" => {
            def.push(choice_values(&param.default_value));
        }
        _ => {}
    }
    Some(def)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksdm_model::v30::{
        Discarder, DiscoverPrFromForks, MultibranchJobTrigger, RemoteTrigger, TimerTrigger,
    };

    #[test]
    fn crontab_table() {
        assert_eq!(to_crontab(60_000), "* * * * *");
        assert_eq!(to_crontab(300_000), "* * * * *");
        assert_eq!(to_crontab(300_001), "H/5 * * * *");
        assert_eq!(to_crontab(1_800_000), "H/5 * * * *");
        assert_eq!(to_crontab(3_600_000), "H/15 * * * *");
        assert_eq!(to_crontab(28_800_000), "H/30 * * * *");
        assert_eq!(to_crontab(86_400_000), "H H/4 * * *");
        assert_eq!(to_crontab(172_800_000), "H H/12 * * *");
        assert_eq!(to_crontab(172_800_001), "H H * * *");
        assert_eq!(to_crontab(i64::MAX), "H H * * *");
    }

    #[test]
    fn plain_pipeline_golden() {
        let p = NoScmPipeline {
            name: "demo".into(),
            description: "d".into(),
            discarder: Some(Discarder {
                days_to_keep: "7".into(),
                num_to_keep: "10".into(),
            }),
            parameters: vec![
                Parameter {
                    name: "C".into(),
                    default_value: "a\nb".into(),
                    type_: "choice".into(),
                    description: String::new(),
                },
                Parameter {
                    name: "F".into(),
                    type_: "file".into(),
                    ..Default::default()
                },
            ],
            disable_concurrent: true,
            timer_trigger: Some(TimerTrigger {
                cron: "H * * * *".into(),
                interval: String::new(),
            }),
            remote_trigger: Some(RemoteTrigger {
                token: "tok".into(),
            }),
            jenkinsfile: "echo 1".into(),
        };
        let xml = create_pipeline_config_xml(&p);
        let expected = r#"<?xml version="1.1" encoding="UTF-8"?><flow-definition plugin="workflow-job">
  <actions>
    <org.jenkinsci.plugins.pipeline.modeldefinition.actions.DeclarativeJobAction plugin="pipeline-model-definition"/>
    <org.jenkinsci.plugins.pipeline.modeldefinition.actions.DeclarativeJobPropertyTrackerAction plugin="pipeline-model-definition">
      <jobProperties/>
      <triggers/>
      <parameters/>
      <options/>
    </org.jenkinsci.plugins.pipeline.modeldefinition.actions.DeclarativeJobPropertyTrackerAction>
  </actions>
  <description>d</description>
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>
    <jenkins.model.BuildDiscarderProperty>
      <strategy class="hudson.tasks.LogRotator">
        <daysToKeep>7</daysToKeep>
        <numToKeep>10</numToKeep>
        <artifactDaysToKeep>-1</artifactDaysToKeep>
        <artifactNumToKeep>-1</artifactNumToKeep>
      </strategy>
    </jenkins.model.BuildDiscarderProperty>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.ChoiceParameterDefinition>
          <name>C</name>
          <description/>
          <choices class="java.util.Arrays$ArrayList">
            <a class="string-array">
              <string>a</string>
              <string>b</string>
            </a>
          </choices>
        </hudson.model.ChoiceParameterDefinition>
        <hudson.model.FileParameterDefinition>
          <name>F</name>
          <description/>
        </hudson.model.FileParameterDefinition>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
    <org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
      <triggers>
        <hudson.triggers.TimerTrigger>
          <spec>H * * * *</spec>
        </hudson.triggers.TimerTrigger>
      </triggers>
    </org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>echo 1</script>
    <sandbox>true</sandbox>
  </definition>
  <triggers/>
  <authToken>tok</authToken>
  <disabled>false</disabled>
</flow-definition>"#;
        assert_eq!(xml, expected);
    }

    #[test]
    fn minimal_plain_pipeline_has_no_optional_elements() {
        let xml = create_pipeline_config_xml(&NoScmPipeline {
            name: "x".into(),
            ..Default::default()
        });
        assert!(
            xml.contains("  <description/>\n  <properties/>\n  <definition"),
            "{xml}"
        );
        assert!(xml.contains("<script/>"));
        assert!(!xml.contains("authToken"));
        assert!(xml.ends_with("  <triggers/>\n  <disabled>false</disabled>\n</flow-definition>"));
    }

    fn mb(source_type: &str) -> MultiBranchPipeline {
        MultiBranchPipeline {
            name: "mb".into(),
            source_type: source_type.into(),
            script_path: "Jenkinsfile".into(),
            ..Default::default()
        }
    }

    #[test]
    fn multibranch_git_golden_order() {
        let mut m = mb("git");
        m.description = "desc".into();
        m.discarder = Some(Discarder {
            days_to_keep: "7".into(),
            num_to_keep: "5".into(),
        });
        m.timer_trigger = Some(TimerTrigger {
            cron: String::new(),
            interval: "3600000".into(),
        });
        m.multibranch_job_trigger = Some(MultibranchJobTrigger {
            create_action_job_to_trigger: "a".into(),
            delete_action_job_to_trigger: String::new(),
        });
        m.git_source = Some(GitSource {
            url: "https://git.example.com/r.git".into(),
            credential_id: "c".into(),
            discover_branches: true,
            git_clone_option: Some(GitCloneOption {
                shallow: true,
                timeout: -1,
                depth: -3,
            }),
            regex_filter: ".*".into(),
            ..Default::default()
        });
        let xml = create_multi_branch_pipeline_config_xml("project-AbC", &m).unwrap();
        let expected = r#"<?xml version="1.1" encoding="UTF-8"?><org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject plugin="workflow-multibranch">
  <actions/>
  <properties>
    <org.jenkinsci.plugins.pipeline.modeldefinition.config.FolderConfig plugin="pipeline-model-definition">
      <dockerLabel/>
      <registry plugin="docker-commons"/>
    </org.jenkinsci.plugins.pipeline.modeldefinition.config.FolderConfig>
    <org.jenkinsci.plugins.workflow.multibranch.PipelineTriggerProperty plugin="multibranch-action-triggers">
      <createActionJobsToTrigger>a</createActionJobsToTrigger>
      <deleteActionJobsToTrigger/>
    </org.jenkinsci.plugins.workflow.multibranch.PipelineTriggerProperty>
  </properties>
  <folderViews class="jenkins.branch.MultiBranchProjectViewHolder" plugin="branch-api">
    <owner class="org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject" reference="../.."/>
  </folderViews>
  <healthMetrics>
    <com.cloudbees.hudson.plugins.folder.health.WorstChildHealthMetric plugin="cloudbees-folder">
      <nonRecursive>false</nonRecursive>
    </com.cloudbees.hudson.plugins.folder.health.WorstChildHealthMetric>
  </healthMetrics>
  <icon class="jenkins.branch.MetadataActionFolderIcon" plugin="branch-api">
    <owner class="org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject" reference="../.."/>
  </icon>
  <description>desc</description>
  <orphanedItemStrategy class="com.cloudbees.hudson.plugins.folder.computed.DefaultOrphanedItemStrategy" plugin="cloudbees-folder">
    <pruneDeadBranches>true</pruneDeadBranches>
    <daysToKeep>7</daysToKeep>
    <numToKeep>5</numToKeep>
  </orphanedItemStrategy>
  <triggers>
    <com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger plugin="cloudbees-folder">
      <spec>H/15 * * * *</spec>
      <interval>3600000</interval>
    </com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger>
    <disabled>false</disabled>
  </triggers>
  <sources class="jenkins.branch.MultiBranchProject$BranchSourceList" plugin="branch-api">
    <owner class="org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject" reference="../.."/>
    <data>
      <jenkins.branch.BranchSource>
        <strategy class="jenkins.branch.NamedExceptionsBranchPropertyStrategy">
          <defaultProperties class="empty-list"/>
          <namedExceptions class="empty-list"/>
        </strategy>
        <source class="jenkins.plugins.git.GitSCMSource" plugin="git">
          <id>project-AbCmb</id>
          <remote>https://git.example.com/r.git</remote>
          <credentialsId>c</credentialsId>
          <traits>
            <jenkins.plugins.git.traits.BranchDiscoveryTrait/>
            <jenkins.plugins.git.traits.CloneOptionTrait>
              <extension class="hudson.plugins.git.extensions.impl.CloneOption">
                <shallow>true</shallow>
                <noTags>false</noTags>
                <honorRefspec>true</honorRefspec>
                <reference/>
                <timeout>10</timeout>
                <depth>1</depth>
              </extension>
            </jenkins.plugins.git.traits.CloneOptionTrait>
            <jenkins.scm.impl.trait.RegexSCMHeadFilterTrait plugin="scm-api@2.4.0">
              <regex>.*</regex>
            </jenkins.scm.impl.trait.RegexSCMHeadFilterTrait>
          </traits>
        </source>
      </jenkins.branch.BranchSource>
    </data>
  </sources>
  <factory class="org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory">
    <owner class="org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject" reference="../.."/>
    <scriptPath>Jenkinsfile</scriptPath>
  </factory>
</org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject>"#;
        assert_eq!(xml, expected);
    }

    #[test]
    fn github_unknown_trust_ends_in_dollar_and_no_timer_means_no_disabled() {
        let mut m = mb("github");
        m.github_source = Some(GithubSource {
            owner: "o".into(),
            repo: "r".into(),
            discover_branches: 1,
            discover_pr_from_forks: Some(DiscoverPrFromForks {
                strategy: 2,
                trust: 9,
            }),
            ..Default::default()
        });
        let xml = create_multi_branch_pipeline_config_xml("p", &m).unwrap();
        assert!(xml.contains(
            r#"<trust class="org.jenkinsci.plugins.github_branch_source.ForkPullRequestDiscoveryTrait$"/>"#
        ));
        assert!(xml.contains("<credentialsId/>\n          <repoOwner>o</repoOwner>"));
        assert!(!xml.contains("apiUri"));
        assert!(xml.contains("  <triggers/>\n  <sources"));
        assert!(!xml.contains("<disabled>"));
    }

    #[test]
    fn bitbucket_stray_gt_and_trust_mapping() {
        let mut m = mb("bitbucket_server");
        m.bitbucket_server_source = Some(GithubSource {
            owner: "o".into(),
            repo: "r".into(),
            api_uri: "https://bb.example.com".into(),
            discover_branches: 1,
            discover_pr_from_origin: 2,
            discover_pr_from_forks: Some(DiscoverPrFromForks {
                strategy: 2,
                trust: 7,
            }),
            ..Default::default()
        });
        let xml = create_multi_branch_pipeline_config_xml("p", &m).unwrap();
        assert!(xml.contains(
            "<com.cloudbees.jenkins.plugins.bitbucket.BranchDiscoveryTrait>&gt;\n              <strategyId>1</strategyId>\n            </com.cloudbees.jenkins.plugins.bitbucket.BranchDiscoveryTrait>&gt;\n"
        ), "{xml}");
        assert!(xml.contains("<serverUrl>https://bb.example.com</serverUrl>"));
        assert!(xml.contains("ForkPullRequestDiscoveryTrait$TrustEveryone"));
    }

    #[test]
    fn single_svn_misplaced_elements_and_svn_optional_elements() {
        let mut m = mb("single_svn");
        m.single_svn_source = Some(SingleSvnSource {
            remote: "svn://x/trunk".into(),
            ..Default::default()
        });
        let xml = create_multi_branch_pipeline_config_xml("p", &m).unwrap();
        let scm_end = xml.find("</scm>").unwrap();
        let excluded = xml.find("<excludedRegions/>").unwrap();
        assert!(excluded > scm_end);
        assert!(xml.contains("<remote>svn://x/trunk</remote>\n                <local>.</local>"));

        let mut s = mb("svn");
        s.svn_source = Some(SvnSource {
            remote: "svn://x".into(),
            excludes: "old".into(),
            ..Default::default()
        });
        let xml = create_multi_branch_pipeline_config_xml("p", &s).unwrap();
        assert!(xml.contains("<id>pmb</id>\n          <remoteBase>svn://x</remoteBase>\n          <excludes>old</excludes>\n        </source>"), "{xml}");
    }

    #[test]
    fn generator_errors() {
        assert!(matches!(
            create_multi_branch_pipeline_config_xml("p", &mb("gitlab")),
            Err(GenerateError::UnsupportedSource { .. })
        ));
        assert!(matches!(
            create_multi_branch_pipeline_config_xml("p", &mb("git")),
            Err(GenerateError::MissingSource { .. })
        ));
        let mut m = mb("svn");
        m.svn_source = Some(SvnSource::default());
        m.timer_trigger = Some(TimerTrigger {
            cron: String::new(),
            interval: "5m".into(),
        });
        assert!(matches!(
            create_multi_branch_pipeline_config_xml("p", &m),
            Err(GenerateError::BadInterval { .. })
        ));
        let spec = PipelineSpec {
            type_: "pipeline".into(),
            ..Default::default()
        };
        assert!(matches!(
            pipeline_config_xml("p", &spec),
            Err(GenerateError::UnsupportedType { .. })
        ));
    }
}
