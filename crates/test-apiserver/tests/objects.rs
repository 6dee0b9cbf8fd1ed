//! The real `kube` 5 client against the test API server: CRUD semantics, validation, CRDs,
//! server-side apply, discovery, access reviews and kubeconfig.

mod common;

use std::collections::BTreeMap;

use common::{api_status, bounded, client, devopsproject_resource, pipeline_resource, start};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::api::rbac::v1::RoleBinding;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::ByteString;
use ksdm_test_apiserver::{AccessDenial, ServerOptions};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

fn secret(name: &str, data: &[(&str, &str)]) -> Secret {
    let mut s = Secret::default();
    s.metadata.name = Some(name.to_string());
    s.data = Some(
        data.iter()
            .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
            .collect(),
    );
    s
}

#[tokio::test]
async fn create_get_replace_conflict_and_errors() {
    let server = start(ServerOptions::default()).await;
    let client = client(&server, false);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    bounded("crud", async {
        let created = secrets
            .create(
                &PostParams::default(),
                &secret("cred", &[("username", "admin")]),
            )
            .await
            .expect("create");
        let rv1: u64 = created
            .metadata
            .resource_version
            .clone()
            .expect("rv")
            .parse()
            .expect("numeric rv");
        assert!(created.metadata.uid.is_some());
        assert!(created.metadata.creation_timestamp.is_some());
        assert_eq!(created.type_.as_deref(), Some("Opaque"));

        let fetched = secrets.get("cred").await.expect("get");
        assert_eq!(fetched.data, created.data);

        let mut changed = fetched.clone();
        changed.data = Some(BTreeMap::from([(
            "username".to_string(),
            ByteString(b"root".to_vec()),
        )]));
        let replaced = secrets
            .replace("cred", &PostParams::default(), &changed)
            .await
            .expect("replace");
        let rv2: u64 = replaced
            .metadata
            .resource_version
            .clone()
            .expect("rv")
            .parse()
            .expect("numeric rv");
        assert!(rv2 > rv1, "resourceVersion must grow: {rv1} -> {rv2}");

        // `changed` still carries the old resourceVersion: stale.
        let conflict = api_status(
            secrets
                .replace("cred", &PostParams::default(), &changed)
                .await
                .expect_err("stale replace"),
        );
        assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
        assert!(conflict.is_conflict());

        let exists = api_status(
            secrets
                .create(&PostParams::default(), &secret("cred", &[]))
                .await
                .expect_err("duplicate"),
        );
        assert_eq!(
            (exists.code, exists.reason.as_str()),
            (409, "AlreadyExists")
        );
        assert_eq!(exists.message, "secrets \"cred\" already exists");

        let missing = api_status(secrets.get("nope").await.expect_err("missing"));
        assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
        let missing = api_status(
            secrets
                .replace("nope", &PostParams::default(), &secret("nope", &[]))
                .await
                .expect_err("missing"),
        );
        assert_eq!(missing.code, 404);
        let missing = api_status(
            secrets
                .delete("nope", &DeleteParams::default())
                .await
                .expect_err("missing"),
        );
        assert_eq!(missing.code, 404);

        let elsewhere: Api<Secret> = Api::namespaced(client.clone(), "ghost");
        let no_ns = api_status(
            elsewhere
                .create(&PostParams::default(), &secret("cred", &[]))
                .await
                .expect_err("no namespace"),
        );
        assert_eq!((no_ns.code, no_ns.reason.as_str()), (404, "NotFound"));
        assert_eq!(no_ns.message, "namespaces \"ghost\" not found");

        secrets
            .delete("cred", &DeleteParams::default())
            .await
            .expect("delete");
        assert_eq!(
            api_status(secrets.get("cred").await.expect_err("deleted")).code,
            404
        );
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn names_secret_data_and_string_data_are_validated() {
    let server = start(ServerOptions::default()).await;
    let client = client(&server, false);
    bounded("validation", async {
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let mut ns = Namespace::default();
        ns.metadata.name = Some("Project-Upper".into());
        let invalid = api_status(namespaces.create(&PostParams::default(), &ns).await.expect_err("uppercase namespace"));
        assert_eq!((invalid.code, invalid.reason.as_str()), (422, "Invalid"));
        assert!(invalid.message.contains("metadata.name"), "{}", invalid.message);
        ns.metadata.name = Some("a.b".into());
        assert_eq!(api_status(namespaces.create(&PostParams::default(), &ns).await.expect_err("dotted label")).code, 422);

        let raw: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &kube::api::ApiResource::erase::<Secret>(&()));
        let bad: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bad"}, "data": {"password": "s3cret value!"}
        }))
        .expect("dynamic object");
        let invalid = api_status(raw.create(&PostParams::default(), &bad).await.expect_err("not base64"));
        assert_eq!(invalid.code, 422);
        assert!(invalid.message.contains("data[password]"), "{}", invalid.message);
        assert!(!invalid.message.contains("s3cret"), "the value must not be echoed");

        let with_string_data: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sd"},
            "type": "credential.devops.kubesphere.io/basic-auth",
            "data": {"username": "YWRtaW4="}, "stringData": {"password": "pw"}
        }))
        .expect("dynamic object");
        raw.create(&PostParams::default(), &with_string_data).await.expect("create with stringData");
        let typed: Api<Secret> = Api::namespaced(client.clone(), "default");
        let stored = typed.get("sd").await.expect("get");
        let data = stored.data.expect("data");
        assert_eq!(data.get("password").map(|b| b.0.as_slice()), Some(b"pw".as_slice()));
        assert_eq!(data.get("username").map(|b| b.0.as_slice()), Some(b"admin".as_slice()));
        assert!(stored.string_data.is_none());
        assert_eq!(stored.type_.as_deref(), Some("credential.devops.kubesphere.io/basic-auth"));
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn list_with_label_and_field_selectors() {
    let server = start(ServerOptions::default()).await;
    let client = client(&server, false);
    bounded("list", async {
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        for (name, app, tier) in [("a", "x", "web"), ("b", "x", "db"), ("c", "y", "web")] {
            let mut cm = ConfigMap::default();
            cm.metadata.name = Some(name.into());
            cm.metadata.labels = Some(BTreeMap::from([
                ("app".to_string(), app.to_string()),
                ("tier".to_string(), tier.to_string()),
            ]));
            cms.create(&PostParams::default(), &cm)
                .await
                .expect("create");
        }
        let names = |list: kube::api::ObjectList<ConfigMap>| {
            list.items
                .into_iter()
                .filter_map(|c| c.metadata.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(
                cms.list(&ListParams::default().labels("app=x"))
                    .await
                    .expect("list")
            ),
            vec!["a", "b"]
        );
        assert_eq!(
            names(
                cms.list(&ListParams::default().labels("app=x,tier=web"))
                    .await
                    .expect("list")
            ),
            vec!["a"]
        );
        assert_eq!(
            names(
                cms.list(&ListParams::default().fields("metadata.name=c"))
                    .await
                    .expect("list")
            ),
            vec!["c"]
        );
        assert_eq!(
            names(cms.list(&ListParams::default()).await.expect("list")).len(),
            3
        );
        let all: Api<ConfigMap> = Api::all(client.clone());
        assert_eq!(
            names(
                all.list(&ListParams::default().labels("tier=web"))
                    .await
                    .expect("list all")
            ),
            vec!["a", "c"]
        );
    })
    .await;
    server.shutdown().await;
}

fn pipeline(name: &str, spec: serde_json::Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "Pipeline",
        "metadata": {"name": name, "namespace": "default"}, "spec": spec
    }))
    .expect("pipeline object")
}

#[tokio::test]
async fn custom_resources_are_validated_against_the_crd_schema() {
    let server = start(ServerOptions::default().with_kubesphere_crds()).await;
    let client = client(&server, false);
    bounded("schema", async {
        let pipelines: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &pipeline_resource());
        let pp = PostParams::default();

        let no_type = api_status(pipelines.create(&pp, &pipeline("p1", json!({"pipeline": {"name": "p1"}}))).await.expect_err("spec.type missing"));
        assert_eq!((no_type.code, no_type.reason.as_str()), (422, "Invalid"));
        assert!(no_type.message.contains("spec.type: Required value"), "{}", no_type.message);
        let causes = no_type.details.as_ref().map(|d| d.causes.clone()).unwrap_or_default();
        assert_eq!(causes.first().map(|c| c.field.as_str()), Some("spec.type"));

        let bad_timeout = json!({"type": "multi-branch-pipeline", "multi_branch_pipeline": {
            "name": "p2", "script_path": "Jenkinsfile", "source_type": "git",
            "git_source": {"url": "https://example.invalid/r.git", "git_clone_option": {"timeout": "x", "shallow": true}}
        }});
        let wrong_type = api_status(pipelines.create(&pp, &pipeline("p2", bad_timeout)).await.expect_err("timeout must be integer"));
        assert_eq!(wrong_type.code, 422);
        assert!(wrong_type.message.contains("spec.multi_branch_pipeline.git_source.git_clone_option.timeout"), "{}", wrong_type.message);
        assert!(wrong_type.message.contains("integer"), "{}", wrong_type.message);

        let bad_param = json!({"type": "pipeline", "pipeline": {"name": "p3", "parameters": [{"name": "a"}]}});
        let item = api_status(pipelines.create(&pp, &pipeline("p3", bad_param)).await.expect_err("parameter type missing"));
        assert!(item.message.contains("spec.pipeline.parameters[0].type"), "{}", item.message);

        let ok = json!({"type": "pipeline", "pipeline": {"name": "p4", "jenkinsfile": "node {}", "disable_concurrent": true,
            "descriptio": "misspelt, kept"}, "extra": 1});
        let created = pipelines.create(&pp, &pipeline("p4", ok)).await.expect("valid pipeline");
        assert_eq!(created.data.pointer("/spec/pipeline/descriptio"), Some(&json!("misspelt, kept")));
        assert_eq!(created.data.pointer("/spec/extra"), Some(&json!(1)));

        let upper = api_status(pipelines.create(&pp, &pipeline("P_5", json!({"type": "pipeline"}))).await.expect_err("bad name"));
        assert_eq!(upper.code, 422);

        // Custom resources need a resourceVersion on replace.
        let mut unconditional = created.clone();
        unconditional.metadata.resource_version = None;
        let needs_rv = api_status(pipelines.replace("p4", &pp, &unconditional).await.expect_err("no rv"));
        assert_eq!(needs_rv.code, 422);
        let mut stale = created.clone();
        stale.metadata.resource_version = Some("1".into());
        assert_eq!(api_status(pipelines.replace("p4", &pp, &stale).await.expect_err("stale")).code, 409);
        pipelines.replace("p4", &pp, &created).await.expect("replace with current rv");
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn devopsprojects_are_cluster_scoped_with_generate_name() {
    let server = start(ServerOptions::default().with_kubesphere_crds()).await;
    let client = client(&server, false);
    bounded("devopsproject", async {
        let projects: Api<DynamicObject> = Api::all_with(client.clone(), &devopsproject_resource());
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "DevOpsProject",
            "metadata": {"generateName": "demo", "labels": {"kubesphere.io/workspace": "ws1"}}, "spec": {}
        }))
        .expect("object");
        let created = projects.create(&PostParams::default(), &obj).await.expect("create with generateName");
        let name = created.metadata.name.clone().expect("generated name");
        assert!(name.starts_with("demo") && name.len() == 9, "{name}");
        assert_eq!(created.metadata.generate_name.as_deref(), Some("demo"));
        let listed = projects.list(&ListParams::default().labels("kubesphere.io/workspace=ws1")).await.expect("list");
        assert_eq!(listed.items.len(), 1);
        assert!(server.snapshot().get(format!("devopsprojects.devops.kubesphere.io/{name}")).is_some());
        let no_name: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "DevOpsProject", "metadata": {}
        }))
        .expect("object");
        assert_eq!(api_status(projects.create(&PostParams::default(), &no_name).await.expect_err("no name")).code, 422);
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn crds_can_be_checked_and_are_missing_until_installed() {
    let server = start(ServerOptions::default()).await;
    let client = client(&server, false);
    bounded("crds", async {
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        assert_eq!(
            api_status(
                crds.get("devopsprojects.devops.kubesphere.io")
                    .await
                    .expect_err("not installed")
            )
            .code,
            404
        );
        let projects: Api<DynamicObject> = Api::all_with(client.clone(), &devopsproject_resource());
        assert_eq!(
            api_status(
                projects
                    .list(&ListParams::default())
                    .await
                    .expect_err("not served")
            )
            .code,
            404
        );
        assert!(kube::discovery::group(&client, "devops.kubesphere.io")
            .await
            .is_err());

        let names = server.install_kubesphere_crds().expect("install");
        assert_eq!(
            names,
            vec![
                "devopsprojects.devops.kubesphere.io",
                "pipelines.devops.kubesphere.io"
            ]
        );
        let crd = crds
            .get("pipelines.devops.kubesphere.io")
            .await
            .expect("installed");
        assert_eq!(crd.spec.group, "devops.kubesphere.io");
        assert_eq!(crd.spec.scope, "Namespaced");
        let status = crd.status.as_ref().expect("status");
        assert_eq!(
            status.accepted_names.as_ref().map(|n| n.plural.as_str()),
            Some("pipelines")
        );
        assert!(status.conditions.as_ref().is_some_and(|c| c
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True")));
        let version = crd.spec.versions.first().expect("one version");
        assert_eq!(version.name, "v1alpha3");
        let schema = version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .expect("schema moved to versions[]");
        assert!(schema
            .properties
            .as_ref()
            .is_some_and(|p| p.contains_key("spec")));
        assert!(projects
            .list(&ListParams::default())
            .await
            .expect("served now")
            .items
            .is_empty());
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn discovery_and_version() {
    let server = start(ServerOptions::default().with_kubesphere_crds()).await;
    let client = client(&server, false);
    bounded("discovery", async {
        let info = client.apiserver_version().await.expect("version");
        assert_eq!(
            (
                info.major.as_str(),
                info.minor.as_str(),
                info.git_version.as_str()
            ),
            ("1", "18", "v1.18.6")
        );
        let group = kube::discovery::group(&client, "devops.kubesphere.io")
            .await
            .expect("group");
        let (ar, caps) = group.recommended_kind("DevOpsProject").expect("kind");
        assert_eq!(ar.plural, "devopsprojects");
        assert_eq!(caps.scope, kube::discovery::Scope::Cluster);
        let (ar, _) = kube::discovery::pinned_kind(
            &client,
            &kube::api::GroupVersionKind::gvk("rbac.authorization.k8s.io", "v1", "RoleBinding"),
        )
        .await
        .expect("pinned");
        assert_eq!(ar.plural, "rolebindings");
        let discovery = kube::Discovery::new(client.clone())
            .run()
            .await
            .expect("full discovery");
        assert!(discovery.has_group("devops.kubesphere.io"));
        assert!(discovery.has_group("apiextensions.k8s.io"));
        server.set_ssa_enabled(false);
        assert_eq!(
            client
                .apiserver_version()
                .await
                .expect("version")
                .git_version,
            "v1.15.12"
        );
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn server_side_apply_when_enabled_and_415_when_disabled() {
    let server = start(ServerOptions::default().with_kubesphere_crds()).await;
    let client = client(&server, false);
    bounded("ssa", async {
        let rbs: Api<RoleBinding> = Api::namespaced(client.clone(), "default");
        let rb = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "alice-admin", "labels": {"iam.kubesphere.io/user-ref": "alice"}},
            "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "admin"}
        });
        let pp = PatchParams::apply("ks-devops-migrate");
        let created = rbs.patch("alice-admin", &pp, &Patch::Apply(&rb)).await.expect("apply creates");
        assert_eq!(created.role_ref.name, "admin");
        let managers: Vec<_> = created.metadata.managed_fields.unwrap_or_default().into_iter().filter_map(|m| m.manager).collect();
        assert_eq!(managers, vec!["ks-devops-migrate"]);

        let mut changed = rb.clone();
        changed["roleRef"]["name"] = json!("operator");
        let updated = rbs.patch("alice-admin", &pp, &Patch::Apply(&changed)).await.expect("re-apply");
        assert_eq!(updated.role_ref.name, "operator");

        let conflict = api_status(rbs.patch("alice-admin", &PatchParams::apply("someone-else"), &Patch::Apply(&rb)).await.expect_err("conflict"));
        assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
        assert!(conflict.message.contains("ks-devops-migrate"), "{}", conflict.message);
        let forced = rbs.patch("alice-admin", &PatchParams::apply("someone-else").force(), &Patch::Apply(&rb)).await.expect("force");
        assert_eq!(forced.role_ref.name, "admin");

        let merged = rbs
            .patch("alice-admin", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"extra": "1"}}})))
            .await
            .expect("merge patch");
        assert_eq!(merged.metadata.labels.as_ref().and_then(|l| l.get("extra")).map(String::as_str), Some("1"));
        assert_eq!(merged.metadata.labels.as_ref().and_then(|l| l.get("iam.kubesphere.io/user-ref")).map(String::as_str), Some("alice"));

        // Schema validation applies to SSA of custom resources too.
        let pipelines: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &pipeline_resource());
        let bad = json!({"apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "Pipeline", "metadata": {"name": "p"}, "spec": {"pipeline": {"name": "p"}}});
        assert_eq!(api_status(pipelines.patch("p", &pp, &Patch::Apply(&bad)).await.expect_err("invalid")).code, 422);

        let viewer = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "bob-viewer"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "viewer"}
        });
        rbs.patch("bob-viewer", &PatchParams::apply("m").dry_run(), &Patch::Apply(&viewer)).await.expect("dry-run apply");
        assert_eq!(api_status(rbs.get("bob-viewer").await.expect_err("dry run stores nothing")).code, 404);

        server.set_ssa_enabled(false);
        let old = api_status(rbs.patch("alice-admin", &pp, &Patch::Apply(&rb)).await.expect_err("415 on 1.15"));
        assert_eq!((old.code, old.reason.as_str()), (415, "UnsupportedMediaType"));
        rbs.patch("alice-admin", &PatchParams::default(), &Patch::Strategic(json!({"metadata": {"labels": {"s": "1"}}})))
            .await
            .expect("strategic merge still works");
        let counts = server.verb_counts();
        assert!(counts.get("apply").copied().unwrap_or(0) >= 4, "{counts:?}");
        assert!(server.requests().iter().any(|r| r.status == 415 && r.content_type.as_deref() == Some("application/apply-patch+yaml")));
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn access_reviews_and_denials() {
    let server = start(ServerOptions::default()).await;
    let client = client(&server, false);
    bounded("ssar", async {
        let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
        let review = |verb: &str| SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.to_string()),
                    resource: Some("secrets".into()),
                    namespace: Some("default".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let answer = reviews
            .create(&PostParams::default(), &review("create"))
            .await
            .expect("review");
        assert!(answer.status.expect("status").allowed);
        server.set_access_denials(vec![
            AccessDenial::verb_on("create", "secrets").in_namespace("default")
        ]);
        let answer = reviews
            .create(&PostParams::default(), &review("create"))
            .await
            .expect("review");
        assert!(!answer.status.expect("status").allowed);
        assert!(
            reviews
                .create(&PostParams::default(), &review("get"))
                .await
                .expect("review")
                .status
                .expect("status")
                .allowed
        );
        let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
        let forbidden = api_status(
            secrets
                .create(&PostParams::default(), &secret("x", &[]))
                .await
                .expect_err("denied"),
        );
        assert_eq!(
            (forbidden.code, forbidden.reason.as_str()),
            (403, "Forbidden")
        );
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn kubeconfig_connects_and_direct_access_works() {
    let server = start(ServerOptions::default()).await;
    let kubeconfig = Kubeconfig::from_yaml(&server.kubeconfig_yaml()).expect("kubeconfig parses");
    assert_eq!(
        kubeconfig.current_context.as_deref(),
        Some("test-apiserver")
    );
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config");
    assert_eq!(
        config.cluster_url.to_string().trim_end_matches('/'),
        server.url()
    );
    let client = kube::Client::try_from(config).expect("client");
    bounded("kubeconfig", async {
        server
            .insert_object(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "direct", "namespace": "default"}, "data": {"k": "v"}}))
            .expect("insert");
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let cm = cms.get("direct").await.expect("visible through the API");
        assert_eq!(cm.data.and_then(|d| d.get("k").cloned()).as_deref(), Some("v"));
        assert!(server.get_object("v1", "ConfigMap", Some("default"), "direct").is_some());
        assert!(server.delete_object("v1", "ConfigMap", Some("default"), "direct").is_some());
        assert_eq!(api_status(cms.get("direct").await.expect_err("gone")).code, 404);
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let names: Vec<_> = namespaces.list(&ListParams::default()).await.expect("list").items.into_iter().filter_map(|n| n.metadata.name).collect();
        assert_eq!(names, vec!["default", "kube-public", "kube-system"]);
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn finalizers_delay_deletion_and_namespaces_take_their_contents() {
    let server = start(ServerOptions::default()).await;
    let client = client(&server, false);
    bounded("finalizers", async {
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let mut ns = Namespace::default();
        ns.metadata.name = Some("team".into());
        namespaces
            .create(&PostParams::default(), &ns)
            .await
            .expect("namespace");
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some("held".into());
        cm.metadata.finalizers = Some(vec!["example.com/hold".into()]);
        cms.create(&PostParams::default(), &cm)
            .await
            .expect("create");
        cms.delete("held", &DeleteParams::default())
            .await
            .expect("delete accepted");
        let terminating = cms.get("held").await.expect("still there");
        assert!(terminating.metadata.deletion_timestamp.is_some());
        cms.patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("release");
        assert_eq!(
            api_status(
                cms.get("held")
                    .await
                    .expect_err("gone after last finalizer")
            )
            .code,
            404
        );

        cm.metadata.finalizers = None;
        cm.metadata.name = Some("plain".into());
        cms.create(&PostParams::default(), &cm)
            .await
            .expect("create");
        namespaces
            .delete("team", &DeleteParams::default())
            .await
            .expect("delete namespace");
        assert!(server
            .get_object("v1", "ConfigMap", Some("team"), "plain")
            .is_none());
    })
    .await;
    server.shutdown().await;
}
