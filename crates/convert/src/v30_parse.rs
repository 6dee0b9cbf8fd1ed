//! Pipeline job `config.xml` → v3.0 [`PipelineSpec`], exactly as the KubeSphere v3.0.0
//! controller's parser reads it (`docs/v30-objects.md` §7.1, §7.3; Go
//! `pkg/simple/client/devops/jenkins/pipeline_internal.go`, `github.com/beevik/etree` v1.1.0).
//!
//! The spec this module produces is the "no-op" spec: equal to what the controller parses from the
//! job, so it does not rewrite the job. Where the Go parser would panic or return an error, this
//! reader still reads the data and adds a [`Severity::Manual`](ksdm_model::Severity) finding
//! (`pipeline.v30-parser-fails`). What a rewrite would drop is reported by
//! [`super::pipeline_losses`].
//!
//! Go semantics reproduced:
//! * element lookup by the tag *as written* (XStream-escaped), first match, any order;
//! * `Text()` = the character data before the first child element or comment;
//! * the first-line `1.1` → `1.0` rewrite, before parsing;
//! * `strconv.Atoi` (errors ignored → 0, overflow clamps), `ParseInt(…, 10, 32)` and `ParseBool`
//!   (errors leave the field unset);
//! * sub-objects present (even empty) exactly when their element exists.

use std::borrow::Cow;

use ksdm_model::v21::JobClass;
use ksdm_model::v30::{
    Discarder, DiscoverPrFromForks, GitCloneOption, GitSource, GithubSource, MultiBranchPipeline,
    MultibranchJobTrigger, NoScmPipeline, Parameter, PipelineSpec, RemoteTrigger, SingleSvnSource,
    SvnSource, TimerTrigger, TYPE_MULTI_BRANCH, TYPE_PIPELINE,
};
use ksdm_model::Finding;

use crate::v30_losses as pipeline_losses;
use ksdm_jenkins_xml::dom::{self, Document, Element, XmlError};

/// Root element of a plain pipeline job (`org.jenkinsci.plugins.workflow.job.WorkflowJob`).
pub const WORKFLOW_JOB_ROOT: &str = ksdm_jenkins_xml::class::item::WORKFLOW_JOB_ROOT;
/// Root element (and class) of a multibranch pipeline job.
pub const MULTIBRANCH_ROOT: &str = ksdm_jenkins_xml::class::item::MULTIBRANCH;

/// Source classes the v3.0 parser dispatches on (`source/@class`).
pub use ksdm_jenkins_xml::class::source as source_class;

/// Raw (as written) element names the v3.0 parser looks up.
pub(crate) mod tag {
    pub const DISABLE_CONCURRENT: &str =
        "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty";
    pub const BUILD_DISCARDER: &str = "jenkins.model.BuildDiscarderProperty";
    pub const PARAMETERS: &str = "hudson.model.ParametersDefinitionProperty";
    pub const PIPELINE_TRIGGERS: &str =
        "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty";
    pub const TIMER_TRIGGER: &str = "hudson.triggers.TimerTrigger";
    pub const MB_JOB_TRIGGER: &str =
        "org.jenkinsci.plugins.workflow.multibranch.PipelineTriggerProperty";
    pub const PERIODIC_FOLDER_TRIGGER: &str =
        "com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger";
    pub const BRANCH_SOURCE: &str = "jenkins.branch.BranchSource";
    pub const GIT_BRANCH_DISCOVERY: &str = "jenkins.plugins.git.traits.BranchDiscoveryTrait";
    pub const CLONE_OPTION: &str = "jenkins.plugins.git.traits.CloneOptionTrait";
    pub const REGEX_FILTER: &str = "jenkins.scm.impl.trait.RegexSCMHeadFilterTrait";
    pub const GH_BRANCH_DISCOVERY: &str =
        "org.jenkinsci.plugins.github__branch__source.BranchDiscoveryTrait";
    pub const GH_ORIGIN_PR: &str =
        "org.jenkinsci.plugins.github__branch__source.OriginPullRequestDiscoveryTrait";
    pub const GH_FORK_PR: &str =
        "org.jenkinsci.plugins.github__branch__source.ForkPullRequestDiscoveryTrait";
    pub const BB_BRANCH_DISCOVERY: &str =
        "com.cloudbees.jenkins.plugins.bitbucket.BranchDiscoveryTrait";
    pub const BB_ORIGIN_PR: &str =
        "com.cloudbees.jenkins.plugins.bitbucket.OriginPullRequestDiscoveryTrait";
    pub const BB_FORK_PR: &str =
        "com.cloudbees.jenkins.plugins.bitbucket.ForkPullRequestDiscoveryTrait";
    pub const SVN_MODULE_LOCATION: &str = "hudson.scm.SubversionSCM_-ModuleLocation";
}

/// Parameter element → v3.0 `type` (`ParameterTypeMap`).
pub const PARAMETER_TYPES: [(&str, &str); 6] = [
    ("hudson.model.StringParameterDefinition", "string"),
    ("hudson.model.ChoiceParameterDefinition", "choice"),
    ("hudson.model.TextParameterDefinition", "text"),
    ("hudson.model.BooleanParameterDefinition", "boolean"),
    ("hudson.model.FileParameterDefinition", "file"),
    ("hudson.model.PasswordParameterDefinition", "password"),
];

/// The result of reading one job's `config.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedJob {
    /// Job kind from the root element.
    pub class: JobClass,
    /// The v3.0 spec as the v3.0 parser reads it; `None` for other job classes.
    pub spec: Option<PipelineSpec>,
    /// Parser failures of v3.0 (Manual), losses on rewrite (Warning) and notes (Info).
    pub findings: Vec<Finding>,
}

/// Code of the finding that says the v3.0 parser cannot read the job (panic or error).
pub const V30_PARSER_FAILS: &str = "pipeline.v30-parser-fails";

impl ParsedJob {
    /// Whether the v3.0 controller would panic or fail on this job: a Pipeline object must
    /// never be created for it (a panic takes down ks-controller-manager; an error requeues
    /// forever). Jobs of other classes are not Pipelines at all and are not counted here.
    pub fn v30_unreadable(&self) -> bool {
        self.findings.iter().any(|f| f.code == V30_PARSER_FAILS)
    }

    /// The reasons the v3.0 parser fails on this job (one per element or byte), in order.
    pub fn v30_failures(&self) -> impl Iterator<Item = &ksdm_model::Finding> {
        self.findings.iter().filter(|f| f.code == V30_PARSER_FAILS)
    }
}

/// A pipeline `config.xml` that is not well-formed XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pipeline job `{job}`: config.xml cannot be read: {source}")]
pub struct PipelineXmlError {
    /// Job name.
    pub job: String,
    /// The XML error.
    #[source]
    pub source: XmlError,
}

/// Places where the v3.0 parser panics or errors, described (element paths).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V30Failures(pub Vec<String>);

impl V30Failures {
    fn missing(&mut self, parent: &str, child: &str) {
        self.0.push(format!("<{parent}> has no <{child}> element"));
    }
}

/// Reads one job's `config.xml`. `job_name` is the Jenkins item name (= `metadata.name`).
///
/// Errors only when the XML is not well-formed; everything else becomes findings.
pub fn parse_job(job_name: &str, xml: &[u8]) -> Result<ParsedJob, PipelineXmlError> {
    let rewrite = first_line_rewrite(xml);
    let doc = dom::parse_document(&rewrite.bytes).map_err(|source| PipelineXmlError {
        job: job_name.to_owned(),
        source,
    })?;
    let mut fails = V30Failures::default();
    prolog_failures(&doc, &mut fails);

    let root = &doc.root;
    let (class, spec) = match root.raw_name.as_str() {
        WORKFLOW_JOB_ROOT => {
            let p = read_plain(job_name, root, &mut fails);
            (
                JobClass::WorkflowJob,
                PipelineSpec {
                    type_: TYPE_PIPELINE.to_owned(),
                    pipeline: Some(p),
                    multi_branch_pipeline: None,
                },
            )
        }
        MULTIBRANCH_ROOT => {
            let m = read_multibranch(job_name, root, &mut fails);
            (
                JobClass::WorkflowMultiBranchProject,
                PipelineSpec {
                    type_: TYPE_MULTI_BRANCH.to_owned(),
                    pipeline: None,
                    multi_branch_pipeline: Some(m),
                },
            )
        }
        _ => {
            let findings = vec![Finding::warning(
                "pipeline.unsupported-job-class",
                format!(
                    "job `{job_name}` is a `{}`, not a Pipeline or a multibranch Pipeline: KubeSphere v3.0 has no \
                     Pipeline for it (creating one would make the controller fail on the existing job); it stays \
                     in Jenkins, invisible in KubeSphere",
                    root.name
                ),
            )];
            return Ok(ParsedJob {
                class: JobClass::Other(root.name.clone()),
                spec: None,
                findings,
            });
        }
    };

    let mut findings: Vec<Finding> = fails
        .0
        .iter()
        .map(|reason| {
            Finding::manual(
                V30_PARSER_FAILS,
                format!(
                    "the KubeSphere v3.0 controller cannot parse job `{job_name}`: {reason}; it would fail or crash \
                     on this job — fix the job in Jenkins (e.g. re-save it with the element present) before the upgrade"
                ),
            )
        })
        .collect();

    if rewrite.changed_outside_declaration {
        // Only a finding when the rewrite changes what the spec carries.
        let unchanged = dom::parse_document(xml).ok().and_then(|d| {
            let mut ignore = V30Failures::default();
            match d.root.raw_name.as_str() {
                WORKFLOW_JOB_ROOT => Some(PipelineSpec {
                    type_: TYPE_PIPELINE.to_owned(),
                    pipeline: Some(read_plain(job_name, &d.root, &mut ignore)),
                    multi_branch_pipeline: None,
                }),
                MULTIBRANCH_ROOT => Some(PipelineSpec {
                    type_: TYPE_MULTI_BRANCH.to_owned(),
                    pipeline: None,
                    multi_branch_pipeline: Some(read_multibranch(job_name, &d.root, &mut ignore)),
                }),
                _ => None,
            }
        });
        if unchanged.as_ref() != Some(&spec) {
            findings.push(Finding::warning(
                "pipeline.first-line-version-rewrite",
                format!(
                    "job `{job_name}`: config.xml has text on its first line, and the v3.0 parser replaces every \
                     `1.1` on that line with `1.0` (its XML 1.1 workaround), including inside the description or \
                     script; the spec reproduces that so the job is left alone, but any later edit in KubeSphere \
                     writes the altered text back to Jenkins"
                ),
            ));
        }
    }

    pipeline_losses::report(job_name, root, &spec, &mut findings);
    Ok(ParsedJob {
        class,
        spec: Some(spec),
        findings,
    })
}

/// The input after the v3.0 first-line `1.1` → `1.0` rewrite.
struct FirstLineRewrite<'a> {
    bytes: Cow<'a, [u8]>,
    /// Some `1.1` outside the `<?xml …?>` declaration was rewritten.
    changed_outside_declaration: bool,
}

/// Go `replaceXmlVersion(config, "1.1", "1.0")`: every `1.1` on line 0 (split on `\n`).
fn first_line_rewrite(xml: &[u8]) -> FirstLineRewrite<'_> {
    let line_end = xml.iter().position(|&b| b == b'\n').unwrap_or(xml.len());
    let line = &xml[..line_end];
    let hits: Vec<usize> = {
        let mut v = Vec::new();
        let mut i = 0;
        while i + 3 <= line.len() {
            if &line[i..i + 3] == b"1.1" {
                v.push(i);
                i += 3;
            } else {
                i += 1;
            }
        }
        v
    };
    if hits.is_empty() {
        return FirstLineRewrite {
            bytes: Cow::Borrowed(xml),
            changed_outside_declaration: false,
        };
    }
    let body_start = if line.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let decl_end = if line[body_start..].starts_with(b"<?xml") {
        line.windows(2)
            .position(|w| w == b"?>")
            .map(|p| p + 2)
            .unwrap_or(0)
    } else {
        0
    };
    let changed_outside_declaration = hits.iter().any(|&h| h < body_start || h + 3 > decl_end);
    let mut owned = xml.to_vec();
    for h in hits {
        if let Some(b) = owned.get_mut(h + 2) {
            *b = b'0';
        }
    }
    FirstLineRewrite {
        bytes: Cow::Owned(owned),
        changed_outside_declaration,
    }
}

/// Go `encoding/xml` refusals before any element is read.
fn prolog_failures(doc: &Document, fails: &mut V30Failures) {
    if let Some(decl) = &doc.declaration {
        if !decl.version.is_empty() && decl.version != "1.0" {
            let why = if doc.content_before_declaration {
                "something (e.g. a blank line) precedes the XML declaration, so the parser's 1.1 → 1.0 rewrite of \
                 the first line misses it"
            } else {
                "the version of the XML declaration is not on the first line"
            };
            fails.0.push(format!(
                "the XML declaration says version {}; {why}, and Go's XML decoder refuses any version but 1.0",
                decl.version
            ));
        }
        if let Some(enc) = &decl.encoding {
            if !enc.eq_ignore_ascii_case("utf-8") {
                fails.0.push(format!(
                    "the XML declaration says encoding `{enc}`, which Go's XML decoder refuses"
                ));
            }
        }
    }
    if let Some((pos, ch)) = doc.xml10_forbidden_char {
        fails.0.push(format!(
            "byte {pos} holds the character U+{:04X}, which XML 1.0 forbids (legal in the XML 1.1 Jenkins declares, \
             but the parser reads the file as XML 1.0)",
            ch as u32
        ));
    }
}

/// Go `etree` `Element.Text()`.
fn text(e: &Element) -> String {
    e.leading_text().to_owned()
}

/// `parent.SelectElement(name).Text()` where a missing element makes Go panic.
fn required_text(parent: &Element, name: &str, fails: &mut V30Failures) -> String {
    match parent.child_raw(name) {
        Some(e) => text(e),
        None => {
            fails.missing(&parent.raw_name, name);
            String::new()
        }
    }
}

/// `parent.SelectElement(name)`, which Go then dereferences (missing → panic).
fn required<'a>(parent: &'a Element, name: &str, fails: &mut V30Failures) -> Option<&'a Element> {
    let found = parent.child_raw(name);
    if found.is_none() {
        fails.missing(&parent.raw_name, name);
    }
    found
}

/// Optional text: `if e := SelectElement(name); e != nil { … = e.Text() }`.
fn optional_text(parent: &Element, name: &str) -> String {
    parent.child_raw(name).map(text).unwrap_or_default()
}

/// Reads a plain pipeline (`parsePipelineConfigXml`).
pub fn read_plain(job_name: &str, flow: &Element, fails: &mut V30Failures) -> NoScmPipeline {
    let mut p = NoScmPipeline {
        name: job_name.to_owned(),
        ..NoScmPipeline::default()
    };
    p.description = required_text(flow, "description", fails);

    if let Some(properties) = required(flow, "properties", fails) {
        p.disable_concurrent = properties.child_raw(tag::DISABLE_CONCURRENT).is_some();
        if let Some(discarder) = properties.child_raw(tag::BUILD_DISCARDER) {
            let mut d = Discarder::default();
            if let Some(strategy) = required(discarder, "strategy", fails) {
                d.days_to_keep = required_text(strategy, "daysToKeep", fails);
                d.num_to_keep = required_text(strategy, "numToKeep", fails);
            }
            p.discarder = Some(d);
        }
        p.parameters = read_parameters(properties, fails);
        if let Some(trigger_property) = properties.child_raw(tag::PIPELINE_TRIGGERS) {
            if let Some(triggers) = required(trigger_property, "triggers", fails) {
                if let Some(timer) = triggers.child_raw(tag::TIMER_TRIGGER) {
                    p.timer_trigger = Some(TimerTrigger {
                        cron: required_text(timer, "spec", fails),
                        interval: String::new(),
                    });
                }
            }
        }
    }
    if let Some(token) = flow.child_raw("authToken") {
        p.remote_trigger = Some(RemoteTrigger { token: text(token) });
    }
    if let Some(script) = flow
        .child_raw("definition")
        .and_then(|d| d.child_raw("script"))
    {
        p.jenkinsfile = text(script);
    }
    p
}

/// `getParametersfromEtree`: empty → empty vec (Go nil).
fn read_parameters(properties: &Element, fails: &mut V30Failures) -> Vec<Parameter> {
    let Some(property) = properties.child_raw(tag::PARAMETERS) else {
        return Vec::new();
    };
    let Some(definitions) = required(property, "parameterDefinitions", fails) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(definitions.children.len());
    for param in &definitions.children {
        let tag_name = param.raw_name.as_str();
        let type_ = PARAMETER_TYPES
            .iter()
            .find(|(class, _)| *class == tag_name)
            .map(|(_, t)| *t);
        let name = required_text(param, "name", fails);
        let description = param_text(param, &name, "description", fails);
        let (type_, default_value) = match type_ {
            Some("file") => ("file".to_owned(), String::new()),
            // v3.0 bug: the default is read from <name>.
            Some("password") => ("password".to_owned(), name.clone()),
            Some("choice") => ("choice".to_owned(), read_choices(param, fails)),
            Some(t) => (
                t.to_owned(),
                param_text(param, &name, "defaultValue", fails),
            ),
            None => (tag_name.to_owned(), "unknown".to_owned()),
        };
        out.push(Parameter {
            name,
            default_value,
            type_,
            description,
        });
    }
    out
}

/// A parameter's required child, with the parameter's name in the failure.
fn param_text(param: &Element, name: &str, child: &str, fails: &mut V30Failures) -> String {
    match param.child_raw(child) {
        Some(e) => text(e),
        None => {
            fails.0.push(format!(
                "parameter `{name}` (<{}>) has no <{child}> element",
                param.raw_name
            ));
            String::new()
        }
    }
}

/// Choice values: `choices/a/string*` (v3.0) or `choices/string*` (v3.0 panics; read anyway),
/// each followed by `\n`, then trimmed (Go `strings.TrimSpace`).
fn read_choices(param: &Element, fails: &mut V30Failures) -> String {
    let Some(choices) = required(param, "choices", fails) else {
        return String::new();
    };
    let list = match choices.child_raw("a") {
        Some(a) => a,
        None => {
            fails.0.push(format!(
                "choice parameter `{}` lists its <string> values directly under <choices>, without the \
                 <a class=\"string-array\"> wrapper",
                param.child_raw("name").map(Element::leading_text).unwrap_or("")
            ));
            choices
        }
    };
    let mut joined = String::new();
    for s in list.children.iter().filter(|c| c.raw_name == "string") {
        joined.push_str(s.leading_text());
        joined.push('\n');
    }
    joined.trim().to_owned()
}

/// Reads a multibranch pipeline (`parseMultiBranchPipelineConfigXml`).
pub fn read_multibranch(
    job_name: &str,
    project: &Element,
    fails: &mut V30Failures,
) -> MultiBranchPipeline {
    let mut m = MultiBranchPipeline {
        name: job_name.to_owned(),
        ..MultiBranchPipeline::default()
    };
    if let Some(trigger) = project
        .child_raw("properties")
        .and_then(|p| p.child_raw(tag::MB_JOB_TRIGGER))
    {
        m.multibranch_job_trigger = Some(MultibranchJobTrigger {
            create_action_job_to_trigger: required_text(
                trigger,
                "createActionJobsToTrigger",
                fails,
            ),
            delete_action_job_to_trigger: required_text(
                trigger,
                "deleteActionJobsToTrigger",
                fails,
            ),
        });
    }
    m.description = required_text(project, "description", fails);
    if let Some(orphaned) = project.child_raw("orphanedItemStrategy") {
        m.discarder = Some(Discarder {
            days_to_keep: required_text(orphaned, "daysToKeep", fails),
            num_to_keep: required_text(orphaned, "numToKeep", fails),
        });
    }
    if let Some(periodic) = project
        .child_raw("triggers")
        .and_then(|t| t.child_raw(tag::PERIODIC_FOLDER_TRIGGER))
    {
        m.timer_trigger = Some(TimerTrigger {
            cron: String::new(),
            interval: required_text(periodic, "interval", fails),
        });
    }
    if let Some(branch_source) = project
        .child_raw("sources")
        .and_then(|s| s.child_raw("data"))
        .and_then(|d| d.child_raw(tag::BRANCH_SOURCE))
    {
        if let Some(source) = required(branch_source, "source", fails) {
            read_scm_source(source, &mut m, fails);
        }
    }
    if let Some(factory) = required(project, "factory", fails) {
        m.script_path = required_text(factory, "scriptPath", fails);
    }
    m
}

/// Reads one `<source>` element by its `class` into `m` (`source_type` and one of the source
/// objects). An unknown class leaves `source_type` empty.
pub fn read_scm_source(source: &Element, m: &mut MultiBranchPipeline, fails: &mut V30Failures) {
    let Some(class) = source.attr("class") else {
        fails
            .0
            .push(format!("<{}> has no class attribute", source.raw_name));
        return;
    };
    read_scm_source_as(class, source, m, fails);
}

/// Reads a source element as if its `class` were `class` (for bare source elements whose class
/// is their element name).
pub fn read_scm_source_as(
    class: &str,
    source: &Element,
    m: &mut MultiBranchPipeline,
    fails: &mut V30Failures,
) {
    match class {
        source_class::GITHUB => {
            m.source_type = "github".to_owned();
            m.github_source = Some(read_github_like(source, SourceFlavour::GitHub, fails));
        }
        source_class::BITBUCKET => {
            m.source_type = "bitbucket_server".to_owned();
            m.bitbucket_server_source =
                Some(read_github_like(source, SourceFlavour::Bitbucket, fails));
        }
        source_class::GIT => {
            m.source_type = "git".to_owned();
            m.git_source = Some(read_git(source, fails));
        }
        source_class::SINGLE_SVN => {
            m.source_type = "single_svn".to_owned();
            m.single_svn_source = Some(read_single_svn(source));
        }
        source_class::SVN => {
            m.source_type = "svn".to_owned();
            m.svn_source = Some(SvnSource {
                scm_id: String::new(),
                remote: optional_text(source, "remoteBase"),
                credential_id: optional_text(source, "credentialsId"),
                includes: optional_text(source, "includes"),
                excludes: optional_text(source, "excludes"),
            });
        }
        _ => {}
    }
}

fn read_git(source: &Element, fails: &mut V30Failures) -> GitSource {
    let mut g = GitSource {
        credential_id: optional_text(source, "credentialsId"),
        url: optional_text(source, "remote"),
        ..GitSource::default()
    };
    if let Some(traits) = required(source, "traits", fails) {
        g.discover_branches = traits.child_raw(tag::GIT_BRANCH_DISCOVERY).is_some();
        g.git_clone_option = read_clone_option(traits, fails);
        g.regex_filter = read_regex(traits);
    }
    g
}

fn read_single_svn(source: &Element) -> SingleSvnSource {
    let location = source
        .child_raw("scm")
        .and_then(|s| s.child_raw("locations"))
        .and_then(|l| l.child_raw(tag::SVN_MODULE_LOCATION));
    SingleSvnSource {
        scm_id: String::new(),
        remote: location
            .map(|l| optional_text(l, "remote"))
            .unwrap_or_default(),
        credential_id: location
            .map(|l| optional_text(l, "credentialsId"))
            .unwrap_or_default(),
    }
}

/// GitHub or Bitbucket Server: the two readers differ only in names and trust codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFlavour {
    /// `GitHubSCMSource`.
    GitHub,
    /// `BitbucketSCMSource`.
    Bitbucket,
}

impl SourceFlavour {
    fn api_uri_element(self) -> &'static str {
        match self {
            SourceFlavour::GitHub => "apiUri",
            SourceFlavour::Bitbucket => "serverUrl",
        }
    }
    fn traits(self) -> (&'static str, &'static str, &'static str) {
        match self {
            SourceFlavour::GitHub => (tag::GH_BRANCH_DISCOVERY, tag::GH_ORIGIN_PR, tag::GH_FORK_PR),
            SourceFlavour::Bitbucket => {
                (tag::BB_BRANCH_DISCOVERY, tag::BB_ORIGIN_PR, tag::BB_FORK_PR)
            }
        }
    }
    /// Trust code for the part of the trust class after the first `$`; `None` when unknown.
    pub fn trust_code(self, name: &str) -> Option<i64> {
        match (self, name) {
            (SourceFlavour::GitHub, "TrustContributors") => Some(1),
            (SourceFlavour::GitHub, "TrustEveryone") => Some(2),
            (SourceFlavour::GitHub, "TrustPermission") => Some(3),
            (SourceFlavour::GitHub, "TrustNobody") => Some(4),
            (SourceFlavour::Bitbucket, "TrustEveryone") => Some(1),
            (SourceFlavour::Bitbucket, "TrustTeamForks") => Some(2),
            (SourceFlavour::Bitbucket, "TrustNobody") => Some(3),
            _ => None,
        }
    }
}

/// `getGithubSourcefromEtree` / `getBitbucketServerSourceFromEtree`.
pub fn read_github_like(
    source: &Element,
    flavour: SourceFlavour,
    fails: &mut V30Failures,
) -> GithubSource {
    let mut s = GithubSource {
        credential_id: optional_text(source, "credentialsId"),
        owner: optional_text(source, "repoOwner"),
        repo: optional_text(source, "repository"),
        api_uri: optional_text(source, flavour.api_uri_element()),
        ..GithubSource::default()
    };
    let Some(traits) = required(source, "traits", fails) else {
        return s;
    };
    let (branch, origin, fork) = flavour.traits();
    if let Some(t) = traits.child_raw(branch) {
        s.discover_branches = go_atoi(&required_text(t, "strategyId", fails));
    }
    if let Some(t) = traits.child_raw(origin) {
        s.discover_pr_from_origin = go_atoi(&required_text(t, "strategyId", fails));
    }
    if let Some(t) = traits.child_raw(fork) {
        let strategy = go_atoi(&required_text(t, "strategyId", fails));
        let trust_name = match required(t, "trust", fails) {
            None => None,
            Some(trust) => match trust.attr("class") {
                None => {
                    fails
                        .0
                        .push(format!("<{fork}><trust> has no class attribute"));
                    None
                }
                Some(class) => {
                    // Go: strings.Split(class, "$")[1]; no `$` → index out of range.
                    let mut parts = class.split('$');
                    let _ = parts.next();
                    match parts.next() {
                        Some(name) => Some(name),
                        None => {
                            fails
                                .0
                                .push(format!("the trust class `{class}` of <{fork}> has no `$`"));
                            None
                        }
                    }
                }
            },
        };
        if let Some(trust) = trust_name.and_then(|n| flavour.trust_code(n)) {
            s.discover_pr_from_forks = Some(DiscoverPrFromForks { strategy, trust });
        }
        // v3.0 reads these two only inside the fork-trait branch.
        s.git_clone_option = read_clone_option(traits, fails);
        s.regex_filter = read_regex(traits);
    }
    s
}

/// `CloneOptionTrait/extension` → `{shallow, timeout, depth}` (each element required by Go).
fn read_clone_option(traits: &Element, fails: &mut V30Failures) -> Option<GitCloneOption> {
    let extension = traits
        .child_raw(tag::CLONE_OPTION)?
        .child_raw("extension")?;
    let mut c = GitCloneOption::default();
    if let Some(v) = go_parse_bool(&required_text(extension, "shallow", fails)) {
        c.shallow = v;
    }
    if let Some(v) = go_parse_i32(&required_text(extension, "timeout", fails)) {
        c.timeout = v;
    }
    if let Some(v) = go_parse_i32(&required_text(extension, "depth", fails)) {
        c.depth = v;
    }
    Some(c)
}

fn read_regex(traits: &Element) -> String {
    traits
        .child_raw(tag::REGEX_FILTER)
        .map(|t| optional_text(t, "regex"))
        .unwrap_or_default()
}

/// Splits an optional sign from decimal digits, as Go's `strconv` does for base 10.
fn go_digits(s: &str) -> Option<(bool, &str)> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((neg, digits))
}

/// Go `strconv.Atoi` with the error ignored: syntax error → 0, overflow → clamped.
pub fn go_atoi(s: &str) -> i64 {
    let Some((neg, digits)) = go_digits(s) else {
        return 0;
    };
    let mut v: i64 = 0;
    for b in digits.bytes() {
        let d = i64::from(b - b'0');
        v = match v.checked_mul(10).and_then(|x| {
            if neg {
                x.checked_sub(d)
            } else {
                x.checked_add(d)
            }
        }) {
            Some(x) => x,
            None => return if neg { i64::MIN } else { i64::MAX },
        };
    }
    v
}

/// Go `strconv.ParseInt(s, 10, 32)`: `None` on any error.
pub fn go_parse_i32(s: &str) -> Option<i64> {
    let (neg, digits) = go_digits(s)?;
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        if v > i64::from(i32::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&v)
        .then_some(v)
}

/// Go `strconv.ParseBool`: `None` on error.
pub fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_number_parsing() {
        assert_eq!(go_atoi("2"), 2);
        assert_eq!(go_atoi("+3"), 3);
        assert_eq!(go_atoi("-1"), -1);
        assert_eq!(go_atoi(" 1"), 0);
        assert_eq!(go_atoi(""), 0);
        assert_eq!(go_atoi("99999999999999999999"), i64::MAX);
        assert_eq!(go_parse_i32("20"), Some(20));
        assert_eq!(go_parse_i32("-2147483648"), Some(-2147483648));
        assert_eq!(go_parse_i32("2147483648"), None);
        assert_eq!(go_parse_i32("1.5"), None);
        assert_eq!(go_parse_bool("True"), Some(true));
        assert_eq!(go_parse_bool("yes"), None);
    }

    #[test]
    fn first_line_rewrite_touches_only_line_one() {
        let r = first_line_rewrite(b"<?xml version='1.1'?>\n<a>1.1</a>");
        assert_eq!(&*r.bytes, b"<?xml version='1.0'?>\n<a>1.1</a>");
        assert!(!r.changed_outside_declaration);
        let r = first_line_rewrite(b"<?xml version='1.1'?><a>v1.1.1</a>");
        assert_eq!(&*r.bytes, b"<?xml version='1.0'?><a>v1.0.1</a>");
        assert!(r.changed_outside_declaration);
        let r = first_line_rewrite(b"<a/>");
        assert!(matches!(r.bytes, Cow::Borrowed(_)));
    }
}
