//! One explanation per finding code: what happens, when it happens, and what to do. The report
//! prints each code's explanation once (in its glossary section) so that the per-item cells can
//! stay short.

use serde::Serialize;

/// The explanation of one finding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The finding code.
    pub code: &'static str,
    /// What happens to the item.
    pub what: &'static str,
    /// When it happens.
    pub when: &'static str,
    /// What to do about it.
    pub action: &'static str,
}

const MIGRATION: &str = "during the migration";
const LATER_EDIT: &str = "not at migration: the v3.0 controller leaves the Jenkins job as it is while the Pipeline \
                          matches it, and rewrites config.xml without this setting the first time the Pipeline is \
                          edited in KubeSphere";
const NOTHING: &str = "nothing";
const NO_EDIT: &str =
    "keep editing this job in Jenkins, or re-create the setting by hand after every edit in \
                       KubeSphere; accept the loss if the setting is not needed";

macro_rules! e {
    ($code:literal, $what:expr, $when:expr, $action:expr) => {
        Explanation {
            code: $code,
            what: $what,
            when: $when,
            action: $action,
        }
    };
}

/// Every code, sorted.
pub const GLOSSARY: &[Explanation] = &[
    e!("credential.domain-unsupported", "the credential is in a Jenkins credential domain other than the global one; v3.0 manages only the global domain, so no Secret is written and it stays in Jenkins", MIGRATION, "move the credential to the global domain in Jenkins and rerun, or re-create it in KubeSphere"),
    e!("credential.empty-field", "a field of the credential is empty in Jenkins; the Secret carries the empty value", MIGRATION, "check that the credential is complete in Jenkins"),
    e!("credential.id-unrepresentable", "the credential id is not a valid Kubernetes Secret name; renaming it would break every pipeline that names the id, so no Secret is written", MIGRATION, "create a credential with a lower-case id in KubeSphere and change the pipelines that use it (see credential-usage.csv)"),
    e!("credential.key-source-unsupported", "the SSH key or kubeconfig is not entered directly (a file on the Jenkins controller or similar); it cannot become a Secret", MIGRATION, "re-enter the key in KubeSphere"),
    e!("credential.listed-without-values", "the project's folder config.xml could not be read, but Jenkins still lists the credential (metadata only); no Secret is written", MIGRATION, "recreate the credential in the KubeSphere project, or make the folder readable and rerun"),
    e!("credential.missing-in-jenkins", "MySQL lists a credential that Jenkins no longer has; there is nothing to migrate", MIGRATION, NOTHING),
    e!("credential.no-metadata-row", "the credential was created in the Jenkins UI (no MySQL row); it is migrated with the project creator as its creator", MIGRATION, NOTHING),
    e!("credential.not-utf8", "a decrypted value is not UTF-8; invalid bytes are replaced as Jenkins does", MIGRATION, "check the Secret's value"),
    e!("credential.project-not-migrated", "the credential belongs to a project that is not migrated", MIGRATION, NOTHING),
    e!("credential.store-unreadable", "the project's folder config.xml cannot be read, so none of its credentials is migrated", MIGRATION, "repair the folder's config.xml in Jenkins and rerun"),
    e!("credential.stored-unencrypted", "a field is stored in plain text in Jenkins; it is migrated as stored", MIGRATION, NOTHING),
    e!("credential.type-unsupported", "v3.0 has no Secret type for this kind of credential (e.g. secret file, certificate); no Secret is written and it stays in Jenkins", MIGRATION, "keep it in Jenkins, or replace its use in the pipelines with a supported type"),
    e!("credential.undecryptable", "the values cannot be decrypted with the Jenkins key files; no Secret is written", MIGRATION, "provide the right secrets/master.key and secrets/hudson.util.Secret, or re-enter the credential in KubeSphere"),
    e!("credential.values-omitted", "the Secret is written without the secret values; Jenkins keeps the real value because the Secret has no autosync annotation", MIGRATION, "re-enter the value in KubeSphere before editing the credential there"),
    e!("membership.invalid-name", "the RoleBinding name made from the user and role is not a valid name; no RoleBinding is written", MIGRATION, "grant the role in the KubeSphere console"),
    e!("membership.project-not-migrated", "the membership belongs to a project that is not migrated", MIGRATION, NOTHING),
    e!("membership.rights-changed", "a v2.1 developer gets the v3.0 role chosen with --developer-role", MIGRATION, NOTHING),
    e!("membership.rights-slightly-widened", "a v2.1 maintainer becomes v3.0 operator, which can also edit and delete pipelines", MIGRATION, "narrow the user's role in the console if that matters"),
    e!("membership.rights-widened", "a v2.1 developer (build, cancel, read) becomes v3.0 operator, which can also create, edit and delete pipelines and credentials", MIGRATION, "rerun with --developer-role viewer to narrow, or accept"),
    e!("membership.unknown-role", "the membership has a role v2.1 does not define; no RoleBinding is written", MIGRATION, "grant a role in the KubeSphere console if the user needs one"),
    e!("pipeline.branch-property-strategy-lost", "branch properties of the branch source (e.g. suppress automatic SCM triggering) are dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.build-strategy-lost", "a build strategy of the branch source is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.choice-values-changed", "the v3.0 parser trims a choice parameter's list as a whole, so outer spaces and empty first or last choices are gone after a rewrite", LATER_EDIT, "check the choices after an edit in KubeSphere, or remove the empty/padded choices in Jenkins"),
    e!("pipeline.clone-option-lost", "a git clone option v3.0 does not model is reset", LATER_EDIT, NO_EDIT),
    e!("pipeline.config-unreadable", "the job's config.xml could not be read (an I/O or HTTP error, a size limit, or not a regular file); this pipeline fails alone", MIGRATION, "make the file readable (or fix the Jenkins permissions) and rerun"),
    e!("pipeline.credential-not-found", "the pipeline names a credential id its project's folder does not hold (a Jenkins global credential, another folder's, or a typo); v3.0 pipelines only see their project's credentials, so the build fails where it uses it", "after the migration, on the first build that uses the credential", "create the credential in the KubeSphere project under this id (or fix the id in the pipeline)"),
    e!("pipeline.credential-not-migrated", "the pipeline uses a credential of its project that is not migrated (see the credential's own finding); the Jenkins job keeps working while the credential stays in Jenkins, but KubeSphere does not know it", "after the migration, when the credential is edited or the job is moved", "fix the credential (see its manual task) and update the pipeline to the new id"),
    e!("pipeline.definition-missing", "config.xml has no pipeline definition; a rewrite writes an empty inline script", LATER_EDIT, NO_EDIT),
    e!("pipeline.definition-unsupported", "the pipeline definition is not an inline script; a rewrite replaces it with one", LATER_EDIT, NO_EDIT),
    e!("pipeline.disabled-lost", "the job is disabled; a rewrite enables it", LATER_EDIT, "disable it again after an edit, or delete the job if it is not needed"),
    e!("pipeline.discarder-artifacts-lost", "the build discarder's artifact limits are reset to 'keep all'", LATER_EDIT, NO_EDIT),
    e!("pipeline.discarder-lost", "a build discarder that is not a LogRotator is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.docker-label-lost", "the Declarative Docker label and registry of the folder are reset to empty", LATER_EDIT, NO_EDIT),
    e!("pipeline.extra-branch-sources", "only the first branch source is kept; the others are dropped", LATER_EDIT, "split the job into one multi-branch pipeline per source"),
    e!("pipeline.factory-unsupported", "the project factory is replaced by the standard Jenkinsfile one", LATER_EDIT, NO_EDIT),
    e!("pipeline.first-line-version-rewrite", "the v3.0 parser replaces '1.1' with '1.0' on the first line of config.xml, which here changes content, not only the XML declaration", "when the controller reads the job", "put a line break after the XML declaration (re-save the job in Jenkins)"),
    e!("pipeline.fork-trust-unsupported", "the fork pull-request trust is one v3.0 does not know, so fork pull-request discovery is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.health-metrics-reset", "the folder's health metrics are reset to the default 'worst child' metric", LATER_EDIT, NO_EDIT),
    e!("pipeline.icon-reset", "the folder icon is reset to the default", LATER_EDIT, "set it again after an edit, or accept"),
    e!("pipeline.inert-property-dropped", "a plugin property that configures nothing in its current state (e.g. throttling off) is dropped; Jenkins behaves the same without it", LATER_EDIT, NOTHING),
    e!("pipeline.name-collision", "two jobs of the folder have the same name after lower-casing; neither is migrated", MIGRATION, "rename one of the jobs in Jenkins and rerun"),
    e!("pipeline.name-lowercased", "the Pipeline name is the lower-cased job name; Jenkins finds the job case-insensitively", MIGRATION, NOTHING),
    e!("pipeline.name-unrepresentable", "the job name cannot be a Kubernetes name (e.g. it contains '_'); renaming would create a new job without history, so no Pipeline is written", MIGRATION, "rename the job in Jenkins (or re-create it in KubeSphere) and rerun"),
    e!("pipeline.orphaned-strategy-lost", "settings of the orphaned-branch strategy are reset", LATER_EDIT, NO_EDIT),
    e!("pipeline.parameter-trim-lost", "a string parameter's 'trim' option is dropped, so values keep their leading and trailing spaces", LATER_EDIT, NO_EDIT),
    e!("pipeline.parameter-type-unsupported", "a build parameter of a type v3.0 does not support is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.password-default", "a password parameter's default becomes the parameter's own name (the real default is encrypted in Jenkins)", LATER_EDIT, "set the default again in Jenkins after an edit in KubeSphere"),
    e!("pipeline.property-lost", "a job or folder property v3.0 does not model (a plugin's settings) is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.round-trip-unstable", "after the first rewrite, the job no longer matches its Pipeline, so the controller rewrites it on every reconcile", LATER_EDIT, "avoid editing this Pipeline in KubeSphere, or remove the cause named in the finding from the job"),
    e!("pipeline.sandbox-false", "the inline script runs outside the Groovy sandbox; a rewrite forces the sandbox on, and scripts that need unsandboxed methods fail", LATER_EDIT, "get the script's methods approved, or keep editing the job in Jenkins"),
    e!("pipeline.scm-definition-lost", "the Jenkinsfile comes from SCM; v3.0 reads it as an empty inline script and a rewrite makes the job an empty inline pipeline", LATER_EDIT, "re-create the job as a multi-branch pipeline in KubeSphere, or keep editing it in Jenkins"),
    e!("pipeline.setting-lost", "a job setting v3.0 does not model is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.source-unsupported", "the branch source type has no v3.0 equivalent; the controller accepts the Pipeline while it matches, but every edit in KubeSphere fails", LATER_EDIT, "edit this job in Jenkins only"),
    e!("pipeline.trait-lost", "a branch-source trait v3.0 does not model is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.trigger-lost", "a build trigger v3.0 does not model is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.trigger-setting-lost", "a setting of the multi-branch job trigger is dropped", LATER_EDIT, NO_EDIT),
    e!("pipeline.unreadable", "config.xml cannot be read; nothing is migrated", MIGRATION, "repair or re-save the job in Jenkins and rerun"),
    e!("pipeline.unsupported-class", "the job is not a pipeline or multi-branch pipeline; v3.0 cannot show it", MIGRATION, "keep it in Jenkins, or re-create it as a pipeline"),
    e!("pipeline.unsupported-job-class", "the job is not a pipeline or multi-branch pipeline; v3.0 cannot show it", MIGRATION, "keep it in Jenkins, or re-create it as a pipeline"),
    e!("pipeline.v30-held-back", "no Pipeline is written or applied: the v3.0 controller would crash or requeue forever on this job; a minimally repaired config.xml and its diff are in jenkins-repairs/ when one can be made", MIGRATION, "copy the repaired config.xml over the job's file in JENKINS_HOME (reload Jenkins), then rerun the migration"),
    e!("pipeline.v30-parser-fails", "the v3.0 controller cannot parse this job and fails or crashes on it", "as soon as the controller reads the job", "fix the job in Jenkins (re-save it with the element named) before the upgrade"),
    e!("project.creator-none", "the project has no active owner to act as creator; the v2.1 creator is kept", MIGRATION, "check who is admin of the project after the migration"),
    e!("project.creator-owner", "the v2.1 creator is no longer an owner, so an active owner becomes the creator (v3.0 makes the creator admin on every reconcile)", MIGRATION, NOTHING),
    e!("project.creator-widening", "with --creator keep, a v2.1 creator who is no longer an owner becomes admin again (v3.0 binds <creator>-admin on every reconcile)", "as soon as the namespace controller reconciles the project", "use --creator owner, or accept the widening"),
    e!("project.default-workspace", "the project had no workspace and is placed in the one given with --default-workspace", MIGRATION, NOTHING),
    e!("project.display-name-sanitized", "the display name is not a valid name prefix; a cleaned-up one is used and the original is kept as the alias", MIGRATION, NOTHING),
    e!("project.display-name-unusable", "the display name has no characters usable in a name; a generic prefix is used and the original is kept as the alias", MIGRATION, NOTHING),
    e!("project.duplicate-display-name", "another project of the workspace gets the same name; both migrate, but the console lists them under the same name", MIGRATION, "rename all but one in the console"),
    e!("project.invalid-name", "the project id is not a valid namespace name; nothing of the project is migrated", MIGRATION, "re-create the project in KubeSphere"),
    e!("project.jenkins-folder-unreadable", "the project's Jenkins folder could not be read; the project fails and nothing of it is written (its credential and membership rows are reported under it)", MIGRATION, "fix the Jenkins permissions or the files, and rerun"),
    e!("project.name-collision", "project ids that differ only in case would become one namespace; none of them is migrated", MIGRATION, "delete or rename all but one project in v2.1 and rerun"),
    e!("project.name-lowercased", "the namespace is the lower-cased project id", MIGRATION, NOTHING),
    e!("project.no-jenkins-folder", "the project has no Jenkins folder (no pipelines or credentials); the v3.0 controller creates an empty one", MIGRATION, NOTHING),
    e!("project.no-workspace", "the project has no workspace and v3.0 requires one; it is not migrated", MIGRATION, "rerun with --default-workspace WS"),
    e!("project.not-selected", "the project is left out by --only/--exclude", MIGRATION, NOTHING),
    e!("project.orphan-folder", "a Jenkins folder has no active project in MySQL; it is not migrated", MIGRATION, "delete the folder in Jenkins, or restore the project"),
    e!("project.soft-deleted", "the project is deleted in v2.1 (kept in MySQL only); it is not migrated", MIGRATION, NOTHING),
];

/// The explanation of `code`, if it is known.
pub fn explain(code: &str) -> Option<&'static Explanation> {
    GLOSSARY
        .binary_search_by(|e| e.code.cmp(code))
        .ok()
        .map(|i| &GLOSSARY[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_unique() {
        for w in GLOSSARY.windows(2) {
            assert!(w[0].code < w[1].code, "{} / {}", w[0].code, w[1].code);
        }
    }

    /// Every code written anywhere in the converters and readers has an explanation.
    #[test]
    fn every_code_in_the_sources_is_explained() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = Vec::new();
        let mut found = 0;
        for dir in ["convert/src", "source/src", "jenkins-xml/src", "run/src"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let text = text.split("#[cfg(test)]").next().unwrap_or_default();
                for part in text.split('"').skip(1).step_by(2) {
                    let is_code = ["pipeline.", "project.", "credential.", "membership."]
                        .iter()
                        .any(|p| part.starts_with(p))
                        && part.len() > 10
                        && part.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'
                        });
                    if is_code {
                        found += 1;
                        if explain(part).is_none() {
                            missing.push(format!("{part} ({})", path.display()));
                        }
                    }
                }
            }
        }
        assert!(found > 40, "only {found} codes found");
        assert!(
            missing.is_empty(),
            "codes without an explanation: {missing:?}"
        );
    }
}
