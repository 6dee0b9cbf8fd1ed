//! Kubernetes naming rules (DNS-1123) and display-name sanitising (`docs/v30-objects.md` §6).

/// Maximum length of a DNS-1123 label (Namespace names, and so DevOpsProject names).
pub const DNS1123_LABEL_MAX: usize = 63;
/// Maximum length of a DNS-1123 subdomain (most object names).
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;
/// Longest `generateName` prefix that keeps the generated name a valid label (63 − 5 random chars).
pub const GENERATE_NAME_MAX: usize = 58;

fn is_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Why a name is not valid, or `None` when it is a DNS-1123 label.
pub fn label_problem(name: &str) -> Option<String> {
    let b = name.as_bytes();
    if b.is_empty() {
        return Some("is empty".into());
    }
    if b.len() > DNS1123_LABEL_MAX {
        return Some(format!(
            "is {} characters long (at most {DNS1123_LABEL_MAX})",
            b.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "contains {c:?} (only lowercase letters, digits and '-' are allowed)"
        ));
    }
    if !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return Some("must start and end with a lowercase letter or digit".into());
    }
    None
}

/// Why a name is not valid, or `None` when it is a DNS-1123 subdomain.
pub fn subdomain_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name.len() > DNS1123_SUBDOMAIN_MAX {
        return Some(format!(
            "is {} characters long (at most {DNS1123_SUBDOMAIN_MAX})",
            name.len()
        ));
    }
    for part in name.split('.') {
        let b = part.as_bytes();
        if b.is_empty() {
            return Some("has an empty part between dots".into());
        }
        if let Some(c) = part
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Some(format!(
                "contains {c:?} (only lowercase letters, digits, '-' and '.' are allowed)"
            ));
        }
        if !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
            return Some("must start and end with a lowercase letter or digit".into());
        }
    }
    None
}

/// Turns a display name into a valid `generateName` prefix: lowercase, runs of other characters
/// become one `-`, no leading/trailing `-`, at most [`GENERATE_NAME_MAX`] characters. Returns
/// `None` when nothing usable is left (e.g. a name of only CJK characters).
pub fn sanitize_display_name(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    out.truncate(GENERATE_NAME_MAX);
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label_problem("project-w4znlwjlzgrb"), None);
        assert!(label_problem("Project").unwrap().contains("'P'"));
        assert!(label_problem("-a").is_some());
        assert!(label_problem(&"a".repeat(64)).is_some());
        assert!(label_problem("").is_some());
    }

    #[test]
    fn subdomains() {
        assert_eq!(subdomain_problem("github-token.v2"), None);
        assert!(subdomain_problem("build_release").unwrap().contains("'_'"));
        assert!(subdomain_problem("a..b").is_some());
        assert!(subdomain_problem("From SSH").is_some());
    }

    #[test]
    fn sanitizing() {
        assert_eq!(
            sanitize_display_name("Team Alpha_CI").as_deref(),
            Some("team-alpha-ci")
        );
        assert_eq!(sanitize_display_name("ok-name").as_deref(), Some("ok-name"));
        assert_eq!(sanitize_display_name("--x--").as_deref(), Some("x"));
        assert_eq!(sanitize_display_name("项目"), None);
        assert_eq!(
            sanitize_display_name(&"a".repeat(80)).unwrap().len(),
            GENERATE_NAME_MAX
        );
    }
}
