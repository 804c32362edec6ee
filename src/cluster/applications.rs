//! Argo CD Applications (`argoproj.io/v1alpha1`, all namespaces), watched like the
//! AppProjects (see `appprojects.rs`): each becomes a small [`ArgoApp`] (name, namespace,
//! project, destination), which is all the change clock needs to map a workload to its
//! project's sync windows. A 404 (Argo CD not installed) is an empty set, not an error.

use std::collections::BTreeMap;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use tokio::sync::mpsc;

use super::appprojects::{ArgoSignal, ArgoWatch, Key, watch_all};
use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::windows::workload::ArgoApp;

/// What the Application watch tells its owner: the complete set, sorted by (namespace, name).
pub type ApplicationsSignal = ArgoSignal<Vec<ArgoApp>>;

/// The `applications.argoproj.io` resource.
pub fn api_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application");
    ApiResource::from_gvk_with_plural(&gvk, "applications")
}

/// One Application object → its windows-relevant view (None without a name).
pub fn app_view(obj: &DynamicObject) -> Option<ArgoApp> {
    // `data` holds everything but the metadata, which kube keeps typed.
    let manifest = serde_json::json!({
        "metadata": {"name": obj.metadata.name, "namespace": obj.metadata.namespace},
        "spec": obj.data.get("spec"),
    });
    ArgoApp::from_manifest(&manifest)
}

fn convert(objs: &BTreeMap<Key, DynamicObject>) -> Vec<ArgoApp> {
    objs.values().filter_map(app_view).collect()
}

/// Lists the Applications of all namespaces once. Argo CD not installed → none.
pub async fn list(conn: &Connection) -> Result<Vec<ArgoApp>, ClusterError> {
    let api: Api<DynamicObject> = Api::all_with(conn.client(), &api_resource());
    match api.list(&ListParams::default()).await {
        Ok(list) => {
            let sorted: BTreeMap<Key, DynamicObject> = list
                .items
                .into_iter()
                .map(|o| ((o.metadata.namespace.clone().unwrap_or_default(), o.metadata.name.clone().unwrap_or_default()), o))
                .collect();
            Ok(convert(&sorted))
        }
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(Vec::new()),
        Err(e) => Err(conn.error(e)),
    }
}

/// Starts watching Applications in all namespaces; signals go to `tx`. Dropping the returned
/// watch stops it.
pub fn watch(conn: &Connection, tx: mpsc::Sender<ApplicationsSignal>) -> ArgoWatch {
    watch_all(conn, api_resource(), convert, tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_object_becomes_its_name_project_and_destination() {
        let mut o = DynamicObject::new("web", &api_resource()).within("argocd");
        o.data = serde_json::json!({"spec": {"project": "production", "destination": {"server": "https://kubernetes.default.svc", "namespace": "shop"}}});
        let app = app_view(&o).unwrap_or_default();
        assert_eq!(
            app,
            ArgoApp {
                namespace: "argocd".into(),
                name: "web".into(),
                project: "production".into(),
                dest_server: "https://kubernetes.default.svc".into(),
                dest_name: String::new(),
                dest_namespace: "shop".into(),
            }
        );
        let bare = DynamicObject::new("bare", &api_resource()).within("argocd");
        let app = app_view(&bare).unwrap_or_default();
        assert_eq!((app.name.as_str(), app.project_name()), ("bare", "default"));
    }
}
