//! Deep merge of YAML values: the user's file patches the embedded defaults.
use yaml_serde::Value;

/// Merge `patch` into `base`: mappings merge key by key (recursively), anything else
/// (scalars, sequences, null) replaces the base value.
pub fn deep_merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Mapping(b), Value::Mapping(p)) => {
            for (k, v) in p {
                match b.get_mut(&k) {
                    Some(slot) => deep_merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        // An empty user file parses as null: it patches nothing.
        (_, Value::Null) => {}
        (b, p) => *b = p,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        yaml_serde::from_str(s).unwrap()
    }

    #[test]
    fn maps_merge_and_scalars_replace() {
        let mut base = y("a: 1\nb: {c: 2, d: 3}\nl: [1, 2]");
        deep_merge(&mut base, y("b: {d: 4, e: 5}\nl: [9]"));
        assert_eq!(base, y("a: 1\nb: {c: 2, d: 4, e: 5}\nl: [9]"));
    }

    #[test]
    fn null_patch_keeps_base() {
        let mut base = y("a: 1");
        deep_merge(&mut base, Value::Null);
        assert_eq!(base, y("a: 1"));
    }
}
