//! Watches (kube::runtime watchers feeding reflector stores) for everything the dashboard
//! shows, and the snapshot built from the stores. No periodic lists: each watcher lists once,
//! then follows the watch, and re-lists only after a watch error (with backoff).

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod, ResourceQuota};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::Api;
use kube::runtime::reflector::{self, Store, store::Writer};
use kube::runtime::watcher;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connect::Connection;
use super::convert;
use super::error::ClusterError;
use crate::model::{ClusterSnapshot, Scope};

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

/// The running watches of one scope. Dropping it stops them.
pub struct Watches {
    namespaces: Store<Namespace>,
    deployments: Store<Deployment>,
    statefulsets: Store<StatefulSet>,
    replicasets: Store<ReplicaSet>,
    pods: Store<Pod>,
    events: Store<Event>,
    pdbs: Store<PodDisruptionBudget>,
    quotas: Store<ResourceQuota>,
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

fn spawn_watch<K>(
    conn: &Connection,
    api: Api<K>,
    kind: &'static str,
    tx: mpsc::Sender<WatchSignal>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Store<K>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    let (reader, writer) = reflector::store();
    tasks.push(tokio::spawn(follow(conn.clone(), api, kind, writer, tx)));
    reader
}

/// Feeds one kind's store from a watcher. On an error it reports, backs off (exponentially,
/// up to [`MAX_BACKOFF`]) and starts a fresh watcher, whose re-list replaces the store's
/// content and proves the connection works again (a silently resumed watch would not).
async fn follow<K>(conn: Connection, api: Api<K>, kind: &'static str, mut writer: Writer<K>, tx: mpsc::Sender<WatchSignal>)
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    let mut backoff = MIN_BACKOFF;
    loop {
        let mut stream = std::pin::pin!(watcher(api.clone(), watcher::Config::default()));
        while let Some(item) = stream.next().await {
            let signal = match item {
                Ok(ev) => {
                    writer.apply_watcher_event(&ev);
                    backoff = MIN_BACKOFF;
                    WatchSignal::Changed { kind, initial_done: matches!(ev, watcher::Event::InitDone) }
                }
                Err(e) => WatchSignal::Failed { kind, error: watch_error(&conn, e) },
            };
            let failed = matches!(signal, WatchSignal::Failed { .. });
            let carries_state = failed || matches!(signal, WatchSignal::Changed { initial_done: true, .. });
            if carries_state {
                // "Listed" and "failed" change the connection state: they must arrive, even
                // when a large initial list has filled the channel with change notices.
                if tx.send(signal).await.is_err() {
                    return;
                }
            } else if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(signal) {
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

pub(crate) fn watch_error(conn: &Connection, err: watcher::Error) -> ClusterError {
    match err {
        watcher::Error::InitialListFailed(e) | watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => conn.error(e),
        watcher::Error::WatchError(status) => conn.error(kube::Error::Api(status)),
        watcher::Error::NoResourceVersion => ClusterError::Request { detail: err.to_string() },
    }
}

/// Starts one watcher per kind for `scope`; change notices go to `tx`.
pub fn start(conn: &Connection, scope: &Scope, tx: mpsc::Sender<WatchSignal>) -> Watches {
    let mut tasks = Vec::new();
    let ns_api: Api<Namespace> = Api::all(conn.client());
    Watches {
        namespaces: spawn_watch(conn, ns_api, KINDS[0], tx.clone(), &mut tasks),
        deployments: spawn_watch(conn, scoped(conn, scope), KINDS[1], tx.clone(), &mut tasks),
        statefulsets: spawn_watch(conn, scoped(conn, scope), KINDS[2], tx.clone(), &mut tasks),
        replicasets: spawn_watch(conn, scoped(conn, scope), KINDS[3], tx.clone(), &mut tasks),
        pods: spawn_watch(conn, scoped(conn, scope), KINDS[4], tx.clone(), &mut tasks),
        events: spawn_watch(conn, scoped(conn, scope), KINDS[5], tx.clone(), &mut tasks),
        pdbs: spawn_watch(conn, scoped(conn, scope), KINDS[6], tx.clone(), &mut tasks),
        quotas: spawn_watch(conn, scoped(conn, scope), KINDS[7], tx, &mut tasks),
        tasks,
    }
}

impl Watches {
    /// One consistent view of all stores, sorted by (namespace, name); events newest first.
    pub fn snapshot(&self) -> ClusterSnapshot {
        let mut namespaces: Vec<_> = self.namespaces.state().iter().map(|n| convert::namespace_view(n)).collect();
        namespaces.sort_by(|a, b| a.name.cmp(&b.name));
        let mut workloads: Vec<_> = self.deployments.state().iter().map(|d| convert::deployment_view(d)).collect();
        workloads.extend(self.statefulsets.state().iter().map(|s| convert::statefulset_view(s)));
        workloads.sort_by(|a, b| a.namespace.cmp(&b.namespace).then_with(|| a.name.cmp(&b.name)).then_with(|| a.kind.cmp(&b.kind)));
        let mut replicasets: Vec<_> = self.replicasets.state().iter().map(|r| convert::replicaset_view(r)).collect();
        replicasets.sort_by(|a, b| a.namespace.cmp(&b.namespace).then_with(|| a.name.cmp(&b.name)));
        let mut pods: Vec<_> = self.pods.state().iter().map(|p| convert::pod_view(p)).collect();
        pods.sort_by(|a, b| a.namespace.cmp(&b.namespace).then_with(|| a.name.cmp(&b.name)));
        let mut events: Vec<_> = self.events.state().iter().map(|e| convert::event_view(e)).collect();
        events.sort_by(|a, b| (b.last_seen, &a.namespace, &a.object, &a.reason).cmp(&(a.last_seen, &b.namespace, &b.object, &b.reason)));
        events.truncate(MAX_EVENTS);
        let mut pdbs: Vec<_> = self.pdbs.state().iter().map(|p| convert::pdb_view(p)).collect();
        pdbs.sort_by(|a, b| a.namespace.cmp(&b.namespace).then_with(|| a.name.cmp(&b.name)));
        let mut quotas: Vec<_> = self.quotas.state().iter().map(|q| convert::quota_view(q)).collect();
        quotas.sort_by(|a, b| a.namespace.cmp(&b.namespace).then_with(|| a.name.cmp(&b.name)));
        ClusterSnapshot { namespaces, workloads, replicasets, pods, events, pdbs, quotas }
    }
}
