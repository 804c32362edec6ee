//! The one door for writes. Every mutating request cabin sends is built and sent here, by
//! [`Writer::apply`]: the intent is journalled — on disk, fdatasync'd — before the request
//! leaves, the request carries a resourceVersion precondition and `fieldManager=cabin`, and the
//! outcome entry names its intent (seq and hash) and the step id, so a crashed run can pair them
//! and ask the cluster whether the write landed.
//!
//! The HTTP layer enforces it: the guard (`guard.rs`) refuses any mutating request without a
//! [`WritePermit`] in its extensions, and only this module can make one.
use std::sync::Arc;

use http::{Method, Request};
use serde_json::{Value, json};

use super::connect::Connection;
use super::error::ClusterError;
use crate::journal::{Entry, Journal, JournalError, NewEntry, Target};

/// The field manager of every write (server-side field ownership, `kubectl` shows it).
pub const FIELD_MANAGER: &str = "cabin";

/// Proof, carried in a request's extensions, that the request went through [`Writer`]. Its
/// fields are private: no other module can make one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WritePermit {
    kind: PermitKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PermitKind {
    /// The intent with this seq is on disk.
    Journalled(u64),
    /// A server-side dry run (`dryRun=All`): nothing persists, nothing to journal.
    DryRun,
}

impl WritePermit {
    /// Whether the request this permit rides on may be sent: a dry-run permit only covers a
    /// request whose query asks for `dryRun=All`.
    pub fn covers(&self, query: Option<&str>) -> bool {
        match self.kind {
            PermitKind::Journalled(_) => true,
            PermitKind::DryRun => query.is_some_and(|q| q.split('&').any(|p| p == "dryRun=All")),
        }
    }
}

/// An API resource cabin writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// "" for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

pub const DEPLOYMENT: Resource = Resource { group: "apps", version: "v1", kind: "Deployment", plural: "deployments" };
pub const STATEFULSET: Resource = Resource { group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets" };
pub const CONFIGMAP: Resource = Resource { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps" };
pub const LEASE: Resource = Resource { group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases" };
pub const VELERO_BACKUP: Resource = Resource { group: "velero.io", version: "v1", kind: "Backup", plural: "backups" };
pub const VELERO_RESTORE: Resource = Resource { group: "velero.io", version: "v1", kind: "Restore", plural: "restores" };

/// A namespaced object (cabin writes no cluster-scoped ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjRef {
    pub resource: Resource,
    pub namespace: String,
    pub name: String,
}

impl ObjRef {
    pub fn new(resource: Resource, namespace: &str, name: &str) -> Self {
        Self { resource, namespace: namespace.to_string(), name: name.to_string() }
    }

    fn collection_path(&self) -> String {
        let r = &self.resource;
        let base = if r.group.is_empty() { format!("/api/{}", r.version) } else { format!("/apis/{}/{}", r.group, r.version) };
        format!("{base}/namespaces/{}/{}", self.namespace, r.plural)
    }

    fn object_path(&self) -> String {
        format!("{}/{}", self.collection_path(), self.name)
    }

    fn journal_target(&self, rv_before: Option<String>) -> Target {
        Target {
            group: self.resource.group.to_string(),
            kind: self.resource.kind.to_string(),
            namespace: Some(self.namespace.clone()),
            name: self.name.clone(),
            resource_version_before: rv_before,
            resource_version_after: None,
        }
    }
}

/// The body of a PATCH.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchBody {
    /// RFC 6902; the writer prepends a `replace` of `/metadata/resourceVersion` with the
    /// resourceVersion read, which the server treats as a precondition (409 when it moved).
    Json(Value),
    /// Kubernetes strategic merge patch; the writer adds `metadata.resourceVersion`.
    Strategic(Value),
    /// RFC 7386; the writer adds `metadata.resourceVersion`.
    Merge(Value),
}

/// The state of the object a write was decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precondition {
    /// Sent with the write: the server refuses it (409) if the object moved since.
    pub resource_version: String,
    /// `metadata.generation` when decided. The resourceVersion also moves on status-only
    /// updates (controllers write status all the time); when the generation is unchanged the
    /// spec the decision was based on is unchanged, and the writer retries with the new
    /// resourceVersion. None: any change refuses the write.
    pub generation: Option<i64>,
}

impl Precondition {
    pub fn exact(resource_version: impl Into<String>) -> Self {
        Self { resource_version: resource_version.into(), generation: None }
    }
    pub fn spec(resource_version: impl Into<String>, generation: Option<i64>) -> Self {
        Self { resource_version: resource_version.into(), generation }
    }
}

/// What to change. Every variant but `Create` names the state it was decided on; the server
/// refuses the write (409) if the object changed since.
#[derive(Debug, Clone, PartialEq)]
pub enum Mutation {
    Create {
        target: ObjRef,
        body: Value,
    },
    Patch {
        target: ObjRef,
        patch: PatchBody,
        pre: Precondition,
    },
    /// PUT of the whole object; `body.metadata.resourceVersion` is set from `pre`.
    Replace {
        target: ObjRef,
        body: Value,
        pre: Precondition,
    },
}

impl Mutation {
    pub fn target(&self) -> &ObjRef {
        match self {
            Mutation::Create { target, .. } | Mutation::Patch { target, .. } | Mutation::Replace { target, .. } => target,
        }
    }

    fn resource_version(&self) -> Option<&str> {
        self.pre().map(|p| p.resource_version.as_str())
    }

    fn pre(&self) -> Option<&Precondition> {
        match self {
            Mutation::Create { .. } => None,
            Mutation::Patch { pre, .. } | Mutation::Replace { pre, .. } => Some(pre),
        }
    }

    fn with_resource_version(mut self, rv: String) -> Self {
        if let Mutation::Patch { pre, .. } | Mutation::Replace { pre, .. } = &mut self {
            pre.resource_version = rv;
        }
        self
    }

    /// The HTTP request, with the precondition and the field manager (and `dryRun=All`).
    fn request(&self, dry_run: bool) -> Result<Request<Vec<u8>>, ClusterError> {
        let mut query = format!("fieldManager={FIELD_MANAGER}");
        if dry_run {
            query.push_str("&dryRun=All");
        }
        let (method, path, content_type, body) = match self {
            Mutation::Create { target, body } => (Method::POST, target.collection_path(), "application/json", body.clone()),
            Mutation::Replace { target, body, pre } => {
                let mut body = body.clone();
                set_rv(&mut body, &pre.resource_version);
                (Method::PUT, target.object_path(), "application/json", body)
            }
            Mutation::Patch { target, patch, pre } => {
                let resource_version = &pre.resource_version;
                let (ct, body) = match patch {
                    PatchBody::Json(ops) => {
                        let mut all = vec![json!({"op": "replace", "path": "/metadata/resourceVersion", "value": resource_version})];
                        all.extend(ops.as_array().cloned().unwrap_or_default());
                        ("application/json-patch+json", Value::Array(all))
                    }
                    PatchBody::Strategic(v) => ("application/strategic-merge-patch+json", with_rv(v, resource_version)),
                    PatchBody::Merge(v) => ("application/merge-patch+json", with_rv(v, resource_version)),
                };
                (Method::PATCH, target.object_path(), ct, body)
            }
        };
        let bytes = serde_json::to_vec(&body).map_err(|e| ClusterError::Request { detail: e.to_string() })?;
        Request::builder()
            .method(method)
            .uri(format!("{path}?{query}"))
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::ACCEPT, "application/json")
            .body(bytes)
            .map_err(|e| ClusterError::Request { detail: e.to_string() })
    }
}

fn set_rv(body: &mut Value, rv: &str) {
    if let Some(obj) = body.as_object_mut() {
        let meta = obj.entry("metadata").or_insert_with(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            m.insert("resourceVersion".to_string(), Value::from(rv));
        }
    }
}

fn with_rv(v: &Value, rv: &str) -> Value {
    let mut v = v.clone();
    set_rv(&mut v, rv);
    v
}

/// How a write is described in the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteStep {
    /// The change request's id, if the write belongs to one.
    pub change: Option<String>,
    /// The step of the run (e.g. `canary`, `backup`, `rollback`), so a resumed run can pair
    /// the intent with its outcome.
    pub step: String,
    /// The journal kind, e.g. `rollout-step`, `rollback`, `backup`, `lock`, `journal-anchor`.
    pub kind: String,
    /// What is done, e.g. `set-image`, `pause`.
    pub action: String,
    /// Parameters (never secrets: the journal scrubs them anyway).
    pub params: Value,
}

/// A write that reached the cluster.
#[derive(Debug, Clone)]
pub struct Written {
    /// The object as the server answered (after the write).
    pub object: Value,
    pub resource_version: Option<String>,
    /// The intent entry (seq, hash).
    pub intent: (u64, String),
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("not sent: its intent could not be journalled ({0}); check the journal with `cabin journal verify` and retry")]
    NotJournalled(JournalError),
    #[error(
        "{kind} {namespace}/{name} changed under you (it is no longer at resourceVersion {resource_version}); nothing was overwritten: look at it again and decide anew"
    )]
    Conflict { kind: String, namespace: String, name: String, resource_version: String },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("{action} was sent ({result}) but its outcome could not be journalled ({error}); record it with `cabin journal append`")]
    OutcomeNotJournalled { action: String, result: String, error: JournalError },
}

/// Sends mutating requests, each journalled first.
#[derive(Clone)]
pub struct Writer {
    conn: Connection,
    journal: Arc<Journal>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("conn", &self.conn).field("journal", &self.journal.path()).finish()
    }
}

impl Writer {
    pub fn new(conn: Connection, journal: Arc<Journal>) -> Self {
        Self { conn, journal }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// Journals the intent, sends the mutation, journals the outcome (naming the intent). A 409
    /// caused only by a status update (same generation) is retried with the new
    /// resourceVersion, each attempt journalled; a spec that moved is a
    /// [`WriteError::Conflict`].
    pub async fn apply(&self, step: &WriteStep, mut m: Mutation) -> Result<Written, WriteError> {
        for _ in 0..4 {
            match self.apply_once(step, m.clone()).await {
                Err(WriteError::Conflict { .. }) if m.pre().is_some_and(|p| p.generation.is_some()) => {
                    let Some(rv) = self.same_spec_rv(&m).await? else {
                        return Err(classify_conflict(m.target(), m.resource_version()));
                    };
                    m = m.with_resource_version(rv);
                }
                other => return other,
            }
        }
        Err(classify_conflict(m.target(), m.resource_version()))
    }

    /// The object's new resourceVersion when its generation is still the one decided on.
    async fn same_spec_rv(&self, m: &Mutation) -> Result<Option<String>, WriteError> {
        let Some(now) = super::rollout::get_json(self, &m.target().object_path()).await? else { return Ok(None) };
        let generation = now.pointer("/metadata/generation").and_then(Value::as_i64);
        let same = m.pre().is_some_and(|p| p.generation.is_some() && p.generation == generation);
        Ok(if same { rv_of(&now) } else { None })
    }

    async fn apply_once(&self, step: &WriteStep, m: Mutation) -> Result<Written, WriteError> {
        let target = m.target().clone();
        let rv_before = m.resource_version().map(str::to_string);
        let request = m.request(false)?;
        let intent_details = json!({
            "action": step.action,
            "step": step.step,
            "params": step.params,
            "request": { "method": request.method().as_str(), "path": request.uri().path() },
        });
        let intent_entry = NewEntry {
            change: step.change.clone(),
            kind: step.kind.clone(),
            targets: vec![target.journal_target(rv_before.clone())],
            outcome: Some("intent".to_string()),
            details: intent_details,
        };
        let intent = append(self.journal.clone(), intent_entry).await.map_err(WriteError::NotJournalled)?;
        let permit = WritePermit { kind: PermitKind::Journalled(intent.seq) };
        let result = self.send(request, permit).await;
        let mut journal_target = target.journal_target(rv_before.clone());
        let mut details = json!({
            "action": step.action,
            "step": step.step,
            "intent": { "seq": intent.seq, "hash": intent.hash },
        });
        let outcome = match &result {
            Ok(obj) => {
                journal_target.resource_version_after = rv_of(obj);
                "ok"
            }
            Err(e) => {
                if let Some(map) = details.as_object_mut() {
                    map.insert("error".to_string(), Value::from(e.to_string()));
                }
                "failed"
            }
        };
        let after = NewEntry {
            change: step.change.clone(),
            kind: step.kind.clone(),
            targets: vec![journal_target],
            outcome: Some(outcome.to_string()),
            details,
        };
        if let Err(error) = append(self.journal.clone(), after).await {
            let result = match &result {
                Ok(_) => "it succeeded".to_string(),
                Err(e) => format!("it failed: {e}"),
            };
            return Err(WriteError::OutcomeNotJournalled { action: step.action.clone(), result, error });
        }
        let object = result.map_err(|e| classify(e, &target, rv_before.as_deref()))?;
        let resource_version = rv_of(&object);
        Ok(Written { object, resource_version, intent: (intent.seq, intent.hash) })
    }

    /// A server-side dry run (`dryRun=All`) of `m`: admission runs, nothing persists, nothing is
    /// journalled. Returns the object as it would be.
    pub async fn dry_run(&self, m: &Mutation) -> Result<Value, WriteError> {
        let mut m = m.clone();
        for _ in 0..4 {
            let request = m.request(true)?;
            match self.send(request, WritePermit { kind: PermitKind::DryRun }).await {
                Ok(v) => return Ok(v),
                Err(e) => match classify(e, m.target(), m.resource_version()) {
                    WriteError::Conflict { .. } if m.pre().is_some_and(|p| p.generation.is_some()) => {
                        let Some(rv) = self.same_spec_rv(&m).await? else {
                            return Err(classify_conflict(m.target(), m.resource_version()));
                        };
                        m = m.with_resource_version(rv);
                    }
                    other => return Err(other),
                },
            }
        }
        Err(classify_conflict(m.target(), m.resource_version()))
    }

    async fn send(&self, mut request: Request<Vec<u8>>, permit: WritePermit) -> Result<Value, ClusterError> {
        request.extensions_mut().insert(permit);
        self.conn.client().request::<Value>(request).await.map_err(|e| self.conn.error(e))
    }
}

/// A 409 on a write with a precondition is the typed "changed under you"; anything else
/// stays the cluster error it is.
fn classify(e: ClusterError, target: &ObjRef, rv: Option<&str>) -> WriteError {
    match rv {
        Some(_) if matches!(&e, ClusterError::Api { code: 409, .. }) => classify_conflict(target, rv),
        _ => WriteError::Cluster(e),
    }
}

fn classify_conflict(target: &ObjRef, rv: Option<&str>) -> WriteError {
    WriteError::Conflict {
        kind: target.resource.kind.to_string(),
        namespace: target.namespace.clone(),
        name: target.name.clone(),
        resource_version: rv.unwrap_or_default().to_string(),
    }
}

fn rv_of(obj: &Value) -> Option<String> {
    obj.pointer("/metadata/resourceVersion").and_then(Value::as_str).map(str::to_string)
}

/// Appends off the async threads (the append waits for fdatasync).
async fn append(journal: Arc<Journal>, entry: NewEntry) -> Result<Entry, JournalError> {
    let path = journal.path().to_path_buf();
    match tokio::task::spawn_blocking(move || journal.append(entry)).await {
        Ok(r) => r,
        // The blocking task panicked or was cancelled: the entry is not acknowledged.
        Err(e) => Err(JournalError::Write { path, source: std::io::Error::other(e.to_string()) }),
    }
}
