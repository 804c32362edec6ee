//! get, list, create, update, patch, delete and deletecollection on stored resources.
use std::sync::Arc;

use base64::Engine;
use serde_json::{Value, json};

use super::fieldcheck::{self, Via};
use super::route::{ResRoute, Verb};
use super::select::{FieldSelector, LabelSelector};
use super::status::{self, ApiError};
use super::{Resp, ServerState, json_resp, subres, table};
use crate::sim::patch;
use crate::sim::store::{Listed, object_rv};
use crate::sim::store_api::{SimStore, kinds};

pub struct Ctx<'a> {
    pub state: &'a Arc<ServerState>,
    pub user: &'a str,
    /// Impersonated groups (`--as-group`), besides `system:authenticated`.
    pub groups: &'a [String],
    pub accept: &'a str,
    pub ctype: &'a str,
    pub agent: &'a str,
    pub body: &'a [u8],
}

pub fn wants_table(accept: &str) -> bool {
    accept.split(',').next().is_some_and(|first| first.contains("as=Table"))
}

pub fn handle(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    if r.res.create_only {
        return match r.verb {
            Verb::Create => subres::review(ctx, r),
            _ => Err(status::method_not_allowed()),
        };
    }
    match (r.verb, r.sub.as_deref()) {
        (_, Some(s)) if super::registry::UNSUPPORTED.contains(&s) => Err(status::not_supported(r.res, s, r.ns.as_deref(), name_of(r))),
        (_, Some("scale")) => subres::scale(ctx, r),
        (Verb::Get, Some("log")) => super::logs::serve(ctx, r),
        (Verb::Create, Some("eviction")) => super::eviction::evict(ctx, r),
        (Verb::Create, Some("token")) => super::token::create(ctx, r),
        (Verb::Get, _) => get(ctx, r),
        (Verb::List, _) => list(ctx, r),
        (Verb::Create, None) => create(ctx, r),
        (Verb::Update, sub) => update(ctx, r, parse_body(ctx, r)?, sub == Some("status")),
        (Verb::Patch, sub) => patch_obj(ctx, r, sub == Some("status")),
        (Verb::Delete, None) => super::delete::handle(ctx, r),
        (Verb::DeleteCollection, None) => super::delete::handle_collection(ctx, r),
        _ => Err(status::method_not_allowed()),
    }
}

pub fn name_of(r: &ResRoute) -> &str {
    r.name.as_deref().unwrap_or_default()
}

pub fn fetch(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Value, ApiError> {
    ctx.state.store.get(r.res.obj_kind(), r.ns.as_deref(), name_of(r)).ok_or_else(|| status::not_found(r.res, name_of(r)))
}

fn get(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let obj = fetch(ctx, r)?;
    if wants_table(ctx.accept) {
        let rv = object_rv(&obj).to_string();
        return Ok(json_resp(200, &table::table(r.res, &[obj], &rv, true)));
    }
    Ok(json_resp(200, &obj))
}

/// Objects matching the route's namespace and selectors (shared with the store, not copied),
/// with the list's resourceVersion.
pub fn select(ctx: &Ctx<'_>, r: &ResRoute) -> Result<(Vec<Arc<Value>>, u64), ApiError> {
    let (labels, fields) = selectors(r)?;
    let (items, rv) = ctx.state.store.list_at(r.res.obj_kind(), r.ns.as_deref());
    Ok((items.into_iter().filter(|o| labels.matches(o) && fields.matches(o)).collect(), rv))
}

fn selectors(r: &ResRoute) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(r.query.get("labelSelector").map(String::as_str).unwrap_or_default())
        .map_err(|e| status::bad_request(&format!("unable to parse requirement: {e}")))?;
    let fields =
        FieldSelector::parse(r.query.get("fieldSelector").map(String::as_str).unwrap_or_default()).map_err(|e| status::bad_request(&e))?;
    Ok((labels, fields))
}

/// A continue token: the list's resourceVersion (0: the remainder is read as it is now) and
/// the (namespace, name) of the last item returned, base64url as the apiserver's are opaque.
fn continue_token(rv: u64, o: &Value) -> String {
    let m = &o["metadata"];
    let raw = format!("{rv}\u{0}{}\u{0}{}", m["namespace"].as_str().unwrap_or_default(), m["name"].as_str().unwrap_or_default());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// (resourceVersion, namespace, name) of a continue token.
fn parse_continue(token: &str) -> Option<(u64, String, String)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok().and_then(|b| String::from_utf8(b).ok())?;
    let mut parts = raw.splitn(3, '\u{0}');
    let rv = parts.next()?.parse().ok()?;
    Some((rv, parts.next()?.to_string(), parts.next()?.to_string()))
}

/// One page of a list: its items, the list's resourceVersion, the continue token and (as the
/// apiserver, only for a list without selectors) how many items remain after it.
struct Page {
    items: Vec<Listed>,
    rv: u64,
    cont: Option<String>,
    remaining: Option<usize>,
}

/// The page `limit` and `continue` ask for, read from the store from the token's key on (lists
/// are in (namespace, name) order; see [`crate::sim::store::MemStore::list_page`]). As with the
/// apiserver, every page of a list carries the first page's resourceVersion, so a watch from it
/// misses nothing that changed while the pages were read; once the history no longer reaches
/// back to it the token is 410 Expired, with a token for the (inconsistent) remainder.
fn page(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Page, ApiError> {
    let (labels, fields) = selectors(r)?;
    let kind = r.res.obj_kind();
    let store = &ctx.state.store;
    let token = match r.query.get("continue").filter(|c| !c.is_empty()) {
        Some(c) => Some(parse_continue(c).ok_or_else(|| status::bad_request("continue key is not valid: illegal base64 data"))?),
        None => None,
    };
    if let Some((rv, ns, name)) = &token
        && *rv > 0
        && !store.history_covers(kind, *rv)
    {
        let mut e = status::gone(CONTINUE_EXPIRED);
        let rest = json!({"metadata": {"namespace": ns, "name": name}});
        e.body["metadata"]["continue"] = json!(continue_token(0, &rest));
        return Err(e);
    }
    let after = token.as_ref().map(|(_, ns, name)| (ns.as_str(), name.as_str()));
    let unfiltered = labels == LabelSelector::default() && fields == FieldSelector::default();
    let limit = r.query.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let keep = |o: &Value| labels.matches(o) && fields.matches(o);
    let listed = store.list_page(kind, r.ns.as_deref(), after, limit, if unfiltered { None } else { Some(&keep) });
    let rv = token.as_ref().map(|t| t.0).filter(|rv| *rv > 0).unwrap_or(listed.rv);
    if !listed.more {
        return Ok(Page { items: listed.items, rv, cont: None, remaining: None });
    }
    // A remainder read as it is now stays so: its tokens carry no resourceVersion either.
    let token_rv = if token.as_ref().is_some_and(|t| t.0 == 0) { 0 } else { rv };
    let cont = listed.items.last().map(|o| continue_token(token_rv, &o.obj));
    Ok(Page { items: listed.items, rv, cont, remaining: listed.remaining })
}

const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

fn list(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let Page { items, rv, cont, remaining } = page(ctx, r)?;
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
        if let Some(n) = remaining {
            meta["remainingItemCount"] = json!(n);
        }
    }
    if wants_table(ctx.accept) {
        return Ok(table::response(r.res, items.iter().map(|i| &*i.obj), meta, true));
    }
    // The list's envelope, then the items' JSON text (kept by the store per object version).
    let head = json!({"kind": format!("{}List", r.res.kind), "apiVersion": r.res.api_version(), "metadata": meta, "items": []});
    let mut body = serde_json::to_vec(&head).unwrap_or_default();
    body.truncate(body.len().saturating_sub(2));
    body.reserve(items.iter().map(|i| i.json().len() + 1).sum::<usize>() + 2);
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item.json());
    }
    body.extend_from_slice(b"]}");
    Ok(super::bytes_resp(200, body))
}

pub fn parse_body(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Value, ApiError> {
    let mut obj: Value = if ctx.ctype.starts_with(super::proto::CONTENT_TYPE) {
        super::proto::decode(ctx.body).ok_or_else(|| status::unsupported_media(ctx.ctype, status::BODY_TYPES))?
    } else {
        serde_json::from_slice(ctx.body)
            .or_else(|_| yaml_serde::from_slice(ctx.body))
            .map_err(|e| status::bad_request(&format!("the request body is not a valid object: {e}")))?
    };
    if !obj.is_object() {
        return Err(status::bad_request("the request body must be a JSON object"));
    }
    obj["apiVersion"] = json!(r.res.api_version());
    obj["kind"] = json!(r.res.kind);
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    if let Some(ns) = &r.ns {
        match obj["metadata"]["namespace"].as_str() {
            Some(n) if n != ns => {
                return Err(status::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
            }
            _ => obj["metadata"]["namespace"] = json!(ns),
        }
    }
    Ok(obj)
}

fn ensure_namespace(ctx: &Ctx<'_>, r: &ResRoute) -> Result<(), ApiError> {
    match &r.ns {
        Some(ns) if ctx.state.store.get(kinds::NAMESPACE, None, ns).is_none() => {
            let ns_res = super::registry::lookup("", "v1", "namespaces").unwrap_or(r.res);
            Err(status::not_found(ns_res, ns))
        }
        _ => Ok(()),
    }
}

/// The field manager of this request (`?fieldManager=`, else from the User-Agent).
fn manager(ctx: &Ctx<'_>, r: &ResRoute) -> String {
    super::ssa::manager(r.query.get("fieldManager"), ctx.agent)
}

fn create(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let mut obj = parse_body(ctx, r)?;
    let via = if is_apply(ctx) { Via::Apply } else { Via::Body };
    fieldcheck::check(r.res, &mut obj, via, &Value::Null, field_validation(r), None)?;
    let config = obj.clone();
    // Like the apiserver: status is not taken on create where a status subresource exists.
    if r.res.subresources.contains(&"status")
        && let Some(m) = obj.as_object_mut()
    {
        m.remove("status");
    }
    super::defaults::apply(&mut obj);
    let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_string();
    super::validate::validate(r.res, &obj)?;
    ensure_namespace(ctx, r)?;
    if is_apply(ctx) {
        super::ssa::record_apply_create(&config, &mut obj, &manager(ctx, r));
    } else {
        super::ssa::record_update(None, &mut obj, &manager(ctx, r));
    }
    if let Some(m) = obj["metadata"].as_object_mut() {
        m.remove("resourceVersion");
    }
    crate::sim::admission::admit_create(&*ctx.state.store, &mut obj, &r.res.qualified_name())
        .map_err(|m| status::status(403, "Forbidden", &m, Some(json!({"name": name, "kind": r.res.plural}))))?;
    if dry_run(r) {
        if ctx.state.store.get(r.res.obj_kind(), r.ns.as_deref(), &name).is_some() {
            return Err(status::from_store(
                r.res,
                &name,
                crate::sim::store_api::StoreError::AlreadyExists { kind: String::new(), name: name.clone() },
            ));
        }
        return Ok(json_resp(201, &obj));
    }
    let created = ctx.state.store.create(obj).map_err(|e| status::from_store(r.res, &name, e))?;
    Ok(json_resp(201, &created))
}

fn update(ctx: &Ctx<'_>, r: &ResRoute, obj: Value, status_only: bool) -> Result<Resp, ApiError> {
    let name = name_of(r);
    if obj["metadata"]["name"].as_str().is_some_and(|n| n != name) {
        return Err(status::bad_request("the name of the object does not match the name on the URL"));
    }
    let mut obj = obj;
    obj["metadata"]["name"] = json!(name);
    if r.verb == Verb::Update && !status_only {
        let stored = ctx.state.store.get(r.res.obj_kind(), r.ns.as_deref(), name);
        fieldcheck::check(r.res, &mut obj, Via::Body, &Value::Null, field_validation(r), stored.as_ref())?;
    }
    super::defaults::apply(&mut obj);
    super::validate::validate(r.res, &obj)?;
    if dry_run(r) {
        let current = fetch(ctx, r)?;
        if obj["metadata"]["resourceVersion"].is_string() && obj["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"] {
            return Err(status::from_store(
                r.res,
                name,
                crate::sim::store_api::StoreError::Conflict { kind: String::new(), name: name.to_string() },
            ));
        }
        return Ok(json_resp(200, &obj));
    }
    let store = &ctx.state.store;
    if let Some(stored) = store.get(r.res.obj_kind(), r.ns.as_deref(), name) {
        super::delete::keep_deletion_state(r.res, &stored, &mut obj)?;
        if !status_only {
            fieldcheck::immutable(r.res, &stored, &obj)?;
        }
        if !status_only && !is_apply(ctx) {
            super::ssa::record_update(Some(&stored), &mut obj, &manager(ctx, r));
        }
    }
    let res = if status_only { store.update_status(obj) } else { store.update(obj) };
    let updated = res.map_err(|e| status::from_store(r.res, name, e))?;
    super::delete::finish_if_done(&**store, r.res.obj_kind(), &updated);
    Ok(json_resp(200, &updated))
}

fn patch_obj(ctx: &Ctx<'_>, r: &ResRoute, status_only: bool) -> Result<Resp, ApiError> {
    let ptype = patch::PatchType::from_content_type(ctx.ctype).ok_or_else(|| status::unsupported_media(ctx.ctype, status::PATCH_TYPES))?;
    if ptype == patch::PatchType::Apply {
        if r.query.get("fieldManager").is_none_or(|m| m.is_empty()) {
            let causes = [("FieldValueRequired", "fieldManager", "Required value: is required for apply patch".to_string())];
            return Err(status::invalid(r.res, name_of(r), &causes));
        }
        if fetch(ctx, r).is_err() && !status_only {
            return create(&Ctx { body: &yaml_to_json(ctx.body)?, ..*ctx }, r);
        }
    }
    for _ in 0..5 {
        let current = fetch(ctx, r)?;
        let fv = field_validation(r);
        let patched = match ptype {
            patch::PatchType::Apply => {
                let mut config: Value = yaml_serde::from_slice(ctx.body).map_err(|e| status::bad_request(&e.to_string()))?;
                fieldcheck::check(r.res, &mut config, Via::Apply, &Value::Null, fv, Some(&current))?;
                let force = r.query.get("force").is_some_and(|f| f == "true");
                super::ssa::apply(&current, &config, &manager(ctx, r), force)?
            }
            _ => {
                let mut out = patch::apply(ptype, &current, ctx.body).map_err(|e| status::bad_request(&e.to_string()))?;
                let doc: Value = serde_json::from_slice(ctx.body).unwrap_or_default();
                let via = if ptype == patch::PatchType::Strategic { Via::Strategic } else { Via::JsonPatch };
                fieldcheck::check(r.res, &mut out, via, &doc, fv, Some(&current))?;
                out
            }
        };
        let mut patched = patched;
        if !patched["metadata"]["resourceVersion"].is_string() {
            patched["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"].clone();
        }
        let explicit_rv = patched["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"];
        match update(ctx, r, patched, status_only) {
            Err(e) if e.code == 409 && !explicit_rv => continue,
            other => return other,
        }
    }
    Err(status::status(409, "Conflict", "the object kept changing while the patch was applied; try again", None))
}

fn field_validation(r: &ResRoute) -> Option<&str> {
    r.query.get("fieldValidation").map(String::as_str)
}

fn is_apply(ctx: &Ctx<'_>) -> bool {
    patch::PatchType::from_content_type(ctx.ctype) == Some(patch::PatchType::Apply)
}

fn yaml_to_json(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let v: Value =
        yaml_serde::from_slice(body).map_err(|e| status::bad_request(&format!("the applied configuration is not valid YAML: {e}")))?;
    serde_json::to_vec(&v).map_err(|e| status::bad_request(&e.to_string()))
}

/// `?dryRun=All`: validate and answer as if the write happened, store nothing.
pub fn dry_run(r: &ResRoute) -> bool {
    r.query.get("dryRun").is_some_and(|v| !v.is_empty())
}
