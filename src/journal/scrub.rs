//! Keeps secrets out of the journal: tokens, passwords, kubeconfig credentials and the values of
//! Kubernetes Secret `data` / `stringData` are replaced by [`REDACTED`] before an entry is hashed.
use serde_json::{Map, Value};

/// What replaces a secret value.
pub const REDACTED: &str = "[REDACTED]";

/// Normalised key names (lowercase, without `-` and `_`) whose values are always secret.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "clientsecret",
    "authorization",
    "clientkeydata",
    "clientcertificatedata",
    "clientkey",
    "privatekey",
    "apikey",
    "credentials",
    "kubeconfig",
];

/// Returns `details` with every secret value redacted (keys are kept, so an auditor still sees
/// that a password or a Secret key was involved).
pub fn scrub(details: Value) -> Value {
    match details {
        Value::Object(map) => Value::Object(scrub_object(map)),
        Value::Array(items) => Value::Array(items.into_iter().map(scrub).collect()),
        Value::String(s) if looks_like_credential(&s) => Value::String(REDACTED.into()),
        other => other,
    }
}

fn scrub_object(map: Map<String, Value>) -> Map<String, Value> {
    let is_secret_object = map.get("kind").and_then(Value::as_str) == Some("Secret");
    map.into_iter()
        .map(|(k, v)| {
            let v = if is_secret_key(&k) {
                redact_all(v)
            } else if is_secret_object && (k == "data" || k == "stringData") {
                redact_values(v)
            } else {
                scrub(v)
            };
            (k, v)
        })
        .collect()
}

/// True for keys like `token`, `id-token`, `password`, `client-key-data`, `Authorization`.
pub fn is_secret_key(key: &str) -> bool {
    let norm: String = key.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect();
    norm.ends_with("token") || norm.ends_with("password") || SECRET_KEYS.contains(&norm.as_str())
}

/// A bearer/basic header value or a JWT.
fn looks_like_credential(s: &str) -> bool {
    let lower = s.trim_start().to_ascii_lowercase();
    lower.starts_with("bearer ") || lower.starts_with("basic ") || (s.starts_with("eyJ") && s.matches('.').count() == 2 && !s.contains(' '))
}

fn redact_all(v: Value) -> Value {
    match v {
        Value::Null => Value::Null,
        _ => Value::String(REDACTED.into()),
    }
}

/// Keeps the keys of a Secret's data map, redacts every value.
fn redact_values(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, redact_all(v))).collect()),
        other => redact_all(other),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_tokens_passwords_and_kubeconfig_credentials() {
        let got = scrub(json!({
            "token": "abc", "id-token": "x", "Password": "p", "client_secret": "s",
            "client-key-data": "LS0t", "client-certificate-data": "LS0t",
            "Authorization": "Bearer zzz", "user": "alice", "tokenCount": 3,
            "nested": [{"refresh_token": "r", "name": "ok"}],
        }));
        assert_eq!(
            got,
            json!({
                "token": REDACTED, "id-token": REDACTED, "Password": REDACTED,
                "client_secret": REDACTED, "client-key-data": REDACTED,
                "client-certificate-data": REDACTED, "Authorization": REDACTED,
                "user": "alice", "tokenCount": 3,
                "nested": [{"refresh_token": REDACTED, "name": "ok"}],
            })
        );
    }

    #[test]
    fn redacts_secret_data_values_but_keeps_keys() {
        let got = scrub(json!({"object": {
            "kind": "Secret", "metadata": {"name": "db"},
            "data": {"user": "YWxpY2U=", "pass": "czNjcjN0"},
            "stringData": {"dsn": "postgres://u:p@h/db"},
        }}));
        assert_eq!(
            got["object"],
            json!({"kind": "Secret", "metadata": {"name": "db"},
                   "data": {"user": REDACTED, "pass": REDACTED},
                   "stringData": {"dsn": REDACTED}})
        );
    }

    #[test]
    fn data_of_a_configmap_is_kept() {
        let cm = json!({"kind": "ConfigMap", "data": {"replicas": "3"}});
        assert_eq!(scrub(cm.clone()), cm);
    }

    #[test]
    fn bearer_strings_and_jwts_are_redacted_anywhere() {
        let got = scrub(json!({"message": "Bearer abc.def", "note": "eyJhbGci.eyJzdWIi.sig"}));
        assert_eq!(got, json!({"message": REDACTED, "note": REDACTED}));
        assert_eq!(scrub(json!("plain words")), json!("plain words"));
    }
}
