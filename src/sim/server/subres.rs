//! Subresources and review APIs: `/scale` (autoscaling/v1 Scale), selfsubjectaccessreviews, selfsubjectrulesreviews and selfsubjectreviews.
use serde_json::{Value, json};

use super::handlers::{Ctx, fetch, name_of, parse_body};
use super::route::{ResRoute, Verb};
use super::status::{self, ApiError};
use super::{Resp, authz, json_resp};
use crate::sim::patch;
use crate::sim::store_api::SimStore;

/// Annotation holding a pod's log text (newline-separated), written by the kubelet stand-in.
pub const LOG_ANNOTATION: &str = "sim.cabin.dev/log";

fn scale_of(obj: &Value) -> Value {
    let m = &obj["metadata"];
    let sel = obj["spec"]["selector"]["matchLabels"].as_object().cloned().unwrap_or_default();
    let selector: Vec<String> = sel.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect();
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]},
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector.join(",")},
    })
}

pub fn scale(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let obj = fetch(ctx, r)?;
    let current = scale_of(&obj);
    let wanted = match r.verb {
        Verb::Get => return Ok(json_resp(200, &current)),
        Verb::Update => serde_json::from_slice::<Value>(ctx.body).map_err(|e| status::bad_request(&e.to_string()))?,
        Verb::Patch => {
            let pt =
                patch::PatchType::from_content_type(ctx.ctype).ok_or_else(|| status::unsupported_media(ctx.ctype, status::PATCH_TYPES))?;
            patch::apply(pt, &current, ctx.body).map_err(|e| status::bad_request(&e.to_string()))?
        }
        _ => return Err(status::method_not_allowed()),
    };
    let Some(replicas) = wanted["spec"]["replicas"].as_i64().filter(|n| *n >= 0) else {
        let causes = [("FieldValueInvalid", "spec.replicas", "Invalid value: must be greater than or equal to 0".to_string())];
        return Err(status::invalid(r.res, name_of(r), &causes));
    };
    let mut next = obj;
    next["spec"]["replicas"] = json!(replicas);
    if let Some(rv) = wanted["metadata"]["resourceVersion"].as_str() {
        next["metadata"]["resourceVersion"] = json!(rv);
    }
    if super::handlers::dry_run(r) {
        return Ok(json_resp(200, &scale_of(&next)));
    }
    let updated = ctx.state.store.update(next).map_err(|e| status::from_store(r.res, name_of(r), e))?;
    Ok(json_resp(200, &scale_of(&updated)))
}

pub fn review(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let mut obj = parse_body(ctx, r)?;
    let user = ctx.user;
    let masters = ctx.groups.iter().any(|g| g == super::impersonate::MASTERS);
    let mut groups = ctx.groups.to_vec();
    groups.push("system:authenticated".into());
    obj["status"] = match r.res.plural {
        "selfsubjectaccessreviews" if masters => json!({"allowed": true}),
        "selfsubjectaccessreviews" => authz::access_review(user, &obj["spec"]),
        "selfsubjectrulesreviews" => authz::rules_review(user),
        _ => json!({"userInfo": {"username": user, "groups": groups}}),
    };
    obj["metadata"] = json!({"creationTimestamp": null});
    Ok(json_resp(201, &obj))
}
