//! What a v3.0 controller rewrite of a pipeline job would drop (`docs/v30-objects.md` §7.2,
//! §7.3), as findings with stable codes.
//!
//! The controller leaves a job alone while the Pipeline spec equals its parse; the losses below
//! happen on the first rewrite — after any later edit of the Pipeline in KubeSphere, or whenever
//! the spec cannot match. Every message names the element or class concerned.

use ksdm_model::v30::{GithubSource, MultiBranchPipeline, NoScmPipeline, PipelineSpec};
use ksdm_model::Finding;

use crate::v30_parse::{source_class, tag, PARAMETER_TYPES};
use ksdm_jenkins_xml::class::definition;
use ksdm_jenkins_xml::dom::Element;

// When these losses happen is the same for all of them (the controller keeps the Jenkins job as
// it is while the Pipeline spec matches; any later edit of the Pipeline in KubeSphere regenerates
// config.xml without the setting). The report explains it once per code in its glossary, so the
// messages only say what is lost.

/// Appends the loss findings for one job whose root is `root` and whose v3.0 parse is `spec`.
pub fn report(job: &str, root: &Element, spec: &PipelineSpec, out: &mut Vec<Finding>) {
    if let Some(p) = &spec.pipeline {
        plain(job, root, p, out);
    }
    if let Some(m) = &spec.multi_branch_pipeline {
        multibranch(job, root, m, out);
    }
    carriage_returns(job, spec, out);
}

fn lost(out: &mut Vec<Finding>, code: &str, job: &str, what: String) {
    out.push(Finding::warning(code, format!("job `{job}`: {what}")));
}

/// Root children the plain-pipeline generator writes (or that carry nothing).
const PLAIN_ROOT_KEPT: [&str; 8] = [
    "actions",
    "description",
    "keepDependencies",
    "properties",
    "definition",
    "triggers",
    "authToken",
    "disabled",
];

fn plain(job: &str, flow: &Element, p: &NoScmPipeline, out: &mut Vec<Finding>) {
    // Definition.
    match flow.child_raw("definition") {
        None => lost(
            out,
            "pipeline.definition-missing",
            job,
            "config.xml has no <definition>; the rewrite writes an empty inline script".to_owned(),
        ),
        Some(def) => {
            let class = def.attr("class").unwrap_or("");
            if class == definition::CPS_SCM {
                lost(
                    out,
                    "pipeline.scm-definition-lost",
                    job,
                    format!(
                        "the Jenkinsfile comes from SCM (\"Pipeline script from SCM\", definition class `{class}`); v3.0 parses it as an empty jenkinsfile and a rewrite turns it into an empty inline script"
                    ),
                );
            } else if class != definition::CPS {
                lost(
                    out,
                    "pipeline.definition-unsupported",
                    job,
                    format!(
                        "the pipeline definition class `{class}` is not an inline CpsFlowDefinition; a rewrite replaces it with an inline script"
                    ),
                );
            } else if def.child_raw("sandbox").map(|s| s.text.trim()) == Some("false") {
                lost(out, "pipeline.sandbox-false", job, "the inline script runs outside the Groovy sandbox (<sandbox>false</sandbox>); a rewrite forces sandbox to true".to_owned());
            }
        }
    }

    // Properties.
    if let Some(properties) = flow.child_raw("properties") {
        for prop in &properties.children {
            match prop.raw_name.as_str() {
                tag::DISABLE_CONCURRENT | tag::PARAMETERS => {}
                tag::BUILD_DISCARDER => discarder(job, prop, out),
                tag::PIPELINE_TRIGGERS => {
                    if let Some(triggers) = prop.child_raw("triggers") {
                        for t in triggers
                            .children
                            .iter()
                            .filter(|t| t.raw_name != tag::TIMER_TRIGGER)
                        {
                            lost(
                                out,
                                "pipeline.trigger-lost",
                                job,
                                format!("the build trigger `{}` is not modelled in v3.0", t.name),
                            );
                        }
                        if triggers.children_named(tag::TIMER_TRIGGER).count() > 1 {
                            lost(
                                out,
                                "pipeline.trigger-lost",
                                job,
                                "only the first hudson.triggers.TimerTrigger is kept".to_owned(),
                            );
                        }
                    }
                }
                _ => property_lost(out, job, prop, "job property"),
            }
        }
    }
    // Legacy root <triggers>.
    if let Some(triggers) = flow.child_raw("triggers") {
        for t in &triggers.children {
            lost(
                out,
                "pipeline.trigger-lost",
                job,
                format!(
                    "the build trigger `{}` (in the job's <triggers>) is not modelled in v3.0",
                    t.name
                ),
            );
        }
    }
    if flow.child_raw("disabled").map(|d| d.text.trim()) == Some("true") {
        lost(
            out,
            "pipeline.disabled-lost",
            job,
            "the job is disabled; a rewrite writes <disabled>false</disabled>".to_owned(),
        );
    }
    if flow.child_raw("keepDependencies").map(|d| d.text.trim()) == Some("true") {
        lost(
            out,
            "pipeline.setting-lost",
            job,
            "<keepDependencies>true</keepDependencies> is not modelled in v3.0".to_owned(),
        );
    }
    for child in flow
        .children
        .iter()
        .filter(|c| !PLAIN_ROOT_KEPT.contains(&c.raw_name.as_str()))
    {
        lost(
            out,
            "pipeline.setting-lost",
            job,
            format!("the job setting <{}> is not modelled in v3.0", child.name),
        );
    }

    // Parameters.
    for param in &p.parameters {
        if !PARAMETER_TYPES.iter().any(|(_, t)| *t == param.type_) {
            lost(
                out,
                "pipeline.parameter-type-unsupported",
                job,
                format!(
                    "parameter `{}` has the class `{}`, which v3.0 does not support (parsed as type `{}` with default \"unknown\")",
                    param.name, param.type_, param.type_
                ),
            );
            out.push(Finding::warning(
                "pipeline.round-trip-unstable",
                format!("job `{job}`: parameter `{}` of class `{}` is parsed but cannot be written back; once the controller rewrites the job it differs from the spec again on every reconcile and is rewritten each time", param.name, param.type_),
            ));
        }
        if param.type_ == "password" {
            lost(
                out,
                "pipeline.password-default",
                job,
                format!(
                    "password parameter `{}`: a rewrite replaces its real (encrypted) default value with the text `{}` (the v3.0 parser reads the name as the default)",
                    param.name, param.name
                ),
            );
        }
    }
    parameter_settings(job, flow, p, out);
}

/// A property the generator does not write: lost, unless it configures nothing (then Jenkins
/// behaves the same without it, and it is only a note).
fn property_lost(out: &mut Vec<Finding>, job: &str, prop: &Element, what: &str) {
    match inert_because(prop) {
        Some(why) => out.push(Finding::info(
            "pipeline.inert-property-dropped",
            format!(
                "job `{job}`: the {what} `{}` configures nothing ({why}); a rewrite drops it without changing what Jenkins does",
                prop.name
            ),
        )),
        None => lost(
            out,
            "pipeline.property-lost",
            job,
            format!("the {what} `{}` is not modelled in v3.0{}", prop.name, settings_summary(prop)),
        ),
    }
}

/// Why a plugin property configures nothing, for the properties known to be inert in these
/// states; `None` when it (may) configure something.
fn inert_because(prop: &Element) -> Option<String> {
    let text = |name: &str| prop.child_raw(name).map(|e| e.text.trim().to_owned());
    let false_or_absent =
        |name: &str| matches!(text(name).as_deref(), None | Some("false") | Some(""));
    let empty = |name: &str| {
        prop.child_raw(name)
            .is_none_or(|e| e.children.is_empty() && e.text.trim().is_empty())
    };
    let short = prop.raw_name.rsplit('.').next().unwrap_or(&prop.raw_name);
    let only = |allowed: &[&str]| {
        prop.children
            .iter()
            .all(|c| allowed.contains(&c.raw_name.as_str()))
    };
    match short {
        "DatadogJobProperty"
            if only(&[
                "emitOnCheckout",
                "enableFile",
                "enableProperty",
                "tagFile",
                "tagProperties",
            ]) && prop
                .children
                .iter()
                .all(|c| matches!(c.text.trim(), "" | "false")) =>
        {
            Some("emitOnCheckout=false, no tags".into())
        }
        "RebuildSettings"
            if only(&["autoRebuild", "rebuildDisabled"])
                && false_or_absent("autoRebuild")
                && false_or_absent("rebuildDisabled") =>
        {
            Some("autoRebuild and rebuildDisabled are false".into())
        }
        "ThrottleJobProperty" if false_or_absent("throttleEnabled") => {
            Some("throttleEnabled=false".into())
        }
        "ScannerJobProperty" if only(&["doNotScan"]) && false_or_absent("doNotScan") => {
            Some("doNotScan=false".into())
        }
        "KubernetesFolderProperty" if only(&["permittedClouds"]) && empty("permittedClouds") => {
            Some("no permitted clouds".into())
        }
        "JiraProjectProperty" if only(&["siteName"]) && empty("siteName") => {
            Some("no Jira site".into())
        }
        "GitLabConnectionProperty"
            if only(&[
                "gitLabConnection",
                "jobCredentialId",
                "useAlternativeCredential",
            ]) && empty("gitLabConnection")
                && empty("jobCredentialId")
                && false_or_absent("useAlternativeCredential") =>
        {
            Some("no GitLab connection".into())
        }
        "GithubProjectProperty"
            if only(&["projectUrl", "displayName"])
                && empty("projectUrl")
                && empty("displayName") =>
        {
            Some("no project URL".into())
        }
        "LeastLoadDisabledProperty"
            if only(&["leastLoadDisabled"]) && false_or_absent("leastLoadDisabled") =>
        {
            Some("leastLoadDisabled=false".into())
        }
        _ => None,
    }
}

/// ` (a=1, b=x)`: the property's simple settings, so the finding names what is lost.
fn settings_summary(prop: &Element) -> String {
    let parts: Vec<String> = prop
        .children
        .iter()
        .filter(|c| c.children.is_empty() && !c.text.trim().is_empty())
        .take(4)
        .map(|c| {
            let v = c.text.trim();
            let v = if v.chars().count() > 40 {
                format!("{}…", v.chars().take(40).collect::<String>())
            } else {
                v.to_owned()
            };
            format!("{}={v}", c.name)
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Parameter settings a rewrite changes: a string parameter's `trim`, choice values that the
/// v3.0 parser trims (leading/trailing spaces of the list) or drops (empty first/last choices).
fn parameter_settings(job: &str, flow: &Element, p: &NoScmPipeline, out: &mut Vec<Finding>) {
    let Some(defs) = flow
        .child_raw("properties")
        .and_then(|ps| ps.child_raw(tag::PARAMETERS))
        .and_then(|pp| pp.child_raw("parameterDefinitions"))
    else {
        return;
    };
    for def in &defs.children {
        let name = def.child_raw("name").map(|e| e.text.as_str()).unwrap_or("");
        if def.raw_name == "hudson.model.StringParameterDefinition"
            && def.child_raw("trim").map(|e| e.text.trim()) == Some("true")
        {
            lost(
                out,
                "pipeline.parameter-trim-lost",
                job,
                format!("string parameter `{name}` has trim=true (leading and trailing spaces removed from the value); a rewrite drops it"),
            );
        }
        if def.raw_name == "hudson.model.ChoiceParameterDefinition" {
            let Some(choices) = def.child_raw("choices") else {
                continue;
            };
            let list = choices.child_raw("a").unwrap_or(choices);
            let original: Vec<&str> = list
                .children
                .iter()
                .filter(|c| c.raw_name == "string")
                .map(|c| c.text.as_str())
                .collect();
            let Some(parsed) = p
                .parameters
                .iter()
                .find(|x| x.name == name && x.type_ == "choice")
            else {
                continue;
            };
            let rewritten: Vec<&str> = if parsed.default_value.is_empty() {
                Vec::new()
            } else {
                parsed.default_value.split('\n').collect()
            };
            if original != rewritten {
                lost(
                    out,
                    "pipeline.choice-values-changed",
                    job,
                    format!("choice parameter `{name}`: the choices {original:?} become {rewritten:?} (the v3.0 parser trims the list, dropping empty first/last choices and outer spaces)"),
                );
            }
        }
    }
}

fn discarder(job: &str, prop: &Element, out: &mut Vec<Finding>) {
    let Some(strategy) = prop.child_raw("strategy") else {
        return;
    };
    let class = strategy.attr("class").unwrap_or("");
    if class != definition::LOG_ROTATOR {
        lost(
            out,
            "pipeline.discarder-lost",
            job,
            format!("the build discarder strategy `{class}` is not a LogRotator"),
        );
        return;
    }
    for name in ["artifactDaysToKeep", "artifactNumToKeep"] {
        if let Some(v) = strategy.child_raw(name).map(|e| e.text.trim()) {
            if v != "-1" && !v.is_empty() {
                lost(
                    out,
                    "pipeline.discarder-artifacts-lost",
                    job,
                    format!("LogRotator <{name}> is {v}; a rewrite forces -1"),
                );
            }
        }
    }
}

/// Root children the multibranch generator writes (or that carry nothing).
const MB_ROOT_KEPT: [&str; 11] = [
    "actions",
    "description",
    "properties",
    "folderViews",
    "healthMetrics",
    "icon",
    "orphanedItemStrategy",
    "triggers",
    "disabled",
    "sources",
    "factory",
];

const FOLDER_CONFIGS: [&str; 2] = [
    "org.jenkinsci.plugins.pipeline.modeldefinition.config.FolderConfig",
    "org.jenkinsci.plugins.docker.workflow.declarative.FolderConfig",
];

fn multibranch(job: &str, project: &Element, m: &MultiBranchPipeline, out: &mut Vec<Finding>) {
    if let Some(properties) = project.child_raw("properties") {
        for prop in &properties.children {
            let raw = prop.raw_name.as_str();
            if FOLDER_CONFIGS.contains(&raw) {
                let label = prop
                    .child_raw("dockerLabel")
                    .map(|e| e.text.trim())
                    .unwrap_or("");
                let registry = prop
                    .child_raw("registry")
                    .is_some_and(|r| !r.children.is_empty());
                if !label.is_empty() || registry {
                    lost(
                        out,
                        "pipeline.docker-label-lost",
                        job,
                        format!(
                            "the Declarative Docker label/registry in `{}` is reset to empty",
                            prop.name
                        ),
                    );
                }
            } else if raw == tag::MB_JOB_TRIGGER {
                for (name, default) in [
                    ("actionJobsToTriggerOnRunDelete", ""),
                    ("quitePeriod", "0"),
                    ("branchIncludeFilter", "*"),
                    ("branchExcludeFilter", ""),
                ] {
                    if let Some(v) = prop.child_raw(name).map(|e| e.text.trim()) {
                        if v != default {
                            lost(
                                out,
                                "pipeline.trigger-setting-lost",
                                job,
                                format!(
                                    "PipelineTriggerProperty <{name}> = `{v}` is not modelled in v3.0"
                                ),
                            );
                        }
                    }
                }
                if prop
                    .child_raw("additionalParameters")
                    .is_some_and(|a| !a.children.is_empty())
                {
                    lost(
                        out,
                        "pipeline.trigger-setting-lost",
                        job,
                        "PipelineTriggerProperty <additionalParameters> are not modelled in v3.0"
                            .to_owned(),
                    );
                }
            } else {
                property_lost(out, job, prop, "folder property");
            }
        }
    }
    health_and_icon(job, project, out);
    if let Some(orphaned) = project.child_raw("orphanedItemStrategy") {
        let class = orphaned.attr("class").unwrap_or("");
        if class != definition::DEFAULT_ORPHANED_ITEM_STRATEGY {
            lost(
                out,
                "pipeline.orphaned-strategy-lost",
                job,
                format!(
                    "the orphaned item strategy `{class}` is replaced by DefaultOrphanedItemStrategy"
                ),
            );
        }
        if orphaned
            .child_raw("pruneDeadBranches")
            .map(|e| e.text.trim())
            == Some("false")
        {
            lost(
                out,
                "pipeline.orphaned-strategy-lost",
                job,
                "<pruneDeadBranches>false</pruneDeadBranches>: a rewrite forces true".to_owned(),
            );
        }
        if orphaned.child_raw("abortBuilds").map(|e| e.text.trim()) == Some("true") {
            lost(
                out,
                "pipeline.orphaned-strategy-lost",
                job,
                "<abortBuilds>true</abortBuilds> is not modelled in v3.0".to_owned(),
            );
        }
    }
    if let Some(triggers) = project.child_raw("triggers") {
        for t in triggers
            .children
            .iter()
            .filter(|t| t.raw_name != tag::PERIODIC_FOLDER_TRIGGER && t.raw_name != "disabled")
        {
            lost(
                out,
                "pipeline.trigger-lost",
                job,
                format!("the trigger `{}` is not modelled in v3.0", t.name),
            );
        }
    }
    if project.child_raw("disabled").map(|d| d.text.trim()) == Some("true") {
        lost(
            out,
            "pipeline.disabled-lost",
            job,
            "the multibranch job is disabled; a rewrite enables it".to_owned(),
        );
    }
    for child in project
        .children
        .iter()
        .filter(|c| !MB_ROOT_KEPT.contains(&c.raw_name.as_str()))
    {
        lost(
            out,
            "pipeline.setting-lost",
            job,
            format!("the job setting <{}> is not modelled in v3.0", child.name),
        );
    }

    // Sources.
    if let Some(data) = project
        .child_raw("sources")
        .and_then(|s| s.child_raw("data"))
    {
        let sources: Vec<&Element> = data
            .children
            .iter()
            .filter(|c| c.raw_name == tag::BRANCH_SOURCE)
            .collect();
        for extra in sources.iter().skip(1) {
            let class = extra
                .child_raw("source")
                .and_then(|s| s.attr("class"))
                .unwrap_or("");
            lost(
                out,
                "pipeline.extra-branch-sources",
                job,
                format!(
                    "only the first branch source is kept; the additional source `{class}` is dropped"
                ),
            );
        }
        for other in data
            .children
            .iter()
            .filter(|c| c.raw_name != tag::BRANCH_SOURCE)
        {
            lost(
                out,
                "pipeline.extra-branch-sources",
                job,
                format!(
                    "the branch source entry `{}` is not modelled in v3.0",
                    other.name
                ),
            );
        }
        if let Some(first) = sources.first() {
            branch_source(job, first, m, out);
        }
    }
    match project.child_raw("factory") {
        Some(factory) => {
            let class = factory.attr("class").unwrap_or("");
            if class != definition::WORKFLOW_BRANCH_PROJECT_FACTORY {
                lost(
                    out,
                    "pipeline.factory-unsupported",
                    job,
                    format!(
                        "the project factory `{class}` is replaced by WorkflowBranchProjectFactory"
                    ),
                );
            }
        }
        None => lost(
            out,
            "pipeline.factory-unsupported",
            job,
            "config.xml has no <factory>".to_owned(),
        ),
    }
}

/// The generator always writes one `WorstChildHealthMetric` (`nonRecursive` false) and a
/// `MetadataActionFolderIcon`; anything else is reset by a rewrite.
fn health_and_icon(job: &str, project: &Element, out: &mut Vec<Finding>) {
    const WORST_CHILD: &str = "com.cloudbees.hudson.plugins.folder.health.WorstChildHealthMetric";
    if let Some(metrics) = project.child_raw("healthMetrics") {
        let is_default = metrics.children.len() == 1
            && metrics.children[0].raw_name == WORST_CHILD
            && metrics.children[0]
                .child_raw("nonRecursive")
                .map(|e| e.text.trim())
                .unwrap_or("false")
                == "false";
        if !is_default {
            let names: Vec<String> = metrics
                .children
                .iter()
                .map(|m| {
                    let short = m.name.rsplit('.').next().unwrap_or(&m.name).to_string();
                    match m.child_raw("nonRecursive").map(|e| e.text.trim()) {
                        Some("true") => format!("{short} (nonRecursive)"),
                        _ => short,
                    }
                })
                .collect();
            let have = if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            };
            lost(
                out,
                "pipeline.health-metrics-reset",
                job,
                format!("the health metrics ({have}) are reset to WorstChildHealthMetric"),
            );
        }
    }
    if let Some(icon) = project.child_raw("icon") {
        let class = icon.attr("class").unwrap_or("");
        if class != "jenkins.branch.MetadataActionFolderIcon" {
            lost(
                out,
                "pipeline.icon-reset",
                job,
                format!("the folder icon `{class}` is reset to MetadataActionFolderIcon"),
            );
        }
    }
}

fn branch_source(job: &str, bs: &Element, m: &MultiBranchPipeline, out: &mut Vec<Finding>) {
    if let Some(strategy) = bs.child_raw("strategy") {
        let has_props = strategy
            .children
            .iter()
            .any(|c| c.raw_name != "owner" && !c.children.is_empty());
        if has_props {
            lost(
                out,
                "pipeline.branch-property-strategy-lost",
                job,
                format!(
                    "branch property strategy `{}` has branch properties (e.g. suppress SCM triggering); a rewrite writes an empty NamedExceptionsBranchPropertyStrategy",
                    strategy.attr("class").unwrap_or("")
                ),
            );
        }
    }
    if let Some(build) = bs.child_raw("buildStrategies") {
        for s in &build.children {
            lost(
                out,
                "pipeline.build-strategy-lost",
                job,
                format!("the build strategy `{}` is not modelled in v3.0", s.name),
            );
        }
    }
    let Some(source) = bs.child_raw("source") else {
        return;
    };
    let class = source.attr("class").unwrap_or("");
    let kept: &[&str] = match class {
        source_class::GIT => &[
            tag::GIT_BRANCH_DISCOVERY,
            tag::CLONE_OPTION,
            tag::REGEX_FILTER,
        ],
        source_class::GITHUB => &[
            tag::GH_BRANCH_DISCOVERY,
            tag::GH_ORIGIN_PR,
            tag::GH_FORK_PR,
            tag::CLONE_OPTION,
            tag::REGEX_FILTER,
        ],
        source_class::BITBUCKET => &[
            tag::BB_BRANCH_DISCOVERY,
            tag::BB_ORIGIN_PR,
            tag::BB_FORK_PR,
            tag::CLONE_OPTION,
            tag::REGEX_FILTER,
        ],
        source_class::SVN | source_class::SINGLE_SVN => &[],
        _ => {
            out.push(Finding::warning(
                "pipeline.source-unsupported",
                format!("job `{job}`: the branch source class `{class}` has no v3.0 source type (v3.0 knows git, GitHub, Bitbucket Server, Subversion and single-branch Subversion; GitLab arrived in 3.1): the spec gets source_type \"\", which the controller accepts while it matches the job, but the v3.0 generator refuses it (\"unsupport source type\"), so any later edit of this Pipeline in KubeSphere fails and the job cannot be changed from KubeSphere"),
            ));
            return;
        }
    };
    if let Some(traits) = source.child_raw("traits") {
        for t in traits
            .children
            .iter()
            .filter(|t| !kept.contains(&t.raw_name.as_str()))
        {
            lost(
                out,
                "pipeline.trait-lost",
                job,
                format!("the source trait `{}` is not modelled in v3.0", t.name),
            );
        }
        if let Some(ext) = traits
            .child_raw(tag::CLONE_OPTION)
            .and_then(|c| c.child_raw("extension"))
        {
            clone_extras(job, ext, out);
        }
    }
    let gh_like: Option<(&GithubSource, &str)> = match class {
        source_class::GITHUB => m.github_source.as_ref().map(|s| (s, tag::GH_FORK_PR)),
        source_class::BITBUCKET => m
            .bitbucket_server_source
            .as_ref()
            .map(|s| (s, tag::BB_FORK_PR)),
        _ => None,
    };
    if let (Some((s, fork_tag)), Some(traits)) = (gh_like, source.child_raw("traits")) {
        let fork = traits.child_raw(fork_tag);
        if fork.is_none() {
            for t in [tag::CLONE_OPTION, tag::REGEX_FILTER] {
                if traits.child_raw(t).is_some() {
                    lost(
                        out,
                        "pipeline.trait-lost",
                        job,
                        format!(
                            "the trait `{t}` is ignored by the v3.0 parser without a fork pull-request trait"
                        ),
                    );
                }
            }
        } else if s.discover_pr_from_forks.is_none() {
            let trust = match fork.and_then(|f| f.child_raw("trust")) {
                None => format!(
                    "<{fork_tag}> has no <trust>, so the fork pull-request trust is unknown"
                ),
                Some(t) => format!(
                    "the fork pull-request trust `{}` is not one v3.0 knows",
                    t.attr("class").unwrap_or("")
                ),
            };
            lost(
                out,
                "pipeline.fork-trust-unsupported",
                job,
                format!("{trust}: fork pull-request discovery is dropped from the spec"),
            );
            if s.git_clone_option.is_some() {
                out.push(Finding::warning(
                    "pipeline.round-trip-unstable",
                    format!("job `{job}`: clone options are parsed while the fork pull-request trait is dropped; the generated config.xml has no fork trait, so after a rewrite the clone options are no longer parsed and the job is rewritten on every reconcile"),
                ));
            }
        }
    }
}

fn clone_extras(job: &str, ext: &Element, out: &mut Vec<Finding>) {
    for (name, default) in [("noTags", "false"), ("honorRefspec", "true")] {
        if let Some(v) = ext.child_raw(name).map(|e| e.text.trim()) {
            if v != default {
                lost(
                    out,
                    "pipeline.clone-option-lost",
                    job,
                    format!("clone option <{name}> = {v}; a rewrite writes {default}"),
                );
            }
        }
    }
    if ext
        .child_raw("reference")
        .is_some_and(|e| !e.text.trim().is_empty())
    {
        lost(
            out,
            "pipeline.clone-option-lost",
            job,
            "clone option <reference> is not modelled in v3.0".to_owned(),
        );
    }
}

/// A CR (from `&#xd;`) in a parsed string: the generator writes it raw, and the next read turns
/// it into LF.
fn carriage_returns(job: &str, spec: &PipelineSpec, out: &mut Vec<Finding>) {
    let mut fields: Vec<(&str, &str)> = Vec::new();
    if let Some(p) = &spec.pipeline {
        fields.push(("description", &p.description));
        fields.push(("jenkinsfile", &p.jenkinsfile));
        for param in &p.parameters {
            fields.push(("parameter", &param.name));
            fields.push(("parameter default", &param.default_value));
            fields.push(("parameter description", &param.description));
        }
    }
    if let Some(m) = &spec.multi_branch_pipeline {
        fields.push(("description", &m.description));
        fields.push(("script_path", &m.script_path));
    }
    for (what, value) in fields {
        if value.contains('\r') {
            // Only line endings change: a note, not a loss.
            out.push(Finding::info(
                "pipeline.round-trip-unstable",
                format!("job `{job}`: the {what} holds a carriage return written as `&#xd;`; the v3.0 generator writes it back raw, it reads back as a line feed, and once rewritten the job is rewritten on every reconcile"),
            ));
        }
    }
}
