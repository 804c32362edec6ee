//! The file as written: every field optional (rules report what is missing), unknown keys
//! refused by serde (with the key and its line).

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawFile {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<RawMeta>,
    pub spec: Option<RawSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    pub name: Option<String>,
    /// Accepted (as on Kubernetes objects) and not used.
    pub labels: Option<StringMap>,
    /// Accepted (as on Kubernetes objects) and not used.
    pub annotations: Option<StringMap>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawSpec {
    pub title: Option<String>,
    pub ticket: Option<String>,
    pub description: Option<String>,
    pub risk: Option<String>,
    pub emergency: Option<bool>,
    pub labels: Option<Vec<String>>,
    pub author: Option<String>,
    pub approved_by: Option<Vec<String>>,
    pub tested: Option<String>,
    pub window: Option<String>,
    pub targets: Option<Vec<RawTarget>>,
    pub rollout: Option<RawRollout>,
    pub health: Option<RawHealth>,
    pub backup: Option<RawBackup>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub images: Option<StringMap>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRollout {
    pub steps: Option<Vec<RawStep>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub pods: Option<u32>,
    pub percent: Option<u32>,
    pub hold: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawHealth {
    pub max_restarts: Option<u32>,
    pub on_failure: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackup {
    pub velero: Option<RawVelero>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawVelero {
    pub included_namespaces: Option<Vec<String>>,
    pub snapshot_volumes: Option<bool>,
    pub ttl: Option<String>,
    pub storage_location: Option<String>,
}

/// A string -> string mapping in file order; a repeated key is an error (YAML forbids it,
/// and a plain map would silently keep the last value).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StringMap(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of names to strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringMap, A::Error> {
                let mut out: Vec<(String, String)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{k}`")));
                    }
                    out.push((k, v));
                }
                Ok(StringMap(out))
            }
        }
        d.deserialize_map(V)
    }
}
