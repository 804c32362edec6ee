//! The protobuf bodies kubectl's typed clients send (`kubectl create deployment|service|job|
//! token|…`, `auth can-i`): the `k8s\0` envelope (runtime.Unknown) around an object of a
//! built-in kind, decoded to the JSON the apiserver would have been sent. The field numbers,
//! wire types and pointer-ness come from `proto_fields.txt`, generated from the Go types of
//! k8s.io/api by `scripts/gen-proto-fields.py`. Like encoding/json with `omitempty`, zero
//! values of non-pointer fields are dropped (gogo-protobuf always writes them).
use std::collections::HashMap;
use std::sync::LazyLock;

use base64::Engine;
use serde_json::{Map, Value, json};

pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\x00";
/// Deeper nesting than any built-in kind has is refused (no unbounded recursion on input).
const MAX_DEPTH: usize = 40;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Str,
    Bytes,
    Int,
    Bool,
    Double,
    Time,
    IntOrString,
    Quantity,
    Raw,
    /// A named `[]string` as a map value: a message whose field 1 holds the strings.
    StrList,
    Msg(String),
    Map(Box<Kind>),
}

#[derive(Debug, Clone)]
pub(super) struct FieldDef {
    pub num: u64,
    pub json: String,
    pub kind: Kind,
    pub repeated: bool,
    pub keep_zero: bool,
    pub inline: bool,
}

fn parse_kind(s: &str) -> Option<Kind> {
    Some(match s {
        "s" => Kind::Str,
        "b" => Kind::Bytes,
        "i" => Kind::Int,
        "B" => Kind::Bool,
        "f" => Kind::Double,
        "t" => Kind::Time,
        "x" => Kind::IntOrString,
        "q" => Kind::Quantity,
        "R" => Kind::Raw,
        "L" => Kind::StrList,
        other => {
            if let Some(m) = other.strip_prefix("m=") {
                Kind::Msg(m.to_string())
            } else {
                Kind::Map(Box::new(parse_kind(other.strip_prefix("M=")?)?))
            }
        }
    })
}

/// Messages by name (`apps/v1.Deployment`); a malformed line is reported by the unit test.
fn parse_table(text: &str) -> Result<HashMap<String, Vec<FieldDef>>, String> {
    let mut table: HashMap<String, Vec<FieldDef>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        if let Some(name) = line.strip_prefix('@') {
            table.entry(name.to_string()).or_default();
            current = Some(name.to_string());
            continue;
        }
        let bad = || format!("bad line in proto_fields.txt: {line:?}");
        let parts: Vec<&str> = line.split(' ').collect();
        let [num, json, kind, flags] = parts.as_slice() else { return Err(bad()) };
        let def = FieldDef {
            num: num.parse().map_err(|_| bad())?,
            json: (*json).to_string(),
            kind: parse_kind(kind).ok_or_else(bad)?,
            repeated: flags.contains('r'),
            keep_zero: flags.contains('k'),
            inline: flags.contains('i'),
        };
        let msg = current.as_ref().ok_or_else(bad)?;
        table.entry(msg.clone()).or_default().push(def);
    }
    Ok(table)
}

static TABLE: LazyLock<HashMap<String, Vec<FieldDef>>> =
    LazyLock::new(|| parse_table(include_str!("proto_fields.txt")).unwrap_or_default());

/// The fields of a message of the table (`apps/v1.DeploymentSpec`), for the OpenAPI schemas.
pub(super) fn message_fields(name: &str) -> Option<&'static [FieldDef]> {
    TABLE.get(name).map(Vec::as_slice)
}

/// One field on the wire.
#[derive(Debug, Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

fn fixed<const N: usize>(buf: &[u8], pos: &mut usize) -> Option<[u8; N]> {
    let bytes: [u8; N] = buf.get(*pos..pos.checked_add(N)?)?.try_into().ok()?;
    *pos += N;
    Some(bytes)
}

fn fields(buf: &[u8]) -> Option<Vec<(u64, Wire<'_>)>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let tag = varint(buf, &mut pos)?;
        let w = match tag & 7 {
            0 => Wire::Varint(varint(buf, &mut pos)?),
            1 => Wire::Fixed64(u64::from_le_bytes(fixed::<8>(buf, &mut pos)?)),
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let bytes = buf.get(pos..pos.checked_add(len)?)?;
                pos += len;
                Wire::Bytes(bytes)
            }
            5 => Wire::Fixed32(u32::from_le_bytes(fixed::<4>(buf, &mut pos)?)),
            _ => return None,
        };
        out.push((tag >> 3, w));
    }
    Some(out)
}

fn bytes_of<'a>(fs: &[(u64, Wire<'a>)], n: u64) -> Option<&'a [u8]> {
    fs.iter().find_map(|(k, w)| match w {
        Wire::Bytes(b) if *k == n => Some(*b),
        _ => None,
    })
}

fn varint_of(fs: &[(u64, Wire<'_>)], n: u64) -> Option<u64> {
    fs.iter().find_map(|(k, w)| match w {
        Wire::Varint(v) if *k == n => Some(*v),
        _ => None,
    })
}

fn text(b: &[u8]) -> Value {
    json!(String::from_utf8_lossy(b))
}

fn time(buf: &[u8]) -> Option<Value> {
    let fs = fields(buf)?;
    let seconds = varint_of(&fs, 1).unwrap_or(0).cast_signed();
    let nanos = u32::try_from(varint_of(&fs, 2).unwrap_or(0)).ok()?;
    if seconds == 0 && nanos == 0 {
        return Some(Value::Null);
    }
    let t = chrono::DateTime::from_timestamp(seconds, nanos)?;
    let format = if nanos == 0 { chrono::SecondsFormat::Secs } else { chrono::SecondsFormat::Micros };
    Some(json!(t.to_rfc3339_opts(format, true)))
}

/// One value of `kind` from its wire form; `None` when the wire type does not fit.
fn value(kind: &Kind, w: Wire<'_>, depth: usize) -> Option<Value> {
    Some(match (kind, w) {
        (Kind::Str, Wire::Bytes(b)) => text(b),
        (Kind::Bytes, Wire::Bytes(b)) => json!(base64::engine::general_purpose::STANDARD.encode(b)),
        (Kind::Int, Wire::Varint(v)) => json!(v.cast_signed()),
        (Kind::Bool, Wire::Varint(v)) => json!(v != 0),
        (Kind::Double, Wire::Fixed64(v)) => json!(f64::from_bits(v)),
        (Kind::Double, Wire::Fixed32(v)) => json!(f32::from_bits(v)),
        (Kind::Time, Wire::Bytes(b)) => time(b)?,
        (Kind::Quantity, Wire::Bytes(b)) => bytes_of(&fields(b)?, 1).map(text).unwrap_or(Value::Null),
        (Kind::IntOrString, Wire::Bytes(b)) => {
            let fs = fields(b)?;
            match varint_of(&fs, 1).unwrap_or(0) {
                0 => json!(varint_of(&fs, 2).unwrap_or(0).cast_signed()),
                _ => bytes_of(&fs, 3).map(text).unwrap_or_else(|| json!("")),
            }
        }
        (Kind::Raw, Wire::Bytes(b)) => {
            let raw = bytes_of(&fields(b)?, 1).unwrap_or_default();
            if raw.is_empty() { Value::Null } else { serde_json::from_slice(raw).ok()? }
        }
        (Kind::StrList, Wire::Bytes(b)) => {
            let items: Vec<Value> = fields(b)?
                .into_iter()
                .filter_map(|(n, w)| match w {
                    Wire::Bytes(s) if n == 1 => Some(text(s)),
                    _ => None,
                })
                .collect();
            json!(items)
        }
        (Kind::Msg(name), Wire::Bytes(b)) => message(name, b, depth + 1)?,
        _ => return None,
    })
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(b) => !b,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
    }
}

/// A message as a JSON object.
fn message(name: &str, buf: &[u8], depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let defs = TABLE.get(name)?;
    let mut out = Map::new();
    let mut inlined = Vec::new();
    for (num, w) in fields(buf)? {
        // A field this table does not know (newer than the API it was made from) is skipped.
        let Some(f) = defs.iter().find(|f| f.num == num) else { continue };
        match &f.kind {
            Kind::Map(val_kind) => {
                let Wire::Bytes(entry) = w else { return None };
                let e = fields(entry)?;
                let key = bytes_of(&e, 1).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
                let v = match e.iter().find(|(n, _)| *n == 2) {
                    Some((_, vw)) => value(val_kind, *vw, depth)?,
                    None => value(val_kind, Wire::Bytes(&[]), depth).unwrap_or(Value::Null),
                };
                let map = out.entry(f.json.clone()).or_insert_with(|| json!({}));
                if let Some(m) = map.as_object_mut() {
                    m.insert(key, v);
                }
            }
            kind if f.repeated => {
                let v = value(kind, w, depth)?;
                let list = out.entry(f.json.clone()).or_insert_with(|| json!([]));
                if let Some(a) = list.as_array_mut() {
                    a.push(v);
                }
            }
            kind if f.inline => inlined.push(value(kind, w, depth)?),
            kind => {
                let v = value(kind, w, depth)?;
                if f.keep_zero && !v.is_null() || !is_zero(&v) {
                    out.insert(f.json.clone(), v);
                }
            }
        }
    }
    for v in inlined {
        if let Value::Object(m) = v {
            out.extend(m);
        }
    }
    Some(Value::Object(out))
}

/// The table's message for an apiVersion + kind: `apps/v1` `Deployment` → `apps/v1.Deployment`,
/// `v1` → `core/v1`, `rbac.authorization.k8s.io/v1` → `rbac/v1`.
pub(super) fn message_name(api_version: &str, kind: &str) -> String {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("core", api_version));
    let short = group.split('.').next().unwrap_or(group);
    format!("{short}/{version}.{kind}")
}

/// Decode an enveloped object of a built-in kind into JSON (`None`: not protobuf we can read).
pub fn decode(body: &[u8]) -> Option<Value> {
    let env = fields(body.strip_prefix(MAGIC)?)?;
    let type_meta = fields(bytes_of(&env, 1)?)?;
    let api_version = bytes_of(&type_meta, 1).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let kind = bytes_of(&type_meta, 2).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let mut obj = message(&message_name(&api_version, &kind), bytes_of(&env, 2).unwrap_or_default(), 0)?;
    obj["apiVersion"] = json!(api_version);
    obj["kind"] = json!(kind);
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    Some(obj)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ld(n: u8, b: &[u8]) -> Vec<u8> {
        let mut v = vec![(n << 3) | 2, b.len() as u8];
        v.extend_from_slice(b);
        v
    }

    fn envelope(api_version: &[u8], kind: &[u8], raw: &[u8]) -> Vec<u8> {
        let tm = [ld(1, api_version), ld(2, kind)].concat();
        [MAGIC.to_vec(), ld(1, &tm), ld(2, raw)].concat()
    }

    #[test]
    fn the_field_table_parses_and_every_message_it_names_exists() {
        let table = parse_table(include_str!("proto_fields.txt")).unwrap();
        assert!(table.len() > 300, "{}", table.len());
        for (msg, defs) in &table {
            for d in defs {
                let mut k = &d.kind;
                while let Kind::Map(inner) = k {
                    k = inner;
                }
                if let Kind::Msg(target) = k {
                    assert!(table.contains_key(target), "{msg}.{} names {target}", d.json);
                }
            }
        }
        assert!(table.contains_key("apps/v1.Deployment") && table.contains_key("authentication/v1.TokenRequest"));
    }

    #[test]
    fn decodes_access_review() {
        let ra = [ld(1, b"default"), ld(2, b"delete"), ld(5, b"pods")].concat();
        let spec = ld(1, &ra);
        let raw = [ld(1, b""), ld(2, &spec)].concat();
        let v = decode(&envelope(b"authorization.k8s.io/v1", b"SelfSubjectAccessReview", &raw)).unwrap();
        assert_eq!(v["kind"], "SelfSubjectAccessReview");
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "delete");
        assert_eq!(v["spec"]["resourceAttributes"]["resource"], "pods");
        assert!(v["spec"]["resourceAttributes"].get("subresource").is_none(), "absent, not empty");
    }

    /// The body kubectl 1.32 sends for `create deployment web --image=nginx:1.27 --replicas=0 --port=80`.
    const CREATE_DEPLOYMENT: &[u8] = b"k8s\x00\n\x15\n\x07apps/v1\x12\nDeployment\x12\xbd\x01\n\x1f\n\x03web\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00Z\n\n\x03app\x12\x03web\x12\x8b\x01\x08\x00\x12\x0c\n\n\n\x03app\x12\x03web\x1aq\n\x1c\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00Z\n\n\x03app\x12\x03web\x12Q\x123\n\x05nginx\x12\nnginx:1.27*\x002\n\n\x00\x10\x00\x18P\"\x00*\x00B\x00j\x00r\x00\x80\x01\x00\x88\x01\x00\x90\x01\x00\xa2\x01\x00\x1a\x002\x00B\x00J\x00R\x00X\x00`\x00h\x00\x82\x01\x00\x8a\x01\x00\x9a\x01\x00\xc2\x01\x00\"\x02\n\x00(\x008\x00\x1a\x0c\x08\x00\x10\x00\x18\x00 \x00(\x008\x00\x1a\x00\"\x00";

    #[test]
    fn decodes_what_kubectl_create_deployment_sends() {
        let v = decode(CREATE_DEPLOYMENT).unwrap();
        assert_eq!(v["metadata"], json!({"name": "web", "labels": {"app": "web"}}));
        assert_eq!(v["spec"]["replicas"], 0, "a pointer field keeps its zero");
        assert_eq!(v["spec"]["selector"], json!({"matchLabels": {"app": "web"}}));
        let c = &v["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], "nginx:1.27");
        assert_eq!(c["ports"], json!([{"containerPort": 80}]), "zero hostPort and empty protocol dropped");
        assert!(v["spec"].get("strategy").is_none() && v["spec"].get("paused").is_none());
    }

    #[test]
    fn refuses_garbage_and_unknown_kinds() {
        assert!(decode(b"k8s\x00\x0a\xff").is_none());
        assert!(decode(b"{}").is_none());
        assert!(decode(&envelope(b"velero.io/v1", b"Backup", b"")).is_none());
        let wrong_wire = [vec![0x0a, 0x02, 0x08, 0x01]].concat(); // metadata.name as a varint
        assert!(decode(&envelope(b"v1", b"Namespace", &wrong_wire)).is_none());
    }
}
