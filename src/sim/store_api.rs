//! The contract between the simulator's object store (`sim::store`, served over HTTPS by
//! `sim::server`) and its controllers (`sim::controllers`). Objects are plain JSON exactly as
//! the Kubernetes API serves them (apiVersion, kind, metadata, spec, status).
use serde_json::Value;

/// A kind of object, named as in the API: `("apps/v1", "Deployment")`, `("v1", "Pod")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjKind {
    pub api_version: &'static str,
    pub kind: &'static str,
}

impl ObjKind {
    pub const fn new(api_version: &'static str, kind: &'static str) -> Self {
        Self { api_version, kind }
    }
}

pub mod kinds {
    use super::ObjKind;
    pub const NAMESPACE: ObjKind = ObjKind::new("v1", "Namespace");
    pub const POD: ObjKind = ObjKind::new("v1", "Pod");
    pub const EVENT: ObjKind = ObjKind::new("v1", "Event");
    pub const NODE: ObjKind = ObjKind::new("v1", "Node");
    pub const SERVICE: ObjKind = ObjKind::new("v1", "Service");
    pub const CONFIG_MAP: ObjKind = ObjKind::new("v1", "ConfigMap");
    pub const SERVICE_ACCOUNT: ObjKind = ObjKind::new("v1", "ServiceAccount");
    pub const RESOURCE_QUOTA: ObjKind = ObjKind::new("v1", "ResourceQuota");
    pub const LIMIT_RANGE: ObjKind = ObjKind::new("v1", "LimitRange");
    pub const DEPLOYMENT: ObjKind = ObjKind::new("apps/v1", "Deployment");
    pub const REPLICA_SET: ObjKind = ObjKind::new("apps/v1", "ReplicaSet");
    pub const STATEFUL_SET: ObjKind = ObjKind::new("apps/v1", "StatefulSet");
    pub const CONTROLLER_REVISION: ObjKind = ObjKind::new("apps/v1", "ControllerRevision");
    pub const PDB: ObjKind = ObjKind::new("policy/v1", "PodDisruptionBudget");
    pub const LEASE: ObjKind = ObjKind::new("coordination.k8s.io/v1", "Lease");
    pub const VELERO_BACKUP: ObjKind = ObjKind::new("velero.io/v1", "Backup");
    pub const VELERO_RESTORE: ObjKind = ObjKind::new("velero.io/v1", "Restore");
    pub const VELERO_BSL: ObjKind = ObjKind::new("velero.io/v1", "BackupStorageLocation");
    pub const APP_PROJECT: ObjKind = ObjKind::new("argoproj.io/v1alpha1", "AppProject");
    pub const APPLICATION: ObjKind = ObjKind::new("argoproj.io/v1alpha1", "Application");
    pub const ENDPOINTS: ObjKind = ObjKind::new("v1", "Endpoints");
    pub const DAEMON_SET: ObjKind = ObjKind::new("apps/v1", "DaemonSet");
    pub const JOB: ObjKind = ObjKind::new("batch/v1", "Job");
    pub const CRON_JOB: ObjKind = ObjKind::new("batch/v1", "CronJob");
    pub const ENDPOINT_SLICE: ObjKind = ObjKind::new("discovery.k8s.io/v1", "EndpointSlice");
    pub const CLUSTER_ROLE: ObjKind = ObjKind::new("rbac.authorization.k8s.io/v1", "ClusterRole");
    pub const CLUSTER_ROLE_BINDING: ObjKind = ObjKind::new("rbac.authorization.k8s.io/v1", "ClusterRoleBinding");
    pub const CRD: ObjKind = ObjKind::new("apiextensions.k8s.io/v1", "CustomResourceDefinition");
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{kind} \"{name}\" not found")]
    NotFound { kind: String, name: String },
    #[error("{kind} \"{name}\" already exists")]
    AlreadyExists { kind: String, name: String },
    #[error(
        "Operation cannot be fulfilled on {kind} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict { kind: String, name: String },
    #[error("{0}")]
    Invalid(String),
}

/// What changed, delivered in resourceVersion order to every subscriber.
#[derive(Debug, Clone)]
pub struct StoreChange {
    pub kind: ObjKind,
    /// "ADDED" | "MODIFIED" | "DELETED", as in watch events.
    pub event_type: &'static str,
    /// Shared with the store's history and every subscriber (never copied per receiver).
    pub object: std::sync::Arc<Value>,
}

/// The store as the controllers see it. All methods are synchronous and cheap (in memory);
/// every successful write gets a new, strictly increasing resourceVersion and is delivered
/// to watchers and subscribers.
pub trait SimStore: Send + Sync + 'static {
    /// Objects of a kind, optionally in one namespace, sorted by (namespace, name).
    fn list(&self, kind: ObjKind, namespace: Option<&str>) -> Vec<Value>;
    /// Like [`SimStore::list`] without copying the objects (read-only): what a controller
    /// that scans many objects and changes few should use.
    fn list_shared(&self, kind: ObjKind, namespace: Option<&str>) -> Vec<std::sync::Arc<Value>> {
        self.list(kind, namespace).into_iter().map(std::sync::Arc::new).collect()
    }
    fn get(&self, kind: ObjKind, namespace: Option<&str>, name: &str) -> Option<Value>;
    /// Like [`SimStore::get`] without copying the object (read-only).
    fn get_shared(&self, kind: ObjKind, namespace: Option<&str>, name: &str) -> Option<std::sync::Arc<Value>> {
        self.get(kind, namespace, name).map(std::sync::Arc::new)
    }
    /// Assigns uid, resourceVersion, creationTimestamp, generation (1) and honours
    /// `metadata.generateName`. Returns the stored object.
    fn create(&self, obj: Value) -> Result<Value, StoreError>;
    /// Replaces metadata + spec (status is kept from the stored object). If
    /// `metadata.resourceVersion` is set and stale → Conflict. Bumps `metadata.generation`
    /// when spec changed.
    fn update(&self, obj: Value) -> Result<Value, StoreError>;
    /// Replaces only `status` (the /status subresource). Same resourceVersion rule.
    fn update_status(&self, obj: Value) -> Result<Value, StoreError>;
    /// Deletes one object (no cascade here: the garbage-collector controller cascades
    /// through ownerReferences by watching deletions).
    fn delete(&self, kind: ObjKind, namespace: Option<&str>, name: &str) -> Result<Value, StoreError>;
    /// Every change from now on, in order. A lagging receiver must resync with `list`.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<StoreChange>;
}
