//! Credential references in a Jenkinsfile that uses every form the assessment recognises.

use ksdm_convert::credential_usage::jenkinsfile_references;

#[test]
fn every_reference_form_is_found_with_its_step() {
    let script = include_str!("data/every_reference_form.Jenkinsfile");
    let found: Vec<(String, String)> = jenkinsfile_references(script)
        .into_iter()
        .map(|r| (r.id, r.referenced_in))
        .collect();
    let expected = [
        ("env-credentials", "Jenkinsfile line 6: credentials()"),
        ("env-credentials-dq", "Jenkinsfile line 7: credentials()"),
        (
            "wc-username-password",
            "Jenkinsfile line 12: usernamePassword(credentialsId)",
        ),
        (
            "wc-ssh-key",
            "Jenkinsfile line 15: sshUserPrivateKey(credentialsId)",
        ),
        ("wc-string", "Jenkinsfile line 16: string(credentialsId)"),
        ("wc-file", "Jenkinsfile line 17: file(credentialsId)"),
        (
            "wc-kubeconfig-file",
            "Jenkinsfile line 18: kubeconfigFile(credentialsId)",
        ),
        (
            "wc-kubeconfig-content",
            "Jenkinsfile line 19: kubeconfigContent(credentialsId)",
        ),
        ("sshagent-list-1", "Jenkinsfile line 20: sshagent"),
        ("sshagent-list-2", "Jenkinsfile line 20: sshagent"),
        ("sshagent-named", "Jenkinsfile line 21: sshagent"),
        ("git-step", "Jenkinsfile line 22: git(credentialsId)"),
        (
            "git-step-no-parens",
            "Jenkinsfile line 23: git(credentialsId)",
        ),
        (
            "checkout-scm",
            "Jenkinsfile line 25: checkout(credentialsId)",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(found, expected);
}
