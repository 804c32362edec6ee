//! Objects every cluster of this shape holds, created once at start when missing: a
//! CustomResourceDefinition for each custom resource the simulator serves (Velero, Argo CD),
//! the ClusterRoles and ClusterRoleBindings of its authorization table (so `kubectl get
//! clusterrolebinding` shows the very rules that decide the 403s), the two system
//! PriorityClasses, and a default StorageClass `standard` (provisioner `cabin-sim/hostpath`).
use serde_json::{Value, json};

use crate::sim::server::authz::{self, Subject};
use crate::sim::server::registry::{RESOURCES, Resource};
use crate::sim::store_api::SimStore;

/// The API groups served as custom resources (everything else is built in).
pub const CUSTOM_GROUPS: &[&str] = &["velero.io", "argoproj.io"];

pub fn seed(store: &dyn SimStore) {
    let objects = RESOURCES
        .iter()
        .filter(|r| CUSTOM_GROUPS.contains(&r.group))
        .map(crd)
        .chain(authz::BINDINGS.iter().flat_map(|b| [cluster_role(b), cluster_role_binding(b)]))
        .chain([priority_class("system-cluster-critical", 2_000_000_000), priority_class("system-node-critical", 2_000_001_000)])
        .chain([default_storage_class()]);
    for o in objects {
        let Ok(kind) = crate::sim::store::kind_of(&o) else { continue };
        if store.get(kind, None, o["metadata"]["name"].as_str().unwrap_or_default()).is_none() {
            let _ = store.create(o);
        }
    }
}

/// The CRD the real operator installs for `r` (schema left open: the simulator keeps any field).
pub fn crd(r: &Resource) -> Value {
    let name = format!("{}.{}", r.plural, r.group);
    let names = json!({"plural": r.plural, "singular": r.singular, "kind": r.kind, "listKind": format!("{}List", r.kind),
        "shortNames": r.short});
    let scope = if r.namespaced { "Namespaced" } else { "Cluster" };
    let mut version = json!({"name": r.version, "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}});
    if r.subresources.contains(&"status") {
        version["subresources"] = json!({"status": {}});
    }
    let now = crate::sim::controllers::obj::now_rfc3339();
    let cond = |t: &str, reason: &str, msg: &str| json!({"type": t, "status": "True", "reason": reason, "message": msg, "lastTransitionTime": now});
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": name},
    "spec": {"group": r.group, "names": names, "scope": scope, "versions": [version], "conversion": {"strategy": "None"}},
    "status": {"acceptedNames": names, "storedVersions": [r.version], "conditions": [
        cond("NamesAccepted", "NoConflicts", "no conflicts found"),
        cond("Established", "InitialNamesAccepted", "the initial names have been accepted"),
    ]}})
}

fn cluster_role(b: &authz::Binding) -> Value {
    let rules: Vec<Value> = b.rules.iter().map(|r| json!({"verbs": r.verbs, "apiGroups": r.groups, "resources": r.resources})).collect();
    let mut meta = json!({"name": b.role, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}});
    let except: Vec<&str> = b.rules.iter().flat_map(|r| r.except.iter().copied()).collect();
    if !except.is_empty() {
        // RBAC has no exceptions; the simulator's rule table does (no exec, attach, ... for readers).
        meta["annotations"] = json!({"cabin.sim/not-subresources": except.join(",")});
    }
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta, "rules": rules})
}

fn cluster_role_binding(b: &authz::Binding) -> Value {
    let subject = match b.subject {
        Subject::User(u) => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": u}),
        Subject::Authenticated => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}),
    };
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": b.binding},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": b.role}, "subjects": [subject]})
}

fn priority_class(name: &str, value: i64) -> Value {
    json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value,
        "globalDefault": false, "preemptionPolicy": "PreemptLowerPriority",
        "description": "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."})
}

fn default_storage_class() -> Value {
    json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "cabin-sim/hostpath", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"})
}
