//! Request paths and methods to routes and Kubernetes verbs.
use std::collections::BTreeMap;

use super::registry::{self, Resource};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
}

/// Discovery and other non-resource paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    Version,
    Api,
    CoreV1,
    Apis,
    Group(String),
    GroupVersion(String, String),
    OpenApiV2,
    OpenApiV3,
    OpenApiV3Path(String),
    Health,
}

#[derive(Debug, Clone)]
pub struct ResRoute {
    pub res: &'static Resource,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
    pub verb: Verb,
    pub query: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum Route {
    Discovery(Discovery),
    Resource(ResRoute),
    NotFound(String),
}

impl Route {
    pub fn verb_name(&self) -> String {
        match self {
            Route::Resource(r) => r.verb.name().to_string(),
            _ => "get".to_string(),
        }
    }
}

fn pct_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

fn discovery(segs: &[&str]) -> Option<Discovery> {
    Some(match segs {
        ["version"] => Discovery::Version,
        ["api"] => Discovery::Api,
        ["api", "v1"] => Discovery::CoreV1,
        ["apis"] => Discovery::Apis,
        ["apis", g] => Discovery::Group(g.to_string()),
        ["apis", g, v] => Discovery::GroupVersion(g.to_string(), v.to_string()),
        ["openapi", "v2"] | ["swagger.json"] => Discovery::OpenApiV2,
        ["openapi", "v3"] => Discovery::OpenApiV3,
        ["openapi", "v3", rest @ ..] => Discovery::OpenApiV3Path(rest.join("/")),
        ["healthz"] | ["readyz"] | ["livez"] => Discovery::Health,
        _ => return None,
    })
}

pub fn parse(method: &str, path: &str, query: &str) -> Route {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let Some(d) = discovery(&segs) {
        return Route::Discovery(d);
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Route::NotFound(path.to_string()),
    };
    let (ns, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..] if registry::lookup(group, version, plural).is_some() => (Some(ns.to_string()), {
            let mut v = vec![*plural];
            v.extend_from_slice(tail);
            v
        }),
        other => (None, other.to_vec()),
    };
    let Some((plural, tail)) = rest.split_first() else { return Route::NotFound(path.to_string()) };
    let Some(res) = registry::lookup(group, version, plural) else { return Route::NotFound(path.to_string()) };
    let name = tail.first().map(|s| s.to_string());
    let sub = tail.get(1).map(|s| s.to_string());
    let proxy_path = sub.as_deref() == Some("proxy");
    if (tail.len() > 2 && !proxy_path) || sub.as_deref().is_some_and(|s| !res.subresources.contains(&s)) {
        return Route::NotFound(path.to_string());
    }
    let query = parse_query(query);
    let watch = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    // Upgrade requests (exec, attach, port-forward) need `create` whatever the method.
    let streaming = matches!(sub.as_deref(), Some("exec" | "attach" | "portforward"));
    let verb = match (method, name.is_some()) {
        (_, true) if streaming => Verb::Create,
        ("GET", _) if watch => Verb::Watch,
        ("GET", true) => Verb::Get,
        ("GET", false) => Verb::List,
        ("POST", _) => Verb::Create,
        ("PUT", _) => Verb::Update,
        ("PATCH", _) => Verb::Patch,
        ("DELETE", true) => Verb::Delete,
        ("DELETE", false) => Verb::DeleteCollection,
        _ => return Route::NotFound(path.to_string()),
    };
    // A namespaced list/watch/create outside a namespace path is cluster-wide (list/watch) only.
    let ns = if res.namespaced { ns } else { None };
    Route::Resource(ResRoute { res, ns, name, sub, verb, query })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        let Route::Resource(r) = parse("GET", "/apis/apps/v1/namespaces/p/deployments/api/scale", "") else { panic!() };
        assert_eq!(
            (r.res.plural, r.ns.as_deref(), r.name.as_deref(), r.sub.as_deref(), r.verb),
            ("deployments", Some("p"), Some("api"), Some("scale"), Verb::Get)
        );
        let Route::Resource(r) = parse("GET", "/api/v1/namespaces/payments", "") else { panic!() };
        assert_eq!((r.res.plural, r.name.as_deref()), ("namespaces", Some("payments")));
        let Route::Resource(r) = parse("GET", "/api/v1/pods", "watch=1&labelSelector=app%3Dapi") else { panic!() };
        assert_eq!((r.verb, r.query["labelSelector"].as_str()), (Verb::Watch, "app=api"));
        assert!(matches!(parse("GET", "/api/v1/bogus", ""), Route::NotFound(_)));
    }
}
