//! Preflight: the API server answers, its version (and whether it supports server-side apply),
//! the two KubeSphere CRDs are installed, and the permissions every needed verb requires
//! (SelfSubjectAccessReview).

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kube::Client;
use serde::{Deserialize, Serialize};

use crate::error::{ApplyError, ClusterError};
use crate::journal::ConfigMapMirror;
use crate::object::{DEVOPS_GROUP, DEVOPS_VERSION};
use crate::options::ExistingPolicy;
use crate::retry::RetryPolicy;

/// The CRDs the target cluster must have.
pub const REQUIRED_CRDS: [&str; 2] = [
    "devopsprojects.devops.kubesphere.io",
    "pipelines.devops.kubesphere.io",
];

/// One permission check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionCheck {
    /// Verb.
    pub verb: String,
    /// API group (`""` = core).
    pub group: String,
    /// Resource plural.
    pub resource: String,
    /// Namespace (None = all namespaces / cluster-scoped).
    pub namespace: Option<String>,
    /// Resource name, for `bind` checks.
    pub name: Option<String>,
    /// Whether it is allowed.
    pub allowed: bool,
    /// Whether the run cannot work without it (otherwise a warning).
    pub required: bool,
    /// Why it is needed.
    pub purpose: String,
}

/// The result of [`preflight`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PreflightReport {
    /// `gitVersion` of the server.
    pub server_version: String,
    /// Whether server-side apply can be used (1.16+).
    pub server_side_apply: bool,
    /// CRDs that are not installed.
    pub missing_crds: Vec<String>,
    /// Every permission checked.
    pub permissions: Vec<PermissionCheck>,
    /// Warnings (Kubernetes version outside 1.15–1.18, missing optional permissions).
    pub warnings: Vec<String>,
}

impl PreflightReport {
    /// Blocking problems, one sentence each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for crd in &self.missing_crds {
            out.push(format!("CustomResourceDefinition {crd} is not installed: is KubeSphere 3.0 DevOps enabled?"));
        }
        for p in self.permissions.iter().filter(|p| p.required && !p.allowed) {
            out.push(format!(
                "not allowed to {} {}{} ({})",
                p.verb,
                resource_name(p),
                namespace_text(p),
                p.purpose
            ));
        }
        out
    }

    /// No blocking problem.
    pub fn is_ok(&self) -> bool {
        self.problems().is_empty()
    }
}

fn resource_name(p: &PermissionCheck) -> String {
    let base = if p.group.is_empty() {
        p.resource.clone()
    } else {
        format!("{}.{}", p.resource, p.group)
    };
    match &p.name {
        Some(n) => format!("{base}/{n}"),
        None => base,
    }
}

fn namespace_text(p: &PermissionCheck) -> String {
    p.namespace
        .as_deref()
        .map(|n| format!(" in namespace {n}"))
        .unwrap_or_default()
}

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct PreflightOptions {
    /// The policy for existing objects (update needs `patch` and `update`).
    pub existing: ExistingPolicy,
    /// The journal ConfigMap, when mirroring in the cluster.
    pub journal_configmap: Option<ConfigMapMirror>,
    /// Retries.
    pub retry: RetryPolicy,
}

fn crd_resource(version: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("apiextensions.k8s.io", version, "CustomResourceDefinition"),
        "customresourcedefinitions",
    )
}

async fn crd_installed(
    client: &Client,
    retry: &RetryPolicy,
    name: &str,
) -> Result<bool, ClusterError> {
    for version in ["v1", "v1beta1"] {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &crd_resource(version));
        match retry.run("get crd", || api.get_opt(name)).await {
            Ok(Some(_)) => return Ok(true),
            Ok(None) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

async fn served_by_discovery(client: &Client, retry: &RetryPolicy, plural: &str) -> bool {
    let gv = format!("{DEVOPS_GROUP}/{DEVOPS_VERSION}");
    match retry
        .run("discovery", || client.list_api_group_resources(&gv))
        .await
    {
        Ok(list) => list.resources.iter().any(|r| r.name == plural),
        Err(_) => false,
    }
}

struct Need {
    verb: &'static str,
    group: &'static str,
    resource: &'static str,
    namespace: Option<String>,
    name: Option<String>,
    required: bool,
    purpose: &'static str,
}

fn needs(opts: &PreflightOptions) -> Vec<Need> {
    let mut out = Vec::new();
    let mut add = |verb, group, resource, required, purpose| {
        out.push(Need {
            verb,
            group,
            resource,
            namespace: None,
            name: None,
            required,
            purpose,
        });
    };
    let kinds = [
        (DEVOPS_GROUP, "devopsprojects"),
        (DEVOPS_GROUP, "pipelines"),
        ("", "secrets"),
        ("rbac.authorization.k8s.io", "rolebindings"),
    ];
    for (group, resource) in kinds {
        add("get", group, resource, true, "read existing objects");
        add("create", group, resource, true, "create missing objects");
        if resource != "devopsprojects" {
            // Only inside project namespaces: DevOpsProjects are never listed.
            add(
                "list",
                group,
                resource,
                false,
                "verify: find extra objects; rights report",
            );
        }
        if opts.existing == ExistingPolicy::Update {
            add(
                "patch",
                group,
                resource,
                true,
                "update existing objects (server-side apply)",
            );
            add(
                "update",
                group,
                resource,
                true,
                "update existing objects (get + replace)",
            );
        }
    }
    add(
        "get",
        "",
        "namespaces",
        true,
        "wait for the admin namespaces",
    );
    for role in ["admin", "operator", "viewer"] {
        out.push(Need {
            verb: "bind",
            group: "rbac.authorization.k8s.io",
            resource: "roles",
            namespace: None,
            name: Some(role.to_string()),
            required: false,
            purpose: "RBAC escalation prevention: binding a Role needs bind on it or all of its permissions",
        });
    }
    if let Some(cm) = &opts.journal_configmap {
        for verb in ["get", "list", "create", "update"] {
            out.push(Need {
                verb,
                group: "",
                resource: "configmaps",
                namespace: Some(cm.namespace.clone()),
                // The per-project journal ConfigMaps' names are not known in advance.
                name: None,
                required: true,
                purpose: "record and read back progress in the journal ConfigMaps",
            });
        }
    }
    out
}

/// Runs the preflight checks. Fails only when the API server cannot be reached.
pub async fn preflight(
    client: &Client,
    opts: &PreflightOptions,
) -> Result<PreflightReport, ApplyError> {
    let retry = &opts.retry;
    let info = retry
        .run("version", || client.apiserver_version())
        .await
        .map_err(ApplyError::Unreachable)?;
    let num = |s: &str| {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .unwrap_or(0)
    };
    let (major, minor) = (num(&info.major), num(&info.minor));
    let mut report = PreflightReport {
        server_version: info.git_version.clone(),
        server_side_apply: major > 1 || (major == 1 && minor >= 16),
        ..PreflightReport::default()
    };
    if major == 1 && !(15..=18).contains(&minor) {
        report.warnings.push(format!(
            "Kubernetes {}: KubeSphere 3.0 supports 1.15–1.18",
            info.git_version
        ));
    }
    for crd in REQUIRED_CRDS {
        let plural = crd.split('.').next().unwrap_or("");
        let installed = match crd_installed(client, retry, crd).await {
            Ok(v) => v,
            // Least privilege: the account `job` sets up may not read CRDs; discovery, which every
            // user may read, tells whether the resource is served.
            Err(e) if e.code() == Some(403) => {
                tracing::debug!(
                    crd,
                    "not allowed to read CustomResourceDefinitions; asking API discovery"
                );
                served_by_discovery(client, retry, plural).await
            }
            Err(e) => {
                report.warnings.push(format!("cannot read CustomResourceDefinition {crd} ({e}); checked API discovery instead"));
                served_by_discovery(client, retry, plural).await
            }
        };
        if !installed {
            report.missing_crds.push(crd.to_string());
        }
    }
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let pp = PostParams::default();
    for need in needs(opts) {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(need.verb.into()),
                    group: Some(need.group.into()),
                    resource: Some(need.resource.into()),
                    namespace: need.namespace.clone(),
                    name: need.name.clone(),
                    ..ResourceAttributes::default()
                }),
                ..SelfSubjectAccessReviewSpec::default()
            },
            ..SelfSubjectAccessReview::default()
        };
        let allowed = match retry
            .run("access review", || api.create(&pp, &review))
            .await
        {
            Ok(r) => r.status.is_some_and(|s| s.allowed),
            Err(e) => {
                report.warnings.push(format!(
                    "cannot check permission to {} {}: {e}",
                    need.verb, need.resource
                ));
                false
            }
        };
        let check = PermissionCheck {
            verb: need.verb.into(),
            group: need.group.into(),
            resource: need.resource.into(),
            namespace: need.namespace,
            name: need.name,
            allowed,
            required: need.required,
            purpose: need.purpose.into(),
        };
        if !check.allowed && !check.required {
            report.warnings.push(format!(
                "not allowed to {} {}{} ({})",
                check.verb,
                resource_name(&check),
                namespace_text(&check),
                check.purpose
            ));
        }
        report.permissions.push(check);
    }
    Ok(report)
}
