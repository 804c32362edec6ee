//! The simulated cluster's controllers: Deployment, ReplicaSet, StatefulSet, a kubelet and
//! scheduler stand-in, the garbage collector, Velero, Argo CD application health, and the
//! Events they record. Each round re-lists the store, computes what should be and writes the
//! difference (level-based and idempotent; a Conflict is simply retried next round). Rounds run
//! on every store change and on a short tick for time-based steps.
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

/// Runs all controllers until the task is aborted.
/// `root_ca` is the PEM published in every namespace's `kube-root-ca.crt`.
pub fn spawn(store: Arc<dyn SimStore>, behavior: Behavior, root_ca: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(store, Controllers::new(behavior).with_root_ca(root_ca)))
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

/// How often an idle cluster (no pod or backup in a timed step) is re-checked.
const IDLE_TICK: Duration = Duration::from_secs(1);

async fn run(store: Arc<dyn SimStore>, mut ctl: Controllers) {
    let mut rx = store.subscribe();
    let tick = Duration::from_millis((ctl.behavior.pod_step_ms / 4).clamp(5, 100));
    builtins::seed(&*store);
    ctl.round(&*store, Wake { gc: true, ..Wake::default() });
    loop {
        let mut wake = Wake::default();
        tokio::select! {
            r = rx.recv() => match r {
                Ok(c) => wake.note(&c),
                Err(RecvError::Lagged(_)) => wake.gc = true,
                Err(RecvError::Closed) => return,
            },
            () = tokio::time::sleep(if ctl.busy() { tick } else { IDLE_TICK }) => {}
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

    /// One reconcile pass of every controller.
    pub fn round(&mut self, store: &dyn SimStore, wake: Wake) {
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
