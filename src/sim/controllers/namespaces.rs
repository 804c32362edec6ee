//! What every namespace of a real cluster holds: the `kube-root-ca.crt` ConfigMap (the
//! root-ca-cert-publisher's, with the cluster's CA) and the `default` ServiceAccount (the
//! service-account controller's). The system namespaces themselves are seeded at start.
use serde_json::json;

use super::obj;
use crate::sim::store_api::{SimStore, kinds};

/// Namespaces every cluster has.
pub const SYSTEM: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];
pub const ROOT_CA: &str = "kube-root-ca.crt";

pub fn reconcile(store: &dyn SimStore, root_ca: &str) {
    for ns in store.list(kinds::NAMESPACE, None) {
        if obj::is_deleting(&ns) {
            continue;
        }
        let name = obj::name(&ns);
        if !root_ca.is_empty() && store.get(kinds::CONFIG_MAP, Some(name), ROOT_CA).is_none() {
            let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": ROOT_CA, "namespace": name, "annotations": {"kubernetes.io/description":
                    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                "data": {"ca.crt": root_ca}});
            let _ = store.create(cm);
        }
        if store.get(kinds::SERVICE_ACCOUNT, Some(name), "default").is_none() {
            let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}});
            let _ = store.create(sa);
        }
    }
}
