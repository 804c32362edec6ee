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

use std::cell::RefCell;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use self::list::ListState;
use self::rows::{Row, SortKeys, Target};
use crate::model::{ObjectKey, Scope, WorkloadKind};
use crate::tui::action::SortKey;
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
    /// The visible rows as indices into the screen's source list, and what they were
    /// computed from: frames and keys reuse them until the data, scope, filter or sort change.
    cache: RefCell<Option<(ViewKey, Arc<[usize]>)>>,
}

/// What a screen's visible rows depend on.
#[derive(Debug, Clone, PartialEq)]
struct ViewKey {
    generation: u64,
    scope: Scope,
    filter: Option<String>,
    sort: Option<(SortKey, bool)>,
    /// Only with a filter: it matches the AGE column too, which follows the clock.
    now: Option<DateTime<Utc>>,
}

impl Screen {
    pub fn new(kind: ScreenKind) -> Screen {
        Screen { kind, list: ListState::default(), cache: RefCell::new(None) }
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

    /// The selectable items before filter and sort (scope applied), as indices into the
    /// source list of this screen's kind (see [`Screen::row`]).
    fn items(&self, data: &ClusterData) -> Vec<usize> {
        let snap = &data.snapshot;
        let workloads = |kind: Option<WorkloadKind>| {
            snap.workloads
                .iter()
                .enumerate()
                .filter(|(_, w)| data.in_scope(&w.namespace) && kind.is_none_or(|k| w.kind == k))
                .map(|(i, _)| i)
                .collect()
        };
        match &self.kind {
            ScreenKind::Dashboard => workloads(None),
            ScreenKind::List(ListKind::Deployments) => workloads(Some(WorkloadKind::Deployment)),
            ScreenKind::List(ListKind::StatefulSets) => workloads(Some(WorkloadKind::StatefulSet)),
            ScreenKind::List(ListKind::Pods) => {
                snap.pods.iter().enumerate().filter(|(_, p)| data.in_scope(&p.namespace)).map(|(i, _)| i).collect()
            }
            ScreenKind::List(ListKind::Events) => {
                snap.events.iter().enumerate().filter(|(_, e)| data.in_scope(&e.namespace)).map(|(i, _)| i).collect()
            }
            ScreenKind::List(ListKind::Namespaces) => (0..snap.namespaces.len()).collect(),
            ScreenKind::List(ListKind::Contexts) => (0..data.context.contexts.len()).collect(),
            ScreenKind::Workload(key) => match rows::find_workload(snap, key) {
                Some(w) => rows::pod_indices_of(snap, w).collect(),
                None => Vec::new(),
            },
            ScreenKind::Pod { namespace, name } => (0..rows::find_pod(snap, namespace, name).map_or(0, |p| p.containers.len())).collect(),
            // The journal and calendar screens keep their own rows.
            ScreenKind::Journal | ScreenKind::Calendar | ScreenKind::Run | ScreenKind::Changes => Vec::new(),
        }
    }

    /// The row of item `i` of this screen's source list.
    fn row(&self, data: &ClusterData, i: usize, now: DateTime<Utc>) -> Option<Row> {
        let snap = &data.snapshot;
        match &self.kind {
            ScreenKind::Dashboard | ScreenKind::List(ListKind::Deployments | ListKind::StatefulSets) => {
                snap.workloads.get(i).map(|w| rows::workload_row(w, now))
            }
            ScreenKind::List(ListKind::Pods) | ScreenKind::Workload(_) => snap.pods.get(i).map(|p| rows::pod_row(p, now)),
            ScreenKind::List(ListKind::Events) => snap.events.get(i).map(|e| rows::event_row(e, now)),
            ScreenKind::List(ListKind::Namespaces) => snap.namespaces.get(i).map(|n| rows::ns_row(n, now)),
            ScreenKind::List(ListKind::Contexts) => {
                let info = &data.context;
                info.contexts.get(i).map(|c| rows::ctx_row(c, c == &info.context))
            }
            ScreenKind::Pod { namespace, name } => {
                rows::find_pod(snap, namespace, name).and_then(|p| p.containers.get(i)).map(|c| rows::container_row(namespace, name, c))
            }
            ScreenKind::Journal | ScreenKind::Calendar | ScreenKind::Run | ScreenKind::Changes => None,
        }
    }

    /// The sort keys of item `i` (the row's name, status and created, without its cells).
    fn keys<'a>(&self, data: &'a ClusterData, i: usize) -> Option<SortKeys<'a>> {
        let snap = &data.snapshot;
        match &self.kind {
            ScreenKind::Dashboard | ScreenKind::List(ListKind::Deployments | ListKind::StatefulSets) => {
                snap.workloads.get(i).map(|w| rows::workload_keys(w))
            }
            ScreenKind::List(ListKind::Pods) | ScreenKind::Workload(_) => snap.pods.get(i).map(|p| rows::pod_keys(p)),
            ScreenKind::List(ListKind::Events) => snap.events.get(i).map(rows::event_keys),
            ScreenKind::List(ListKind::Namespaces) => snap.namespaces.get(i).map(rows::ns_keys),
            ScreenKind::List(ListKind::Contexts) => data.context.contexts.get(i).map(|c| rows::ctx_keys(c)),
            ScreenKind::Pod { namespace, name } => {
                rows::find_pod(snap, namespace, name).and_then(|p| p.containers.get(i)).map(rows::container_keys)
            }
            ScreenKind::Journal | ScreenKind::Calendar | ScreenKind::Run | ScreenKind::Changes => None,
        }
    }

    /// Whether item `i` is the object `target` names (without building its row for the kinds
    /// with many rows).
    fn is_target(&self, data: &ClusterData, i: usize, target: &Target, now: DateTime<Utc>) -> bool {
        let snap = &data.snapshot;
        match (&self.kind, target) {
            (ScreenKind::Dashboard | ScreenKind::List(ListKind::Deployments | ListKind::StatefulSets), Target::Workload(k)) => {
                snap.workloads.get(i).is_some_and(|w| w.name == k.name && w.namespace == k.namespace && rows::kind_name(w.kind) == k.kind)
            }
            (ScreenKind::List(ListKind::Pods) | ScreenKind::Workload(_), Target::Pod { namespace, name }) => {
                snap.pods.get(i).is_some_and(|p| &p.name == name && &p.namespace == namespace)
            }
            _ => self.row(data, i, now).is_some_and(|r| &r.target == target),
        }
    }

    /// The visible items (filtered and sorted), computed once per change of what they
    /// depend on.
    fn visible(&self, data: &ClusterData, now: DateTime<Utc>) -> Arc<[usize]> {
        let key = ViewKey {
            generation: data.generation,
            scope: data.scope.clone(),
            filter: self.list.filter.as_ref().map(|f| f.text.clone()),
            sort: self.list.sort,
            now: self.list.filter.as_ref().map(|_| now),
        };
        if let Some((k, items)) = &*self.cache.borrow()
            && *k == key
        {
            return items.clone();
        }
        let mut items = self.items(data);
        if let Some(f) = &self.list.filter {
            items.retain(|i| self.row(data, *i, now).is_some_and(|r| f.keeps(&r)));
        }
        if let Some(sort) = self.list.sort {
            items.sort_by(|a, b| match (self.keys(data, *a), self.keys(data, *b)) {
                (Some(ka), Some(kb)) => list::compare(sort, &ka, &kb),
                _ => std::cmp::Ordering::Equal,
            });
        }
        let items: Arc<[usize]> = items.into();
        *self.cache.borrow_mut() = Some((key, items.clone()));
        items
    }

    /// How many rows the screen shows (filtered).
    pub fn visible_len(&self, data: &ClusterData, now: DateTime<Utc>) -> usize {
        self.visible(data, now).len()
    }

    /// The shown rows `first..first + count` (filtered and sorted); only these are built.
    pub fn visible_window(&self, data: &ClusterData, now: DateTime<Utc>, first: usize, count: usize) -> Vec<Row> {
        self.visible(data, now).iter().skip(first).take(count).filter_map(|i| self.row(data, *i, now)).collect()
    }

    /// Every row as shown: filtered and sorted. Builds them all: the views draw
    /// [`Screen::visible_window`] instead.
    pub fn visible_rows(&self, data: &ClusterData, now: DateTime<Utc>) -> Vec<Row> {
        self.visible_window(data, now, 0, usize::MAX)
    }

    /// The target of shown row `index`.
    pub fn target_at(&self, data: &ClusterData, now: DateTime<Utc>, index: usize) -> Option<Target> {
        let item = *self.visible(data, now).get(index)?;
        self.row(data, item, now).map(|r| r.target)
    }

    /// The shown row of the object `target` names.
    pub fn position_of(&self, data: &ClusterData, now: DateTime<Utc>, target: &Target) -> Option<usize> {
        self.visible(data, now).iter().position(|i| self.is_target(data, *i, target, now))
    }

    /// The rows changed: the selection follows its object (see [`ListState::follow`]).
    pub fn follow(&mut self, data: &ClusterData, now: DateTime<Utc>) {
        match self.list.anchor.as_ref().and_then(|a| self.position_of(data, now, a)) {
            Some(i) => self.list.selected = i,
            None => {
                self.list.clamp(self.visible_len(data, now));
                self.list.anchor = self.target_at(data, now, self.list.selected);
            }
        }
    }

    /// The selected row's target.
    pub fn selected_target(&self, data: &ClusterData, now: DateTime<Utc>) -> Target {
        self.target_at(data, now, self.list.selected).unwrap_or(Target::None)
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
