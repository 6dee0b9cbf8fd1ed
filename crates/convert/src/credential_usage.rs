//! Which credentials a pipeline uses, and whether each one exists as a migrated Secret.
//!
//! References come from two places:
//! - the job's `config.xml`: every `<credentialsId>` (or `<credentialId>`) element, wherever it
//!   sits (branch sources, "Pipeline script from SCM" definitions, plugin settings);
//! - the inline Jenkinsfile: `credentials('id')`, `credentialsId: 'id'` in any step
//!   (`usernamePassword`, `sshUserPrivateKey`, `string`, `file`, `kubeconfigFile`,
//!   `kubeconfigContent`, `git`, `checkout`, …) and `sshagent(['id', …])` /
//!   `sshagent(credentials: [...])`.
//!
//! Ids built at run time (`"${VAR}"`) cannot be resolved offline and are left out. Each
//! reference is then resolved against the credentials of the project's Jenkins folder: a
//! pipeline only finds its credentials in v3.0 if they were migrated into the project.

use std::collections::BTreeMap;

use ksdm_jenkins_xml::dom::{self, Element};
pub use ksdm_model::usage::{CredentialUse, Resolution};

/// One place where a pipeline names a credential id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CredentialRef {
    /// The credential id, as written.
    pub id: String,
    /// Where it is referenced, e.g. `config.xml GitSCMSource` or `Jenkinsfile line 12: sshagent`.
    pub referenced_in: String,
}

/// What the folder holds under one credential id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderCredential {
    /// Becomes a Secret.
    Migrated,
    /// Not migrated: the code of the credential's own finding and its message.
    NotMigrated {
        /// Finding code, e.g. `credential.id-unrepresentable`.
        code: String,
        /// The finding's message.
        why: String,
    },
}

/// Every credential reference of a job (`config.xml` bytes), deduplicated, in document order.
/// A file that cannot be parsed yields no references (the pipeline fails for that reason).
pub fn job_references(xml: &[u8], jenkinsfile: Option<&str>) -> Vec<CredentialRef> {
    let mut refs = Vec::new();
    if let Ok(root) = dom::parse(xml) {
        xml_references(&root, &mut Vec::new(), &mut refs);
    }
    if let Some(script) = jenkinsfile {
        refs.extend(jenkinsfile_references(script));
    }
    let mut seen = std::collections::HashSet::new();
    refs.retain(|r| seen.insert(r.clone()));
    refs
}

fn xml_references<'a>(
    e: &'a Element,
    ancestors: &mut Vec<&'a Element>,
    out: &mut Vec<CredentialRef>,
) {
    if (e.raw_name == "credentialsId" || e.raw_name == "credentialId") && e.children.is_empty() {
        let id = e.text.trim();
        if !id.is_empty() && !id.contains('$') {
            // The nearest ancestor with a class names the setting (GitSCM, GitHubSCMSource, …).
            let owner = ancestors
                .iter()
                .rev()
                .find_map(|a| {
                    a.attr("class")
                        .map(|c| c.rsplit(['.', '$']).next().unwrap_or(c).to_string())
                })
                .or_else(|| ancestors.last().map(|a| a.name.clone()))
                .unwrap_or_default();
            out.push(CredentialRef {
                id: id.to_string(),
                referenced_in: format!("config.xml {owner}"),
            });
        }
        return;
    }
    ancestors.push(e);
    for c in &e.children {
        xml_references(c, ancestors, out);
    }
    ancestors.pop();
}

/// Credential references in a Groovy pipeline script (a lexical scan, not a Groovy parser:
/// it finds the forms listed in the module documentation and skips `//` comment lines).
pub fn jenkinsfile_references(script: &str) -> Vec<CredentialRef> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // The line number of `counted`, kept up to date as the scan moves forward (counting from
    // the start for every word made the scan quadratic in the script's size).
    let (mut line, mut counted) = (1, 0);
    while i < b.len() {
        // Skip comments and string literals as wholes, so words inside strings are not matched.
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            i = line_end(b, i);
            continue;
        }
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i = script[i + 2..]
                .find("*/")
                .map(|k| i + 2 + k + 2)
                .unwrap_or(b.len());
            continue;
        }
        if b[i] == b'\'' || b[i] == b'"' {
            i = string_literal(script, i)
                .map(|(_, end)| end)
                .unwrap_or(b.len());
            continue;
        }
        if !is_ident_start(b[i]) || (i > 0 && is_ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let word = &script[start..i];
        line += script[counted..start].matches('\n').count();
        counted = start;
        match word {
            "credentialsId" => {
                let j = skip_ws(b, i);
                if matches!(b.get(j), Some(b':') | Some(b'=')) {
                    if let Some((id, _)) = string_literal(script, skip_ws(b, j + 1)) {
                        push(
                            &mut out,
                            id,
                            format!("Jenkinsfile line {line}: {}", enclosing_call(script, start)),
                        );
                    }
                }
            }
            "credentials" => {
                let j = skip_ws(b, i);
                if b.get(j) == Some(&b'(') {
                    let k = skip_ws(b, j + 1);
                    if let Some((id, _)) = string_literal(script, k) {
                        push(
                            &mut out,
                            id,
                            format!("Jenkinsfile line {line}: credentials()"),
                        );
                    }
                }
            }
            "sshagent" => {
                let mut j = skip_ws(b, i);
                if b.get(j) == Some(&b'(') {
                    j = skip_ws(b, j + 1);
                    if script[j..].starts_with("credentials") {
                        j = skip_ws(b, j + "credentials".len());
                        if b.get(j) == Some(&b':') {
                            j = skip_ws(b, j + 1);
                        }
                    }
                    if b.get(j) == Some(&b'[') {
                        j = skip_ws(b, j + 1);
                        while let Some((id, end)) = string_literal(script, j) {
                            push(&mut out, id, format!("Jenkinsfile line {line}: sshagent"));
                            j = skip_ws(b, end);
                            if b.get(j) == Some(&b',') {
                                j = skip_ws(b, j + 1);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn push(out: &mut Vec<CredentialRef>, id: String, referenced_in: String) {
    if !id.is_empty() && !id.contains("${") {
        out.push(CredentialRef { id, referenced_in });
    }
}

/// The name of the call whose argument list holds position `at` (`usernamePassword`,
/// `checkout`, `git`, …), or `credentialsId` when there is none.
fn enclosing_call(script: &str, at: usize) -> String {
    let b = script.as_bytes();
    let mut depth = 0i32;
    let mut k = at;
    let limit = at.saturating_sub(4000);
    while k > limit {
        k -= 1;
        match b[k] {
            b')' => depth += 1,
            b'(' if depth == 0 => {
                let end = skip_ws_back(b, k);
                let mut s = end;
                while s > 0 && is_ident(b[s - 1]) {
                    s -= 1;
                }
                if s < end {
                    return format!("{}(credentialsId)", &script[s..end]);
                }
                return "credentialsId".into();
            }
            b'(' => depth -= 1,
            b'{' | b'}' if depth == 0 => break,
            _ => {}
        }
    }
    // A call without parentheses (`git url: '…', credentialsId: '…'`): the line's first word.
    let line_start = script[..at].rfind('\n').map(|p| p + 1).unwrap_or(0);
    let first: String = script[line_start..at]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if first.is_empty() || first == "credentialsId" {
        "credentialsId".into()
    } else {
        format!("{first}(credentialsId)")
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn skip_ws_back(b: &[u8], mut i: usize) -> usize {
    while i > 0 && b[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    i
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|c| *c == b'\n')
        .map(|p| i + p)
        .unwrap_or(b.len())
}

/// A Groovy string literal at `i` (`'…'`, `"…"`, `'''…'''`, `"""…"""`): its text (escapes
/// removed) and the position after it.
fn string_literal(script: &str, i: usize) -> Option<(String, usize)> {
    let b = script.as_bytes();
    let q = *b.get(i)?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    let (open, close): (usize, &[u8]) = if triple {
        (3, &b[i..i + 3])
    } else {
        (1, &b[i..i + 1])
    };
    let mut j = i + open;
    let mut text = Vec::new();
    while j < b.len() {
        if b[j] == b'\\' && j + 1 < b.len() {
            text.push(b[j + 1]);
            j += 2;
            continue;
        }
        if b[j..].starts_with(close) {
            return Some((String::from_utf8_lossy(&text).into_owned(), j + close.len()));
        }
        if !triple && b[j] == b'\n' {
            return None;
        }
        text.push(b[j]);
        j += 1;
    }
    None
}

/// Resolves `refs` of pipeline `pipeline` in `project` against the folder's credentials.
pub fn resolve(
    project: &str,
    pipeline: &str,
    refs: &[CredentialRef],
    folder: &BTreeMap<String, FolderCredential>,
) -> Vec<CredentialUse> {
    refs.iter()
        .map(|r| {
            let (resolution, detail) = match folder.get(&r.id) {
                Some(FolderCredential::Migrated) => (Resolution::Migrated, String::new()),
                Some(FolderCredential::NotMigrated { code, why }) => (Resolution::NotMigrated, format!("{code}: {why}")),
                None => {
                    let near: Vec<&String> = folder.keys().filter(|k| k.eq_ignore_ascii_case(&r.id)).collect();
                    let detail = match near.first() {
                        Some(k) => format!("the project's folder has no credential {:?} (ids are case-sensitive; it has {k:?})", r.id),
                        None => format!(
                            "the project's folder has no credential {:?}: a Jenkins global credential, another \
                             folder's, or a typo; v3.0 pipelines see only their project's credentials",
                            r.id
                        ),
                    };
                    (Resolution::NotFound, detail)
                }
            };
            CredentialUse {
                project: project.to_string(),
                pipeline: pipeline.to_string(),
                credential_id: r.id.clone(),
                referenced_in: r.referenced_in.clone(),
                resolution,
                detail,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(script: &str) -> Vec<(String, String)> {
        jenkinsfile_references(script)
            .into_iter()
            .map(|r| (r.id, r.referenced_in))
            .collect()
    }

    #[test]
    fn strings_and_comments_are_not_references() {
        assert!(
            ids("echo 'credentials(\"x\")'\n// credentialsId: 'y'\n/* sshagent(['z']) */")
                .is_empty()
        );
        assert!(
            ids("withCredentials([string(credentialsId: \"${ID}\", variable: 'T')]) {}").is_empty()
        );
    }

    #[test]
    fn enclosing_call_without_parentheses() {
        assert_eq!(
            ids("git url: 'https://x', credentialsId: 'gh'"),
            [(
                "gh".to_string(),
                "Jenkinsfile line 1: git(credentialsId)".to_string()
            )]
        );
    }

    #[test]
    fn resolution_names_case_mismatch() {
        let mut folder = BTreeMap::new();
        folder.insert(
            "GitHub_Token".to_string(),
            FolderCredential::NotMigrated {
                code: "c.x".into(),
                why: "bad name".into(),
            },
        );
        folder.insert("ok".to_string(), FolderCredential::Migrated);
        let refs = [
            CredentialRef {
                id: "github_token".into(),
                referenced_in: "x".into(),
            },
            CredentialRef {
                id: "GitHub_Token".into(),
                referenced_in: "x".into(),
            },
            CredentialRef {
                id: "ok".into(),
                referenced_in: "x".into(),
            },
        ];
        let r = resolve("p", "j", &refs, &folder);
        assert_eq!(r[0].resolution, Resolution::NotFound);
        assert!(r[0].detail.contains("\"GitHub_Token\""), "{}", r[0].detail);
        assert_eq!(
            (r[1].resolution, r[1].detail.as_str()),
            (Resolution::NotMigrated, "c.x: bad name")
        );
        assert_eq!(r[2].resolution, Resolution::Migrated);
    }
}
