//! User impersonation (`kubectl --as`, `--as-group`): the `Impersonate-User` and
//! `Impersonate-Group` headers, honoured when the authenticated user may `impersonate` the
//! `users` / `groups` named (RBAC, from the one table in `authz`: only `operator`, bound to
//! cluster-admin, may), and answered 403 in the apiserver's wording otherwise — never ignored.
//! The request then runs as the impersonated identity; the group `system:masters` has every
//! permission, as on a real cluster.
use hyper::HeaderMap;

use super::authz::{self, Attrs, Decision};
use super::status::{self, ApiError};

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    /// Groups besides `system:authenticated` (only impersonated ones: the simulator's own
    /// users belong to no other group).
    pub groups: Vec<String>,
}

pub const MASTERS: &str = "system:masters";

fn header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
}

/// The identity a request acts as: the authenticated `user`, or the impersonated one when the
/// headers ask for it and `user` may impersonate it.
pub fn resolve(user: &str, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let users = header_values(headers, "impersonate-user");
    let groups = header_values(headers, "impersonate-group");
    let has_extra = headers.keys().any(|k| k.as_str().starts_with("impersonate-extra-") || k.as_str() == "impersonate-uid");
    if users.is_empty() {
        if !groups.is_empty() || has_extra {
            let msg = "requested [] without impersonating a user";
            return Err(status::status(500, "InternalError", &format!("Internal error occurred: {msg}"), None));
        }
        return Ok(Identity { user: user.to_string(), groups: Vec::new() });
    }
    let [target] = users.as_slice() else {
        return Err(status::bad_request("only one Impersonate-User header may be sent"));
    };
    check(user, "users", target)?;
    for g in &groups {
        check(user, "groups", g)?;
    }
    Ok(Identity { user: target.clone(), groups })
}

/// 403 `users "viewer" is forbidden: User "deployer" cannot impersonate resource "users" in
/// API group "" at the cluster scope`, unless RBAC lets `user` impersonate `name`.
fn check(user: &str, resource: &str, name: &str) -> Result<(), ApiError> {
    let attrs = Attrs { verb: "impersonate", group: "", resource, subresource: None };
    if authz::authorize(user, &attrs).allowed {
        return Ok(());
    }
    let msg = format!(
        "{resource} \"{name}\" is forbidden: User \"{user}\" cannot impersonate resource \"{resource}\" in API group \"\" at the cluster scope"
    );
    Err(status::status(403, "Forbidden", &msg, Some(serde_json::json!({"name": name, "kind": resource}))))
}

/// RBAC for an identity: its user's bindings, or everything for `system:masters`.
pub fn authorize(who: &Identity, a: &Attrs<'_>) -> Decision {
    if who.groups.iter().any(|g| g == MASTERS) {
        let reason = "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" to Group \"system:masters\"";
        return Decision { allowed: true, reason: reason.to_string() };
    }
    authz::authorize(&who.user, a)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, hyper::header::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn operator_may_impersonate_others_may_not() {
        let who = resolve("operator", &headers(&[("impersonate-user", "viewer")])).unwrap();
        assert_eq!(who, Identity { user: "viewer".into(), groups: vec![] });
        let e = resolve("deployer", &headers(&[("impersonate-user", "viewer")])).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.body["message"],
            "users \"viewer\" is forbidden: User \"deployer\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
        );
        let masters = resolve("operator", &headers(&[("impersonate-user", "alice"), ("impersonate-group", MASTERS)])).unwrap();
        let patch = Attrs { verb: "patch", group: "apps", resource: "deployments", subresource: None };
        assert!(authorize(&masters, &patch).allowed);
        assert!(!authorize(&Identity { user: "alice".into(), groups: vec![] }, &patch).allowed);
        assert_eq!(resolve("viewer", &headers(&[])).unwrap().user, "viewer");
    }
}
