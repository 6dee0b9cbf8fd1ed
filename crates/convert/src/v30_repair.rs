//! Minimal repairs of job `config.xml` files the KubeSphere v3.0 parser cannot read.
//!
//! The v3.0 controller dereferences a number of elements without checking that they exist (see
//! [`crate::v30_parse`]); Jenkins itself omits several of them when their value is null. A
//! repair **adds** exactly the missing elements, each with the value Jenkins already uses when
//! the element is absent, so what Jenkins reads from the file does not change, and leaves every
//! other byte of the file as it was:
//!
//! | missing | added |
//! |---|---|
//! | job `<description>` | `<description></description>` (Jenkins: null description = empty) |
//! | plain job `<properties>` | `<properties/>` (no job properties) |
//! | parameter `<description>` | `<description></description>` |
//! | string/text parameter `<defaultValue>` | `<defaultValue></defaultValue>` (null default = empty) |
//! | boolean parameter `<defaultValue>` | `<defaultValue>false</defaultValue>` (the field's default) |
//! | choice values without the `<a class="string-array">` wrapper | the wrapper (and `class="java.util.Arrays$ArrayList"` on `<choices>` when it has no class), the same list for Jenkins |
//! | pipeline trigger job names | empty `<createActionJobsToTrigger/>` / `<deleteActionJobsToTrigger/>` |
//! | `<factory>` or its `<scriptPath>` (default factory only) | `<scriptPath>Jenkinsfile</scriptPath>` (what the factory uses when null) |
//! | fork-PR trait `<trust>` | the plugin's default trust class (GitHub: `TrustPermission`, Bitbucket: `TrustTeamForks`) |
//! | `<traits>` of a git or GitHub source saved before traits existed | the traits Jenkins derives from the legacy fields when it loads the file |
//! | blank lines before the XML declaration | removed (the only deletion: whitespace XML ignores) |
//!
//! Anything else (a character XML 1.0 forbids, a foreign encoding, another factory class, …)
//! is not repaired automatically: [`repair_job`] says why. Every repair is checked by running
//! the v3.0 parse emulation on the repaired bytes; a repair that does not make the job readable
//! is never offered.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::v30_parse::{parse_job, source_class, tag, MULTIBRANCH_ROOT, WORKFLOW_JOB_ROOT};

/// The result of trying to repair one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairOutcome {
    /// The v3.0 parser already reads the job: nothing to repair.
    NotNeeded,
    /// A repaired file the v3.0 parser reads.
    Repaired(JobRepair),
    /// No automatic repair; the reason says what a person must change in Jenkins.
    NotRepairable(String),
}

/// A repaired `config.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRepair {
    /// The repaired file.
    pub repaired: Vec<u8>,
    /// One line per change, for the report.
    pub changes: Vec<String>,
}

/// Repairs job `job_name`'s `config.xml` so that the v3.0 parser reads it (see the module
/// documentation for what is added). Never fails: unreadable input is
/// [`RepairOutcome::NotRepairable`].
pub fn repair_job(job_name: &str, xml: &[u8]) -> RepairOutcome {
    let before = match parse_job(job_name, xml) {
        Ok(p) => p,
        Err(e) => {
            return RepairOutcome::NotRepairable(format!("{e}; the file must be fixed by hand"))
        }
    };
    if !before.v30_unreadable() {
        return RepairOutcome::NotNeeded;
    }
    let edits = match plan_edits(xml) {
        Ok(e) => e,
        Err(why) => return RepairOutcome::NotRepairable(why),
    };
    if edits.is_empty() {
        return RepairOutcome::NotRepairable(not_repairable_reason(&before));
    }
    let changes: Vec<String> = edits
        .iter()
        .filter(|e| !e.why.is_empty())
        .map(|e| e.why.clone())
        .collect();
    let repaired = apply_edits(xml, edits);
    match parse_job(job_name, &repaired) {
        Ok(after) if !after.v30_unreadable() => {
            RepairOutcome::Repaired(JobRepair { repaired, changes })
        }
        Ok(after) => RepairOutcome::NotRepairable(not_repairable_reason(&after)),
        Err(e) => {
            RepairOutcome::NotRepairable(format!("the repair would not be well-formed ({e})"))
        }
    }
}

fn not_repairable_reason(p: &crate::v30_parse::ParsedJob) -> String {
    let what: Vec<String> = p
        .v30_failures()
        .map(|f| {
            f.message
                .split(": ")
                .nth(1)
                .unwrap_or(&f.message)
                .split("; it would")
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    format!(
        "no automatic repair for: {}; change the job in Jenkins (e.g. open its configuration page and save it) and rerun",
        what.join("; ")
    )
}

/// A unified diff of `old` → `new` (line-based), with `path` in both headers.
pub fn unified_diff(path: &str, old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// One byte-range replacement in the original file.
#[derive(Debug, Clone)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
    why: String,
}

fn apply_edits(xml: &[u8], mut edits: Vec<Edit>) -> Vec<u8> {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = Vec::with_capacity(xml.len() + 256);
    let mut at = 0;
    for e in edits {
        if e.start < at {
            continue; // overlapping edits never happen; keep the first
        }
        out.extend_from_slice(&xml[at..e.start]);
        out.extend_from_slice(e.text.as_bytes());
        at = e.end;
    }
    out.extend_from_slice(&xml[at..]);
    out
}

/// An element with the byte ranges of its tags in the original file.
#[derive(Debug, Default)]
struct Node {
    raw: String,
    attrs: Vec<(String, String)>,
    /// `<name …>` or `<name …/>`.
    open: (usize, usize),
    /// `</name>`; `None` for a self-closing element.
    close: Option<(usize, usize)>,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, raw: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.raw == raw)
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn text<'a>(&self, xml: &'a [u8]) -> &'a str {
        match (self.close, self.children.first()) {
            (Some((c, _)), None) => std::str::from_utf8(&xml[self.open.1..c]).unwrap_or(""),
            _ => "",
        }
    }
    fn child_text<'a>(&self, xml: &'a [u8], raw: &str) -> Option<&'a str> {
        self.child(raw).map(|c| c.text(xml))
    }
}

/// Reads the element structure with byte offsets. Offsets are into `xml` (a BOM included).
fn scan(xml: &[u8]) -> Result<(Node, Option<usize>), String> {
    let bom = if xml.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let text =
        std::str::from_utf8(&xml[bom..]).map_err(|_| "the file is not valid UTF-8".to_owned())?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().expand_empty_elements = false;
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    let mut decl_at = None;
    loop {
        let start = reader.buffer_position() as usize + bom;
        let ev = reader
            .read_event()
            .map_err(|e| format!("the file cannot be read as XML: {e}"))?;
        let end = reader.buffer_position() as usize + bom;
        match ev {
            Event::Decl(_) => decl_at = Some(start),
            Event::Start(s) => stack.push(node(&s, start, end)),
            Event::Empty(s) => {
                let n = node(&s, start, end);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::End(_) => {
                let mut n = stack.pop().ok_or("unbalanced end tag")?;
                n.close = Some((start, end));
                match stack.last_mut() {
                    Some(parent) => parent.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    root.map(|r| (r, decl_at))
        .ok_or_else(|| "the file has no root element".to_owned())
}

fn node(s: &BytesStart<'_>, start: usize, end: usize) -> Node {
    let attrs = s
        .attributes()
        .flatten()
        .map(|a| {
            // Only `class` values are compared; they never hold references.
            let key: String = a.key.as_ref().to_owned();
            let value: String = (*a.value).to_owned();
            (key, value)
        })
        .collect();
    Node {
        raw: s.name().as_ref().to_owned(),
        attrs,
        open: (start, end),
        close: None,
        children: Vec::new(),
    }
}

/// Collects the edits; `Err` when the file cannot be scanned.
fn plan_edits(xml: &[u8]) -> Result<Vec<Edit>, String> {
    let (root, decl_at) = scan(xml)?;
    let mut p = Planner {
        xml,
        edits: Vec::new(),
    };
    let bom = if xml.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    if let Some(at) = decl_at {
        if at > bom && xml[bom..at].iter().all(u8::is_ascii_whitespace) {
            p.edits.push(Edit {
                start: bom,
                end: at,
                text: String::new(),
                why: format!(
                    "removed the {} blank byte(s) before the XML declaration",
                    at - bom
                ),
            });
        }
    }
    match root.raw.as_str() {
        WORKFLOW_JOB_ROOT => p.plain(&root),
        MULTIBRANCH_ROOT => p.multibranch(&root),
        _ => {}
    }
    Ok(p.edits)
}

struct Planner<'a> {
    xml: &'a [u8],
    edits: Vec<Edit>,
}

impl Planner<'_> {
    /// Inserts `child` (an element's markup) as the first child of `parent`, indented like
    /// `parent`'s first child.
    fn insert_child(&mut self, parent: &Node, child: &str, why: String) {
        match parent.close {
            Some(_) => {
                let indent = match parent.children.first() {
                    Some(first) => {
                        let gap = &self.xml[parent.open.1..first.open.0];
                        if gap.iter().all(u8::is_ascii_whitespace) {
                            String::from_utf8_lossy(gap).into_owned()
                        } else {
                            String::new()
                        }
                    }
                    None => String::new(),
                };
                self.edits.push(Edit {
                    start: parent.open.1,
                    end: parent.open.1,
                    text: format!("{indent}{child}"),
                    why,
                });
            }
            None => {
                // `<x …/>` → `<x …>child</x>`.
                let tag =
                    String::from_utf8_lossy(&self.xml[parent.open.0..parent.open.1]).into_owned();
                let open = tag
                    .trim_end_matches('>')
                    .trim_end()
                    .trim_end_matches('/')
                    .to_owned();
                self.edits.push(Edit {
                    start: parent.open.0,
                    end: parent.open.1,
                    text: format!("{open}>{child}</{}>", parent.raw),
                    why,
                });
            }
        }
    }

    fn ensure(&mut self, parent: &Node, name: &str, markup: &str, what: &str) {
        if parent.child(name).is_none() {
            let why = format!("added {markup} to <{}> ({what})", parent.raw);
            self.insert_child(parent, markup, why);
        }
    }

    fn plain(&mut self, root: &Node) {
        self.ensure(
            root,
            "description",
            "<description></description>",
            "Jenkins reads a missing description as empty",
        );
        let Some(properties) = root.child("properties") else {
            self.ensure(
                root,
                "properties",
                "<properties/>",
                "no job properties, as before",
            );
            return;
        };
        if let Some(defs) = properties
            .child(tag::PARAMETERS)
            .and_then(|p| p.child("parameterDefinitions"))
        {
            for param in &defs.children {
                self.parameter(param);
            }
        }
        if let Some(t) = properties.child(tag::MB_JOB_TRIGGER) {
            self.job_trigger(t);
        }
    }

    fn parameter(&mut self, param: &Node) {
        let name = param.child_text(self.xml, "name").unwrap_or("").to_owned();
        let what = |d: &str| format!("parameter `{name}`: {d}");
        let kind = param.raw.rsplit('.').next().unwrap_or("");
        self.ensure(
            param,
            "description",
            "<description></description>",
            &what("Jenkins reads a missing description as empty"),
        );
        match kind {
            "StringParameterDefinition" | "TextParameterDefinition" => {
                self.ensure(param, "defaultValue", "<defaultValue></defaultValue>", &what("Jenkins reads a missing default as empty"))
            }
            "BooleanParameterDefinition" => self.ensure(
                param,
                "defaultValue",
                "<defaultValue>false</defaultValue>",
                &what("a missing boolean default is false"),
            ),
            "ChoiceParameterDefinition" => match param.child("choices") {
                None => self.ensure(
                    param,
                    "choices",
                    "<choices class=\"java.util.Arrays$ArrayList\"><a class=\"string-array\"/></choices>",
                    &what("no choices, as before"),
                ),
                Some(choices) if choices.child("a").is_none() => self.wrap_choices(choices, &name),
                Some(_) => {}
            },
            _ => {}
        }
    }

    /// `<choices><string>…` → `<choices class="java.util.Arrays$ArrayList"><a class="string-array"><string>…</a>`.
    fn wrap_choices(&mut self, choices: &Node, name: &str) {
        let why = format!(
            "parameter `{name}`: wrapped its choices in <a class=\"string-array\"> (the same list of strings for Jenkins)"
        );
        let Some((close_start, _)) = choices.close else {
            self.insert_child(choices, "<a class=\"string-array\"/>", why);
            return;
        };
        let mut open =
            String::from_utf8_lossy(&self.xml[choices.open.0..choices.open.1]).into_owned();
        if choices.attr("class").is_none() {
            open = format!(
                "{} class=\"java.util.Arrays$ArrayList\">",
                open.trim_end_matches('>')
            );
        }
        let indent = match choices.children.first() {
            Some(first) => {
                String::from_utf8_lossy(&self.xml[choices.open.1..first.open.0]).into_owned()
            }
            None => String::new(),
        };
        let indent = if indent.bytes().all(|b| b.is_ascii_whitespace()) {
            indent
        } else {
            String::new()
        };
        self.edits.push(Edit {
            start: choices.open.0,
            end: choices.open.1,
            text: format!("{open}{indent}<a class=\"string-array\">"),
            why,
        });
        self.edits.push(Edit {
            start: close_start,
            end: close_start,
            text: "</a>".to_owned(),
            why: String::new(),
        });
    }

    fn job_trigger(&mut self, t: &Node) {
        for name in ["createActionJobsToTrigger", "deleteActionJobsToTrigger"] {
            self.ensure(
                t,
                name,
                &format!("<{name}></{name}>"),
                "no job to trigger, as before",
            );
        }
    }

    fn multibranch(&mut self, root: &Node) {
        if let Some(t) = root
            .child("properties")
            .and_then(|p| p.child(tag::MB_JOB_TRIGGER))
        {
            self.job_trigger(t);
        }
        self.ensure(
            root,
            "description",
            "<description></description>",
            "Jenkins reads a missing description as empty",
        );
        if let Some(source) = root
            .child("sources")
            .and_then(|s| s.child("data"))
            .and_then(|d| d.child(tag::BRANCH_SOURCE))
            .and_then(|b| b.child("source"))
        {
            self.source(source);
        }
        const DEFAULT_FACTORY: &str =
            "org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory";
        match root.child("factory") {
            None => self.ensure(
                root,
                "factory",
                &format!("<factory class=\"{DEFAULT_FACTORY}\"><scriptPath>Jenkinsfile</scriptPath></factory>"),
                "the default factory Jenkins uses when none is saved",
            ),
            Some(f) if f.attr("class").is_none_or(|c| c == DEFAULT_FACTORY) => self.ensure(
                f,
                "scriptPath",
                "<scriptPath>Jenkinsfile</scriptPath>",
                "the script path the factory uses when none is saved",
            ),
            Some(_) => {}
        }
    }

    fn source(&mut self, source: &Node) {
        let class = source.attr("class").unwrap_or("");
        let Some(traits) = source.child("traits") else {
            if let Some(markup) = legacy_traits(self.xml, class, source) {
                let why = format!(
                    "added the <traits> Jenkins derives from the legacy fields of this {} source when it loads it",
                    class.rsplit('.').next().unwrap_or(class)
                );
                self.insert_child(source, &markup, why);
            }
            return;
        };
        let (fork, trust) = match class {
            source_class::GITHUB => (
                tag::GH_FORK_PR,
                "org.jenkinsci.plugins.github_branch_source.ForkPullRequestDiscoveryTrait$TrustPermission",
            ),
            source_class::BITBUCKET => (
                tag::BB_FORK_PR,
                "com.cloudbees.jenkins.plugins.bitbucket.ForkPullRequestDiscoveryTrait$TrustTeamForks",
            ),
            _ => return,
        };
        if let Some(f) = traits.child(fork) {
            let markup = format!("<trust class=\"{trust}\"/>");
            self.ensure(
                f,
                "trust",
                &markup,
                "the plugin's default trust for pull requests from forks",
            );
        }
    }
}

/// The traits a git or GitHub source without `<traits>` gets from Jenkins when loaded (the
/// plugins convert their pre-traits fields on read). `None` for other classes.
fn legacy_traits(xml: &[u8], class: &str, source: &Node) -> Option<String> {
    let text = |name: &str| {
        source
            .child_text(xml, name)
            .map(str::trim)
            .map(str::to_owned)
    };
    let flag = |name: &str| text(name).is_some_and(|v| v == "true");
    let mut traits = Vec::new();
    let wildcard = |traits: &mut Vec<String>| {
        let includes = text("includes").unwrap_or_else(|| "*".to_owned());
        let excludes = text("excludes").unwrap_or_default();
        if includes != "*" || !excludes.is_empty() {
            traits.push(format!(
                "<jenkins.scm.impl.trait.WildcardSCMHeadFilterTrait><includes>{}</includes><excludes>{}</excludes></jenkins.scm.impl.trait.WildcardSCMHeadFilterTrait>",
                escape(&includes),
                escape(&excludes)
            ));
        }
    };
    match class {
        source_class::GIT => {
            traits.push(format!("<{}/>", tag::GIT_BRANCH_DISCOVERY));
            wildcard(&mut traits);
            if flag("ignoreOnPushNotifications") {
                traits
                    .push("<jenkins.plugins.git.traits.IgnoreOnPushNotificationTrait/>".to_owned());
            }
        }
        source_class::GITHUB => {
            let strategy = |a: &str, b: &str| u8::from(flag(a)) + 2 * u8::from(flag(b));
            let branch = strategy("buildOriginBranch", "buildOriginBranchWithPR");
            if branch > 0 {
                traits.push(format!(
                    "<{0}><strategyId>{branch}</strategyId></{0}>",
                    tag::GH_BRANCH_DISCOVERY
                ));
            }
            let origin = strategy("buildOriginPRMerge", "buildOriginPRHead");
            if origin > 0 {
                traits.push(format!(
                    "<{0}><strategyId>{origin}</strategyId></{0}>",
                    tag::GH_ORIGIN_PR
                ));
            }
            let fork = strategy("buildForkPRMerge", "buildForkPRHead");
            if fork > 0 {
                traits.push(format!(
                    "<{0}><strategyId>{fork}</strategyId><trust class=\"org.jenkinsci.plugins.github_branch_source.ForkPullRequestDiscoveryTrait$TrustContributors\"/></{0}>",
                    tag::GH_FORK_PR
                ));
            }
            wildcard(&mut traits);
        }
        _ => return None,
    }
    Some(format!("<traits>{}</traits>", traits.concat()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN_NO_DESCRIPTION: &str = "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job@2.39\">\n  <keepDependencies>false</keepDependencies>\n  <properties/>\n  <triggers/>\n  <disabled>true</disabled>\n</flow-definition>";

    #[test]
    fn adds_only_the_missing_description() {
        let RepairOutcome::Repaired(r) = repair_job("j", PLAIN_NO_DESCRIPTION.as_bytes()) else {
            panic!()
        };
        let s = String::from_utf8(r.repaired).unwrap();
        assert_eq!(
            s,
            PLAIN_NO_DESCRIPTION.replace(
                "\">\n  <keepDependencies>",
                "\">\n  <description></description>\n  <keepDependencies>"
            )
        );
        assert_eq!(r.changes.len(), 1);
    }

    #[test]
    fn readable_job_needs_nothing_and_forbidden_char_is_not_repairable() {
        let ok =
            PLAIN_NO_DESCRIPTION.replace("<keepDependencies>", "<description/><keepDependencies>");
        assert_eq!(repair_job("j", ok.as_bytes()), RepairOutcome::NotNeeded);
        let bad = ok.replace("<description/>", "<description>&#x1b;</description>");
        assert!(
            matches!(repair_job("j", bad.as_bytes()), RepairOutcome::NotRepairable(r) if r.contains("U+001B"))
        );
    }

    #[test]
    fn choices_are_wrapped_and_self_closing_parents_opened() {
        let xml = "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition><description/><properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>\
            <hudson.model.ChoiceParameterDefinition><name>C</name><description/><choices>\n<string>a</string>\n<string>b</string>\n</choices></hudson.model.ChoiceParameterDefinition>\
            <hudson.model.BooleanParameterDefinition><name>B</name></hudson.model.BooleanParameterDefinition>\
            </parameterDefinitions></hudson.model.ParametersDefinitionProperty></properties></flow-definition>";
        let RepairOutcome::Repaired(r) = repair_job("j", xml.as_bytes()) else {
            panic!()
        };
        let s = String::from_utf8(r.repaired.clone()).unwrap();
        assert!(s.contains("<choices class=\"java.util.Arrays$ArrayList\">\n<a class=\"string-array\">\n<string>a</string>\n<string>b</string>\n</a></choices>"), "{s}");
        assert!(s.contains("<hudson.model.BooleanParameterDefinition><description></description><defaultValue>false</defaultValue><name>B</name>"), "{s}");
        let spec = parse_job("j", &r.repaired)
            .unwrap()
            .spec
            .unwrap()
            .pipeline
            .unwrap();
        assert_eq!(spec.parameters[0].default_value, "a\nb");
        assert_eq!(spec.parameters[1].default_value, "false");
        let diff = unified_diff("jobs/p/jobs/j/config.xml", xml.as_bytes(), &r.repaired);
        assert!(
            diff.starts_with("--- a/jobs/p/jobs/j/config.xml\n+++ b/jobs/p/jobs/j/config.xml\n"),
            "{diff}"
        );
    }
}
