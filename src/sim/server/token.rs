//! `serviceaccounts/<name>/token` (TokenRequest, what `kubectl create token` sends): a JWT with
//! the claims a real apiserver puts in a bound service-account token (`iss`, `sub`, `aud`,
//! `exp`, `iat`, `nbf`, the `kubernetes.io` namespace/serviceaccount block), signed HS256 with
//! a key of this run. The simulator does not accept these tokens for authentication.
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::handlers::{Ctx, fetch};
use super::route::ResRoute;
use super::status::{self, ApiError};
use super::{Resp, json_resp};

const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// The apiserver's limits on `expirationSeconds`: at least 10 minutes, at most 2^32 seconds.
const MIN_SECONDS: i64 = 600;
const MAX_SECONDS: i64 = 1 << 32;

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(msg).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

fn jwt(claims: &Value, key: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = json!({"alg": "HS256", "kid": "cabin-sim", "typ": "JWT"});
    let signed = format!("{}.{}", b64.encode(header.to_string()), b64.encode(claims.to_string()));
    let sig = b64.encode(hmac_sha256(key, signed.as_bytes()));
    format!("{signed}.{sig}")
}

fn request_body(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    if ctx.body.is_empty() {
        return Ok(json!({}));
    }
    if ctx.ctype.starts_with(super::proto::CONTENT_TYPE) {
        return super::proto::decode(ctx.body).ok_or_else(|| status::bad_request("the TokenRequest body is not valid protobuf"));
    }
    serde_json::from_slice(ctx.body)
        .or_else(|_| yaml_serde::from_slice(ctx.body))
        .map_err(|e| status::bad_request(&format!("the request body is not a valid TokenRequest: {e}")))
}

pub fn create(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let sa = fetch(ctx, r)?;
    let req = request_body(ctx)?;
    let seconds = req["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        let why = if seconds < MIN_SECONDS {
            "may not specify a duration less than 10 minutes"
        } else {
            "may not specify a duration larger than 2^32 seconds"
        };
        let cause = format!("Invalid value: {seconds}: {why}");
        let msg = format!("TokenRequest.authentication.k8s.io \"{}\" is invalid: spec.expirationSeconds: {cause}", obj_name(&sa));
        let details = json!({"name": obj_name(&sa), "group": "authentication.k8s.io", "kind": "TokenRequest",
            "causes": [{"reason": "FieldValueInvalid", "message": cause, "field": "spec.expirationSeconds"}]});
        return Err(status::status(422, "Invalid", &msg, Some(details)));
    }
    let audiences = match req["spec"]["audiences"].as_array() {
        Some(a) if !a.is_empty() => json!(a),
        _ => json!([ISSUER]),
    };
    let now = chrono::Utc::now();
    let exp = now + chrono::Duration::seconds(seconds);
    let ns = sa["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = obj_name(&sa);
    let claims = json!({"aud": audiences, "exp": exp.timestamp(), "iat": now.timestamp(), "nbf": now.timestamp(), "iss": ISSUER,
        "jti": format!("{:x}", now.timestamp_nanos_opt().unwrap_or_default()),
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": name, "uid": sa["metadata"]["uid"]}},
        "sub": format!("system:serviceaccount:{ns}:{name}")});
    let key = Sha256::digest(ctx.state.tokens.operator.as_bytes());
    let token = jwt(&claims, &key);
    let body = json!({"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": null},
        "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": req["spec"]["boundObjectRef"]},
        "status": {"token": token, "expirationTimestamp": exp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}});
    Ok(json_resp(201, &body))
}

fn obj_name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
