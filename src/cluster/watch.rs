//! Watches (kube::runtime watchers) for everything the dashboard shows, and the snapshot built
//! from what they keep. No periodic lists: each watcher lists once, then follows the watch,
//! and re-lists only after a watch error (with backoff).
//!
//! The watchers do not keep API objects: each object is converted to its small view type as
//! it arrives and only the view is kept (no managed fields, no spec or status the screens do
//! not show), shared by `Arc` with the snapshots the UI holds. A change that does not change
//! the view (a resourceVersion or a field the screens do not show) is not reported, so it
//! causes no snapshot.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod, ResourceQuota};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::Api;
use kube::runtime::watcher;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connect::Connection;
use super::convert;
use super::error::ClusterError;
use crate::model::{ClusterSnapshot, EventView, NamespaceView, PdbView, PodView, QuotaView, ReplicaSetView, Scope, WorkloadView};

const MIN_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// At most this many events are kept in a snapshot (most recent first).
const MAX_EVENTS: usize = 300;

/// What a watcher tells its owner. `kind` is the resource name ("pods", …).
#[derive(Debug)]
pub enum WatchSignal {
    /// The store changed (or a watch finished its initial list when `initial_done`).
    Changed { kind: &'static str, initial_done: bool },
    /// The watch failed and is retrying with backoff.
    Failed { kind: &'static str, error: ClusterError },
}

pub const KINDS: [&str; 8] =
    ["namespaces", "deployments", "statefulsets", "replicasets", "pods", "events", "poddisruptionbudgets", "resourcequotas"];

type Key = (String, String);

#[derive(Debug)]
struct Views<V> {
    items: BTreeMap<Key, Arc<V>>,
    /// A re-list in progress (between `Init` and `InitDone`); it replaces `items` when done.
    relist: Option<BTreeMap<Key, Arc<V>>>,
}

/// The views of one kind, keyed by (namespace, name): written by its watcher task, read by
/// [`Watches::snapshot`].
#[derive(Debug)]
pub struct ViewStore<V>(Arc<Mutex<Views<V>>>);

impl<V> Clone for ViewStore<V> {
    fn clone(&self) -> Self {
        ViewStore(self.0.clone())
    }
}

impl<V: PartialEq> ViewStore<V> {
    fn new() -> Self {
        ViewStore(Arc::new(Mutex::new(Views { items: BTreeMap::new(), relist: None })))
    }

    fn lock(&self) -> MutexGuard<'_, Views<V>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The views in (namespace, name) order.
    pub fn values(&self) -> Vec<Arc<V>> {
        self.lock().items.values().cloned().collect()
    }

    /// Applies one watcher event; true when what the screens see changed (or a list ended).
    fn apply<K: kube::Resource>(&self, ev: &watcher::Event<K>, view: fn(&K) -> V) -> bool {
        let key = |o: &K| (o.meta().namespace.clone().unwrap_or_default(), o.meta().name.clone().unwrap_or_default());
        let mut views = self.lock();
        match ev {
            watcher::Event::Apply(o) => {
                let v = view(o);
                match views.items.get(&key(o)) {
                    Some(old) if **old == v => false,
                    _ => {
                        views.items.insert(key(o), Arc::new(v));
                        true
                    }
                }
            }
            watcher::Event::Delete(o) => views.items.remove(&key(o)).is_some(),
            watcher::Event::Init => {
                views.relist = Some(BTreeMap::new());
                false
            }
            watcher::Event::InitApply(o) => {
                // An unchanged view keeps its Arc (shared with the snapshots already sent).
                let v = view(o);
                let k = key(o);
                let kept = views.items.get(&k).filter(|old| ***old == v).cloned();
                views.relist.get_or_insert_with(BTreeMap::new).insert(k, kept.unwrap_or_else(|| Arc::new(v)));
                false
            }
            watcher::Event::InitDone => {
                let fresh = views.relist.take().unwrap_or_default();
                views.items = fresh;
                true
            }
        }
    }
}

/// The running watches of one scope. Dropping it stops them.
pub struct Watches {
    namespaces: ViewStore<NamespaceView>,
    deployments: ViewStore<WorkloadView>,
    statefulsets: ViewStore<WorkloadView>,
    replicasets: ViewStore<ReplicaSetView>,
    pods: ViewStore<PodView>,
    events: ViewStore<EventView>,
    pdbs: ViewStore<PdbView>,
    quotas: ViewStore<QuotaView>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Watches {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn scoped<K>(conn: &Connection, scope: &Scope) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match scope {
        Scope::All => Api::all(conn.client()),
        Scope::Namespace(ns) => Api::namespaced(conn.client(), ns),
    }
}

/// Where a watcher sends its notices, and the tasks of one [`Watches`].
struct Spawner<'a> {
    conn: &'a Connection,
    tx: mpsc::Sender<WatchSignal>,
    tasks: Vec<JoinHandle<()>>,
}

impl Spawner<'_> {
    fn spawn<K, V>(&mut self, api: Api<K>, kind: &'static str, view: fn(&K) -> V) -> ViewStore<V>
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
        K::DynamicType: Default + Eq + std::hash::Hash + Clone,
        V: PartialEq + Send + Sync + 'static,
    {
        let store = ViewStore::new();
        let w = Follow { conn: self.conn.clone(), kind, store: store.clone(), view, tx: self.tx.clone() };
        self.tasks.push(tokio::spawn(w.run(api)));
        store
    }
}

/// One kind's watcher feeding its [`ViewStore`].
struct Follow<K, V> {
    conn: Connection,
    kind: &'static str,
    store: ViewStore<V>,
    view: fn(&K) -> V,
    tx: mpsc::Sender<WatchSignal>,
}

impl<K, V> Follow<K, V>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
    V: PartialEq + Send + Sync + 'static,
{
    /// On an error it reports, backs off (exponentially, up to [`MAX_BACKOFF`]) and starts a
    /// fresh watcher, whose re-list replaces the store's content and proves the connection
    /// works again (a silently resumed watch would not).
    async fn run(self, api: Api<K>) {
        let kind = self.kind;
        let mut backoff = MIN_BACKOFF;
        loop {
            let mut stream = std::pin::pin!(watcher(api.clone(), watcher::Config::default()));
            while let Some(item) = stream.next().await {
                let signal = match item {
                    Ok(ev) => {
                        let changed = self.store.apply(&ev, self.view);
                        backoff = MIN_BACKOFF;
                        let state = matches!(ev, watcher::Event::Init | watcher::Event::InitDone);
                        if !changed && !state {
                            continue;
                        }
                        WatchSignal::Changed { kind, initial_done: matches!(ev, watcher::Event::InitDone) }
                    }
                    Err(e) => WatchSignal::Failed { kind, error: watch_error(&self.conn, e) },
                };
                let failed = matches!(signal, WatchSignal::Failed { .. });
                let carries_state = failed || matches!(signal, WatchSignal::Changed { initial_done: true, .. });
                if carries_state {
                    // "Listed" and "failed" change the connection state: they must arrive, even
                    // when a large initial list has filled the channel with change notices.
                    if self.tx.send(signal).await.is_err() {
                        return;
                    }
                } else if let Err(mpsc::error::TrySendError::Closed(_)) = self.tx.try_send(signal) {
                    // A full channel already holds a notice that will trigger a snapshot.
                    return;
                }
                if failed {
                    break;
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

pub(crate) fn watch_error(conn: &Connection, err: watcher::Error) -> ClusterError {
    match err {
        watcher::Error::InitialListFailed(e) | watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => conn.error(e),
        watcher::Error::WatchError(status) => conn.error(kube::Error::Api(status)),
        watcher::Error::NoResourceVersion => ClusterError::Request { detail: err.to_string() },
    }
}

/// Starts one watcher per kind for `scope`; change notices go to `tx`.
pub fn start(conn: &Connection, scope: &Scope, tx: mpsc::Sender<WatchSignal>) -> Watches {
    let mut s = Spawner { conn, tx, tasks: Vec::new() };
    let ns_api: Api<Namespace> = Api::all(conn.client());
    Watches {
        namespaces: s.spawn(ns_api, KINDS[0], convert::namespace_view),
        deployments: s.spawn(scoped::<Deployment>(conn, scope), KINDS[1], convert::deployment_view),
        statefulsets: s.spawn(scoped::<StatefulSet>(conn, scope), KINDS[2], convert::statefulset_view),
        replicasets: s.spawn(scoped::<ReplicaSet>(conn, scope), KINDS[3], convert::replicaset_view),
        pods: s.spawn(scoped::<Pod>(conn, scope), KINDS[4], convert::pod_view),
        events: s.spawn(scoped::<Event>(conn, scope), KINDS[5], convert::event_view),
        pdbs: s.spawn(scoped::<PodDisruptionBudget>(conn, scope), KINDS[6], convert::pdb_view),
        quotas: s.spawn(scoped::<ResourceQuota>(conn, scope), KINDS[7], convert::quota_view),
        tasks: s.tasks,
    }
}

/// The views themselves, for the small lists the snapshot owns.
fn owned<V: Clone + PartialEq>(store: &ViewStore<V>) -> Vec<V> {
    store.lock().items.values().map(|v| (**v).clone()).collect()
}

impl Watches {
    /// One view of all stores, sorted by (namespace, name); events newest first. The large
    /// lists (workloads, ReplicaSets, pods) share their views with the stores.
    pub fn snapshot(&self) -> ClusterSnapshot {
        let namespaces = owned(&self.namespaces);
        let mut workloads = self.deployments.values();
        workloads.extend(self.statefulsets.values());
        // Two sorted runs: the sort merges them in linear time.
        workloads.sort_by(|a, b| a.namespace.cmp(&b.namespace).then_with(|| a.name.cmp(&b.name)).then_with(|| a.kind.cmp(&b.kind)));
        let mut events = self.events.values();
        events.sort_by(|a, b| (b.last_seen, &a.namespace, &a.object, &a.reason).cmp(&(a.last_seen, &b.namespace, &b.object, &b.reason)));
        let events = events.iter().take(MAX_EVENTS).map(|e| (**e).clone()).collect();
        ClusterSnapshot {
            namespaces,
            workloads,
            replicasets: self.replicasets.values(),
            pods: self.pods.values(),
            events,
            pdbs: owned(&self.pdbs),
            quotas: owned(&self.quotas),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use k8s_openapi::api::core::v1::{Pod, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use kube::runtime::watcher::Event;

    use super::*;

    fn pod(name: &str, rv: &str, phase: &str) -> Pod {
        let metadata =
            ObjectMeta { name: Some(name.into()), namespace: Some("ns".into()), resource_version: Some(rv.into()), ..Default::default() };
        Pod { metadata, status: Some(PodStatus { phase: Some(phase.into()), ..Default::default() }), ..Default::default() }
    }

    fn names(s: &ViewStore<PodView>) -> Vec<(String, String)> {
        s.values().iter().map(|p| (p.name.clone(), p.status.clone())).collect()
    }

    #[test]
    fn only_changes_the_screens_see_are_changes() {
        let s = ViewStore::new();
        assert!(s.apply(&Event::Apply(pod("a", "1", "Pending")), convert::pod_view));
        let before = s.values();
        // A new resourceVersion (or annotation, managed fields…) with the same view is no change
        // and keeps the view the snapshots share.
        assert!(!s.apply(&Event::Apply(pod("a", "2", "Pending")), convert::pod_view));
        assert!(Arc::ptr_eq(&before[0], &s.values()[0]));
        assert!(s.apply(&Event::Apply(pod("a", "3", "Running")), convert::pod_view));
        assert_eq!(names(&s), [("a".to_string(), "Running".to_string())]);
        assert!(s.apply(&Event::Delete(pod("a", "4", "Running")), convert::pod_view));
        assert!(!s.apply(&Event::Delete(pod("a", "4", "Running")), convert::pod_view));
        assert!(names(&s).is_empty());
    }

    #[test]
    fn a_relist_replaces_the_views_and_keeps_unchanged_ones_shared() {
        let s = ViewStore::new();
        for p in [pod("b", "1", "Running"), pod("a", "1", "Running"), pod("gone", "1", "Running")] {
            s.apply(&Event::Apply(p), convert::pod_view);
        }
        let kept = s.values()[0].clone();
        assert!(!s.apply(&Event::Init, convert::pod_view));
        assert!(!s.apply(&Event::InitApply(pod("a", "5", "Running")), convert::pod_view));
        assert!(!s.apply(&Event::InitApply(pod("b", "5", "Failed")), convert::pod_view));
        // Until the list is complete, the old views stay.
        assert_eq!(names(&s).len(), 3);
        assert!(s.apply(&Event::InitDone, convert::pod_view));
        assert_eq!(names(&s), [("a".to_string(), "Running".to_string()), ("b".to_string(), "Failed".to_string())]);
        assert!(Arc::ptr_eq(&kept, &s.values()[0]), "an unchanged view is not copied by a re-list");
    }
}
