//! Streams a whole v2.1 estate through the converters, project folder by project folder.
//!
//! MySQL rows are small and indexed up front; Jenkins folders arrive one at a time from an
//! iterator (a directory walk or a tarball stream) and are converted in parallel on the rayon
//! pool (`par_bridge`), with the jobs of a big folder again in parallel. Each finished project is
//! handed to the caller's `emit` callback and dropped, so memory stays flat however big the
//! estate is. Items are reported in a deterministic order by the sink (it sorts).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use ksdm_jenkins_xml::folder::parse_folder_credentials;
use ksdm_model::v21::{
    CredentialMeta, FolderReadError, JenkinsFolder, JenkinsKeys, ListedCredential, Membership,
    MysqlData, Project,
};
use ksdm_model::{Finding, ItemKind, ItemReport, Outcome, ProjectSummary};
use ksdm_secret::{derive_key, SecretKey};
use rayon::prelude::*;

use crate::credential::{convert_credential, ValueSource};
use crate::credential_usage::{resolve, CredentialUse, FolderCredential, Resolution};
use crate::membership::convert_membership;
use crate::object::V30Object;
use crate::options::{ConvertOptions, SecretValues};
use crate::pipeline::convert_pipeline;
use crate::project::{convert_project, project_name};

/// Root element of a Jenkins folder item.
const FOLDER_CLASS: &str = ksdm_jenkins_xml::class::item::FOLDER;

/// Everything produced for one project (or one orphan folder).
#[derive(Debug, Default)]
pub struct ProjectOutput {
    /// v2.1 project id (or folder name for orphans).
    pub project_id: String,
    /// Objects to write (empty when the project failed or was skipped).
    pub objects: Vec<V30Object>,
    /// Report lines: the project and all of its items.
    pub items: Vec<ItemReport>,
    /// Repaired `config.xml` files for the jobs held back because the v3.0 parser cannot read
    /// them (see [`crate::v30_repair`]).
    pub repairs: Vec<RepairedJob>,
    /// Every credential reference of the project's migrated pipelines, resolved.
    pub credential_usage: Vec<CredentialUse>,
    /// Names, outcome, what `migrate` applies and who is admin (`None` for rows of unknown projects).
    pub summary: Option<ProjectSummary>,
}

/// A held-back job and its repaired `config.xml`.
#[derive(Debug, Clone)]
pub struct RepairedJob {
    /// The Jenkins folder (as named in Jenkins).
    pub folder: String,
    /// The job (as named in Jenkins).
    pub job: String,
    /// The job's `config.xml` as read.
    pub original: Vec<u8>,
    /// The repair.
    pub repair: crate::v30_repair::JobRepair,
}

impl RepairedJob {
    /// Path relative to a `JENKINS_HOME` (and to `<out>/jenkins-repairs/`).
    pub fn relative_path(&self) -> String {
        format!("jobs/{}/jobs/{}/config.xml", self.folder, self.job)
    }
}

impl ProjectOutput {
    /// Fills [`ProjectOutput::summary`] from the objects and the project item.
    fn summarize(mut self, p: Option<&Project>) -> Self {
        let mut applies = BTreeMap::new();
        let mut admins = Vec::new();
        let mut namespace = None;
        for o in &self.objects {
            let kind = match o {
                V30Object::DevOpsProject(_) => {
                    namespace = Some(o.name().to_string());
                    "DevOpsProject"
                }
                V30Object::Pipeline(_) => "Pipeline",
                V30Object::Secret(_) => "Secret",
                V30Object::RoleBinding(rb) => {
                    if rb.role_ref.name == "admin" {
                        admins.extend(rb.subjects.iter().flatten().map(|s| s.name.clone()));
                    }
                    "RoleBinding"
                }
            };
            *applies.entry(kind.to_string()).or_insert(0usize) += 1;
        }
        admins.sort();
        admins.dedup();
        let outcome = self
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Project)
            .map(|i| i.outcome)
            .unwrap_or(Outcome::Skipped);
        self.summary = Some(ProjectSummary {
            id: self.project_id.clone(),
            display_name: p.map(|p| p.name.clone()).unwrap_or_default(),
            workspace: p.and_then(|p| p.workspace.clone()),
            outcome,
            namespace,
            applies,
            admins,
        });
        self
    }
}

/// Run-level facts for the report.
#[derive(Debug, Default, Clone)]
pub struct EstateSummary {
    /// Run-level problems (key files, unreadable folders, …); each also fails the run.
    pub errors: Vec<String>,
    /// Run-level notes.
    pub notes: Vec<String>,
    /// Top-level Jenkins items that are not folders (e.g. `init-job`), ignored.
    pub ignored_top_level_items: Vec<String>,
    /// The Jenkins source itself failed (item list unreadable, archive corrupt): the projects
    /// whose folders were not read before it failed are reported Failed with this reason.
    pub source_error: Option<String>,
}

struct Index<'a> {
    active: HashMap<String, &'a Project>, // lower(project_id) → row (unique ones)
    deleted: HashMap<String, &'a Project>, // lower(project_id) → row
    memberships: HashMap<&'a str, Vec<&'a Membership>>,
    credential_meta: HashMap<(&'a str, &'a str, &'a str), &'a CredentialMeta>,
    credential_meta_by_project: HashMap<&'a str, Vec<&'a CredentialMeta>>,
}

/// Converts an estate. `folders` yields Jenkins folders, or per-folder read errors: a folder
/// that cannot be read fails its project (with the reason; its MySQL credential and membership
/// rows are reported under it), an error without a folder name means the source failed and
/// fails every project not read yet. `emit` is called once per project or orphan folder,
/// possibly from several threads at once.
pub fn convert_estate<I>(
    mysql: &MysqlData,
    keys: &JenkinsKeys,
    folders: I,
    opts: &ConvertOptions,
    emit: &(dyn Fn(ProjectOutput) + Sync),
) -> EstateSummary
where
    I: Iterator<Item = Result<JenkinsFolder, FolderReadError>> + Send,
{
    let summary = Mutex::new(EstateSummary::default());
    let key_state = key_state(keys, opts, &mut summary.lock().expect("fresh mutex"));
    let values = match &key_state {
        KeyState::Key(k) => ValueSource::Decrypt(k),
        KeyState::Placeholder(r) => ValueSource::Placeholder(r),
        KeyState::Unavailable(r) => ValueSource::Unavailable(r),
    };

    // Index MySQL. Active projects that collide after lower-casing fail, both of them.
    let mut by_lower: BTreeMap<String, Vec<&Project>> = BTreeMap::new();
    let mut deleted = HashMap::new();
    for p in &mysql.projects {
        if p.is_active() {
            by_lower
                .entry(project_name(&p.project_id))
                .or_default()
                .push(p);
        } else {
            deleted.insert(project_name(&p.project_id), p);
        }
    }
    let mut index = Index {
        active: HashMap::new(),
        deleted,
        memberships: HashMap::new(),
        credential_meta: HashMap::new(),
        credential_meta_by_project: HashMap::new(),
    };
    for m in &mysql.memberships {
        index
            .memberships
            .entry(m.project_id.as_str())
            .or_default()
            .push(m);
    }
    for c in &mysql.credentials {
        index.credential_meta.insert(
            (
                c.project_id.as_str(),
                c.credential_id.as_str(),
                c.domain.as_str(),
            ),
            c,
        );
        index
            .credential_meta_by_project
            .entry(c.project_id.as_str())
            .or_default()
            .push(c);
    }
    // Display-name duplicates within a workspace (the v3.0 API refuses the second one).
    let mut display: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut collided: Vec<ProjectOutput> = Vec::new();
    for (lower, rows) in by_lower {
        if rows.len() > 1 {
            let ids: Vec<&str> = rows.iter().map(|p| p.project_id.as_str()).collect();
            for p in &rows {
                collided.push(single_item(
                    p,
                    Outcome::Failed,
                    Finding::error(
                        "project.name-collision",
                        format!(
                            "project ids {ids:?} all become {lower:?} after lower-casing; none of them is \
                             migrated (they would merge into one namespace and Jenkins folder)"
                        ),
                    ),
                ));
            }
        } else if let Some(p) = rows.into_iter().next() {
            // Compared as the generateName they become: "Team A" and "team-a" collide too.
            let generate_name =
                crate::naming::sanitize_display_name(&p.name).unwrap_or_else(|| lower.clone());
            display
                .entry((p.workspace.clone().unwrap_or_default(), generate_name))
                .or_default()
                .push(p.project_id.clone());
            index.active.insert(lower, p);
        }
    }
    let duplicate_names: HashMap<String, Vec<String>> = display
        .into_values()
        .filter(|ids| ids.len() > 1)
        .flat_map(|ids| ids.clone().into_iter().map(move |id| (id, ids.clone())))
        .collect();
    for out in collided {
        emit(out);
    }
    for p in mysql.projects.iter().filter(|p| !p.is_active()) {
        let mut out = single_item(
            p,
            Outcome::Skipped,
            Finding::info(
                "project.soft-deleted",
                format!(
                    "project has status {:?} in MySQL (soft-deleted); not migrated",
                    p.status
                ),
            ),
        );
        out.items.extend(leftover_rows(
            &index,
            &p.project_id,
            "its project is soft-deleted",
        ));
        emit(out.summarize(Some(p)));
    }
    // Rows that name a project that does not exist at all (a damaged database).
    let known: HashSet<&str> = mysql
        .projects
        .iter()
        .map(|p| p.project_id.as_str())
        .collect();
    let mut unknown: Vec<&str> = index
        .memberships
        .keys()
        .chain(index.credential_meta_by_project.keys())
        .copied()
        .filter(|id| !known.contains(id))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    for id in unknown {
        emit(ProjectOutput {
            project_id: id.to_string(),
            items: leftover_rows(&index, id, "no project with this id exists in MySQL"),
            ..ProjectOutput::default()
        });
    }

    let seen = Mutex::new(HashSet::<String>::new());
    folders.par_bridge().for_each(|folder| {
        let ctx = FolderCtx {
            index: &index,
            opts,
            values: &values,
            duplicate_names: &duplicate_names,
        };
        let folder = match folder {
            Ok(f) => f,
            Err(e) => {
                let Some(name) = e.folder.clone() else {
                    let mut s = summary.lock().expect("summary lock");
                    s.errors.push(e.to_string());
                    s.source_error.get_or_insert(e.reason.clone());
                    return;
                };
                let lower = project_name(&name);
                match index.active.get(&lower) {
                    Some(p) => {
                        seen.lock().expect("seen lock").insert(lower);
                        emit(if opts.selection.includes(p) {
                            ctx.unreadable(p, &e)
                        } else {
                            excluded(p)
                        });
                    }
                    None => summary.lock().expect("summary lock").notes.push(format!(
                        "{e} (not an active project in MySQL, so nothing of it would be migrated)"
                    )),
                }
                return;
            }
        };
        let lower = project_name(&folder.name);
        match index.active.get(&lower) {
            Some(p) => {
                seen.lock().expect("seen lock").insert(lower);
                if opts.selection.includes(p) {
                    emit(ctx.project(p, Some(&folder)));
                } else {
                    emit(excluded(p));
                }
            }
            None => {
                if let Some(out) = ctx.orphan(&folder, &mut summary.lock().expect("summary lock")) {
                    emit(out);
                }
            }
        }
    });

    // Active projects without a Jenkins folder are still migrated (the controller creates one),
    // unless the Jenkins source failed before their folder could be read.
    let summary = summary.into_inner().unwrap_or_default();
    let seen = seen.into_inner().unwrap_or_default();
    let mut missing: Vec<&&Project> = index
        .active
        .iter()
        .filter(|(k, _)| !seen.contains(*k))
        .map(|(_, p)| p)
        .collect();
    missing.sort_by(|a, b| a.project_id.cmp(&b.project_id));
    let ctx = FolderCtx {
        index: &index,
        opts,
        values: &values,
        duplicate_names: &duplicate_names,
    };
    let source_failed = summary.source_error.as_ref().map(|reason| {
        FolderReadError::source(format!(
            "the Jenkins source failed before this project's folder was read: {reason}"
        ))
    });
    missing.par_iter().for_each(|p| {
        if !opts.selection.includes(p) {
            emit(excluded(p));
        } else if let Some(e) = &source_failed {
            emit(ctx.unreadable(p, e));
        } else {
            emit(ctx.project(p, None));
        }
    });
    summary
}

enum KeyState {
    Key(SecretKey),
    Placeholder(String),
    Unavailable(String),
}

fn key_state(keys: &JenkinsKeys, opts: &ConvertOptions, summary: &mut EstateSummary) -> KeyState {
    if opts.secret_values == SecretValues::Omit {
        summary
            .notes
            .push("credential values omitted (--secret-values=omit)".into());
        return KeyState::Placeholder("--secret-values=omit".into());
    }
    let (Some(master), Some(hus)) = (&keys.master_key, &keys.hudson_util_secret) else {
        let missing = match (&keys.master_key, &keys.hudson_util_secret) {
            (None, None) => "secrets/master.key and secrets/hudson.util.Secret are missing",
            (None, _) => "secrets/master.key is missing",
            _ => "secrets/hudson.util.Secret is missing",
        };
        if opts.secret_values == SecretValues::Include {
            summary
                .errors
                .push(format!("cannot decrypt credentials: {missing}"));
            return KeyState::Unavailable(missing.into());
        }
        summary.notes.push(format!(
            "credential values omitted: {missing} in the Jenkins home"
        ));
        return KeyState::Placeholder(format!("{missing} in the Jenkins home"));
    };
    match derive_key(master, hus) {
        Ok(k) => KeyState::Key(k),
        Err(e) => {
            let reason = format!("{e}");
            summary
                .errors
                .push(format!("cannot decrypt credentials: {reason}"));
            KeyState::Unavailable(reason)
        }
    }
}

/// Membership and credential rows of a project that is not migrated, each reported as skipped.
fn leftover_rows(index: &Index<'_>, project_id: &str, why: &str) -> Vec<ItemReport> {
    rows_with(index, project_id, why, Outcome::Skipped)
}

/// Membership and credential rows of a project, each reported with `outcome` and `why`.
fn rows_with(index: &Index<'_>, project_id: &str, why: &str, outcome: Outcome) -> Vec<ItemReport> {
    let mut items = Vec::new();
    for m in index.memberships.get(project_id).into_iter().flatten() {
        items.push(ItemReport {
            kind: ItemKind::Membership,
            project: project_id.to_string(),
            id: format!("{}/{}", m.username, m.role),
            target: None,
            outcome,
            findings: vec![Finding::info(
                "membership.project-not-migrated",
                format!("not migrated: {why}"),
            )],
        });
    }
    for c in index
        .credential_meta_by_project
        .get(project_id)
        .into_iter()
        .flatten()
    {
        items.push(ItemReport {
            kind: ItemKind::Credential,
            project: project_id.to_string(),
            id: c.credential_id.clone(),
            target: None,
            outcome,
            findings: vec![Finding::info(
                "credential.project-not-migrated",
                format!(
                    "project_credential row (domain {:?}) not migrated: {why}",
                    c.domain
                ),
            )],
        });
    }
    items
}

fn single_item(p: &Project, outcome: Outcome, finding: Finding) -> ProjectOutput {
    ProjectOutput {
        project_id: p.project_id.clone(),
        items: vec![ItemReport {
            kind: ItemKind::Project,
            project: p.project_id.clone(),
            id: p.project_id.clone(),
            target: None,
            outcome,
            findings: vec![finding],
        }],
        ..ProjectOutput::default()
    }
    .summarize(Some(p))
}

fn excluded(p: &Project) -> ProjectOutput {
    single_item(
        p,
        Outcome::Skipped,
        Finding::info("project.not-selected", "not selected by --only/--exclude"),
    )
}

struct FolderCtx<'a> {
    index: &'a Index<'a>,
    opts: &'a ConvertOptions,
    values: &'a ValueSource<'a>,
    duplicate_names: &'a HashMap<String, Vec<String>>,
}

impl FolderCtx<'_> {
    fn orphan(&self, folder: &JenkinsFolder, summary: &mut EstateSummary) -> Option<ProjectOutput> {
        // Top-level items that are not folders (init-job and friends) are not projects.
        let root = folder
            .config_xml
            .as_deref()
            .and_then(|x| parse_folder_credentials(x).ok())
            .map(|f| f.root_class);
        if let Some(root) = &root {
            if root != FOLDER_CLASS {
                summary.ignored_top_level_items.push(folder.name.clone());
                return None;
            }
        }
        let lower = project_name(&folder.name);
        let why = match self.index.deleted.get(&lower) {
            Some(p) => format!(
                "Jenkins folder {:?} belongs to project {:?}, which is soft-deleted in MySQL; not migrated. \
                 Delete the folder in Jenkins or restore the project",
                folder.name, p.project_id
            ),
            None => format!(
                "Jenkins folder {:?} has no active project in MySQL (orphan, {} jobs); not migrated. Delete it \
                 in Jenkins or recreate the project in KubeSphere",
                folder.name,
                folder.jobs.len()
            ),
        };
        Some(
            ProjectOutput {
                project_id: folder.name.clone(),
                credential_usage: Vec::new(),
                repairs: Vec::new(),
                summary: None,
                objects: Vec::new(),
                items: vec![ItemReport {
                    kind: ItemKind::Project,
                    project: folder.name.clone(),
                    id: folder.name.clone(),
                    target: None,
                    outcome: Outcome::Skipped,
                    findings: vec![Finding::manual("project.orphan-folder", why)],
                }],
            }
            .summarize(None),
        )
    }

    /// A selected project whose Jenkins folder could not be read: the project fails with the
    /// reason, nothing of it is written; credentials Jenkins still listed (metadata only) are
    /// manual tasks; its MySQL rows are reported under it.
    fn unreadable(&self, p: &Project, e: &FolderReadError) -> ProjectOutput {
        let mut out = ProjectOutput {
            project_id: p.project_id.clone(),
            ..ProjectOutput::default()
        };
        out.items.push(item(
            ItemKind::Project,
            p,
            &p.project_id,
            None,
            Outcome::Failed,
            vec![Finding::error(
                "project.jenkins-folder-unreadable",
                format!(
                    "the Jenkins folder cannot be read, so nothing of this project is migrated: {}",
                    e.reason
                ),
            )],
        ));
        let why = "its project failed (the Jenkins folder cannot be read)";
        let listed: HashSet<&str> = e.listed_credentials.iter().map(|c| c.id.as_str()).collect();
        for c in &e.listed_credentials {
            out.items.push(item(
                ItemKind::Credential,
                p,
                &c.id,
                None,
                Outcome::Failed,
                vec![listed_task(c)],
            ));
        }
        out.items.extend(
            rows_with(self.index, &p.project_id, why, Outcome::Failed)
                .into_iter()
                .filter(|i| !(i.kind == ItemKind::Credential && listed.contains(i.id.as_str()))),
        );
        out
    }

    fn project(&self, p: &Project, folder: Option<&JenkinsFolder>) -> ProjectOutput {
        let ns = project_name(&p.project_id);
        let mut out = ProjectOutput {
            project_id: p.project_id.clone(),
            ..ProjectOutput::default()
        };
        let converted = convert_project(p, self.opts.default_workspace.as_deref());
        let mut findings = converted.findings;
        if let Some(ids) = self.duplicate_names.get(&p.project_id) {
            findings.push(Finding::warning(
                "project.duplicate-display-name",
                format!(
                    "display name {:?} gives the same generateName as other projects of the workspace ({ids:?}); \
                     both migrate (v3.0.0 checks for duplicates only when a project is created in the console), \
                     but the workspace then lists them under the same name — rename all but one in the console",
                    p.name
                ),
            ));
        }
        if folder.is_none() {
            findings.push(Finding::info(
                "project.no-jenkins-folder",
                "project has no Jenkins folder (no pipelines or credentials to migrate); the v3.0 controller \
                 creates an empty one",
            ));
        }
        let Some(mut dp) = converted.object else {
            out.items.push(item(
                ItemKind::Project,
                p,
                &p.project_id,
                None,
                Outcome::Failed,
                findings,
            ));
            return out.summarize(Some(p));
        };
        let members = self
            .index
            .memberships
            .get(p.project_id.as_str())
            .filter(|m| !m.is_empty());
        let owners: Option<Vec<&str>> = members.map(|ms| {
            ms.iter()
                .filter(|m| m.role == "owner" && (m.status.is_empty() || m.status == "active"))
                .map(|m| m.username.as_str())
                .collect()
        });
        let (creator, finding) =
            crate::project::choose_creator(p, owners.as_deref(), self.opts.creator);
        findings.extend(finding);
        if let Some(annotations) = dp.metadata.annotations.as_mut() {
            match creator {
                Some(c) => annotations.insert(ksdm_model::v30::CREATOR_ANNOTATION.to_string(), c),
                None => annotations.remove(ksdm_model::v30::CREATOR_ANNOTATION),
            };
        }
        let project_outcome = crate::migrated_outcome(&findings);
        out.items.push(item(
            ItemKind::Project,
            p,
            &p.project_id,
            Some(ns.clone()),
            project_outcome,
            findings,
        ));
        out.objects.push(V30Object::DevOpsProject(dp));

        if let Some(folder) = folder {
            self.folder_contents(p, &ns, folder, &mut out);
        }
        for meta in self
            .index
            .credential_meta_by_project
            .get(p.project_id.as_str())
            .into_iter()
            .flatten()
        {
            if !out
                .items
                .iter()
                .any(|i| i.kind == ItemKind::Credential && i.id == meta.credential_id)
            {
                out.items.push(item(
                    ItemKind::Credential,
                    p,
                    &meta.credential_id,
                    None,
                    Outcome::Skipped,
                    vec![Finding::info(
                        "credential.missing-in-jenkins",
                        format!(
                            "project_credential row for {:?} (domain {:?}) has no credential in Jenkins \
                             (deleted there); nothing to migrate",
                            meta.credential_id, meta.domain
                        ),
                    )],
                ));
            }
        }
        for m in self
            .index
            .memberships
            .get(p.project_id.as_str())
            .into_iter()
            .flatten()
        {
            let c = convert_membership(m, &ns, &self.opts.developer_role);
            let id = format!("{}/{}", m.username, m.role);
            let target = c
                .object
                .as_ref()
                .and_then(|o| o.metadata.name.clone())
                .map(|n| format!("{ns}/{n}"));
            out.items.push(item(
                ItemKind::Membership,
                p,
                &id,
                target,
                c.outcome,
                c.findings,
            ));
            if let Some(o) = c.object {
                out.objects.push(V30Object::RoleBinding(o));
            }
        }
        out.summarize(Some(p))
    }

    fn folder_contents(
        &self,
        p: &Project,
        ns: &str,
        folder: &JenkinsFolder,
        out: &mut ProjectOutput,
    ) {
        // Credentials from the folder store; what became of each id, for the pipelines' references.
        let mut folder_credentials: BTreeMap<String, FolderCredential> = BTreeMap::new();
        match folder.config_xml.as_deref().map(parse_folder_credentials) {
            Some(Ok(cfg)) => {
                let mut ids = HashSet::new();
                for c in &cfg.credentials {
                    if !ids.insert((c.domain.clone(), c.id.clone())) {
                        continue;
                    }
                    let meta =
                        self.index.credential_meta.get(&(p.project_id.as_str(), c.id.as_str(), c.domain.as_str()));
                    let revealed =
                        self.opts.revealed.as_deref().map(|r| r.get(&folder.name).and_then(|f| f.get(&c.id)));
                    let values = match revealed {
                        None => None,
                        Some(Some(fields)) => Some(ValueSource::Revealed(fields)),
                        Some(None) => {
                            Some(ValueSource::Placeholder("the Jenkins script console returned no values for it"))
                        }
                    };
                    let r =
                        convert_credential(c, meta.copied(), ns, &p.creator, values.as_ref().unwrap_or(self.values));
                    let target = r.object.as_ref().map(|_| format!("{ns}/{}", c.id));
                    let state = match &r.object {
                        Some(_) => FolderCredential::Migrated,
                        None => not_migrated(r.outcome, &r.findings),
                    };
                    // The first credential of an id wins in Jenkins' lookup; keep the best state.
                    if folder_credentials.get(&c.id) != Some(&FolderCredential::Migrated) {
                        folder_credentials.insert(c.id.clone(), state);
                    }
                    out.items.push(item(ItemKind::Credential, p, &c.id, target, r.outcome, r.findings));
                    if let Some(o) = r.object {
                        out.objects.push(V30Object::Secret(o));
                    }
                }
            }
            Some(Err(e)) => out.items.push(item(
                ItemKind::Credential,
                p,
                "(folder credential store)",
                None,
                Outcome::Failed,
                vec![Finding::error(
                    "credential.store-unreadable",
                    format!(
                        "jobs/{}/config.xml cannot be read: {e}; no credential of this project is migrated",
                        folder.name
                    ),
                )],
            )),
            None => {
                if let Some(r) = folder.refused.iter().find(|r| r.job.is_none()) {
                    out.items.push(item(
                        ItemKind::Credential,
                        p,
                        "(folder credential store)",
                        None,
                        Outcome::Failed,
                        vec![Finding::error(
                            "credential.store-unreadable",
                            format!(
                                "jobs/{}/config.xml was not read: {}; no credential of this project is migrated",
                                folder.name, r.reason
                            ),
                        )],
                    ));
                }
            }
        }

        // Jobs whose config.xml was refused (over a size limit, not a regular file) fail alone.
        for r in &folder.refused {
            if let Some(job) = &r.job {
                let why = format!(
                    "pipeline job `{job}`: config.xml was not read: {}",
                    r.reason
                );
                out.items.push(unreadable_job(p, job, why));
            }
        }

        // Pipelines, in parallel; names that collide case-insensitively fail together.
        let mut lower_count: HashMap<String, usize> = HashMap::new();
        for (name, _) in &folder.jobs {
            *lower_count.entry(name.to_ascii_lowercase()).or_default() += 1;
        }
        let creator = p.creator.as_str();
        type JobResult = (
            ItemReport,
            Option<V30Object>,
            Option<RepairedJob>,
            Vec<CredentialUse>,
        );
        let results: Vec<JobResult> = folder
            .jobs
            .par_iter()
            .map(|(name, xml)| {
                if lower_count.get(&name.to_ascii_lowercase()).copied().unwrap_or(0) > 1 {
                    let f = Finding::error(
                        "pipeline.name-collision",
                        format!("job {name:?} collides with another job of the folder after lower-casing"),
                    );
                    return (item(ItemKind::Pipeline, p, name, None, Outcome::Failed, vec![f]), None, None, Vec::new());
                }
                let mut c = convert_pipeline(name, xml, ns, creator);
                let target = c.object.as_ref().and_then(|o| o.metadata.name.clone()).map(|n| format!("{ns}/{n}"));
                let usage = resolve(&p.project_id, name, &c.credential_refs, &folder_credentials);
                credential_findings(&usage, &mut c.findings);
                if c.object.is_some() {
                    c.outcome = crate::migrated_outcome(&c.findings).max(c.outcome);
                }
                let repair = c.repair.map(|repair| RepairedJob {
                    folder: folder.name.clone(),
                    job: name.clone(),
                    original: xml.clone(),
                    repair,
                });
                (
                    item(ItemKind::Pipeline, p, name, target, c.outcome, c.findings),
                    c.object.map(V30Object::Pipeline),
                    repair,
                    usage,
                )
            })
            .collect();
        for (report, object, repair, usage) in results {
            out.items.push(report);
            out.repairs.extend(repair);
            out.credential_usage.extend(usage);
            if let Some(o) = object {
                out.objects.push(o);
            }
        }
        for (name, reason) in &folder.unreadable_jobs {
            let why = format!("the job's config.xml cannot be read: {reason}");
            out.items.push(unreadable_job(p, name, why));
        }
    }
}

/// A pipeline whose `config.xml` could not be read (an I/O or HTTP error, a size limit, not a
/// regular file): it fails alone, under one finding code, with `why`.
fn unreadable_job(p: &Project, job: &str, why: String) -> ItemReport {
    let f = Finding::error("pipeline.config-unreadable", why);
    item(ItemKind::Pipeline, p, job, None, Outcome::Failed, vec![f])
}

/// A credential Jenkins listed without values: to be recreated by hand.
fn listed_task(c: &ListedCredential) -> Finding {
    Finding::manual(
        "credential.listed-without-values",
        format!(
            "the folder's config.xml is not readable, so this credential ({}, domain {:?}{}) could only be listed, \
             without its values; recreate it in the v3.0 console",
            if c.type_name.is_empty() { "type unknown" } else { c.type_name.as_str() },
            c.domain,
            if c.description.is_empty() { String::new() } else { format!(", {:?}", c.description) }
        ),
    )
}

/// Why a folder credential is not migrated: its first manual task or error.
fn not_migrated(outcome: Outcome, findings: &[Finding]) -> FolderCredential {
    match findings
        .iter()
        .find(|f| f.severity >= ksdm_model::Severity::Manual)
    {
        Some(f) => FolderCredential::NotMigrated {
            code: f.code.clone(),
            why: f.message.clone(),
        },
        None => FolderCredential::NotMigrated {
            code: String::new(),
            why: format!("the credential is {}", outcome.label().to_lowercase()),
        },
    }
}

/// One manual task per credential reference that does not resolve to a migrated Secret.
fn credential_findings(usage: &[CredentialUse], findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for u in usage
        .iter()
        .filter(|u| u.resolution != Resolution::Migrated)
    {
        if !seen.insert(&u.credential_id) {
            continue;
        }
        let (code, what) = match u.resolution {
            Resolution::NotMigrated => (
                "pipeline.credential-not-migrated",
                format!(
                    "uses credential {:?} ({}), which is not migrated ({}; see the credential's own task)",
                    u.credential_id,
                    u.referenced_in,
                    u.detail.split(':').next().unwrap_or_default()
                ),
            ),
            _ => (
                "pipeline.credential-not-found",
                if u.detail.contains("case-sensitive") {
                    format!("uses credential {:?} ({}): {}", u.credential_id, u.referenced_in, u.detail)
                } else {
                    format!(
                        "uses credential {:?} ({}), which the project's folder does not hold (global credential or typo?)",
                        u.credential_id, u.referenced_in
                    )
                },
            ),
        };
        findings.push(Finding::manual(code, what));
    }
}

fn item(
    kind: ItemKind,
    p: &Project,
    id: &str,
    target: Option<String>,
    outcome: Outcome,
    findings: Vec<Finding>,
) -> ItemReport {
    ItemReport {
        kind,
        project: p.project_id.clone(),
        id: id.to_string(),
        target,
        outcome,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn project(id: &str, name: &str) -> Project {
        Project {
            project_id: id.into(),
            name: name.into(),
            description: String::new(),
            creator: "alice".into(),
            create_time: "2020-01-01 00:00:00".into(),
            status: "active".into(),
            visibility: "private".into(),
            extra: String::new(),
            workspace: Some("ws".into()),
        }
    }

    fn run(mysql: &MysqlData) -> Vec<ItemReport> {
        let items = Mutex::new(Vec::new());
        let emit = |p: ProjectOutput| items.lock().unwrap().extend(p.items);
        let folders: Vec<Result<JenkinsFolder, FolderReadError>> = Vec::new();
        convert_estate(
            mysql,
            &JenkinsKeys::default(),
            folders.into_iter(),
            &ConvertOptions::default(),
            &emit,
        );
        let mut v = items.into_inner().unwrap();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    #[test]
    fn lowercase_collisions_fail_both_and_sanitized_names_collide() {
        let mysql = MysqlData {
            projects: vec![
                project("project-AbC", "one"),
                project("project-abc", "two"),
                project("project-x1", "Team A"),
                project("project-x2", "team-a"),
            ],
            ..MysqlData::default()
        };
        let items = run(&mysql);
        let projects: Vec<&ItemReport> = items
            .iter()
            .filter(|i| i.kind == ItemKind::Project)
            .collect();
        assert_eq!(projects.len(), 4);
        for p in &projects[..2] {
            assert_eq!(p.outcome, Outcome::Failed, "{p:?}");
            assert_eq!(p.findings[0].code, "project.name-collision");
        }
        for p in &projects[2..] {
            assert!(
                p.findings
                    .iter()
                    .any(|f| f.code == "project.duplicate-display-name"),
                "{p:?}"
            );
        }
    }

    #[test]
    fn rows_of_unknown_projects_are_reported() {
        let mysql = MysqlData {
            projects: vec![project("project-a", "a")],
            memberships: vec![Membership {
                username: "bob".into(),
                project_id: "project-gone".into(),
                role: "owner".into(),
                status: "active".into(),
                grant_by: "bob".into(),
            }],
            ..MysqlData::default()
        };
        let items = run(&mysql);
        let m = items
            .iter()
            .find(|i| i.kind == ItemKind::Membership)
            .expect("membership reported");
        assert_eq!(
            (m.outcome, m.project.as_str()),
            (Outcome::Skipped, "project-gone")
        );
    }
}
