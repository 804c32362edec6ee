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

use crate::domain::windows::agenda::ProjectWindows;
use crate::domain::windows::freeze::{Freeze, parse_freezes};
use crate::domain::windows::{SyncWindow, parse_project};

/// Windows per project, freezes, and the problems met while loading them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowsFeed {
    pub projects: Vec<ProjectWindows>,
    pub freezes: Vec<Freeze>,
    /// One line per unusable file or document: `<file>: <problem>`.
    pub errors: Vec<String>,
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

    /// Adds (or replaces, by name) one project's windows.
    pub fn add_project(&mut self, project: String, windows: Vec<SyncWindow>, origin: &str) {
        self.origins.insert(project.clone(), origin.to_string());
        match self.projects.iter_mut().find(|p| p.project == project) {
            Some(p) => p.windows = windows,
            None => self.projects.push(ProjectWindows { project, windows }),
        }
    }

    /// Adds the projects, freezes and errors of `other` (its projects replace same-named ones).
    pub fn merge(&mut self, other: WindowsFeed) {
        for p in other.projects {
            let origin = other.origins.get(&p.project).cloned().unwrap_or_default();
            self.add_project(p.project, p.windows, &origin);
        }
        self.freezes.extend(other.freezes);
        self.errors.extend(other.errors);
    }

    /// The windows of a project (empty when the project is unknown).
    pub fn windows_of(&self, project: &str) -> &[SyncWindow] {
        self.projects.iter().find(|p| p.project == project).map_or(&[], |p| p.windows.as_slice())
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
        if let Some(text) = read(path, &mut feed.errors) {
            load_project_text(&mut feed, &text, &path.display().to_string());
        }
    }
    if let Some(path) = windows_file
        && let Some(text) = read(path, &mut feed.errors)
    {
        load_windows_text(&mut feed, &text, &path.display().to_string());
    }
    if let Some(path) = freezes_file
        && let Some(text) = read(path, &mut feed.errors)
    {
        match parse_freezes(&text) {
            Ok(cfg) => feed.freezes.extend(cfg.freezes),
            Err(e) => feed.errors.push(format!("{}: {e}", path.display())),
        }
    }
    feed
}

/// Like [`load_files`], but a `None` windows or freezes file means the XDG default
/// (`~/.config/cabin/windows.yaml`, `freezes.yaml`), silently skipped when it does not exist.
/// Explicit paths must exist (a missing one is reported in `errors`).
pub fn load_with_defaults(projects: &[PathBuf], windows_file: Option<&Path>, freezes_file: Option<&Path>) -> WindowsFeed {
    let existing = |p: Option<PathBuf>| p.filter(|p| p.is_file());
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

fn read(path: &Path, errors: &mut Vec<String>) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(format!("{}: cannot read the file: {e}", path.display()));
            None
        }
    }
}

/// Adds the AppProjects of a (multi-document) manifest text. Documents of other kinds are
/// skipped; `List` documents are searched for AppProject items. A text holding no
/// AppProject at all is an error.
pub fn load_project_text(feed: &mut WindowsFeed, text: &str, origin: &str) {
    let mut found = 0usize;
    for (n, doc) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let value = match yaml_serde::Value::deserialize(doc) {
            Ok(v) => v,
            Err(e) => {
                feed.errors.push(format!("{origin}: document {}: not valid YAML: {e}", n + 1));
                return;
            }
        };
        for item in app_projects(value) {
            found += 1;
            let parsed = yaml_serde::to_string(&item).map_err(|e| e.to_string()).and_then(|t| parse_project(&t).map_err(|e| e.to_string()));
            match parsed {
                Ok(p) => feed.add_project(p.name, p.windows, origin),
                Err(e) => feed.errors.push(format!("{origin}: document {}: {e}", n + 1)),
            }
        }
    }
    if found == 0 && !feed.errors.iter().any(|e| e.starts_with(origin)) {
        feed.errors.push(format!("{origin}: no Argo CD AppProject found (expected `kind: AppProject`)"));
    }
}

fn app_projects(value: yaml_serde::Value) -> Vec<yaml_serde::Value> {
    match value.get("kind").and_then(|k| k.as_str()) {
        Some("AppProject") => vec![value],
        Some(k) if k.ends_with("List") => match value.get("items").and_then(|i| i.as_sequence()) {
            Some(items) => items.iter().flat_map(|i| app_projects(i.clone())).collect(),
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
            feed.errors.push(format!("{origin}: not a cabin windows file: {e} (see config/windows.example.yaml)"));
            return;
        }
    };
    for (i, p) in file.projects.into_iter().enumerate() {
        let _ = p.description;
        if p.name.is_empty() {
            feed.errors.push(format!("{origin}: projects[{i}] has no `name`; skipped"));
            continue;
        }
        feed.add_project(p.name, p.sync_windows.into_iter().flatten().collect(), origin);
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
