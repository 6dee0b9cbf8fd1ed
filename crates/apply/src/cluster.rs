//! Object operations on the cluster (get, create, replace, server-side apply, list) with retries,
//! on JSON values through `kube`'s `DynamicObject`.

use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::Client;
use serde_json::Value;

use crate::error::ClusterError;
use crate::object::{namespace_resource, ObjectKind};
use crate::retry::RetryPolicy;

/// API group/version of KubeSphere's Workspaces.
pub const WORKSPACE_API_VERSION: &str = "tenant.kubesphere.io/v1alpha1";

/// A client plus the retry policy and field manager used for every call.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    retry: RetryPolicy,
    field_manager: String,
}

fn to_dynamic(body: &Value) -> Result<DynamicObject, ClusterError> {
    serde_json::from_value(body.clone())
        .map_err(|e| ClusterError::Other(format!("cannot build the request object: {e}")))
}

fn to_value(obj: &DynamicObject) -> Result<Value, ClusterError> {
    serde_json::to_value(obj)
        .map_err(|e| ClusterError::Other(format!("cannot read the answer object: {e}")))
}

impl Cluster {
    /// Wraps `client`.
    pub fn new(client: Client, retry: RetryPolicy, field_manager: &str) -> Self {
        Cluster {
            client,
            retry,
            field_manager: field_manager.to_string(),
        }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    fn api(&self, kind: ObjectKind, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = crate::object::api_resource(kind);
        match namespace {
            Some(ns) if kind.namespaced() => Api::namespaced_with(self.client.clone(), ns, &ar),
            _ => Api::all_with(self.client.clone(), &ar),
        }
    }

    fn post_params(&self) -> PostParams {
        PostParams {
            dry_run: false,
            field_manager: Some(self.field_manager.clone()),
        }
    }

    /// The object, or None when it does not exist.
    pub async fn get(
        &self,
        kind: ObjectKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let api = self.api(kind, namespace);
        let found = self.retry.run("get", || api.get_opt(name)).await?;
        found.as_ref().map(to_value).transpose()
    }

    /// POST (create).
    pub async fn create(
        &self,
        kind: ObjectKind,
        namespace: Option<&str>,
        body: &Value,
    ) -> Result<Value, ClusterError> {
        let api = self.api(kind, namespace);
        let obj = to_dynamic(body)?;
        let pp = self.post_params();
        let created = self.retry.run("create", || api.create(&pp, &obj)).await?;
        to_value(&created)
    }

    /// PUT (replace; `body` carries the resourceVersion read before).
    pub async fn replace(
        &self,
        kind: ObjectKind,
        namespace: Option<&str>,
        name: &str,
        body: &Value,
    ) -> Result<Value, ClusterError> {
        let api = self.api(kind, namespace);
        let obj = to_dynamic(body)?;
        let pp = self.post_params();
        let replaced = self
            .retry
            .run("replace", || api.replace(name, &pp, &obj))
            .await?;
        to_value(&replaced)
    }

    /// Server-side apply with this tool's field manager and `force`.
    pub async fn apply(
        &self,
        kind: ObjectKind,
        namespace: Option<&str>,
        name: &str,
        body: &Value,
    ) -> Result<Value, ClusterError> {
        let api = self.api(kind, namespace);
        let params = PatchParams::apply(&self.field_manager).force();
        let patch = Patch::Apply(body.clone());
        let applied = self
            .retry
            .run("apply", || api.patch(name, &params, &patch))
            .await?;
        to_value(&applied)
    }

    /// Objects of `kind` in `namespace` matching `label_selector`.
    pub async fn list(
        &self,
        kind: ObjectKind,
        namespace: Option<&str>,
        label_selector: &str,
    ) -> Result<Vec<Value>, ClusterError> {
        let api = self.api(kind, namespace);
        let lp = ListParams::default().labels(label_selector);
        let list = self.retry.run("list", || api.list(&lp)).await?;
        list.items.iter().map(to_value).collect()
    }

    /// Namespace `name`, or None when it does not exist.
    pub async fn get_namespace(&self, name: &str) -> Result<Option<Value>, ClusterError> {
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &namespace_resource());
        let found = self
            .retry
            .run("get namespace", || api.get_opt(name))
            .await?;
        found.as_ref().map(to_value).transpose()
    }

    /// Whether the KubeSphere `tenant.kubesphere.io/v1alpha1` Workspace API is served (a
    /// KubeSphere cluster); `false` when the group/version is unknown to the server.
    pub async fn workspaces_served(&self) -> Result<bool, ClusterError> {
        match self
            .retry
            .run("discover workspaces", || {
                self.client.list_api_group_resources(WORKSPACE_API_VERSION)
            })
            .await
        {
            Ok(list) => Ok(list.resources.iter().any(|r| r.name == "workspaces")),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether Workspace `name` (cluster-scoped) exists.
    pub async fn workspace_exists(&self, name: &str) -> Result<bool, ClusterError> {
        let gvk = kube::api::GroupVersionKind::gvk("tenant.kubesphere.io", "v1alpha1", "Workspace");
        let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, "workspaces");
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &ar);
        Ok(self
            .retry
            .run("get workspace", || api.get_opt(name))
            .await?
            .is_some())
    }

    /// Whether Namespace `name` exists.
    pub async fn namespace_exists(&self, name: &str) -> Result<bool, ClusterError> {
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &namespace_resource());
        Ok(self
            .retry
            .run("get namespace", || api.get_opt(name))
            .await?
            .is_some())
    }
}
