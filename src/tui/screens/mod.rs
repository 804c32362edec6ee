//! Screens: each owns its list state; rows come from the cluster data.
//! `Dashboard` (workloads + pods + events + PDB/quota), resource lists (`:deploy`, `:sts`,
//! `:pods`, `:events`, `:ns`), a workload's detail (ReplicaSets + pods), a pod's detail, and
//! the audit journal (`:journal`) and the sync-window calendar (`:cal`).
pub mod calendar;
pub mod changes;
pub mod changes_view;
pub mod dashboard;
pub mod dashboard_panels;
pub mod detail;
pub mod journal;
pub mod journal_detail;
pub mod journal_view;
pub mod list;
pub mod rows;
pub mod run;
pub mod table;

use chrono::{DateTime, Utc};

use self::list::ListState;
use self::rows::{Row, Target};
use crate::model::{ObjectKey, WorkloadKind};
use crate::tui::state::ClusterData;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Deployments,
    StatefulSets,
    Pods,
    Events,
    Namespaces,
    /// The kubeconfig's contexts (`:ctx`); enter switches.
    Contexts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenKind {
    Dashboard,
    List(ListKind),
    Workload(ObjectKey),
    Pod {
        namespace: String,
        name: String,
    },
    /// The audit journal (its state lives in `AppState::journal`).
    Journal,
    /// The sync-window calendar (its state lives in `AppState::calendar`).
    Calendar,
    /// The change run (its state lives in `AppState::run`).
    Run,
    /// The change requests (their state lives in `AppState::changes`).
    Changes,
}

#[derive(Debug, Clone)]
pub struct Screen {
    pub kind: ScreenKind,
    pub list: ListState,
}

impl Screen {
    pub fn new(kind: ScreenKind) -> Screen {
        Screen { kind, list: ListState::default() }
    }

    /// Breadcrumb / title, k9s style: `deployments(all)`, `pods(payments/web)`.
    pub fn title(&self, data: &ClusterData) -> String {
        let scope = match &data.scope {
            crate::model::Scope::All => "all".to_string(),
            crate::model::Scope::Namespace(ns) => ns.clone(),
        };
        match &self.kind {
            ScreenKind::Dashboard => format!("workloads({scope})"),
            ScreenKind::List(ListKind::Deployments) => format!("deployments({scope})"),
            ScreenKind::List(ListKind::StatefulSets) => format!("statefulsets({scope})"),
            ScreenKind::List(ListKind::Pods) => format!("pods({scope})"),
            ScreenKind::List(ListKind::Events) => format!("events({scope})"),
            ScreenKind::List(ListKind::Namespaces) => "namespaces".to_string(),
            ScreenKind::List(ListKind::Contexts) => "contexts".to_string(),
            ScreenKind::Workload(k) => format!("{}({}/{})", k.kind.to_lowercase(), k.namespace, k.name),
            ScreenKind::Pod { namespace, name } => format!("pod({namespace}/{name})"),
            ScreenKind::Journal => "journal".to_string(),
            ScreenKind::Calendar => "calendar".to_string(),
            ScreenKind::Run => "run".to_string(),
            ScreenKind::Changes => "changes".to_string(),
        }
    }

    /// The selectable rows before filter and sort (scope applied).
    pub fn rows(&self, data: &ClusterData, now: DateTime<Utc>) -> Vec<Row> {
        let snap = &data.snapshot;
        let workloads = |kind: Option<WorkloadKind>| {
            snap.workloads
                .iter()
                .filter(|w| data.in_scope(&w.namespace) && kind.is_none_or(|k| w.kind == k))
                .map(|w| rows::workload_row(w, now))
                .collect()
        };
        match &self.kind {
            ScreenKind::Dashboard => workloads(None),
            ScreenKind::List(ListKind::Deployments) => workloads(Some(WorkloadKind::Deployment)),
            ScreenKind::List(ListKind::StatefulSets) => workloads(Some(WorkloadKind::StatefulSet)),
            ScreenKind::List(ListKind::Pods) => {
                snap.pods.iter().filter(|p| data.in_scope(&p.namespace)).map(|p| rows::pod_row(p, now)).collect()
            }
            ScreenKind::List(ListKind::Events) => {
                snap.events.iter().filter(|e| data.in_scope(&e.namespace)).map(|e| rows::event_row(e, now)).collect()
            }
            ScreenKind::List(ListKind::Namespaces) => snap.namespaces.iter().map(|n| rows::ns_row(n, now)).collect(),
            ScreenKind::List(ListKind::Contexts) => {
                let info = &data.context;
                info.contexts.iter().map(|c| rows::ctx_row(c, c == &info.context)).collect()
            }
            ScreenKind::Workload(key) => match rows::find_workload(snap, key) {
                Some(w) => rows::pods_of(snap, w).map(|p| rows::pod_row(p, now)).collect(),
                None => Vec::new(),
            },
            ScreenKind::Pod { namespace, name } => snap
                .pods
                .iter()
                .filter(|p| &p.namespace == namespace && &p.name == name)
                .flat_map(|p| p.containers.iter().map(|c| rows::container_row(namespace, name, c)))
                .collect(),
            // The journal and calendar screens keep their own rows.
            ScreenKind::Journal | ScreenKind::Calendar | ScreenKind::Run | ScreenKind::Changes => Vec::new(),
        }
    }

    /// Rows as shown: filtered and sorted.
    pub fn visible_rows(&self, data: &ClusterData, now: DateTime<Utc>) -> Vec<Row> {
        self.list.apply(self.rows(data, now))
    }

    /// The selected row's target.
    pub fn selected_target(&self, data: &ClusterData, now: DateTime<Utc>) -> Target {
        self.visible_rows(data, now).into_iter().nth(self.list.selected).map(|r| r.target).unwrap_or(Target::None)
    }

    /// What `y` shows: the selected row's object, or the screen's own object.
    pub fn yaml_key(&self, data: &ClusterData, now: DateTime<Utc>) -> Option<ObjectKey> {
        match (self.selected_target(data, now), &self.kind) {
            (Target::Workload(k) | Target::Object(k), _) => Some(k),
            (Target::Pod { namespace, name }, _) => Some(ObjectKey { kind: "Pod".into(), namespace, name }),
            (_, ScreenKind::Pod { namespace, name }) => {
                Some(ObjectKey { kind: "Pod".into(), namespace: namespace.clone(), name: name.clone() })
            }
            (_, ScreenKind::Workload(k)) => Some(k.clone()),
            _ => None,
        }
    }
}
