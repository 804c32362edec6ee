//! Bearer-token authentication of the simulator's three users: `operator` (may do
//! everything), `deployer` (reads everything, rolls out workloads, holds Leases, but may not
//! create Velero backups or restores) and `viewer` (read only). Authorization is in `authz`.
use std::hash::{BuildHasher, Hasher};

pub const OPERATOR: &str = "operator";
pub const DEPLOYER: &str = "deployer";
pub const VIEWER: &str = "viewer";

/// Every user the simulator knows, with the kubeconfig context that uses it.
pub const USERS: &[(&str, &str)] = &[(OPERATOR, "sim"), (DEPLOYER, "sim-deployer"), (VIEWER, "sim-viewer")];

#[derive(Debug, Clone)]
pub struct Tokens {
    pub operator: String,
    pub deployer: String,
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
        Self { operator: format!("op-{}", random_hex()), deployer: format!("dp-{}", random_hex()), viewer: format!("ro-{}", random_hex()) }
    }

    /// The bearer token of a user.
    pub fn token_of(&self, user: &str) -> Option<&str> {
        match user {
            OPERATOR => Some(&self.operator),
            DEPLOYER => Some(&self.deployer),
            VIEWER => Some(&self.viewer),
            _ => None,
        }
    }

    /// The user an `Authorization` header value authenticates, if any.
    pub fn authenticate(&self, header: Option<&str>) -> Option<&'static str> {
        let token = header?.strip_prefix("Bearer ")?.trim();
        USERS.iter().map(|(u, _)| *u).find(|u| self.token_of(u) == Some(token))
    }
}
