//! Discovery: /version, /api, /api/v1, /apis, /apis/<g>/<v> (legacy, plain JSON: kubectl
//! falls back to it when aggregated discovery is not offered) and a minimal OpenAPI.
use serde_json::{Value, json};

use super::registry::{self, RESOURCES, Resource};
use super::route::Discovery;
use super::{Resp, error_resp, json_resp, status};

pub fn serve(d: &Discovery, _accept: &str) -> Resp {
    match d {
        Discovery::Version => json_resp(200, &version()),
        Discovery::Api => json_resp(
            200,
            &json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
        ),
        Discovery::CoreV1 => json_resp(200, &resource_list("", "v1")),
        Discovery::Apis => json_resp(200, &group_list()),
        Discovery::Group(g) => match registry::groups().into_iter().find(|(name, _)| name == g) {
            Some((name, v)) => json_resp(200, &group_json(name, v)),
            None => error_resp(&status::plain_not_found(&format!("/apis/{g}"))),
        },
        Discovery::GroupVersion(g, v) => {
            if RESOURCES.iter().any(|r| r.group == g && r.version == v) {
                json_resp(200, &resource_list(g, v))
            } else {
                error_resp(&status::plain_not_found(&format!("/apis/{g}/{v}")))
            }
        }
        Discovery::OpenApiV2 => error_resp(&status::plain_not_found("/openapi/v2")),
        Discovery::OpenApiV3 => json_resp(200, &super::openapi::root()),
        Discovery::OpenApiV3Path(p) => match super::openapi::group_version_doc(p) {
            Some(doc) => json_resp(200, doc),
            None => error_resp(&status::plain_not_found(&format!("/openapi/v3/{p}"))),
        },
        Discovery::Health => {
            let mut r = Resp::new(super::full("ok"));
            r.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("text/plain"));
            r
        }
    }
}

fn version() -> Value {
    json!({
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-cabin.sim", "gitCommit": "cabin-sim",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
        "compiler": "gc", "platform": "linux/amd64"
    })
}

fn group_json(name: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": [gv.clone()], "preferredVersion": gv})
}

fn group_list() -> Value {
    let groups: Vec<Value> = registry::groups().into_iter().map(|(g, v)| group_json(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn categories(r: &Resource) -> Vec<&'static str> {
    match r.plural {
        "pods"
        | "services"
        | "deployments"
        | "replicasets"
        | "statefulsets"
        | "daemonsets"
        | "jobs"
        | "cronjobs"
        | "replicationcontrollers"
        | "horizontalpodautoscalers" => vec!["all"],
        _ => vec![],
    }
}

fn resource_entry(r: &Resource) -> Value {
    let mut e = json!({
        "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
        "verbs": r.verbs(),
    });
    if !r.short.is_empty() {
        e["shortNames"] = json!(r.short);
    }
    let cats = categories(r);
    if !cats.is_empty() {
        e["categories"] = json!(cats);
    }
    e
}

fn sub_entry(r: &Resource, sub: &str) -> Value {
    match sub {
        "scale" => json!({"name": format!("{}/scale", r.plural), "singularName": "", "namespaced": r.namespaced,
            "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]}),
        "log" => json!({"name": format!("{}/log", r.plural), "singularName": "", "namespaced": r.namespaced,
            "kind": "Pod", "verbs": ["get"]}),
        "exec" | "attach" | "portforward" => {
            let kind = match sub {
                "exec" => "PodExecOptions",
                "attach" => "PodAttachOptions",
                _ => "PodPortForwardOptions",
            };
            json!({"name": format!("{}/{sub}", r.plural), "singularName": "", "namespaced": r.namespaced, "kind": kind, "verbs": ["create", "get"]})
        }
        "proxy" => json!({"name": format!("{}/proxy", r.plural), "singularName": "", "namespaced": r.namespaced,
            "kind": format!("{}ProxyOptions", r.kind), "verbs": ["create", "delete", "get", "patch", "update"]}),
        "token" => json!({"name": format!("{}/token", r.plural), "singularName": "", "namespaced": r.namespaced,
            "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest", "verbs": ["create"]}),
        "eviction" => json!({"name": format!("{}/eviction", r.plural), "singularName": "", "namespaced": r.namespaced,
            "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]}),
        _ => json!({"name": format!("{}/{sub}", r.plural), "singularName": "", "namespaced": r.namespaced,
            "kind": r.kind, "verbs": ["get", "patch", "update"]}),
    }
}

fn resource_list(group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group && r.version == version) {
        resources.push(resource_entry(r));
        for s in r.subresources {
            resources.push(sub_entry(r, s));
        }
    }
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}
