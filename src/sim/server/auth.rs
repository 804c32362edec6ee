//! Bearer-token authentication and the two-user authorization model: `operator` may do
//! everything, `viewer` may only get, list and watch.
use std::hash::{BuildHasher, Hasher};

pub const OPERATOR: &str = "operator";
pub const VIEWER: &str = "viewer";
pub const READ_VERBS: &[&str] = &["get", "list", "watch"];

#[derive(Debug, Clone)]
pub struct Tokens {
    pub operator: String,
    pub viewer: String,
}

fn random_hex() -> String {
    let mut out = String::new();
    for i in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

impl Tokens {
    /// Fresh random tokens for one run.
    pub fn generate() -> Self {
        Self { operator: format!("op-{}", random_hex()), viewer: format!("ro-{}", random_hex()) }
    }

    /// The user an `Authorization` header value authenticates, if any.
    pub fn authenticate(&self, header: Option<&str>) -> Option<&'static str> {
        let token = header?.strip_prefix("Bearer ")?.trim();
        if token == self.operator {
            Some(OPERATOR)
        } else if token == self.viewer {
            Some(VIEWER)
        } else {
            None
        }
    }
}

/// Whether `user` may perform `verb` (on any resource; the model has no per-resource rules).
/// Creating review objects (can-i, whoami) is always allowed: it changes nothing.
pub fn allowed(user: &str, verb: &str, review: bool) -> bool {
    user == OPERATOR || READ_VERBS.contains(&verb) || review
}

/// The verbs a user holds, for selfsubjectrulesreviews.
pub fn verbs_of(user: &str) -> Vec<&'static str> {
    if user == OPERATOR { vec!["*"] } else { READ_VERBS.to_vec() }
}
