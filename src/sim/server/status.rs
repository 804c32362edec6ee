//! `metav1.Status` error bodies with the reasons and messages the real apiserver uses.
use serde_json::{Value, json};

use super::registry::Resource;
use crate::sim::store_api::StoreError;

/// An API error: HTTP code plus the Status body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub body: Value,
}

pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> ApiError {
    // Every error carries `details` (empty when there is nothing to name): clients such as
    // `kubectl debug` read it without checking.
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "details": details.unwrap_or_else(|| json!({})), "code": code,
    });
    ApiError { code, body }
}

fn details(res: &Resource, name: &str) -> Value {
    json!({"name": name, "group": res.group, "kind": res.plural})
}

pub fn not_found(res: &Resource, name: &str) -> ApiError {
    let msg = format!("{} \"{name}\" not found", res.qualified_name());
    status(404, "NotFound", &msg, Some(details(res, name)))
}

/// The apiserver's answer for a path it does not serve (the path is not in the message).
pub fn plain_not_found(_path: &str) -> ApiError {
    status(404, "NotFound", "the server could not find the requested resource", None)
}

pub fn bad_request(msg: &str) -> ApiError {
    status(400, "BadRequest", msg, None)
}

pub fn method_not_allowed() -> ApiError {
    status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", None)
}

/// exec, attach, port-forward and proxy: the simulator runs no containers.
pub fn not_supported(res: &Resource, sub: &str, ns: Option<&str>, name: &str) -> ApiError {
    let what = match sub {
        "exec" => "exec into containers",
        "attach" => "attaching to containers",
        "portforward" => "port forwarding",
        _ => "proxying",
    };
    let scope = ns.map(|n| format!(" in namespace \"{n}\"")).unwrap_or_default();
    let msg = format!(
        "{}/{sub} is not supported by cabin sim: it runs no containers, so {what} is impossible ({} \"{name}\"{scope})",
        res.plural, res.singular
    );
    status(400, "BadRequest", &msg, Some(details(res, name)))
}

pub fn unauthorized() -> ApiError {
    status(401, "Unauthorized", "Unauthorized", None)
}

/// 429 TooManyRequests with a Retry-After header and `details.retryAfterSeconds`, as the
/// apiserver's priority-and-fairness filter answers.
pub fn throttled(retry_after: u32) -> super::Resp {
    let details = json!({"retryAfterSeconds": retry_after});
    let e = status(429, "TooManyRequests", "Too many requests, please try again later.", Some(details));
    let mut r = super::error_resp(&e);
    r.headers_mut().insert("retry-after", hyper::header::HeaderValue::from(retry_after));
    r
}

pub fn gone(msg: &str) -> ApiError {
    status(410, "Expired", msg, None)
}

/// 415 naming what the simulator accepts (`accepted`, e.g. "application/json, application/yaml").
pub fn unsupported_media(ct: &str, accepted: &str) -> ApiError {
    let msg = format!("the body of the request was in an unknown format - accepted media types include: {accepted} (got {ct:?})");
    status(415, "UnsupportedMediaType", &msg, None)
}

pub const PATCH_TYPES: &str =
    "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml";
pub const BODY_TYPES: &str = "application/json, application/yaml";

/// 403 in the apiserver's wording, e.g. `deployments.apps "api" is forbidden: User "viewer"
/// cannot patch resource "deployments" in API group "apps" in the namespace "payments"`.
pub fn forbidden(user: &str, verb: &str, res: &Resource, sub: Option<&str>, ns: Option<&str>, name: Option<&str>) -> ApiError {
    let subject = match name {
        Some(n) => format!("{} \"{n}\"", res.qualified_name()),
        None => res.qualified_name(),
    };
    let resource = match sub {
        Some(s) => format!("{}/{s}", res.plural),
        None => res.plural.to_string(),
    };
    let scope = match ns {
        Some(n) => format!(" in the namespace \"{n}\""),
        None => " at the cluster scope".to_string(),
    };
    let msg =
        format!("{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{}\"{scope}", res.group);
    status(403, "Forbidden", &msg, Some(details(res, name.unwrap_or_default())))
}

/// 422 Invalid with field causes.
pub fn invalid(res: &Resource, name: &str, causes: &[(&str, &str, String)]) -> ApiError {
    let parts: Vec<String> = causes.iter().map(|(_, f, m)| format!("{f}: {m}")).collect();
    let subject = if res.group.is_empty() { res.kind.to_string() } else { format!("{}.{}", res.kind, res.group) };
    let msg = format!("{subject} \"{name}\" is invalid: {}", parts.join(", "));
    let causes: Vec<Value> = causes.iter().map(|(reason, field, m)| json!({"reason": reason, "message": m, "field": field})).collect();
    let mut d = details(res, name);
    d["kind"] = json!(res.kind);
    d["causes"] = json!(causes);
    status(422, "Invalid", &msg, Some(d))
}

pub fn from_store(res: &Resource, name: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound { .. } => not_found(res, name),
        StoreError::AlreadyExists { .. } => {
            let msg = format!("{} \"{name}\" already exists", res.qualified_name());
            status(409, "AlreadyExists", &msg, Some(details(res, name)))
        }
        StoreError::Conflict { .. } => {
            let msg = format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                res.qualified_name()
            );
            status(409, "Conflict", &msg, Some(details(res, name)))
        }
        StoreError::Invalid(m) => {
            let (field, msg) = m.split_once(": ").unwrap_or(("metadata", m.as_str()));
            invalid(res, name, &[("FieldValueInvalid", field, msg.to_string())])
        }
    }
}
