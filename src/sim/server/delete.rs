//! Deletion as the apiserver and garbage collector do it: DeleteOptions (`propagationPolicy`,
//! `gracePeriodSeconds`, `preconditions`, `dryRun`), finalizers, graceful pod deletion and
//! the three cascading policies.
//!
//! - An object with `metadata.finalizers` is not removed: it gets `deletionTimestamp` and stays
//!   until the last finalizer is removed (then the update that removes it deletes it).
//! - A scheduled pod in a non-terminal phase is deleted gracefully: `deletionTimestamp` is
//!   now + grace period (DeleteOptions, else `spec.terminationGracePeriodSeconds`) and the
//!   simulated kubelet finishes the deletion once its containers stopped (`kubelet_stop`);
//!   `gracePeriodSeconds: 0` (`--grace-period=0 --force`) removes it at once.
//! - `Orphan` removes the object's ownerReferences from its dependents before it goes;
//!   `Foreground` adds the `foregroundDeletion` finalizer, deletes the dependents (those that
//!   block owner deletion in foreground too) and the garbage collector removes the finalizer
//!   once no blocking dependent is left (`sweep_foreground`); `Background` (the default)
//!   removes the object and lets the garbage collector delete the dependents.
use serde_json::{Value, json};

use super::handlers::{Ctx, dry_run, fetch, name_of, select};
use super::registry::Resource;
use super::route::ResRoute;
use super::status::{self, ApiError};
use super::{Resp, json_resp};
use crate::sim::controllers::gc::{DEPENDENTS, NAMESPACED};
use crate::sim::controllers::obj;
use crate::sim::store_api::{ObjKind, SimStore, StoreError, kinds};

pub const ORPHAN: &str = "orphan";
pub const FOREGROUND: &str = "foregroundDeletion";

/// The kinds that may own others (every stored namespaced kind but pods and events); the
/// dependents are the garbage collector's.
fn owner_kinds() -> impl Iterator<Item = &'static ObjKind> {
    NAMESPACED.iter().filter(|k| **k != kinds::POD && **k != kinds::EVENT)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    #[default]
    Background,
    Orphan,
    Foreground,
}

/// The DeleteOptions the simulator honours.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub propagation: Propagation,
    pub grace: Option<i64>,
    pub dry_run: bool,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

/// What a delete did: removed the object, or marked it (deletionTimestamp) for later.
#[derive(Debug, Clone)]
pub enum Outcome {
    Gone(Value),
    Pending(Value),
}

impl Outcome {
    pub fn object(&self) -> &Value {
        match self {
            Outcome::Gone(o) | Outcome::Pending(o) => o,
        }
    }
}

/// DeleteOptions from the request body (JSON) and query (`propagationPolicy`,
/// `gracePeriodSeconds`, `dryRun`, `orphanDependents`).
pub fn options(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Options, ApiError> {
    let body: Value = if ctx.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(ctx.body).map_err(|e| status::bad_request(&format!("the request body is not DeleteOptions: {e}")))?
    };
    let q = |k: &str| r.query.get(k).map(String::as_str);
    let policy = body["propagationPolicy"].as_str().or(q("propagationPolicy"));
    let orphan = body["orphanDependents"].as_bool().or(q("orphanDependents").map(|v| v == "true"));
    let propagation = match (policy, orphan) {
        (Some("Orphan"), _) | (None, Some(true)) => Propagation::Orphan,
        (Some("Foreground"), _) => Propagation::Foreground,
        (Some("Background") | None, _) => Propagation::Background,
        (Some(other), _) => {
            let causes = [(
                "FieldValueNotSupported",
                "propagationPolicy",
                format!("Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""),
            )];
            return Err(status::invalid(r.res, name_of(r), &causes));
        }
    };
    let grace = match (body["gracePeriodSeconds"].as_i64(), q("gracePeriodSeconds")) {
        (Some(g), _) => Some(g),
        (None, Some(g)) => Some(g.parse::<i64>().map_err(|_| status::bad_request(&format!("invalid gracePeriodSeconds {g:?}")))?),
        (None, None) => None,
    };
    let body_dry = body["dryRun"].as_array().is_some_and(|a| !a.is_empty());
    let pre = &body["preconditions"];
    Ok(Options {
        propagation,
        grace: grace.map(|g| g.max(0)),
        dry_run: dry_run(r) || body_dry,
        uid: pre["uid"].as_str().map(str::to_string),
        resource_version: pre["resourceVersion"].as_str().map(str::to_string),
    })
}

/// `DELETE` of one object.
pub fn handle(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let opts = options(ctx, r)?;
    let current = fetch(ctx, r)?;
    check_preconditions(&current, &opts)?;
    if opts.dry_run {
        return Ok(json_resp(200, &current));
    }
    let store = &*ctx.state.store;
    let out = delete(store, r.res.obj_kind(), r.ns.as_deref(), name_of(r), &opts).map_err(|e| status::from_store(r.res, name_of(r), e))?;
    Ok(json_resp(200, out.object()))
}

/// `DELETE` of a collection (selectors as for list).
pub fn handle_collection(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let opts = options(ctx, r)?;
    let (items, rv) = select(ctx, r)?;
    let mut deleted = Vec::new();
    for o in items {
        if opts.dry_run {
            deleted.push(std::sync::Arc::unwrap_or_clone(o));
            continue;
        }
        if let Ok(out) = delete(&*ctx.state.store, r.res.obj_kind(), obj::namespace(&o), obj::name(&o), &opts) {
            deleted.push(out.object().clone());
        }
    }
    let list = json!({"kind": format!("{}List", r.res.kind), "apiVersion": r.res.api_version(),
        "metadata": {"resourceVersion": rv.to_string()}, "items": deleted});
    Ok(json_resp(200, &list))
}

fn check_preconditions(current: &Value, opts: &Options) -> Result<(), ApiError> {
    let meta = &current["metadata"];
    let mismatch = |what: &str, want: &str, have: &str| {
        let msg = format!("Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}");
        status::status(409, "Conflict", &msg, None)
    };
    if let Some(uid) = opts.uid.as_deref().filter(|u| Some(*u) != meta["uid"].as_str()) {
        return Err(mismatch("UID", uid, meta["uid"].as_str().unwrap_or_default()));
    }
    if let Some(rv) = opts.resource_version.as_deref().filter(|v| Some(*v) != meta["resourceVersion"].as_str()) {
        return Err(mismatch("ResourceVersion", rv, meta["resourceVersion"].as_str().unwrap_or_default()));
    }
    Ok(())
}

fn finalizers(o: &Value) -> Vec<String> {
    o["metadata"]["finalizers"].as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

fn set_finalizers(o: &mut Value, list: &[String]) {
    if let Some(meta) = o["metadata"].as_object_mut() {
        if list.is_empty() {
            meta.remove("finalizers");
        } else {
            meta.insert("finalizers".into(), json!(list));
        }
    }
}

fn timestamp(secs_from_now: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs_from_now)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The grace period a pod deletion gets, or None when the pod goes at once (not scheduled,
/// finished, or asked with 0).
fn pod_grace(pod: &Value, asked: Option<i64>) -> Option<i64> {
    let scheduled = pod["spec"]["nodeName"].as_str().is_some_and(|n| !n.is_empty());
    let finished = matches!(pod["status"]["phase"].as_str(), Some("Succeeded" | "Failed"));
    let grace = asked.unwrap_or_else(|| pod["spec"]["terminationGracePeriodSeconds"].as_i64().unwrap_or(30));
    (scheduled && !finished && grace > 0).then_some(grace)
}

/// Deletes (or marks for deletion) one object; see the module documentation.
pub fn delete(store: &dyn SimStore, kind: ObjKind, ns: Option<&str>, name: &str, opts: &Options) -> Result<Outcome, StoreError> {
    let current = store.get(kind, ns, name).ok_or_else(|| StoreError::NotFound { kind: String::new(), name: name.to_string() })?;
    if opts.propagation == Propagation::Orphan {
        orphan_dependents(store, &current);
    }
    let mut next = current.clone();
    let mut fins = finalizers(&current);
    if opts.propagation == Propagation::Foreground && !fins.iter().any(|f| f == FOREGROUND) && has_dependents(store, &current) {
        fins.push(FOREGROUND.to_string());
    }
    let grace = if kind == kinds::POD { pod_grace(&current, opts.grace) } else { None };
    if obj::is_deleting(&current) {
        // Already terminating: only a shorter grace period changes anything.
        let left = current["metadata"]["deletionGracePeriodSeconds"].as_i64().unwrap_or(0);
        match grace {
            Some(g) if g < left => mark(&mut next, g),
            Some(_) => return Ok(Outcome::Pending(current)),
            None => next["metadata"]["deletionGracePeriodSeconds"] = json!(0),
        }
    } else {
        mark(&mut next, grace.unwrap_or(0));
    }
    set_finalizers(&mut next, &fins);
    if fins.is_empty() && grace.is_none() {
        return store.delete(kind, ns, name).map(Outcome::Gone);
    }
    let marked = store.update(next)?;
    if fins.iter().any(|f| f == FOREGROUND) {
        delete_dependents(store, &marked);
    }
    Ok(Outcome::Pending(marked))
}

fn mark(o: &mut Value, grace: i64) {
    o["metadata"]["deletionTimestamp"] = json!(timestamp(grace));
    o["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
}

/// Removes an object that is being deleted once nothing holds it any more: no finalizers and,
/// for a pod, its containers stopped (`deletionGracePeriodSeconds` 0). Returns whether it went.
pub fn finish_if_done(store: &dyn SimStore, kind: ObjKind, o: &Value) -> bool {
    let done = obj::is_deleting(o) && finalizers(o).is_empty() && o["metadata"]["deletionGracePeriodSeconds"].as_i64().unwrap_or(0) == 0;
    done && store.delete(kind, obj::namespace(o), obj::name(o)).is_ok()
}

/// A pod deletion by a controller (ReplicaSet, StatefulSet, garbage collector, eviction):
/// graceful, like the apiserver's default.
pub fn delete_pod(store: &dyn SimStore, ns: Option<&str>, name: &str) -> Result<Outcome, StoreError> {
    delete(store, kinds::POD, ns, name, &Options::default())
}

fn owned_by(o: &Value, uid: &str) -> bool {
    o["metadata"]["ownerReferences"].as_array().is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
}

fn dependents(store: &dyn SimStore, owner: &Value) -> Vec<(ObjKind, Value)> {
    let uid = obj::uid(owner);
    DEPENDENTS
        .iter()
        .flat_map(|k| store.list(*k, obj::namespace(owner)).into_iter().map(move |o| (*k, o)))
        .filter(|(_, o)| owned_by(o, uid))
        .collect()
}

fn has_dependents(store: &dyn SimStore, owner: &Value) -> bool {
    !dependents(store, owner).is_empty()
}

/// `Orphan`: the dependents lose their ownerReferences to `owner` (and stay).
fn orphan_dependents(store: &dyn SimStore, owner: &Value) {
    let uid = obj::uid(owner);
    for (_, mut dep) in dependents(store, owner) {
        if let Some(refs) = dep["metadata"]["ownerReferences"].as_array_mut() {
            refs.retain(|r| r["uid"] != uid);
            if refs.is_empty()
                && let Some(meta) = dep["metadata"].as_object_mut()
            {
                meta.remove("ownerReferences");
            }
        }
        if let Some(meta) = dep["metadata"].as_object_mut() {
            meta.remove("resourceVersion");
        }
        let _ = store.update(dep);
    }
}

/// `Foreground`: delete the dependents; those blocking the owner's deletion in foreground too.
fn delete_dependents(store: &dyn SimStore, owner: &Value) {
    let uid = obj::uid(owner);
    for (kind, dep) in dependents(store, owner) {
        let blocks = dep["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid && r["blockOwnerDeletion"] == true));
        let propagation = if blocks { Propagation::Foreground } else { Propagation::Background };
        let _ = delete(store, kind, obj::namespace(&dep), obj::name(&dep), &Options { propagation, ..Options::default() });
    }
}

/// The garbage collector's part of foreground deletion: an owner whose blocking dependents
/// are all gone loses its `foregroundDeletion` finalizer (and goes when it has no other).
pub fn sweep_foreground(store: &dyn SimStore) {
    for kind in owner_kinds() {
        for owner in store.list(*kind, None).into_iter().filter(|o| finalizers(o).iter().any(|f| f == FOREGROUND)) {
            let uid = obj::uid(&owner);
            let blocked = dependents(store, &owner).iter().any(|(_, d)| {
                d["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid && r["blockOwnerDeletion"] == true))
            });
            if blocked {
                continue;
            }
            let mut next = owner.clone();
            let rest: Vec<String> = finalizers(&owner).into_iter().filter(|f| f != FOREGROUND).collect();
            set_finalizers(&mut next, &rest);
            if let Ok(updated) = store.update(next) {
                finish_if_done(store, *kind, &updated);
            }
        }
    }
}

/// An update cannot set or clear `deletionTimestamp` (the stored deletion state wins), nor add
/// finalizers to an object being deleted (422, as the apiserver).
pub fn keep_deletion_state(res: &Resource, stored: &Value, obj: &mut Value) -> Result<(), ApiError> {
    if obj::is_deleting(stored) {
        let before = finalizers(stored);
        let added: Vec<String> = finalizers(obj).into_iter().filter(|f| !before.contains(f)).collect();
        if !added.is_empty() {
            let list: Vec<String> = added.iter().map(|f| format!("{f:?}")).collect();
            let msg = format!(
                "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                list.join(", ")
            );
            return Err(status::invalid(res, obj::name(stored), &[("FieldValueForbidden", "metadata.finalizers", msg)]));
        }
    }
    let Some(meta) = obj["metadata"].as_object_mut() else { return Ok(()) };
    for k in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
        match stored["metadata"].get(k) {
            Some(v) => {
                meta.insert(k.into(), v.clone());
            }
            None => {
                meta.remove(k);
            }
        }
    }
    Ok(())
}
