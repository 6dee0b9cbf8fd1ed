//! Other `JENKINS_HOME` files of a KubeSphere v2.1 Jenkins that a migrator meets but does not
//! migrate: the root `config.xml` with the role-strategy membership mirror
//! (`docs/v21-sources.md` §2.5), the JCasC `init-job`, items created in the Jenkins UI (a freestyle
//! job, a "Pipeline script from SCM" job), Jenkins-generated branch jobs and build records.

use crate::xml::{document, Dialect, El};

/// The four KubeSphere project roles, in role-strategy name order.
pub const KUBESPHERE_ROLES: [&str; 4] = ["developer", "maintainer", "owner", "reporter"];

fn project_permissions(role: &str) -> &'static [&'static str] {
    match role {
        "owner" => &[
            "com.cloudbees.plugins.credentials.CredentialsProvider.Create",
            "com.cloudbees.plugins.credentials.CredentialsProvider.Delete",
            "com.cloudbees.plugins.credentials.CredentialsProvider.ManageDomains",
            "com.cloudbees.plugins.credentials.CredentialsProvider.Update",
            "com.cloudbees.plugins.credentials.CredentialsProvider.View",
            "hudson.model.Item.Build",
            "hudson.model.Item.Cancel",
            "hudson.model.Item.Configure",
            "hudson.model.Item.Create",
            "hudson.model.Item.Delete",
            "hudson.model.Item.Discover",
            "hudson.model.Item.Move",
            "hudson.model.Item.Read",
            "hudson.model.Item.Workspace",
            "hudson.model.Run.Delete",
            "hudson.model.Run.Replay",
            "hudson.model.Run.Update",
            "hudson.scm.SCM.Tag",
        ],
        "maintainer" => &[
            "com.cloudbees.plugins.credentials.CredentialsProvider.Create",
            "com.cloudbees.plugins.credentials.CredentialsProvider.Delete",
            "com.cloudbees.plugins.credentials.CredentialsProvider.Update",
            "com.cloudbees.plugins.credentials.CredentialsProvider.View",
            "hudson.model.Item.Build",
            "hudson.model.Item.Cancel",
            "hudson.model.Item.Create",
            "hudson.model.Item.Discover",
            "hudson.model.Item.Read",
            "hudson.model.Item.Workspace",
            "hudson.model.Run.Replay",
            "hudson.model.Run.Update",
        ],
        "developer" => &[
            "hudson.model.Item.Build",
            "hudson.model.Item.Cancel",
            "hudson.model.Item.Discover",
            "hudson.model.Item.Read",
            "hudson.model.Item.Workspace",
            "hudson.model.Run.Replay",
            "hudson.model.Run.Update",
        ],
        _ => &["hudson.model.Item.Discover", "hudson.model.Item.Read"],
    }
}

/// One project's role assignments for the role-strategy mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRoles {
    /// Project id (Jenkins folder name).
    pub project_id: String,
    /// `(username, role)` pairs; roles outside [`KUBESPHERE_ROLES`] get no Jenkins role.
    pub members: Vec<(String, String)>,
}

fn role(name: &str, pattern: &str, permissions: &[&str], sids: &[&str]) -> El {
    let mut perms = El::new("permissions");
    for p in permissions {
        perms.push_text("permission", p);
    }
    let mut assigned = El::new("assignedSIDs");
    for s in sids {
        assigned.push_text("sid", s);
    }
    El::new("role")
        .attr("name", name)
        .attr("pattern", pattern)
        .child(perms)
        .child(assigned)
}

/// The root `config.xml` of a KubeSphere v2.1 Jenkins 2.176.2: LDAP realm and a
/// `RoleBasedAuthorizationStrategy` with the global `admin` and `kubesphere-user` roles and the
/// 8 project roles per project (`<id>-<role>-project` / `<id>-<role>-pipeline`).
/// `ldap_manager_password` is the already-encrypted `managerPasswordSecret` value.
pub fn root_config_xml(projects: &[ProjectRoles], ldap_manager_password: &str) -> String {
    let mut all_users: Vec<&str> = projects
        .iter()
        .flat_map(|p| p.members.iter().map(|(u, _)| u.as_str()))
        .collect();
    all_users.sort_unstable();
    all_users.dedup();

    let global = El::new("roleMap")
        .attr("type", "globalRoles")
        .child(role(
            "admin",
            ".*",
            &["hudson.model.Hudson.Administer"],
            &["admin"],
        ))
        .child(role(
            "kubesphere-user",
            ".*",
            &["hudson.model.Hudson.Read"],
            &all_users,
        ));

    let mut project_roles: Vec<El> = Vec::new();
    for p in projects {
        for r in KUBESPHERE_ROLES {
            let mut sids: Vec<&str> = p
                .members
                .iter()
                .filter(|(_, role)| role == r)
                .map(|(u, _)| u.as_str())
                .collect();
            sids.sort_unstable();
            let perms = project_permissions(r);
            project_roles.push(role(
                &format!("{}-{r}-pipeline", p.project_id),
                &format!("^{}/.*", p.project_id),
                perms,
                &sids,
            ));
            project_roles.push(role(
                &format!("{}-{r}-project", p.project_id),
                &format!("^{}$", p.project_id),
                perms,
                &sids,
            ));
        }
    }
    project_roles.sort_by(|a, b| a.attrs[0].1.cmp(&b.attrs[0].1));
    let mut project_map = El::new("roleMap").attr("type", "projectRoles");
    project_map.children = project_roles;

    let root = El::new("hudson")
        .child(El::new("disabledAdministrativeMonitors"))
        .child(El::text("version", "2.176.2"))
        .child(El::text("installStateName", "RUNNING"))
        .child(El::text("numExecutors", "0"))
        .child(El::text("mode", "EXCLUSIVE"))
        .child(El::text("useSecurity", "true"))
        .child(
            El::new("authorizationStrategy")
                .attr(
                    "class",
                    "com.michelin.cio.hudson.plugins.rolestrategy.RoleBasedAuthorizationStrategy",
                )
                .child(global)
                .child(project_map)
                .child(El::new("roleMap").attr("type", "slaveRoles")),
        )
        .child(
            El::new("securityRealm")
                .attr("class", "hudson.security.LDAPSecurityRealm")
                .attr("plugin", "ldap@1.20")
                .child(El::text("disableMailAddressResolver", "false"))
                .child(
                    El::new("configurations").child(
                        El::new("jenkins.security.plugins.ldap.LDAPConfiguration")
                            .child(El::text(
                                "server",
                                "ldap://openldap.kubesphere-system.svc:389",
                            ))
                            .child(El::text("rootDN", "dc=kubesphere,dc=io"))
                            .child(El::text("inhibitInferRootDN", "false"))
                            .child(El::text("userSearchBase", "ou=Users"))
                            .child(El::text(
                                "userSearch",
                                "(&(objectClass=inetOrgPerson)(|(uid={0})(mail={0})))",
                            ))
                            .child(El::text("groupSearchBase", "ou=Groups"))
                            .child(El::text("managerDN", "cn=admin,dc=kubesphere,dc=io"))
                            .child(El::text("managerPasswordSecret", ldap_manager_password))
                            .child(El::text("displayNameAttributeName", "uid"))
                            .child(El::text("mailAddressAttributeName", "mail")),
                    ),
                )
                .child(El::text("disableRolePrefixing", "true")),
        )
        .child(El::text("disableRememberMe", "false"))
        .child(El::new("projectNamingStrategy").attr(
            "class",
            "jenkins.model.ProjectNamingStrategy$DefaultProjectNamingStrategy",
        ))
        .child(El::text(
            "workspaceDir",
            "${JENKINS_HOME}/workspace/${ITEM_FULL_NAME}",
        ))
        .child(El::text("buildsDir", "${ITEM_ROOTDIR}/builds"))
        .child(El::text("jdks", ""))
        .child(El::text("viewsTabBar", "").attr("class", "hudson.views.DefaultViewsTabBar"))
        .child(El::text("myViewsTabBar", "").attr("class", "hudson.views.DefaultMyViewsTabBar"))
        .child(El::text("quietPeriod", "5"))
        .child(El::text("scmCheckoutRetryCount", "0"))
        .child(El::text("primaryView", "all"))
        .child(El::text("slaveAgentPort", "50000"))
        .child(El::new("label"));
    document(&root, Dialect::XStream)
}

/// The top-level `init-job` pipeline that Jenkins Configuration-as-Code creates (belongs to no
/// project; a migrator ignores it).
pub fn init_job_xml() -> String {
    r#"<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job@2.32">
  <actions/>
  <description>Warms up the Kubernetes agents after Jenkins starts.</description>
  <keepDependencies>false</keepDependencies>
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps@2.73">
    <script>pipeline {
  agent { node { label &apos;base&apos; } }
  stages {
    stage(&apos;init&apos;) {
      steps { sh &apos;echo &quot;init ok&quot;&apos; }
    }
  }
}</script>
    <sandbox>true</sandbox>
  </definition>
  <triggers/>
  <disabled>false</disabled>
</flow-definition>"#
        .to_owned()
}

/// A freestyle `<project>` created in the Jenkins UI inside a project folder (an unsupported
/// class for KubeSphere).
pub fn freestyle_job_xml() -> String {
    r#"<?xml version='1.1' encoding='UTF-8'?>
<project>
  <actions/>
  <description>Old freestyle job, created in the Jenkins UI</description>
  <keepDependencies>false</keepDependencies>
  <properties>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.StringParameterDefinition>
          <name>TARGET</name>
          <description></description>
          <defaultValue>staging</defaultValue>
          <trim>false</trim>
        </hudson.model.StringParameterDefinition>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
  </properties>
  <scm class="hudson.scm.NullSCM"/>
  <canRoam>true</canRoam>
  <disabled>false</disabled>
  <blockBuildWhenDownstreamBuilding>false</blockBuildWhenDownstreamBuilding>
  <blockBuildWhenUpstreamBuilding>false</blockBuildWhenUpstreamBuilding>
  <triggers/>
  <concurrentBuild>false</concurrentBuild>
  <builders>
    <hudson.tasks.Shell>
      <command>make deploy TARGET=&quot;$TARGET&quot; &amp;&amp; echo done</command>
    </hudson.tasks.Shell>
  </builders>
  <publishers/>
  <buildWrappers/>
</project>"#
        .to_owned()
}

/// A pipeline configured in the Jenkins UI as "Pipeline script from SCM"
/// (`CpsScmFlowDefinition`) with SCM polling: v3.0 parses it to an empty Jenkinsfile.
pub fn scm_pipeline_job_xml(remote: &str, credentials_id: &str) -> String {
    let root = El::new("flow-definition")
        .attr("plugin", "workflow-job@2.32")
        .child(El::new("actions"))
        .child(El::text(
            "description",
            "Jenkinsfile from the infra repository (set up in the Jenkins UI)",
        ))
        .child(El::text("keepDependencies", "false"))
        .child(
            El::new("properties").child(
                El::new(
                    "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty",
                )
                .child(
                    El::new("triggers").child(
                        El::new("hudson.triggers.SCMTrigger")
                            .child(El::text("spec", "H/15 * * * *"))
                            .child(El::text("ignorePostCommitHooks", "false")),
                    ),
                ),
            ),
        )
        .child(
            El::new("definition")
                .attr(
                    "class",
                    "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition",
                )
                .attr("plugin", "workflow-cps@2.73")
                .child(
                    El::new("scm")
                        .attr("class", "hudson.plugins.git.GitSCM")
                        .attr("plugin", "git@3.9.3")
                        .child(El::text("configVersion", "2"))
                        .child(
                            El::new("userRemoteConfigs").child(
                                El::new("hudson.plugins.git.UserRemoteConfig")
                                    .child(El::text("url", remote))
                                    .child(El::text("credentialsId", credentials_id)),
                            ),
                        )
                        .child(
                            El::new("branches").child(
                                El::new("hudson.plugins.git.BranchSpec")
                                    .child(El::text("name", "*/master")),
                            ),
                        )
                        .child(El::text("doGenerateSubmoduleConfigurations", "false"))
                        .child(El::new("submoduleCfg").attr("class", "list"))
                        .child(El::new("extensions")),
                )
                .child(El::text("scriptPath", "ci/Jenkinsfile"))
                .child(El::text("lightweight", "true")),
        )
        .child(El::new("triggers"))
        .child(El::text("disabled", "false"));
    document(&root, Dialect::XStream)
}

/// The branch job Jenkins generates under a git multibranch pipeline
/// (`…/branches/<branch>/config.xml`); not KubeSphere data.
pub fn branch_job_xml(source_id: &str, branch: &str, remote: &str, script_path: &str) -> String {
    let root = El::new("flow-definition")
        .attr("plugin", "workflow-job@2.32")
        .child(El::new("actions"))
        .child(El::text("description", ""))
        .child(El::text("displayName", branch))
        .child(El::text("keepDependencies", "false"))
        .child(
            El::new("properties").child(
                El::new("jenkins.branch.BranchJobProperty")
                    .attr("plugin", "branch-api@2.2.0")
                    .child(
                        El::new("branch")
                            .child(El::text("sourceId", source_id))
                            .child(
                                El::new("head")
                                    .attr("class", "jenkins.plugins.git.GitBranchSCMHead")
                                    .attr("plugin", "git@3.9.3")
                                    .child(El::text("name", branch)),
                            )
                            .child(
                                El::new("scm")
                                    .attr("class", "hudson.plugins.git.GitSCM")
                                    .attr("plugin", "git@3.9.3")
                                    .child(
                                        El::new("userRemoteConfigs").child(
                                            El::new("hudson.plugins.git.UserRemoteConfig")
                                                .child(El::text("url", remote)),
                                        ),
                                    ),
                            )
                            .child(El::new("properties"))
                            .child(El::new("actions")),
                    ),
            ),
        )
        .child(
            El::new("definition")
                .attr(
                    "class",
                    "org.jenkinsci.plugins.workflow.multibranch.SCMBinder",
                )
                .attr("plugin", "workflow-multibranch@2.21")
                .child(El::text("scriptPath", script_path)),
        )
        .child(El::new("triggers"))
        .child(El::text("disabled", "false"));
    document(&root, Dialect::XStream)
}

/// A build console log (`builds/<n>/log`).
pub fn build_log(job: &str) -> String {
    format!(
        "Started by user alice\n\
Running in Durability level: MAX_SURVIVABILITY\n\
[Pipeline] Start of Pipeline\n\
[Pipeline] node\n\
Running on base-7xk2q in /home/jenkins/workspace/{job}\n\
[Pipeline] {{\n\
[Pipeline] echo\n\
部署 ✓\n\
[Pipeline] }}\n\
[Pipeline] // node\n\
[Pipeline] End of Pipeline\n\
Finished: SUCCESS\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_mirror_has_eight_roles_per_project() {
        let xml = root_config_xml(
            &[ProjectRoles {
                project_id: "project-Ab".into(),
                members: vec![
                    ("alice".into(), "owner".into()),
                    ("bob".into(), "guest".into()),
                ],
            }],
            "{x}",
        );
        assert_eq!(xml.matches("<role name=\"project-Ab-").count(), 8);
        assert!(xml.contains("<role name=\"project-Ab-owner-project\" pattern=\"^project-Ab$\">"));
        assert!(
            xml.contains("<role name=\"project-Ab-owner-pipeline\" pattern=\"^project-Ab/.*\">")
        );
        // Unknown roles get no Jenkins project role, but the user is still a kubesphere-user.
        assert_eq!(xml.matches("<sid>alice</sid>").count(), 3);
        assert_eq!(xml.matches("<sid>bob</sid>").count(), 1);
    }
}
