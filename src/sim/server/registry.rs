//! The static table of resources the simulator serves (built-ins and generic custom resources).
use crate::sim::store_api::ObjKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// "" for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short: &'static [&'static str],
    /// Subresources served: "status", "scale", "log", "eviction", and "exec", "attach",
    /// "portforward", "proxy" (answered "not supported").
    pub subresources: &'static [&'static str],
    /// Only `create` is served (the review APIs).
    pub create_only: bool,
}

const RW: bool = false;

macro_rules! res {
    ($g:expr, $v:expr, $p:expr, $s:expr, $k:expr, $ns:expr, [$($sh:expr),*], [$($sub:expr),*]) => {
        Resource { group: $g, version: $v, plural: $p, singular: $s, kind: $k, namespaced: $ns,
            short: &[$($sh),*], subresources: &[$($sub),*], create_only: RW }
    };
}

pub static RESOURCES: &[Resource] = &[
    res!("", "v1", "namespaces", "namespace", "Namespace", false, ["ns"], ["status"]),
    res!("", "v1", "pods", "pod", "Pod", true, ["po"], ["status", "log", "eviction", "exec", "attach", "portforward", "proxy"]),
    res!("", "v1", "events", "event", "Event", true, ["ev"], []),
    res!("", "v1", "services", "service", "Service", true, ["svc"], ["status", "proxy"]),
    res!("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, ["sa"], ["token"]),
    res!("", "v1", "endpoints", "endpoints", "Endpoints", true, ["ep"], []),
    res!("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, ["pv"], ["status"]),
    res!("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, ["pvc"], ["status"]),
    res!("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController", true, ["rc"], ["status", "scale"]),
    res!("", "v1", "configmaps", "configmap", "ConfigMap", true, ["cm"], []),
    res!("", "v1", "secrets", "secret", "Secret", true, [], []),
    res!("", "v1", "nodes", "node", "Node", false, ["no"], ["status", "proxy"]),
    res!("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, ["quota"], ["status"]),
    res!("", "v1", "limitranges", "limitrange", "LimitRange", true, ["limits"], []),
    res!("apps", "v1", "deployments", "deployment", "Deployment", true, ["deploy"], ["status", "scale"]),
    res!("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, ["rs"], ["status", "scale"]),
    res!("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, ["sts"], ["status", "scale"]),
    res!("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", true, [], []),
    res!("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, ["ds"], ["status"]),
    res!("batch", "v1", "jobs", "job", "Job", true, [], ["status"]),
    res!("batch", "v1", "cronjobs", "cronjob", "CronJob", true, ["cj"], ["status"]),
    res!("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, ["hpa"], ["status"]),
    res!("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, [], []),
    res!("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, ["ing"], ["status"]),
    res!("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", false, [], []),
    res!("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, ["netpol"], []),
    res!("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, [], []),
    res!("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, [], []),
    res!("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, [], []),
    res!("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, [], []),
    res!("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", false, ["sc"], []),
    res!("scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", "PriorityClass", false, ["pc"], []),
    res!(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        false,
        ["crd", "crds"],
        ["status"]
    ),
    res!("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, ["pdb"], ["status"]),
    res!("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, [], []),
    Resource {
        create_only: true,
        ..res!(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "selfsubjectaccessreview",
            "SelfSubjectAccessReview",
            false,
            [],
            []
        )
    },
    Resource {
        create_only: true,
        ..res!("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "selfsubjectrulesreview", "SelfSubjectRulesReview", false, [], [])
    },
    Resource {
        create_only: true,
        ..res!("authentication.k8s.io", "v1", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false, [], [])
    },
    res!("velero.io", "v1", "backups", "backup", "Backup", true, [], ["status"]),
    res!("velero.io", "v1", "restores", "restore", "Restore", true, [], ["status"]),
    res!("velero.io", "v1", "backupstoragelocations", "backupstoragelocation", "BackupStorageLocation", true, ["bsl"], ["status"]),
    res!("argoproj.io", "v1alpha1", "appprojects", "appproject", "AppProject", true, ["appproj", "appprojs"], []),
    res!("argoproj.io", "v1alpha1", "applications", "application", "Application", true, ["app", "apps"], ["status"]),
];

impl Resource {
    /// "apps/v1" or "v1".
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }

    /// The ObjKind used by the store (static strings from `store_api::kinds` when they match).
    pub fn obj_kind(&self) -> ObjKind {
        ObjKind::new(static_api_version(self), self.kind)
    }

    /// "deployments.apps" or "pods", as the apiserver names resources in messages.
    pub fn qualified_name(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }

    pub fn verbs(&self) -> &'static [&'static str] {
        if self.create_only { &["create"] } else { &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] }
    }
}

fn static_api_version(r: &Resource) -> &'static str {
    match (r.group, r.version) {
        ("", v) => v,
        ("apps", "v1") => "apps/v1",
        ("policy", "v1") => "policy/v1",
        ("batch", "v1") => "batch/v1",
        ("autoscaling", "v2") => "autoscaling/v2",
        ("discovery.k8s.io", "v1") => "discovery.k8s.io/v1",
        ("networking.k8s.io", "v1") => "networking.k8s.io/v1",
        ("rbac.authorization.k8s.io", "v1") => "rbac.authorization.k8s.io/v1",
        ("storage.k8s.io", "v1") => "storage.k8s.io/v1",
        ("scheduling.k8s.io", "v1") => "scheduling.k8s.io/v1",
        ("apiextensions.k8s.io", "v1") => "apiextensions.k8s.io/v1",
        ("coordination.k8s.io", "v1") => "coordination.k8s.io/v1",
        ("authorization.k8s.io", "v1") => "authorization.k8s.io/v1",
        ("authentication.k8s.io", "v1") => "authentication.k8s.io/v1",
        ("velero.io", "v1") => "velero.io/v1",
        ("argoproj.io", "v1alpha1") => "argoproj.io/v1alpha1",
        _ => "unknown/v0",
    }
}

/// Subresources the simulator lists but cannot perform (it runs no containers).
pub const UNSUPPORTED: &[&str] = &["exec", "attach", "portforward", "proxy"];

pub fn lookup_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.kind == kind && r.api_version() == api_version)
}

pub fn by_kind(k: ObjKind) -> Option<&'static Resource> {
    lookup_kind(k.api_version, k.kind)
}

pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Groups other than core, in a stable order, with their (single) version.
pub fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.iter().any(|(g, _)| *g == r.group) {
            out.push((r.group, r.version));
        }
    }
    out
}
