//! # ksdm-test-apiserver — a TEST DOUBLE of a Kubernetes API server
//!
//! **This is not a Kubernetes API server.** It is an in-process fake, for tests only (never
//! published), that speaks enough of the Kubernetes REST API over real HTTP/1.1 on a loopback port
//! (`127.0.0.1:<ephemeral>`, axum 0.8 / hyper 1) for the real `kube` 5 client to talk to it. The
//! ks-devops-migrate apply engine is tested against it, since no real cluster is available.
//!
//! ## What it implements
//! - **Resources**: core v1 `namespaces` (cluster), `secrets`, `configmaps`, `serviceaccounts`;
//!   `rbac.authorization.k8s.io/v1` `roles`, `rolebindings`; and — only once their CRDs are
//!   installed ([`ServerOptions::with_kubesphere_crds`], [`TestApiServer::install_kubesphere_crds`]) —
//!   `devops.kubesphere.io/v1alpha3` `devopsprojects` (cluster) and `pipelines` (namespaced).
//!   `apiextensions.k8s.io` v1 and v1beta1 `customresourcedefinitions` (GET one / list, read-only;
//!   the v1 view moves the v1beta1 `spec.validation` schema into `spec.versions[]`).
//!   `authorization.k8s.io/v1` `selfsubjectaccessreviews` (POST; allowed unless a denial matches).
//!   `GET /version` (v1.18.6 with SSA, v1.15.12 without, or as configured) and discovery
//!   (`/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`).
//! - **Verbs**: get; list with `labelSelector` (`a=b`, `a==b`, `a!=b`, `a`, `!a`) and
//!   `fieldSelector` (`metadata.name`, `metadata.namespace`); create (POST, 201); replace (PUT);
//!   delete; patch with `application/merge-patch+json` (RFC 7386) and
//!   `application/strategic-merge-patch+json` (**treated as a plain merge patch**: lists are replaced),
//!   `application/json-patch+json` (RFC 6902);
//!   server-side apply (`application/apply-patch+yaml`, body JSON or YAML, `fieldManager` required,
//!   `force=true`), which can be switched off ([`TestApiServer::set_ssa_enabled`]) to answer 415
//!   UnsupportedMediaType like Kubernetes 1.15. `dryRun=All` is honoured on writes.
//! - **Semantics**: `metadata.resourceVersion` from one monotonic counter on every write; `uid`,
//!   `creationTimestamp`, `generation` (bumped when anything outside metadata/status changes);
//!   PUT with a stale resourceVersion → 409 Conflict; PUT of a custom resource without a
//!   resourceVersion → 422 (built-ins allow unconditional updates, as in Kubernetes); create of an
//!   existing name → 409 AlreadyExists; missing object → 404 NotFound; namespaced write in a missing
//!   namespace → 404 `namespaces "x" not found`; `generateName` (5-character suffix); name validation
//!   (DNS-1123 label for namespaces, subdomain for most, path segment for RBAC) → 422 Invalid;
//!   custom resources validated against the CRD `openAPIV3Schema` (`type`, `properties`,
//!   `required`, `items`, `enum`, `nullable`) → 422 Invalid with the field path in `details.causes`,
//!   unknown fields kept (v1beta1 without `preserveUnknownFields: false`); Secrets: `data` must be
//!   base64 (422, the value is never echoed), `stringData` folded into `data`, `type` defaults to
//!   `Opaque`. Finalizers: DELETE of an object with finalizers only sets `deletionTimestamp`; the
//!   update that removes the last finalizer deletes it. Deleting a Namespace removes its contents at
//!   once (no Terminating phase); deleting an object removes objects whose `ownerReferences` name its
//!   uid (foreground-less garbage collection). Errors are `kind: Status` objects that
//!   `kube::Error::Api` parses.
//! - **Simplified server-side apply**: create if missing, else merge the applied fields into the
//!   object. `metadata.managedFields` records only `Apply` managers (FieldsV1, lists atomic);
//!   a field owned by another Apply manager with a different value conflicts (409) unless `force`;
//!   fields a manager stops applying are removed if no other Apply manager owns them. Changes by
//!   PUT/merge patch are not tracked as owners and never conflict.
//! - **Simulated KubeSphere DevOpsProject controller** ([`controller`]): a background task polling
//!   every 20 ms; see that module for exactly what it does. Configurable delay or never.
//! - **Fault injection** ([`FaultHandle`]): per method + path substring, every Nth, at a steady
//!   random rate (seeded) and/or limited count: status 409/429 (`Retry-After: 1`)/500/503 as Status, dropped connection, delay, truncated
//!   body; and "crash after N writes" (then 503 for everything until cleared).
//! - **Observability**: request log, per-verb counters, [`TestApiServer::snapshot`], direct
//!   object access, controller events.
//!
//! ## What it does not implement
//! Authentication (the kubeconfig token is not checked), TLS, HTTP/2, watch (`watch=true` → 405),
//! `deletecollection`, subresources (`/status`,
//! `/scale`, … → 404), set-based label selectors (400), other field selectors (400), table/protobuf
//! output, aggregated discovery (`Discovery::run_aggregated`), admission webhooks, defaulting beyond
//! the few fields above, pruning of unknown fields, CRD writes through the API, namespace
//! finalization phases, resourceVersion semantics on list (`resourceVersion`/`limit`/`continue`
//! params are ignored), and any real KubeSphere behaviour beyond the admin-namespace handling.
//!
//! ## Pitfalls for clients
//! `kube` 5 retries 429/503/504 by default (`Config::default_retry`, up to 15 times with backoff,
//! honouring `Retry-After`). Tests that expect to *see* those codes (or use the crash switch) should
//! set `config.default_retry = false`.
//!
//! ## Example
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use ksdm_test_apiserver::{ServerOptions, TestApiServer};
//! let server = TestApiServer::start(ServerOptions::default().with_kubesphere_crds()).await?;
//! let kubeconfig = server.kubeconfig_yaml();
//! # let _ = kubeconfig;
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//! ## Trying the CLI against it by hand
//! The binary runs one server with the CRDs installed and the controller on (200 ms delay) until
//! Ctrl-C, and writes a kubeconfig for it:
//! ```text
//! cargo run -p ksdm-test-apiserver -- --kubeconfig-out /tmp/ksdm-test-kubeconfig.yaml
//! #   options: --k8s-1-15 (no server-side apply, /version v1.15.12), --no-crds (preflight),
//! #            --controller-delay-ms N
//! KUBECONFIG=/tmp/ksdm-test-kubeconfig.yaml ks-devops-migrate migrate --sample ...
//! ```
//! It listens on `127.0.0.1` only; its state lives in memory and is gone when it stops.

#![warn(missing_docs)]

pub mod access;
mod api;
pub mod controller;
pub mod crd;
pub mod crd_schema;
mod discovery;
pub mod faults;
pub mod installer_job;
pub mod observe;
pub mod options;
pub mod patch;
pub mod registry;
pub mod schema;
pub mod selectors;
mod server;
mod state;
pub mod status;
pub mod store;
pub mod validation;

pub use access::{AccessDenial, RbacPolicy, RbacRule, RbacScope};
pub use faults::{FaultAction, FaultHandle, FaultId, FaultRule};
pub use observe::{AuthorizationRecord, RequestRecord};
pub use options::ServerOptions;
pub use server::TestApiServer;
pub use status::ApiError;
pub use store::ControllerEvent;
