//! `GET /job/<p>/credentials/store/folder/domain/<d>/api/json`: a folder store domain's
//! credentials as the credentials plugin's `DomainWrapper` JSON (metadata only).
//!
//! `typeName` uses the English display names of the four KubeSphere types (the simple class
//! name otherwise); `displayName` approximates `CredentialsNameProvider` (`user/******`,
//! `user`, the description or the id); `fingerprint` is always `null`.

use ksdm_jenkins_xml::folder::parse_folder_credentials;
use ksdm_model::v21::{CredentialKind, JenkinsCredential};
use serde_json::{json, Value};

/// The `DomainWrapper` JSON of domain `domain` of a folder `config.xml`, or `None` when the file
/// is not well-formed (Jenkins would not have loaded the folder).
pub fn domain_json(folder: &str, domain: &str, config_xml: &[u8]) -> Option<Value> {
    let config = parse_folder_credentials(config_xml).ok()?;
    let credentials: Vec<Value> = config
        .credentials
        .iter()
        .filter(|c| c.domain == domain)
        .map(|c| {
            json!({
                "description": c.description,
                "displayName": display_name(c),
                "fingerprint": Value::Null,
                "fullName": format!("{folder}/{domain}/{}", c.id),
                "id": c.id,
                "typeName": type_name(&c.class),
            })
        })
        .collect();
    let global = domain == "_";
    let display = if global {
        "Global credentials (unrestricted)".to_owned()
    } else {
        domain.to_owned()
    };
    Some(json!({
        "_class": "com.cloudbees.plugins.credentials.CredentialsStoreAction$DomainWrapper",
        "credentials": credentials,
        "description": if global { "Credentials that should be available irrespective of domain specification to requirements matching." } else { "" },
        "displayName": display,
        "fullDisplayName": format!("{folder} » {display}"),
        "fullName": format!("{folder}/{domain}"),
        "global": global,
        "urlName": domain,
    }))
}

fn type_name(class: &str) -> String {
    match class.rsplit('.').next().unwrap_or(class) {
        "UsernamePasswordCredentialsImpl" => "Username with password".into(),
        "BasicSSHUserPrivateKey" => "SSH Username with private key".into(),
        "StringCredentialsImpl" => "Secret text".into(),
        "KubeconfigCredentials" => "Kubernetes configuration (kubeconfig)".into(),
        other => other.to_owned(),
    }
}

fn display_name(c: &JenkinsCredential) -> String {
    let with_description = |base: String| {
        if c.description.is_empty() {
            base
        } else {
            format!("{base} ({})", c.description)
        }
    };
    match &c.kind {
        CredentialKind::UsernamePassword { username, .. } => {
            with_description(format!("{username}/******"))
        }
        CredentialKind::SshPrivateKey { username, .. } => with_description(username.clone()),
        _ if !c.description.is_empty() => c.description.clone(),
        _ => c.id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CredentialSpec, HomeBuilder};

    #[test]
    fn lists_one_domain_without_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut home = HomeBuilder::new(dir.path()).unwrap();
        let global = [CredentialSpec::UsernamePassword {
            id: "u".into(),
            username: "bot".into(),
            password: "hunter2".into(),
        }];
        let other = [CredentialSpec::SecretText {
            id: "t".into(),
            secret: "x".into(),
        }];
        home.folder_with_domains("p", &[(None, &global), (Some("gh"), &other)])
            .unwrap();
        let xml = std::fs::read(dir.path().join("jobs/p/config.xml")).unwrap();
        let body = domain_json("p", "_", &xml).unwrap();
        assert_eq!(body["credentials"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["credentials"][0]["id"], "u");
        assert_eq!(body["credentials"][0]["typeName"], "Username with password");
        assert_eq!(body["credentials"][0]["displayName"], "bot/******");
        assert_eq!(body["urlName"], "_");
        assert!(!body.to_string().contains("hunter2"));
        assert_eq!(
            domain_json("p", "gh", &xml).unwrap()["credentials"][0]["typeName"],
            "Secret text"
        );
        assert!(domain_json("p", "_", b"<broken").is_none());
    }
}
