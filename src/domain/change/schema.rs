//! The keys the contract knows, to report every unknown key of a file at once (serde stops at
//! the first). `raw.rs` must accept exactly these keys: `tests/change_json.rs` writes a file
//! with every key below and expects it to parse.

use super::locate::{FieldPath, locate};
use super::parse::Problem;
use yaml_serde::Value;

/// The shape of a node.
pub enum Shape {
    /// A mapping with these keys.
    Map(&'static [(&'static str, Shape)]),
    /// A sequence of this shape.
    Seq(&'static Shape),
    /// Anything (scalars, free-form mappings of strings): not checked here.
    Any,
}

static STEP: Shape = Shape::Map(&[("pods", Shape::Any), ("percent", Shape::Any), ("hold", Shape::Any)]);
static TARGET: Shape = Shape::Map(&[("kind", Shape::Any), ("namespace", Shape::Any), ("name", Shape::Any), ("images", Shape::Any)]);

/// The whole file.
pub static FILE: Shape = Shape::Map(&[
    ("apiVersion", Shape::Any),
    ("kind", Shape::Any),
    ("metadata", Shape::Map(&[("name", Shape::Any), ("labels", Shape::Any), ("annotations", Shape::Any)])),
    (
        "spec",
        Shape::Map(&[
            ("title", Shape::Any),
            ("ticket", Shape::Any),
            ("description", Shape::Any),
            ("risk", Shape::Any),
            ("emergency", Shape::Any),
            ("labels", Shape::Any),
            ("author", Shape::Any),
            ("approvedBy", Shape::Any),
            ("tested", Shape::Any),
            ("window", Shape::Any),
            ("targets", Shape::Seq(&TARGET)),
            ("rollout", Shape::Map(&[("steps", Shape::Seq(&STEP))])),
            ("health", Shape::Map(&[("maxRestarts", Shape::Any), ("onFailure", Shape::Any)])),
            (
                "backup",
                Shape::Map(&[(
                    "velero",
                    Shape::Map(&[
                        ("includedNamespaces", Shape::Any),
                        ("snapshotVolumes", Shape::Any),
                        ("ttl", Shape::Any),
                        ("storageLocation", Shape::Any),
                    ]),
                )]),
            ),
        ]),
    ),
]);

/// Every unknown key in `value`, with serde's wording and the key's line.
pub fn unknown_keys(text: &str, value: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    walk(text, value, &FILE, &FieldPath::root(), &mut out);
    out
}

fn walk(text: &str, value: &Value, shape: &Shape, path: &FieldPath, out: &mut Vec<Problem>) {
    match (shape, value) {
        (Shape::Map(keys), Value::Mapping(m)) => {
            for (k, v) in m {
                let name = match k {
                    Value::String(s) => s.clone(),
                    other => yaml_serde::to_string(other).map(|s| s.trim().to_string()).unwrap_or_default(),
                };
                let p = path.key(&name);
                match keys.iter().find(|(n, _)| *n == name) {
                    Some((_, inner)) => walk(text, v, inner, &p, out),
                    None if out.len() < 50 => {
                        out.push(Problem { line: locate(text, &p), field: p.to_string(), message: unknown(&name, keys) });
                    }
                    None => {}
                }
            }
        }
        (Shape::Seq(inner), Value::Sequence(items)) => {
            for (i, v) in items.iter().enumerate() {
                walk(text, v, inner, &path.index(i), out);
            }
        }
        (_, Value::Tagged(t)) => walk(text, &t.value, shape, path, out),
        _ => {}
    }
}

/// serde's text: "unknown field `x`, expected `a`", "… `a` or `b`", "… one of `a`, `b`, `c`".
fn unknown(name: &str, keys: &[(&str, Shape)]) -> String {
    let names: Vec<String> = keys.iter().map(|(n, _)| format!("`{n}`")).collect();
    let expected = match names.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", names.join(", ")),
    };
    format!("unknown field `{name}`, expected {expected}")
}
