//! The simulated cluster's controllers: Deployment, ReplicaSet, StatefulSet, a kubelet and
//! scheduler stand-in, the garbage collector, Velero, Argo CD application health, and the
//! Events they record. Each round re-lists the store, computes what should be and writes the
//! difference (level-based and idempotent; a Conflict is simply retried next round).
//!
//! Rounds run on store changes (a burst of them is one round), on a short tick while a timed
//! step is pending (`busy`: pod phases, back-offs, backups, self-heal), at the earliest time a
//! controller said a condition will flip ([`wake_at`]: progress deadlines, minReadySeconds,
//! PDB disruption timeouts), and otherwise every [`RESYNC`] as a safety net. A cluster where
//! nothing changes and nothing is due does no work.
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::sim::scenario::Behavior;
use crate::sim::store_api::{SimStore, StoreChange, kinds};

pub mod argocd;
pub mod argocd_sync;
pub mod builtins;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
mod deployment_rollout;
mod deployment_status;
pub mod disruption;
pub mod endpoints;
pub mod events;
pub mod gc;
pub mod job;
pub mod kubelet;
mod kubelet_containers;
mod kubelet_finish;
mod kubelet_stop;
pub mod namespaces;
pub mod obj;
pub mod quota;
pub mod replicaset;
mod scheduling;
pub mod statefulset;
pub mod velero;
pub mod volumes;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod fake_store;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

/// The running controllers; they stop on [`ControllersHandle::abort`] or when it is dropped.
pub struct ControllersHandle {
    stop: tokio::sync::watch::Sender<bool>,
}

impl ControllersHandle {
    pub fn abort(&self) {
        self.stop.send_replace(true);
    }
}

/// Runs all controllers on a thread of their own (rounds are synchronous: the server's
/// threads stay free for requests, and the rounds' short-lived copies stay in one allocator
/// arena instead of growing every worker's) until aborted or dropped.
/// `root_ca` is the PEM published in every namespace's `kube-root-ca.crt`.
pub fn spawn(store: Arc<dyn SimStore>, behavior: Behavior, root_ca: String) -> std::io::Result<ControllersHandle> {
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let ctl = Controllers::new(behavior).with_root_ca(root_ca);
    std::thread::Builder::new().name("sim-controllers".into()).spawn(move || {
        runtime.block_on(async move {
            tokio::select! {
                () = run(store, ctl) => {}
                // Aborted, or the handle was dropped.
                _ = stopped.wait_for(|s| *s) => {}
            }
        });
    })?;
    Ok(ControllersHandle { stop })
}

/// What woke a round up.
#[derive(Default)]
pub struct Wake {
    /// Something was deleted (or changes were missed): look for orphans.
    pub gc: bool,
    pub deleted_namespaces: Vec<String>,
}

impl Wake {
    fn note(&mut self, change: &StoreChange) {
        if change.event_type == "DELETED" {
            self.gc = true;
            if change.kind == kinds::NAMESPACE {
                self.deleted_namespaces.push(obj::name(&change.object).to_string());
            }
        }
    }
}

/// How often a cluster with nothing changing, nothing busy and nothing due is re-checked
/// anyway (a time-based rule that does not call [`wake_at`] is late by at most this much).
pub const RESYNC: Duration = Duration::from_secs(30);

thread_local! {
    /// The earliest time a controller of the running round said a condition flips.
    static DUE: Cell<Option<chrono::DateTime<chrono::Utc>>> = const { Cell::new(None) };
}

/// A controller's time-based condition flips at `t` (a deadline passes, a pod becomes
/// available): the loop runs a round then even if nothing changes. Past times are ignored.
pub fn wake_at(t: chrono::DateTime<chrono::Utc>) {
    if t > chrono::Utc::now() {
        DUE.with(|d| d.set(Some(d.get().map_or(t, |old| old.min(t)))));
    }
}

async fn run(store: Arc<dyn SimStore>, mut ctl: Controllers) {
    let mut rx = store.subscribe();
    let tick = Duration::from_millis((ctl.behavior.pod_step_ms / 4).clamp(5, 100));
    builtins::seed(&*store);
    ctl.round(&*store, Wake { gc: true, ..Wake::default() });
    loop {
        let mut wake = Wake::default();
        let idle = if ctl.busy() { tick } else { ctl.until_due().map_or(RESYNC, |d| d.min(RESYNC)) };
        tokio::select! {
            r = rx.recv() => match r {
                Ok(c) => wake.note(&c),
                Err(RecvError::Lagged(_)) => wake.gc = true,
                Err(RecvError::Closed) => return,
            },
            () = tokio::time::sleep(idle) => {}
        }
        loop {
            match rx.try_recv() {
                Ok(c) => wake.note(&c),
                Err(TryRecvError::Lagged(_)) => wake.gc = true,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => return,
            }
        }
        ctl.round(&*store, wake);
        // Coalesce the burst of changes our own writes cause into the next round.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

/// The controllers' in-memory state (timers, event aggregation).
pub struct Controllers {
    behavior: Behavior,
    recorder: events::Recorder,
    kubelet: kubelet::Kubelet,
    velero: velero::Velero,
    argo: argocd_sync::ArgoSync,
    root_ca: String,
    /// The earliest [`wake_at`] of the last round.
    due: Option<chrono::DateTime<chrono::Utc>>,
}

impl Controllers {
    pub fn new(behavior: Behavior) -> Self {
        Self {
            recorder: events::Recorder::new(behavior.events),
            kubelet: kubelet::Kubelet::default(),
            velero: velero::Velero::default(),
            argo: argocd_sync::ArgoSync::default(),
            behavior,
            root_ca: String::new(),
            due: None,
        }
    }

    /// The CA certificate (PEM) published as `kube-root-ca.crt` in every namespace.
    pub fn with_root_ca(mut self, pem: String) -> Self {
        self.root_ca = pem;
        self
    }

    /// Whether a timed step (pod phase, back-off, backup) is pending.
    pub fn busy(&self) -> bool {
        self.kubelet.busy() || self.velero.busy() || self.argo.busy()
    }

    /// How long until the earliest time-based condition of the last round flips (a little
    /// after it, so the round sees it flipped).
    pub fn until_due(&self) -> Option<Duration> {
        let due = self.due? + chrono::Duration::milliseconds(20);
        Some((due - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO))
    }

    /// One reconcile pass of every controller.
    pub fn round(&mut self, store: &dyn SimStore, wake: Wake) {
        DUE.with(|d| d.set(None));
        self.reconcile_all(store, wake);
        self.due = DUE.with(Cell::take);
    }

    fn reconcile_all(&mut self, store: &dyn SimStore, wake: Wake) {
        for ns in &wake.deleted_namespaces {
            gc::namespace_deleted(store, ns);
        }
        if wake.gc {
            gc::collect(store);
        }
        namespaces::reconcile(store, &self.root_ca);
        deployment::reconcile(store, &mut self.recorder);
        statefulset::reconcile(store, &mut self.recorder);
        replicaset::reconcile(store, &mut self.recorder);
        daemonset::reconcile(store, &mut self.recorder);
        job::reconcile(store, &mut self.recorder);
        cronjob::reconcile(store, &mut self.recorder);
        endpoints::reconcile(store);
        volumes::reconcile(store);
        self.kubelet.reconcile(store, &self.behavior, &mut self.recorder);
        self.velero.reconcile(store, &self.behavior);
        argocd::reconcile(store, &mut self.argo, Duration::from_millis(self.behavior.self_heal_ms));
        disruption::reconcile(store);
        quota::reconcile(store);
    }
}
