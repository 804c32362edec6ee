//! Direct reads: an object's YAML and a pod's logs, through the guarded client. Writes live
//! in `write.rs` (the journalled writer) and `mutate.rs`.
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod, ResourceQuota};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, LogParams};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::connect::Connection;
use super::error::ClusterError;
use crate::model::ObjectKey;

const LOG_TAIL_LINES: i64 = 500;

fn api<K>(conn: &Connection, namespace: &str) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    Api::namespaced(conn.client(), namespace)
}

async fn get_yaml<K>(conn: &Connection, api: Api<K>, name: &str) -> Result<String, ClusterError>
where
    K: Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    let obj = api.get(name).await.map_err(|e| conn.error(e))?;
    to_yaml(&obj)
}

/// YAML of an object with `metadata.managedFields` stripped.
pub fn to_yaml<K: Serialize>(obj: &K) -> Result<String, ClusterError> {
    let mut value = serde_json::to_value(obj).map_err(|e| ClusterError::Request { detail: e.to_string() })?;
    if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.remove("managedFields");
    }
    yaml_serde::to_string(&value).map_err(|e| ClusterError::Request { detail: e.to_string() })
}

pub async fn fetch_yaml(conn: &Connection, key: &ObjectKey) -> Result<String, ClusterError> {
    let (ns, name) = (key.namespace.as_str(), key.name.as_str());
    match key.kind.as_str() {
        "Deployment" => get_yaml(conn, api::<Deployment>(conn, ns), name).await,
        "StatefulSet" => get_yaml(conn, api::<StatefulSet>(conn, ns), name).await,
        "ReplicaSet" => get_yaml(conn, api::<ReplicaSet>(conn, ns), name).await,
        "Pod" => get_yaml(conn, api::<Pod>(conn, ns), name).await,
        "Event" => get_yaml(conn, api::<Event>(conn, ns), name).await,
        "PodDisruptionBudget" => get_yaml(conn, api::<PodDisruptionBudget>(conn, ns), name).await,
        "ResourceQuota" => get_yaml(conn, api::<ResourceQuota>(conn, ns), name).await,
        "Namespace" => get_yaml(conn, Api::<Namespace>::all(conn.client()), name).await,
        other => Err(ClusterError::Request { detail: format!("cabin cannot show YAML for kind {other:?} yet") }),
    }
}

pub async fn fetch_logs(conn: &Connection, namespace: &str, pod: &str, container: Option<&str>) -> Result<String, ClusterError> {
    let params = LogParams { container: container.map(str::to_string), tail_lines: Some(LOG_TAIL_LINES), ..LogParams::default() };
    api::<Pod>(conn, namespace).logs(pod, &params).await.map_err(|e| conn.error(e))
}
