//! `pods/eviction` (policy/v1 Eviction) as the apiserver's EvictionREST does it: a pod that is
//! pending, finished or already being deleted goes at once; otherwise its one
//! PodDisruptionBudget must allow a disruption, which the eviction takes (disruptionsAllowed
//! − 1, the pod in `disruptedPods`) before the pod is deleted. A budget that forbids it gives
//! 429 "Cannot evict pod as it would violate the pod's disruption budget."
use serde_json::{Value, json};

use super::handlers::{Ctx, dry_run, fetch, name_of};
use super::route::ResRoute;
use super::status::{self, ApiError};
use super::{Resp, json_resp};
use crate::sim::controllers::{disruption, obj};
use crate::sim::store_api::{SimStore, kinds};

const VIOLATES: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

fn too_many(cause: String, retry_after: u32) -> ApiError {
    let mut details = json!({"causes": [{"reason": "DisruptionBudget", "message": cause}]});
    if retry_after > 0 {
        details["retryAfterSeconds"] = json!(retry_after);
    }
    status::status(429, "TooManyRequests", VIOLATES, Some(details))
}

fn success() -> Resp {
    json_resp(201, &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}))
}

/// Checks the Eviction body; true when it asks for a dry run (`deleteOptions.dryRun`).
fn check_body(ctx: &Ctx<'_>, r: &ResRoute) -> Result<bool, ApiError> {
    if ctx.body.is_empty() {
        return Ok(dry_run(r));
    }
    let body: Value =
        serde_json::from_slice(ctx.body).map_err(|e| status::bad_request(&format!("the request body is not an Eviction: {e}")))?;
    match body["metadata"]["name"].as_str() {
        Some(n) if n != name_of(r) => Err(status::bad_request("name in URL does not match name in Eviction object")),
        _ => Ok(dry_run(r) || body["deleteOptions"]["dryRun"].as_array().is_some_and(|a| !a.is_empty())),
    }
}

pub fn evict(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let dry = check_body(ctx, r)?;
    let pod = fetch(ctx, r)?;
    let store = &*ctx.state.store;
    let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
    if obj::is_deleting(&pod) || matches!(phase, "Pending" | "Succeeded" | "Failed") {
        return delete_pod(ctx, r, dry);
    }
    let pdbs: Vec<Value> = store.list(kinds::PDB, obj::namespace(&pod)).into_iter().filter(|b| disruption::selects(b, &pod)).collect();
    match pdbs.as_slice() {
        [] => delete_pod(ctx, r, dry),
        [pdb] => {
            let unhealthy_ok = !obj::is_pod_ready(&pod)
                && (pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
                    || (obj::int(pdb, "/status/currentHealthy") >= obj::int(pdb, "/status/desiredHealthy")
                        && obj::int(pdb, "/status/desiredHealthy") > 0));
            if !unhealthy_ok {
                take_disruption(ctx, r, obj::name(pdb), dry)?;
            }
            delete_pod(ctx, r, dry)
        }
        _ => Err(status::status(
            500,
            "InternalError",
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            None,
        )),
    }
}

/// checkAndDecrement, retried on a conflicting PDB write.
fn take_disruption(ctx: &Ctx<'_>, r: &ResRoute, pdb_name: &str, dry: bool) -> Result<(), ApiError> {
    let store = &*ctx.state.store;
    for _ in 0..5 {
        let Some(mut pdb) = store.get(kinds::PDB, r.ns.as_deref(), pdb_name) else {
            return Ok(());
        };
        if obj::int(&pdb, "/status/observedGeneration") < obj::int(&pdb, "/metadata/generation") {
            return Err(too_many(format!("The disruption budget {pdb_name} is still being processed by the server."), 10));
        }
        let allowed = obj::int(&pdb, "/status/disruptionsAllowed");
        if allowed <= 0 {
            let (desired, healthy) = (obj::int(&pdb, "/status/desiredHealthy"), obj::int(&pdb, "/status/currentHealthy"));
            return Err(too_many(format!("The disruption budget {pdb_name} needs {desired} healthy pods and has {healthy} currently"), 0));
        }
        if dry {
            return Ok(());
        }
        let now = chrono::Utc::now();
        pdb["status"]["disruptionsAllowed"] = json!(allowed - 1);
        pdb["status"]["disruptedPods"][name_of(r)] = json!(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let generation = obj::int(&pdb, "/metadata/generation");
        pdb["status"]["conditions"] = json!([disruption::allowed_condition(&pdb, allowed - 1, generation, now)]);
        match store.update_status(pdb) {
            Ok(_) => return Ok(()),
            Err(crate::sim::store_api::StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(status::from_store(r.res, name_of(r), e)),
        }
    }
    Err(status::status(409, "Conflict", "the disruption budget kept changing while the eviction was checked; try again", None))
}

fn delete_pod(ctx: &Ctx<'_>, r: &ResRoute, dry: bool) -> Result<Resp, ApiError> {
    if !dry {
        super::delete::delete_pod(&*ctx.state.store, r.ns.as_deref(), name_of(r)).map_err(|e| status::from_store(r.res, name_of(r), e))?;
    }
    Ok(success())
}
