//! The little protobuf kubectl's typed clients send: the `k8s\0` envelope (runtime.Unknown)
//! and the review objects of `kubectl auth can-i` / `auth whoami`, decoded to JSON.
use serde_json::{Value, json};

pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\x00";

/// One decoded field: number and either a varint or a byte string.
#[derive(Debug, Clone)]
enum Field<'a> {
    Varint,
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

fn fields(buf: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let tag = varint(buf, &mut pos)?;
        let f = match tag & 7 {
            0 => {
                varint(buf, &mut pos)?;
                Field::Varint
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let bytes = buf.get(pos..pos.checked_add(len)?)?;
                pos += len;
                Field::Bytes(bytes)
            }
            5 => {
                pos += 4;
                Field::Varint
            }
            1 => {
                pos += 8;
                Field::Varint
            }
            _ => return None,
        };
        out.push((tag >> 3, f));
    }
    Some(out)
}

fn bytes_of<'a>(fs: &[(u64, Field<'a>)], n: u64) -> Option<&'a [u8]> {
    fs.iter().find_map(|(k, f)| match f {
        Field::Bytes(b) if *k == n => Some(*b),
        _ => None,
    })
}

fn string_of(fs: &[(u64, Field<'_>)], n: u64) -> Option<String> {
    bytes_of(fs, n).map(|b| String::from_utf8_lossy(b).into_owned())
}

fn strings(buf: &[u8], names: &[(u64, &str)]) -> Value {
    let fs = fields(buf).unwrap_or_default();
    let mut m = serde_json::Map::new();
    for (n, name) in names {
        if let Some(s) = string_of(&fs, *n) {
            m.insert((*name).to_string(), json!(s));
        }
    }
    Value::Object(m)
}

fn map_of(fs: &[(u64, Field<'_>)], n: u64, binary: bool) -> Value {
    let mut m = serde_json::Map::new();
    for (k, f) in fs {
        let Field::Bytes(entry) = f else { continue };
        if *k != n {
            continue;
        }
        let e = fields(entry).unwrap_or_default();
        let key = string_of(&e, 1).unwrap_or_default();
        let val = bytes_of(&e, 2).unwrap_or_default();
        let v = if binary {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(val)
        } else {
            String::from_utf8_lossy(val).into_owned()
        };
        m.insert(key, json!(v));
    }
    Value::Object(m)
}

fn object_meta(buf: &[u8]) -> Value {
    let fs = fields(buf).unwrap_or_default();
    let mut meta = strings(buf, &[(1, "name"), (2, "generateName"), (3, "namespace")]);
    for (n, key) in [(11, "labels"), (12, "annotations")] {
        let m = map_of(&fs, n, false);
        if m.as_object().is_some_and(|m| !m.is_empty()) {
            meta[key] = m;
        }
    }
    meta
}

/// Namespaces, ConfigMaps and Secrets as `kubectl create namespace|configmap|secret` send them.
fn simple_object(kind: &str, raw: &[(u64, Field<'_>)]) -> Option<Value> {
    let mut obj = json!({});
    match kind {
        "Namespace" => {}
        "ConfigMap" => {
            obj["data"] = map_of(raw, 2, false);
            obj["binaryData"] = map_of(raw, 3, true);
        }
        "Secret" => {
            obj["data"] = map_of(raw, 2, true);
            obj["type"] = json!(string_of(raw, 3).unwrap_or_else(|| "Opaque".into()));
        }
        _ => return None,
    }
    if let Some(m) = obj.as_object_mut() {
        m.retain(|_, v| v.as_object().is_none_or(|o| !o.is_empty()));
    }
    Some(obj)
}

/// Decode an enveloped object into JSON: the review kinds, Namespace, ConfigMap and Secret.
pub fn decode(body: &[u8]) -> Option<Value> {
    let env = fields(body.strip_prefix(MAGIC)?)?;
    let type_meta = fields(bytes_of(&env, 1)?)?;
    let api_version = string_of(&type_meta, 1).unwrap_or_default();
    let kind = string_of(&type_meta, 2).unwrap_or_default();
    let raw = fields(bytes_of(&env, 2)?)?;
    let spec_buf = bytes_of(&raw, 2).unwrap_or_default();
    let spec = match kind.as_str() {
        "SelfSubjectAccessReview" => {
            let s = fields(spec_buf).unwrap_or_default();
            let mut spec = json!({});
            if let Some(ra) = bytes_of(&s, 1) {
                let names = [(1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"), (6, "subresource"), (7, "name")];
                spec["resourceAttributes"] = strings(ra, &names);
            }
            if let Some(na) = bytes_of(&s, 2) {
                spec["nonResourceAttributes"] = strings(na, &[(1, "path"), (2, "verb")]);
            }
            spec
        }
        "SelfSubjectRulesReview" => strings(spec_buf, &[(1, "namespace")]),
        "SelfSubjectReview" => json!({}),
        other => {
            let mut obj = simple_object(other, &raw)?;
            obj["apiVersion"] = json!(api_version);
            obj["kind"] = json!(kind);
            obj["metadata"] = object_meta(bytes_of(&raw, 1).unwrap_or_default());
            return Some(obj);
        }
    };
    Some(json!({"apiVersion": api_version, "kind": kind, "metadata": {}, "spec": spec}))
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

    #[test]
    fn decodes_access_review() {
        let ra = [ld(1, b"default"), ld(2, b"delete"), ld(5, b"pods")].concat();
        let spec = ld(1, &ra);
        let raw = [ld(1, b""), ld(2, &spec)].concat();
        let tm = [ld(1, b"authorization.k8s.io/v1"), ld(2, b"SelfSubjectAccessReview")].concat();
        let body = [MAGIC.to_vec(), ld(1, &tm), ld(2, &raw)].concat();
        let v = decode(&body).unwrap();
        assert_eq!(v["kind"], "SelfSubjectAccessReview");
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "delete");
        assert_eq!(v["spec"]["resourceAttributes"]["resource"], "pods");
    }
}
