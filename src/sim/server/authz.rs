//! The simulator's one authorization table, read both by request enforcement (403) and by
//! SelfSubjectAccessReview / SelfSubjectRulesReview, so `kubectl auth can-i` and the server
//! can never disagree. Rules match as RBAC does: `*` matches every verb, group or resource
//! (a `*` resource also matches subresources); otherwise a resource with a subresource must
//! be named `resource/subresource`.
use serde_json::{Value, json};

use super::auth::{DEPLOYER, OPERATOR, VIEWER};

/// One RBAC PolicyRule. `except` names subresources a `*` resource does not reach here
/// (the read roles list resources the way the built-in `view` role does: no exec, attach,
/// port-forward or proxy).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub verbs: &'static [&'static str],
    pub groups: &'static [&'static str],
    pub resources: &'static [&'static str],
    pub except: &'static [&'static str],
}

/// A ClusterRole bound to a subject by a ClusterRoleBinding of the same name.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub role: &'static str,
    pub binding: &'static str,
    /// "User \"x\"" or "Group \"system:authenticated\"" in the reason text.
    pub subject: Subject,
    pub rules: &'static [Rule],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    User(&'static str),
    Authenticated,
}

const ALL: &[&str] = &["*"];
const NO_STREAMS: &[&str] = &["exec", "attach", "portforward", "proxy"];
const READ: &[&str] = &["get", "list", "watch"];

const BASIC_USER: &[Rule] = &[
    Rule {
        verbs: &["create"],
        groups: &["authorization.k8s.io"],
        resources: &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        except: &[],
    },
    Rule { verbs: &["create"], groups: &["authentication.k8s.io"], resources: &["selfsubjectreviews"], except: &[] },
];
const CLUSTER_ADMIN: &[Rule] = &[Rule { verbs: ALL, groups: ALL, resources: ALL, except: &[] }];
const VIEW: &[Rule] = &[Rule { verbs: READ, groups: ALL, resources: ALL, except: NO_STREAMS }];
const DEPLOY: &[Rule] = &[
    Rule { verbs: READ, groups: ALL, resources: ALL, except: NO_STREAMS },
    Rule {
        verbs: &["patch", "update"],
        groups: &["apps"],
        resources: &["deployments", "statefulsets", "deployments/scale", "statefulsets/scale"],
        except: &[],
    },
    Rule { verbs: &["create", "update", "get"], groups: &["coordination.k8s.io"], resources: &["leases"], except: &[] },
];

/// Who may do what in the simulator.
pub const BINDINGS: &[Binding] = &[
    Binding { role: "system:basic-user", binding: "system:basic-user", subject: Subject::Authenticated, rules: BASIC_USER },
    Binding { role: "cluster-admin", binding: "cabin-sim:operator", subject: Subject::User(OPERATOR), rules: CLUSTER_ADMIN },
    Binding { role: "cabin-sim:deployer", binding: "cabin-sim:deployer", subject: Subject::User(DEPLOYER), rules: DEPLOY },
    Binding { role: "view", binding: "cabin-sim:viewer", subject: Subject::User(VIEWER), rules: VIEW },
];

/// What a request (or an access review) asks to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attrs<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub subresource: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The RBAC authorizer's reason when allowed; empty when no rule matched (as upstream).
    pub reason: String,
}

fn matches(list: &[&str], want: &str) -> bool {
    list.iter().any(|x| *x == "*" || *x == want)
}

fn resource_matches(rule: &Rule, a: &Attrs<'_>) -> bool {
    let combined = match a.subresource.filter(|s| !s.is_empty()) {
        Some(s) => format!("{}/{s}", a.resource),
        None => a.resource.to_string(),
    };
    rule.resources
        .iter()
        .any(|r| *r == "*" || *r == combined || a.subresource.is_some_and(|s| r.strip_prefix("*/") == Some(s) && !s.is_empty()))
}

impl Rule {
    fn allows(&self, a: &Attrs<'_>) -> bool {
        let excepted = a.subresource.is_some_and(|s| self.except.contains(&s));
        !excepted && matches(self.verbs, a.verb) && matches(self.groups, a.group) && resource_matches(self, a)
    }
}

fn applies_to(b: &Binding, user: &str) -> bool {
    match b.subject {
        Subject::User(u) => u == user,
        Subject::Authenticated => true,
    }
}

fn subject_text(b: &Binding) -> String {
    match b.subject {
        Subject::User(u) => format!("User \"{u}\""),
        Subject::Authenticated => "Group \"system:authenticated\"".to_string(),
    }
}

/// Whether `user` may do `a`, and why.
pub fn authorize(user: &str, a: &Attrs<'_>) -> Decision {
    let hit = BINDINGS.iter().filter(|b| applies_to(b, user)).find(|b| b.rules.iter().any(|r| r.allows(a)));
    match hit {
        Some(b) => Decision {
            allowed: true,
            reason: format!("RBAC: allowed by ClusterRoleBinding \"{}\" of ClusterRole \"{}\" to {}", b.binding, b.role, subject_text(b)),
        },
        None => Decision { allowed: false, reason: String::new() },
    }
}

/// Non-resource URLs (discovery, health, version): everyone may `get` them; `operator` may
/// do anything.
pub fn authorize_non_resource(user: &str, verb: &str) -> Decision {
    if user == OPERATOR || verb == "get" {
        let reason = if user == OPERATOR {
            "RBAC: allowed by ClusterRoleBinding \"cabin-sim:operator\" of ClusterRole \"cluster-admin\" to User \"operator\""
        } else {
            "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\""
        };
        return Decision { allowed: true, reason: reason.to_string() };
    }
    Decision { allowed: false, reason: String::new() }
}

/// `status` of a SelfSubjectRulesReview: every rule that applies to `user`.
pub fn rules_review(user: &str) -> Value {
    let rules: Vec<Value> = BINDINGS
        .iter()
        .filter(|b| applies_to(b, user))
        .flat_map(|b| b.rules.iter())
        .map(|r| json!({"verbs": r.verbs, "apiGroups": r.groups, "resources": r.resources}))
        .collect();
    let non_resource = if user == OPERATOR { json!(["*"]) } else { json!(["get"]) };
    json!({
        "resourceRules": rules,
        "nonResourceRules": [{"verbs": non_resource, "nonResourceURLs": ["*"]}],
        "incomplete": false,
    })
}

/// `status` of a SelfSubjectAccessReview for its `spec`.
pub fn access_review(user: &str, spec: &Value) -> Value {
    let decision = if let Some(ra) = spec["resourceAttributes"].as_object() {
        let s = |k: &str| ra.get(k).and_then(Value::as_str).unwrap_or_default();
        let a = Attrs { verb: s("verb"), group: s("group"), resource: s("resource"), subresource: Some(s("subresource")) };
        authorize(user, &a)
    } else {
        authorize_non_resource(user, spec["nonResourceAttributes"]["verb"].as_str().unwrap_or_default())
    };
    let mut status = json!({"allowed": decision.allowed});
    if !decision.reason.is_empty() {
        status["reason"] = json!(decision.reason);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn can(user: &str, verb: &str, group: &str, resource: &str, sub: Option<&str>) -> bool {
        authorize(user, &Attrs { verb, group, resource, subresource: sub }).allowed
    }

    #[test]
    fn the_table_says_who_may_do_what() {
        assert!(can(OPERATOR, "create", "velero.io", "backups", None));
        assert!(can(OPERATOR, "create", "", "pods", Some("eviction")));
        assert!(can(DEPLOYER, "patch", "apps", "deployments", None));
        assert!(can(DEPLOYER, "update", "apps", "statefulsets", None));
        assert!(can(DEPLOYER, "create", "coordination.k8s.io", "leases", None));
        assert!(can(DEPLOYER, "get", "", "pods", Some("log")));
        assert!(can(DEPLOYER, "watch", "velero.io", "backups", None));
        assert!(!can(DEPLOYER, "create", "velero.io", "backups", None));
        assert!(!can(DEPLOYER, "create", "velero.io", "restores", None));
        assert!(!can(DEPLOYER, "patch", "apps", "deployments", Some("status")));
        assert!(!can(DEPLOYER, "delete", "coordination.k8s.io", "leases", None));
        assert!(!can(DEPLOYER, "patch", "", "pods", None));
        assert!(can(VIEWER, "list", "apps", "deployments", None));
        assert!(!can(VIEWER, "patch", "apps", "deployments", None));
        assert!(can(VIEWER, "create", "authorization.k8s.io", "selfsubjectaccessreviews", None));
        assert!(!can("nobody", "get", "", "pods", None));
        assert!(!can(VIEWER, "get", "", "pods", Some("proxy")));
        assert!(!can(DEPLOYER, "create", "", "pods", Some("exec")));
        assert!(can(OPERATOR, "create", "", "pods", Some("exec")));
    }

    #[test]
    fn reasons_name_the_binding() {
        let d = authorize(DEPLOYER, &Attrs { verb: "patch", group: "apps", resource: "deployments", subresource: None });
        assert_eq!(
            d.reason,
            "RBAC: allowed by ClusterRoleBinding \"cabin-sim:deployer\" of ClusterRole \"cabin-sim:deployer\" to User \"deployer\""
        );
        let no = authorize(DEPLOYER, &Attrs { verb: "create", group: "velero.io", resource: "backups", subresource: None });
        assert_eq!(no, Decision { allowed: false, reason: String::new() });
    }
}
