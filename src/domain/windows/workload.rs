//! "May this change run now?" for a workload, as a real Argo CD setup decides it.
//!
//! 1. Find the Argo CD Application that manages the workload: the annotation
//!    `argocd.argoproj.io/tracking-id` (`<app>:<group>/<kind>:<namespace>/<name>`, honoured
//!    only when it names this very object, as Argo CD checks), else the label
//!    `app.kubernetes.io/instance` (= the app name). `<app>` is `name`, or `namespace_name`
//!    for Applications outside Argo CD's own namespace.
//! 2. Managed: the windows of the Application's AppProject (`spec.project`, empty =
//!    `default`), matched with the Application's name and destination (namespace, server,
//!    name), exactly as Argo CD's `CanSync` does.
//! 3. Not managed: cabin's own windows file, matched with the workload's name and namespace
//!    (and the cluster's URL and context name for cluster patterns).
//! 4. Freezes first, for every workload. Anything that could not be read and might decide
//!    (freezes file, windows file, the project, the Applications) makes the verdict
//!    [`ClockState::Unknown`]: fail closed, never "no restriction".

use chrono::{DateTime, Utc};

use super::agenda::ProjectWindows;
use super::clock::{ClockState, change_clock};
use super::freeze::{ChangeTarget, Freeze};
use super::window::{AppTarget, SyncWindow};

/// The label Argo CD's label tracking sets (value: the app instance name).
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// The annotation Argo CD's annotation tracking sets.
pub const TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";

/// The Argo CD tracking metadata of a workload (copied from its labels and annotations).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Tracking {
    /// `metadata.labels["app.kubernetes.io/instance"]`.
    pub instance_label: Option<String>,
    /// `metadata.annotations["argocd.argoproj.io/tracking-id"]`.
    pub tracking_id: Option<String>,
}

/// The workload a change is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workload {
    /// API group (`apps` for Deployments and StatefulSets).
    pub group: String,
    /// `Deployment`, `StatefulSet`, …
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub tracking: Tracking,
}

/// The cluster the workload runs in (for cabin's own windows' cluster patterns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterRef {
    /// API server URL.
    pub server: String,
    /// kubeconfig context name.
    pub name: String,
}

/// An Argo CD Application (`argoproj.io/v1alpha1`), reduced to what windows need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgoApp {
    /// `metadata.namespace` (where the Application object lives, e.g. `argocd`).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.project` (empty = `default`).
    pub project: String,
    /// `spec.destination.server`.
    pub dest_server: String,
    /// `spec.destination.name`.
    pub dest_name: String,
    /// `spec.destination.namespace`.
    pub dest_namespace: String,
}

impl ArgoApp {
    /// The project Argo CD uses (`default` when `spec.project` is empty).
    pub fn project_name(&self) -> &str {
        if self.project.is_empty() { "default" } else { &self.project }
    }

    /// What its project's windows are matched against.
    pub fn target(&self) -> AppTarget {
        AppTarget {
            name: self.name.clone(),
            namespace: self.dest_namespace.clone(),
            server: self.dest_server.clone(),
            dest_name: self.dest_name.clone(),
        }
    }

    /// `namespace/name`.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// From an Application manifest or API object (`metadata`, `spec.project`,
    /// `spec.destination`); None when it has no name.
    pub fn from_manifest(v: &serde_json::Value) -> Option<ArgoApp> {
        let s = |v: Option<&serde_json::Value>| v.and_then(|x| x.as_str()).unwrap_or_default().to_string();
        let (meta, spec) = (v.get("metadata"), v.get("spec"));
        let dest = spec.and_then(|x| x.get("destination"));
        let app = ArgoApp {
            namespace: s(meta.and_then(|m| m.get("namespace"))),
            name: s(meta.and_then(|m| m.get("name"))),
            project: s(spec.and_then(|x| x.get("project"))),
            dest_server: s(dest.and_then(|d| d.get("server"))),
            dest_name: s(dest.and_then(|d| d.get("name"))),
            dest_namespace: s(dest.and_then(|d| d.get("namespace"))),
        };
        (!app.name.is_empty()).then_some(app)
    }
}

/// What a source that could not be read could have decided.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unreadable {
    /// The freezes file (freezes apply to every workload).
    Freezes,
    /// cabin's own windows file (workloads no Application manages).
    OwnWindows,
    /// One AppProject, by name.
    Project(String),
    /// AppProjects whose name is unknown (a document that is not valid YAML, a failing watch):
    /// decides for every Application whose project is not otherwise known.
    SomeProject,
    /// The Applications (the watch fails): decides for workloads that carry tracking metadata.
    Applications,
}

/// A source that could not be read, and why (shown as the UNKNOWN reason).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    pub scope: Unreadable,
    pub text: String,
}

/// Everything a decision may use. `projects` holds the AppProjects (`own == false`) and the
/// projects of cabin's own windows file (`own == true`, their windows evaluated together).
#[derive(Debug, Clone, Copy)]
pub struct WindowSources<'a> {
    pub applications: &'a [ArgoApp],
    pub projects: &'a [ProjectWindows],
    pub freezes: &'a [Freeze],
    pub problems: &'a [Problem],
    pub cluster: &'a ClusterRef,
}

/// Who decided: an Argo CD Application (and its project), or cabin's own windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decider {
    /// The Application `namespace/name` through its AppProject.
    Application { app: String, project: String },
    /// cabin's own windows file (no Application manages the workload).
    Cabin,
}

/// The answer for one workload at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The merged state; [`ClockState::Unknown`] when something that could decide is unreadable.
    pub verdict: ClockState,
    /// The managing Application (`namespace/name`), if any.
    pub app: Option<String>,
    /// The AppProject that decided (None: cabin's windows).
    pub project: Option<String>,
    /// How the Application was found, or why none / why unknown (one line, for screens and
    /// the preflight report).
    pub reason: String,
    /// What the windows were matched against (the Application's name and destination, or the
    /// workload's name and namespace with the cluster).
    pub target: AppTarget,
    /// The allow window that opens it (`ClockState::Open { window: Some(_) }`), named
    /// `project/kind#index` (index in its project).
    pub opened_by: Option<String>,
}

impl Decision {
    /// Who decided, for screens: `app argocd/web · project production` or `cabin windows`.
    pub fn decider(&self) -> Decider {
        match (&self.app, &self.project) {
            (Some(app), Some(project)) => Decider::Application { app: app.clone(), project: project.clone() },
            _ => Decider::Cabin,
        }
    }
}

/// `<app>:<group>/<kind>:<namespace>/<name>` → (app, group, kind, namespace, name).
pub fn parse_tracking_id(id: &str) -> Option<(&str, &str, &str, &str, &str)> {
    let (app, rest) = id.split_once(':')?;
    let (gk, nn) = rest.split_once(':')?;
    let (group, kind) = gk.split_once('/')?;
    let (ns, name) = nn.split_once('/')?;
    (!app.is_empty() && !kind.is_empty() && !name.is_empty()).then_some((app, group, kind, ns, name))
}

/// How the workload names its Application, with the evidence for the reason line.
fn app_ref(w: &Workload) -> Result<Option<(String, String)>, String> {
    if let Some(id) = &w.tracking.tracking_id {
        let Some((app, group, kind, ns, name)) = parse_tracking_id(id) else {
            return Err(format!("annotation {TRACKING_ANNOTATION}='{id}' is not <app>:<group>/<kind>:<namespace>/<name>"));
        };
        if group == w.group && kind == w.kind && ns == w.namespace && name == w.name {
            return Ok(Some((app.to_string(), format!("annotation {TRACKING_ANNOTATION}"))));
        }
        // Argo CD ignores a tracking id naming another object (copied resources).
    }
    Ok(w.tracking.instance_label.as_ref().filter(|v| !v.is_empty()).map(|v| (v.clone(), format!("label {INSTANCE_LABEL}"))))
}

/// The Application an app reference (`name` or `namespace_name`) names, if exactly one.
fn find_app<'a>(apps: &'a [ArgoApp], reference: &str) -> Result<Option<&'a ArgoApp>, String> {
    if let Some((ns, name)) = reference.split_once('_')
        && let Some(a) = apps.iter().find(|a| a.namespace == ns && a.name == name)
    {
        return Ok(Some(a));
    }
    let named: Vec<&ArgoApp> = apps.iter().filter(|a| a.name == reference).collect();
    match named.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => {
            let names: Vec<String> = many.iter().map(|a| a.qualified()).collect();
            Err(format!("'{reference}' names several Applications ({})", names.join(", ")))
        }
    }
}

fn problem_text(problems: &[Problem], scope: &Unreadable) -> Option<String> {
    let texts: Vec<&str> = problems.iter().filter(|p| &p.scope == scope).map(|p| p.text.as_str()).collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

fn unknown(reason: String, app: Option<&ArgoApp>, project: Option<String>) -> Decision {
    let target = app.map(ArgoApp::target).unwrap_or_default();
    let app = app.map(ArgoApp::qualified);
    Decision { verdict: ClockState::Unknown { reason: reason.clone() }, app, project, reason, target, opened_by: None }
}

/// The decision for `w` at `now`; see the module docs. Pure: the header clock calls it (a
/// change with labels, such as `emergency` for freeze exceptions: [`decide_for_change`]).
pub fn decide_for_workload(w: &Workload, src: &WindowSources<'_>, now: DateTime<Utc>) -> Decision {
    decide_for_change(w, &[], src, now)
}

/// [`decide_for_workload`] for a change carrying `labels` (freeze exceptions such as
/// `emergency`): what the preflight `window` check calls for each target.
pub fn decide_for_change(w: &Workload, labels: &[String], src: &WindowSources<'_>, now: DateTime<Utc>) -> Decision {
    let reference = match app_ref(w) {
        Ok(r) => r,
        Err(e) => return unknown(e, None, None),
    };
    let managed = match &reference {
        Some((r, how)) => match find_app(src.applications, r) {
            Ok(Some(app)) => Some((app, how.clone())),
            Ok(None) => match unmanaged_reference(src, r, how) {
                Ok(()) => None,
                Err(reason) => return unknown(reason, None, None),
            },
            Err(e) => return unknown(format!("{how}: {e}"), None, None),
        },
        None => None,
    };
    match managed {
        Some((app, how)) => decide_managed(app, &how, labels, src, now),
        None => decide_own(w, reference.as_ref().map(|(r, _)| r.as_str()), labels, src, now),
    }
}

/// A tracking reference that names no Application: a Helm release label is not Argo CD's,
/// so the label alone falls back to cabin's windows; the annotation is Argo CD's own, so an
/// Application we cannot see makes the answer unknown. Unreadable Applications: unknown.
fn unmanaged_reference(src: &WindowSources<'_>, reference: &str, how: &str) -> Result<(), String> {
    if let Some(p) = problem_text(src.problems, &Unreadable::Applications) {
        return Err(format!("{how} names Application '{reference}', and the Applications cannot be read: {p}"));
    }
    if how.starts_with("annotation") {
        return Err(format!("{how} names Application '{reference}', which this cluster does not hold (Argo CD elsewhere?)"));
    }
    Ok(())
}

fn decide_managed(app: &ArgoApp, how: &str, labels: &[String], src: &WindowSources<'_>, now: DateTime<Utc>) -> Decision {
    let project = app.project_name().to_string();
    let proj = Some(project.clone());
    let found = format!("Application {} (by {how}), project {project}", app.qualified());
    if let Some(p) = problem_text(src.problems, &Unreadable::Project(project.clone())) {
        return unknown(format!("{found}: the project cannot be read: {p}"), Some(app), proj);
    }
    let Some(windows) = src.projects.iter().find(|p| !p.own && p.project == project) else {
        let why = match problem_text(src.problems, &Unreadable::SomeProject) {
            Some(p) => format!("not among the AppProjects read, and some could not be read: {p}"),
            None => "no such AppProject (Argo CD refuses to sync the Application)".to_string(),
        };
        return unknown(format!("{found}: {why}"), Some(app), proj);
    };
    let target = ChangeTarget { app: app.target(), labels: labels.to_vec() };
    let verdict = with_freezes(src, &windows.windows, &target, now);
    let names: Vec<(String, usize)> = (0..windows.windows.len()).map(|i| (project.clone(), i)).collect();
    let opened_by = opened_by(&verdict, &windows.windows, &names);
    Decision { verdict, app: Some(app.qualified()), project: proj, reason: found, target: target.app, opened_by }
}

fn decide_own(w: &Workload, reference: Option<&str>, labels: &[String], src: &WindowSources<'_>, now: DateTime<Utc>) -> Decision {
    if let Some(p) = problem_text(src.problems, &Unreadable::OwnWindows) {
        return unknown(format!("no Argo CD Application manages it, and cabin's windows file cannot be read: {p}"), None, None);
    }
    let (mut windows, mut window_names): (Vec<SyncWindow>, Vec<(String, usize)>) = (Vec::new(), Vec::new());
    for p in src.projects.iter().filter(|p| p.own) {
        for (i, win) in p.windows.iter().enumerate() {
            windows.push(win.clone());
            window_names.push((p.project.clone(), i));
        }
    }
    let app = AppTarget {
        name: w.name.clone(),
        namespace: w.namespace.clone(),
        server: src.cluster.server.clone(),
        dest_name: src.cluster.name.clone(),
    };
    let verdict = with_freezes(src, &windows, &ChangeTarget { app: app.clone(), labels: labels.to_vec() }, now);
    let opened_by = opened_by(&verdict, &windows, &window_names);
    let reason = match reference {
        Some(r) => format!("label {INSTANCE_LABEL}='{r}' names no Argo CD Application: cabin's windows"),
        None => "no Argo CD Application manages it: cabin's windows".to_string(),
    };
    Decision { verdict, app: None, project: None, reason, target: app, opened_by }
}

fn with_freezes(src: &WindowSources<'_>, windows: &[SyncWindow], target: &ChangeTarget, now: DateTime<Utc>) -> ClockState {
    if let Some(p) = problem_text(src.problems, &Unreadable::Freezes) {
        return ClockState::Unknown { reason: format!("the freezes cannot be read: {p}") };
    }
    change_clock(windows, src.freezes, target, now)
}

fn opened_by(verdict: &ClockState, windows: &[SyncWindow], names: &[(String, usize)]) -> Option<String> {
    let ClockState::Open { window: Some(i), .. } = verdict else { return None };
    let (w, (project, index)) = windows.get(*i).zip(names.get(*i))?;
    Some(format!("{project}/{}#{index}", w.kind))
}
