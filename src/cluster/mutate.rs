//! Mutations built from the object as it is now: each reads the object, checks that the change
//! makes sense (as kubectl does), and sends it through the journalled [`Writer`] with the
//! resourceVersion it read as the precondition.
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use serde_json::json;

use super::error::ClusterError;
use super::write::{DEPLOYMENT, Mutation, ObjRef, PatchBody, Precondition, WriteError, WriteStep, Writer, Written};

/// `kubectl set image deployment/NAME CONTAINER=IMAGE`: a strategic merge patch of one
/// container's image. A container the Deployment does not have is refused, as kubectl does
/// (a strategic merge would otherwise add a new container).
pub async fn set_image(
    writer: &Writer,
    step: &WriteStep,
    namespace: &str,
    name: &str,
    container: &str,
    image: &str,
) -> Result<Written, WriteError> {
    let conn = writer.connection();
    let api: Api<Deployment> = Api::namespaced(conn.client(), namespace);
    let current = api.get(name).await.map_err(|e| conn.error(e))?;
    let containers: Vec<String> = current
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|p| p.containers.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    if !containers.iter().any(|c| c == container) {
        return Err(WriteError::Cluster(ClusterError::Request {
            detail: format!(
                "unable to find container named {container:?} in deployment {namespace}/{name} (it has: {}); nothing was sent",
                containers.join(", ")
            ),
        }));
    }
    let patch = json!({ "spec": { "template": { "spec": { "containers": [ { "name": container, "image": image } ] } } } });
    let mutation = Mutation::Patch {
        target: ObjRef::new(DEPLOYMENT, namespace, name),
        patch: PatchBody::Strategic(patch),
        pre: Precondition::spec(current.metadata.resource_version.unwrap_or_default(), current.metadata.generation),
    };
    writer.apply(step, mutation).await
}
