//! Argo CD AppProjects (`argoproj.io/v1alpha1`, all namespaces) through kube's dynamic API:
//! a one-shot list for `cabin windows list --from-cluster` and a watch for the cockpit's live
//! windows feed. Each project becomes (name, its `spec.syncWindows`); a project whose windows
//! cannot be read becomes an error line naming it, and the others still load. A 404 (Argo CD
//! is not installed, so the resource does not exist) means no projects, not an error.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::runtime::watcher;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connect::Connection;
use super::error::ClusterError;
use super::watch::watch_error;
use crate::domain::windows::SyncWindow;

const MIN_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often a cluster without the AppProject resource is asked again (Argo CD installed later).
const ABSENT_RECHECK: Duration = Duration::from_secs(60);

/// The AppProjects of a cluster: (name, windows) sorted by (namespace, name), and one line per
/// project whose windows cannot be read (with that project's name in `unreadable`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterProjects {
    pub projects: Vec<(String, Vec<SyncWindow>)>,
    pub errors: Vec<String>,
    /// Names of the projects whose windows cannot be read (a change they decide is UNKNOWN).
    pub unreadable: Vec<String>,
}

/// What a watch of Argo CD objects tells its owner.
#[derive(Debug)]
pub enum ArgoSignal<T> {
    /// The complete current set (after the initial list and after every change).
    Changed(T),
    /// The watch failed (not a 404) and is retrying with backoff.
    Failed(ClusterError),
}

/// What the AppProject watch tells its owner.
pub type ProjectsSignal = ArgoSignal<ClusterProjects>;

fn api_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("argoproj.io", "v1alpha1", "AppProject");
    ApiResource::from_gvk_with_plural(&gvk, "appprojects")
}

fn api(conn: &Connection) -> Api<DynamicObject> {
    Api::all_with(conn.client(), &api_resource())
}

/// One AppProject → (name, windows), or an error line naming the project.
pub fn project_windows(obj: &DynamicObject) -> Result<(String, Vec<SyncWindow>), String> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let ns = obj.metadata.namespace.clone().unwrap_or_default();
    let raw = obj.data.get("spec").and_then(|s| s.get("syncWindows")).cloned();
    let windows = match raw {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value::<Vec<Option<SyncWindow>>>(v)
            .map_err(|e| format!("cluster: AppProject {ns}/{name}: spec.syncWindows is malformed: {e}"))?
            .into_iter()
            .flatten()
            .collect(),
    };
    Ok((name, windows))
}

/// (namespace, name).
pub type Key = (String, String);

fn key(obj: &DynamicObject) -> Key {
    (obj.metadata.namespace.clone().unwrap_or_default(), obj.metadata.name.clone().unwrap_or_default())
}

fn collect<'a>(objs: impl IntoIterator<Item = &'a DynamicObject>) -> ClusterProjects {
    let sorted: BTreeMap<Key, &DynamicObject> = objs.into_iter().map(|o| (key(o), o)).collect();
    let mut out = ClusterProjects::default();
    for obj in sorted.values() {
        match project_windows(obj) {
            Ok(p) => out.projects.push(p),
            Err(e) => {
                out.errors.push(e);
                out.unreadable.push(obj.metadata.name.clone().unwrap_or_default());
            }
        }
    }
    out
}

/// Lists the AppProjects of all namespaces once. Argo CD not installed → no projects.
pub async fn list(conn: &Connection) -> Result<ClusterProjects, ClusterError> {
    match api(conn).list(&ListParams::default()).await {
        Ok(list) => Ok(collect(&list.items)),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(ClusterProjects::default()),
        Err(e) => Err(conn.error(e)),
    }
}

/// A running watch of Argo CD objects. Dropping it stops it.
pub struct ArgoWatch {
    task: JoinHandle<()>,
}

impl Drop for ArgoWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The running AppProject watch.
pub type ProjectsWatch = ArgoWatch;

/// Starts watching AppProjects in all namespaces; signals go to `tx`.
pub fn watch(conn: &Connection, tx: mpsc::Sender<ProjectsSignal>) -> ProjectsWatch {
    watch_all(conn, api_resource(), |objs| collect(objs.values()), tx)
}

/// Watches every object of `resource` in all namespaces; each change sends `convert` of the
/// complete set (keyed by namespace and name).
pub fn watch_all<T: Default + Send + 'static>(
    conn: &Connection,
    resource: ApiResource,
    convert: fn(&BTreeMap<Key, DynamicObject>) -> T,
    tx: mpsc::Sender<ArgoSignal<T>>,
) -> ArgoWatch {
    ArgoWatch { task: tokio::spawn(follow(conn.clone(), resource, convert, tx)) }
}

/// Like the engine's other watches: list, follow, and on an error report, back off and start
/// a fresh watcher (its re-list replaces the set). A 404 is reported as an empty set, once.
async fn follow<T: Default>(
    conn: Connection,
    resource: ApiResource,
    convert: fn(&BTreeMap<Key, DynamicObject>) -> T,
    tx: mpsc::Sender<ArgoSignal<T>>,
) {
    let mut backoff = MIN_BACKOFF;
    let mut absent_reported = false;
    loop {
        let mut objects: BTreeMap<Key, DynamicObject> = BTreeMap::new();
        let mut buffer: BTreeMap<Key, DynamicObject> = BTreeMap::new();
        let api: Api<DynamicObject> = Api::all_with(conn.client(), &resource);
        let mut stream = std::pin::pin!(watcher(api, watcher::Config::default()));
        let mut wait = backoff;
        while let Some(item) = stream.next().await {
            let changed = match item {
                Ok(ev) => {
                    backoff = MIN_BACKOFF;
                    absent_reported = false;
                    apply(&mut objects, &mut buffer, ev)
                }
                Err(e) => {
                    let error = watch_error(&conn, e);
                    let signal = if matches!(error, ClusterError::NotFound { .. }) {
                        wait = ABSENT_RECHECK;
                        (!std::mem::replace(&mut absent_reported, true)).then(|| ArgoSignal::Changed(T::default()))
                    } else {
                        wait = backoff;
                        Some(ArgoSignal::Failed(error))
                    };
                    if let Some(signal) = signal
                        && tx.send(signal).await.is_err()
                    {
                        return;
                    }
                    break;
                }
            };
            if changed && tx.send(ArgoSignal::Changed(convert(&objects))).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(wait).await;
        if wait == backoff {
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Applies one watcher event; true when the visible set changed (or the initial list ended).
fn apply(objects: &mut BTreeMap<Key, DynamicObject>, buffer: &mut BTreeMap<Key, DynamicObject>, ev: watcher::Event<DynamicObject>) -> bool {
    match ev {
        watcher::Event::Init => {
            buffer.clear();
            false
        }
        watcher::Event::InitApply(o) => {
            buffer.insert(key(&o), o);
            false
        }
        watcher::Event::InitDone => {
            *objects = std::mem::take(buffer);
            true
        }
        watcher::Event::Apply(o) => {
            objects.insert(key(&o), o);
            true
        }
        watcher::Event::Delete(o) => {
            objects.remove(&key(&o));
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(ns: &str, name: &str, spec: serde_json::Value) -> DynamicObject {
        let mut o = DynamicObject::new(name, &api_resource()).within(ns);
        o.data = serde_json::json!({ "spec": spec });
        o
    }

    #[test]
    fn converts_windows_and_reports_a_bad_project_by_name() {
        let good =
            obj("argocd", "b", serde_json::json!({"syncWindows": [{"kind": "allow", "schedule": "0 2 * * *", "duration": "1h"}, null]}));
        let empty = obj("argocd", "a", serde_json::json!({}));
        let bad = obj("argocd", "c", serde_json::json!({"syncWindows": [{"kind": 7}]}));
        let got = collect([&good, &bad, &empty]);
        let names: Vec<&str> = got.projects.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(got.projects[1].1.len(), 1);
        assert_eq!(got.projects[1].1[0].schedule, "0 2 * * *");
        assert_eq!(got.errors.len(), 1);
        assert!(got.errors[0].contains("AppProject argocd/c"), "{:?}", got.errors);
    }

    #[test]
    fn init_events_replace_the_set_atomically() {
        let (mut objects, mut buffer) = (BTreeMap::new(), BTreeMap::new());
        assert!(apply(&mut objects, &mut buffer, watcher::Event::Apply(obj("x", "old", serde_json::json!({})))));
        assert!(!apply(&mut objects, &mut buffer, watcher::Event::Init));
        assert!(!apply(&mut objects, &mut buffer, watcher::Event::InitApply(obj("x", "new", serde_json::json!({})))));
        assert_eq!(objects.len(), 1);
        assert!(apply(&mut objects, &mut buffer, watcher::Event::InitDone));
        let keys: Vec<_> = objects.keys().cloned().collect();
        assert_eq!(keys, [("x".to_string(), "new".to_string())]);
        assert!(apply(&mut objects, &mut buffer, watcher::Event::Delete(obj("x", "new", serde_json::json!({})))));
        assert!(objects.is_empty());
    }
}
