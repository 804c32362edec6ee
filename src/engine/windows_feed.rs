//! The sync windows and freezes the cockpit knows about, and loaders for the file sources:
//! Argo CD AppProject manifests (multi-document YAML), cabin's own windows file (for clusters
//! without Argo CD, see `config/windows.example.yaml`) and the freezes file.
//!
//! Loading never fails as a whole: a bad file becomes one entry in `errors` (naming the file
//! and the problem) and everything else still loads. The live cluster source builds a feed
//! with [`WindowsFeed::from_projects`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use chrono::{DateTime, Utc};

use crate::domain::windows::agenda::ProjectWindows;
use crate::domain::windows::freeze::{Freeze, parse_freezes};
use crate::domain::windows::workload::{ArgoApp, ClusterRef, Decision, Problem, Unreadable, WindowSources, Workload, decide_for_change};
use crate::domain::windows::{SyncWindow, parse_project};

/// Windows per project, freezes, Argo CD Applications, and the problems met while loading them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowsFeed {
    /// AppProjects (`own == false`) and the projects of cabin's windows file (`own == true`).
    pub projects: Vec<ProjectWindows>,
    pub freezes: Vec<Freeze>,
    /// The Argo CD Applications (they map workloads to projects).
    pub applications: Vec<ArgoApp>,
    /// One line per unusable file or document: `<file>: <problem>`.
    pub errors: Vec<String>,
    /// What could not be read, by what it could decide (the change clock is UNKNOWN for the
    /// workloads these may decide). Each also has a line in `errors`.
    pub problems: Vec<Problem>,
    /// Where each project came from (project name → file path or `cluster`).
    pub origins: BTreeMap<String, String>,
}

impl WindowsFeed {
    /// A feed from (project name, windows) pairs, e.g. the AppProjects watched in the cluster.
    pub fn from_projects<I>(projects: I) -> WindowsFeed
    where
        I: IntoIterator<Item = (String, Vec<SyncWindow>)>,
    {
        let mut feed = WindowsFeed::default();
        for (project, windows) in projects {
            feed.add_project(project, windows, "cluster");
        }
        feed
    }

    /// Adds (or replaces, by name) one AppProject's windows.
    pub fn add_project(&mut self, project: String, windows: Vec<SyncWindow>, origin: &str) {
        self.add(project, windows, origin, false);
    }

    /// Adds (or replaces, by name) one project of cabin's own windows file.
    pub fn add_own_project(&mut self, project: String, windows: Vec<SyncWindow>, origin: &str) {
        self.add(project, windows, origin, true);
    }

    fn add(&mut self, project: String, windows: Vec<SyncWindow>, origin: &str, own: bool) {
        self.origins.insert(project.clone(), origin.to_string());
        match self.projects.iter_mut().find(|p| p.project == project && p.own == own) {
            Some(p) => p.windows = windows,
            None => self.projects.push(ProjectWindows { project, windows, own }),
        }
    }

    /// Records something that could not be read: a line in `errors` and, for the change
    /// clock, what it could decide.
    pub fn problem(&mut self, scope: Unreadable, text: String) {
        self.errors.push(text.clone());
        self.problems.push(Problem { scope, text });
    }

    /// Adds the projects, freezes, Applications and problems of `other` (its projects replace
    /// same-named ones).
    pub fn merge(&mut self, other: WindowsFeed) {
        for p in other.projects {
            let origin = other.origins.get(&p.project).cloned().unwrap_or_default();
            self.add(p.project, p.windows, &origin, p.own);
        }
        self.freezes.extend(other.freezes);
        self.applications.extend(other.applications);
        self.errors.extend(other.errors);
        self.problems.extend(other.problems);
    }

    /// The windows of an AppProject (empty when the project is unknown).
    pub fn windows_of(&self, project: &str) -> &[SyncWindow] {
        self.projects.iter().find(|p| !p.own && p.project == project).map_or(&[], |p| p.windows.as_slice())
    }

    /// Whether the feed holds nothing at all (no clock to show).
    pub fn is_empty(&self) -> bool {
        self.projects.is_empty() && self.freezes.is_empty() && self.errors.is_empty() && self.applications.is_empty()
    }

    /// "May this change run now" for `workload` in `cluster`: see
    /// [`decide_for_workload`](crate::domain::windows::workload::decide_for_workload).
    pub fn decide(&self, workload: &Workload, cluster: &ClusterRef, now: DateTime<Utc>) -> Decision {
        self.decide_change(workload, &[], cluster, now)
    }

    /// [`decide`](Self::decide) for a change carrying `labels` (freeze exceptions, e.g.
    /// `emergency`): what the preflight `window` check calls for each target.
    pub fn decide_change(&self, workload: &Workload, labels: &[String], cluster: &ClusterRef, now: DateTime<Utc>) -> Decision {
        let src = WindowSources {
            applications: &self.applications,
            projects: &self.projects,
            freezes: &self.freezes,
            problems: &self.problems,
            cluster,
        };
        decide_for_change(workload, labels, &src, now)
    }
}

/// `<XDG config dir>/freezes.yaml` (e.g. `~/.config/cabin/freezes.yaml`).
pub fn default_freezes_path() -> Option<PathBuf> {
    crate::config::config_dir().map(|d| d.join("freezes.yaml"))
}

/// `<XDG config dir>/windows.yaml`: cabin's own windows file.
pub fn default_windows_path() -> Option<PathBuf> {
    crate::config::config_dir().map(|d| d.join("windows.yaml"))
}

/// Loads AppProject files, cabin's windows file and the freezes file. Never panics; see
/// the module docs for how problems are reported.
pub fn load_files(projects: &[PathBuf], windows_file: Option<&Path>, freezes_file: Option<&Path>) -> WindowsFeed {
    let mut feed = WindowsFeed::default();
    for path in projects {
        if let Some(text) = read(path, &mut feed, Unreadable::SomeProject) {
            load_project_text(&mut feed, &text, &path.display().to_string());
        }
    }
    if let Some(path) = windows_file
        && let Some(text) = read(path, &mut feed, Unreadable::OwnWindows)
    {
        load_windows_text(&mut feed, &text, &path.display().to_string());
    }
    if let Some(path) = freezes_file
        && let Some(text) = read(path, &mut feed, Unreadable::Freezes)
    {
        load_freezes_text(&mut feed, &text, &path.display().to_string());
    }
    feed
}

/// Adds the freezes of a freezes file text. A file that does not parse, or a freeze whose
/// period cannot be resolved, is a problem for every workload (the clock says UNKNOWN): a
/// freeze that cannot be read is not "no freeze".
pub fn load_freezes_text(feed: &mut WindowsFeed, text: &str, origin: &str) {
    match parse_freezes(text) {
        Ok(cfg) => {
            // A freeze whose period cannot be read stays in the feed: the clock of every
            // workload it covers says UNKNOWN (its scope can still be read).
            for f in &cfg.freezes {
                if let Err(e) = f.period() {
                    feed.errors.push(format!("{origin}: {e}"));
                }
            }
            feed.freezes.extend(cfg.freezes);
        }
        Err(e) => feed.problem(Unreadable::Freezes, format!("{origin}: {e}")),
    }
}

/// Like [`load_files`], but a `None` windows or freezes file means the XDG default
/// (`~/.config/cabin/windows.yaml`, `freezes.yaml`), silently skipped only when nothing is
/// there: a default path that exists but cannot be read (a directory, no permission) is a
/// problem, so the clock says UNKNOWN. Explicit paths must exist (a missing one is reported).
pub fn load_with_defaults(projects: &[PathBuf], windows_file: Option<&Path>, freezes_file: Option<&Path>) -> WindowsFeed {
    let existing = |p: Option<PathBuf>| p.filter(|p| p.symlink_metadata().is_ok());
    let windows = windows_file.map(Path::to_path_buf).or_else(|| existing(default_windows_path()));
    let freezes = freezes_file.map(Path::to_path_buf).or_else(|| existing(default_freezes_path()));
    load_files(projects, windows.as_deref(), freezes.as_deref())
}

/// The user's IANA zone for the header clock: `$TZ` (e.g. `America/New_York`), else the
/// target of the `/etc/localtime` link. None when unknown or UTC-like.
pub fn local_zone() -> Option<chrono_tz::Tz> {
    let from_env = std::env::var("TZ").ok().map(|z| z.trim_start_matches(':').to_string());
    let from_link = || std::fs::read_link("/etc/localtime").ok().and_then(|p| zone_from_path(&p));
    from_env.filter(|z| !z.is_empty()).or_else(from_link).and_then(|z| parse_zone(&z))
}

/// `/usr/share/zoneinfo/Europe/Berlin` → `Europe/Berlin`.
pub fn zone_from_path(p: &Path) -> Option<String> {
    let s = p.to_string_lossy();
    s.split_once("zoneinfo/").map(|(_, z)| z.to_string())
}

fn parse_zone(name: &str) -> Option<chrono_tz::Tz> {
    match name {
        "UTC" | "Etc/UTC" | "Universal" | "Zulu" => None,
        _ => name.parse().ok(),
    }
}

fn read(path: &Path, feed: &mut WindowsFeed, scope: Unreadable) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) => {
            feed.problem(scope, format!("{}: cannot read the file: {e}", path.display()));
            None
        }
    }
}

/// The documents of a multi-document YAML text: (first line, 1-based; text). Split at
/// `---` lines, so that one broken document cannot hide the others.
pub fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs: Vec<(usize, String)> = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        let marker = line.strip_prefix("---").filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
        if let Some(rest) = marker {
            // The document's first line: the marker's own line if it carries content.
            let first = if rest.trim().is_empty() { i + 2 } else { i + 1 };
            docs.push((first, format!("{rest}\n")));
        } else if line.trim_end() == "..." {
            docs.push((i + 2, String::new()));
        } else if let Some((_, doc)) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.retain(|(_, d)| !d.trim().is_empty());
    docs
}

/// Adds the AppProjects (and Argo CD Applications) of a (multi-document) manifest text.
/// Documents of other kinds are skipped; `List` documents are searched for items. A document
/// that cannot be read is reported by number and first line, and the others still load; what
/// it could have held makes the clock UNKNOWN for Applications whose project is not found
/// (or for its project, when its name can be read). A text holding no AppProject at all
/// (and no broken document) is an error.
pub fn load_project_text(feed: &mut WindowsFeed, text: &str, origin: &str) {
    let (mut found, mut broken, apps_before) = (0usize, false, feed.applications.len());
    for (n, (line, doc)) in split_documents(text).into_iter().enumerate() {
        let at = format!("{origin}: document {} (line {line})", n + 1);
        let value = match yaml_serde::from_str::<yaml_serde::Value>(&doc) {
            Ok(v) => v,
            Err(e) => {
                feed.problem(Unreadable::SomeProject, format!("{at}: not valid YAML: {e}"));
                broken = true;
                continue;
            }
        };
        for item in items_of_kind(&value, "Application") {
            if let Some(app) = serde_json::to_value(&item).ok().and_then(|v| ArgoApp::from_manifest(&v)) {
                feed.applications.push(app);
            }
        }
        for item in items_of_kind(&value, "AppProject") {
            found += 1;
            let name = item.get("metadata").and_then(|m| m.get("name")).and_then(|n| n.as_str()).map(str::to_string);
            let parsed = yaml_serde::to_string(&item).map_err(|e| e.to_string()).and_then(|t| parse_project(&t).map_err(|e| e.to_string()));
            match parsed {
                Ok(p) => feed.add_project(p.name, p.windows, origin),
                Err(e) => feed.problem(name.map_or(Unreadable::SomeProject, Unreadable::Project), format!("{at}: {e}")),
            }
        }
    }
    if found == 0 && !broken && feed.applications.len() == apps_before {
        feed.errors.push(format!("{origin}: no Argo CD AppProject found (expected `kind: AppProject`)"));
    }
}

/// The documents of `kind` in a value: itself, or the items of a `…List`.
fn items_of_kind(value: &yaml_serde::Value, kind: &str) -> Vec<yaml_serde::Value> {
    match value.get("kind").and_then(|k| k.as_str()) {
        Some(k) if k == kind => vec![value.clone()],
        Some(k) if k.ends_with("List") => match value.get("items").and_then(|i| i.as_sequence()) {
            Some(items) => items.iter().flat_map(|i| items_of_kind(i, kind)).collect(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// cabin's own windows file: `projects: [{name, syncWindows: [...]}]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct WindowsFile {
    projects: Vec<WindowsFileProject>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct WindowsFileProject {
    name: String,
    description: String,
    sync_windows: Vec<Option<SyncWindow>>,
}

/// Adds the projects of cabin's windows file text.
pub fn load_windows_text(feed: &mut WindowsFeed, text: &str, origin: &str) {
    let file: WindowsFile = match yaml_serde::from_str::<Option<WindowsFile>>(text) {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            let text = format!("{origin}: not a cabin windows file: {e} (see config/windows.example.yaml)");
            feed.problem(Unreadable::OwnWindows, text);
            return;
        }
    };
    for (i, p) in file.projects.into_iter().enumerate() {
        let _ = p.description;
        // A project without a name still restricts: its windows count, under its position.
        let name = if p.name.is_empty() { format!("projects[{i}]") } else { p.name };
        feed.add_own_project(name, p.sync_windows.into_iter().flatten().collect(), origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_manifest_with_list_and_other_kinds() {
        let text = "kind: AppProject\nmetadata: {name: a}\nspec:\n  syncWindows:\n  - {kind: allow, schedule: '0 2 * * *', duration: 1h, applications: ['*']}\n---\nkind: Application\nmetadata: {name: x}\n---\nkind: List\nitems:\n- kind: AppProject\n  metadata: {name: b}\n";
        let mut feed = WindowsFeed::default();
        load_project_text(&mut feed, text, "f.yaml");
        assert_eq!(feed.errors, Vec::<String>::new());
        let names: Vec<&str> = feed.projects.iter().map(|p| p.project.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(feed.windows_of("a").len(), 1);
        assert_eq!(feed.origins.get("b").map(String::as_str), Some("f.yaml"));
    }

    #[test]
    fn zone_names_from_the_localtime_link() {
        let p = Path::new("/usr/share/zoneinfo/America/New_York");
        assert_eq!(zone_from_path(p).as_deref(), Some("America/New_York"));
        assert_eq!(parse_zone("America/New_York"), Some(chrono_tz::America::New_York));
        assert_eq!(parse_zone("Etc/UTC"), None);
        assert_eq!(parse_zone("Not/AZone"), None);
    }

    #[test]
    fn from_projects_replaces_same_name() {
        let w = SyncWindow { kind: "deny".into(), ..SyncWindow::default() };
        let feed = WindowsFeed::from_projects([("p".to_string(), vec![]), ("p".to_string(), vec![w.clone()])]);
        assert_eq!(feed.projects.len(), 1);
        assert_eq!(feed.windows_of("p"), [w]);
        assert!(feed.windows_of("other").is_empty());
    }
}
