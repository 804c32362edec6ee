//! The journal anchor in the cluster: the head recorded by `cabin journal seal --to-cluster`
//! as annotations of ConfigMap `cabin-journal-anchor` in cabin's namespace, read back by
//! `cabin journal verify --against-cluster`. A copy the journal's writers cannot rewrite
//! together with the file is what makes a journal rewritten from the start detectable.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::Api;

use super::connect::Connection;
use super::error::ClusterError;
use super::write::{CONFIGMAP, Mutation, ObjRef, PatchBody, Precondition, WriteError, WriteStep, Writer};

/// cabin's namespace by default.
pub const DEFAULT_NAMESPACE: &str = "cabin";
/// The ConfigMap holding the anchor.
pub const ANCHOR_NAME: &str = "cabin-journal-anchor";
/// `<seq>:<hash>` of the sealed head.
pub const HEAD_ANNOTATION: &str = "cabin.dev/journal-head";
/// When it was sealed (RFC 3339 UTC).
pub const SEALED_AT_ANNOTATION: &str = "cabin.dev/journal-sealed-at";

/// Why the anchor cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error(
        "namespace {namespace:?} does not exist in the cluster; create it with `kubectl create namespace {namespace}` (or pass --namespace NS)"
    )]
    NoNamespace { namespace: String },
    #[error(
        "no journal anchor in the cluster (ConfigMap {namespace}/{ANCHOR_NAME} with annotation {HEAD_ANNOTATION}); record one with `cabin journal seal --to-cluster`"
    )]
    NoAnchor { namespace: String },
    #[error("the anchor ConfigMap {namespace}/{ANCHOR_NAME} kept changing while it was written; run the seal again")]
    Busy { namespace: String },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Write(WriteError),
}

/// The anchor as read from the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// `<seq>:<hash>`.
    pub head: String,
    pub sealed_at: Option<String>,
}

fn configmaps(conn: &Connection, namespace: &str) -> Api<ConfigMap> {
    Api::namespaced(conn.client(), namespace)
}

/// A 404 on the namespace → [`AnchorError::NoNamespace`]; a 403 (no permission to read
/// namespaces) is not proof of absence, so the write goes ahead.
async fn check_namespace(conn: &Connection, namespace: &str) -> Result<(), AnchorError> {
    let api: Api<Namespace> = Api::all(conn.client());
    match api.get(namespace).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(AnchorError::NoNamespace { namespace: namespace.to_string() }),
        Err(kube::Error::Api(s)) if s.code == 403 => Ok(()),
        Err(e) => Err(conn.error(e).into()),
    }
}

/// Records `head` (`<seq>:<hash>`) and `sealed_at` on the anchor ConfigMap through the
/// journalled writer: a merge patch of its annotations (with the resourceVersion just read)
/// when it exists, else a create.
pub async fn write_anchor(writer: &Writer, namespace: &str, head: &str, sealed_at: &str) -> Result<(), AnchorError> {
    let conn = writer.connection();
    check_namespace(conn, namespace).await?;
    let annotations =
        BTreeMap::from([(HEAD_ANNOTATION.to_string(), head.to_string()), (SEALED_AT_ANNOTATION.to_string(), sealed_at.to_string())]);
    let step = WriteStep {
        change: None,
        step: "seal".to_string(),
        kind: "journal-anchor".to_string(),
        action: "record-head".to_string(),
        params: serde_json::json!({ "head": head, "sealedAt": sealed_at }),
    };
    let target = ObjRef::new(CONFIGMAP, namespace, ANCHOR_NAME);
    let patch = serde_json::json!({ "metadata": { "annotations": annotations } });
    for _ in 0..3 {
        let mutation = match configmaps(conn, namespace).get_opt(ANCHOR_NAME).await.map_err(|e| conn.error(e))? {
            Some(cm) => Mutation::Patch {
                target: target.clone(),
                patch: PatchBody::Merge(patch.clone()),
                pre: Precondition::exact(cm.metadata.resource_version.unwrap_or_default()),
            },
            None => Mutation::Create {
                target: target.clone(),
                body: serde_json::json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": { "name": ANCHOR_NAME, "namespace": namespace, "annotations": annotations },
                }),
            },
        };
        match writer.apply(&step, mutation).await {
            Ok(_) => return Ok(()),
            // Created or changed concurrently by another seal: read again and retry.
            Err(WriteError::Conflict { .. }) => continue,
            Err(WriteError::Cluster(ClusterError::Api { code: 409, .. })) => continue,
            Err(WriteError::Cluster(ClusterError::NotFound { .. })) => {
                return Err(AnchorError::NoNamespace { namespace: namespace.to_string() });
            }
            Err(e) => return Err(AnchorError::Write(e)),
        }
    }
    Err(AnchorError::Busy { namespace: namespace.to_string() })
}

/// Reads the anchor back; a missing ConfigMap or annotation → [`AnchorError::NoAnchor`].
pub async fn read_anchor(conn: &Connection, namespace: &str) -> Result<Anchor, AnchorError> {
    let no_anchor = || AnchorError::NoAnchor { namespace: namespace.to_string() };
    let cm = match configmaps(conn, namespace).get(ANCHOR_NAME).await {
        Ok(cm) => cm,
        Err(kube::Error::Api(s)) if s.code == 404 => return Err(no_anchor()),
        Err(e) => return Err(conn.error(e).into()),
    };
    let annotations = cm.metadata.annotations.unwrap_or_default();
    let head = annotations.get(HEAD_ANNOTATION).cloned().ok_or_else(no_anchor)?;
    Ok(Anchor { head, sealed_at: annotations.get(SEALED_AT_ANNOTATION).cloned() })
}
