//! Folder credentials' metadata from the credentials store API
//! (`GET /job/<p>/credentials/store/folder/domain/_/api/json?depth=2`, `docs/v21-sources.md` §4.1).
//!
//! The API never returns secret values: this is what is left of a folder's credentials when
//! its `config.xml` cannot be read, and a cross-check of what the `config.xml` holds.

use serde::Deserialize;

/// One credential as listed by the credentials store API (no values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialMetadata {
    /// Credential domain (`_` = global).
    pub domain: String,
    /// Credential id (case-sensitive).
    pub id: String,
    /// Jenkins `typeName`, the descriptor's display name (e.g. `Username with password`;
    /// locale-dependent).
    pub type_name: String,
    /// Jenkins `displayName` (e.g. `admin/******`).
    pub display_name: String,
    /// Description.
    pub description: String,
}

/// The `DomainWrapper` answer.
#[derive(Deserialize)]
struct DomainAnswer {
    #[serde(default, rename = "urlName")]
    url_name: Option<String>,
    #[serde(default)]
    credentials: Vec<CredentialAnswer>,
}

/// One entry of `credentials`.
#[derive(Deserialize)]
struct CredentialAnswer {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "typeName")]
    type_name: Option<String>,
    #[serde(default, rename = "displayName")]
    display_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// Parses the credentials store answer of one domain. The error text never quotes the body.
pub(crate) fn parse_domain(body: &[u8]) -> Result<Vec<CredentialMetadata>, String> {
    let answer: DomainAnswer = serde_json::from_slice(body).map_err(|e| {
        format!(
            "not a credentials domain JSON object (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let domain = answer.url_name.unwrap_or_else(|| "_".to_owned());
    Ok(answer
        .credentials
        .into_iter()
        .map(|c| CredentialMetadata {
            domain: domain.clone(),
            id: c.id.unwrap_or_default(),
            type_name: c.type_name.unwrap_or_default(),
            display_name: c.display_name.unwrap_or_default(),
            description: c.description.unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_domain_wrapper() {
        let body =
            br#"{"_class":"com.cloudbees.plugins.credentials.CredentialsStoreAction$DomainWrapper",
            "credentials":[{"description":"d","displayName":"admin/******","fingerprint":null,
            "fullName":"p/_/gh","id":"gh","typeName":"Username with password"}],
            "displayName":"Global credentials (unrestricted)","global":true,"urlName":"_"}"#;
        let creds = parse_domain(body).unwrap();
        assert_eq!(
            creds,
            vec![CredentialMetadata {
                domain: "_".into(),
                id: "gh".into(),
                type_name: "Username with password".into(),
                display_name: "admin/******".into(),
                description: "d".into(),
            }]
        );
    }

    #[test]
    fn bad_json_does_not_echo_the_body() {
        let err = parse_domain(br#"{"credentials": "s3cret"#).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
