//! Reading the sync windows out of an Argo CD AppProject manifest (text in, windows out).

use super::window::SyncWindow;
use serde::Deserialize;

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("not valid YAML: {0}")]
    Yaml(String),
    #[error("not an Argo CD AppProject (kind is '{0}', expected 'AppProject')")]
    NotAppProject(String),
    #[error("spec.syncWindows is malformed: {0}")]
    Windows(String),
}

/// A project's name and its sync windows (nil entries dropped, order kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowProject {
    pub name: String,
    pub windows: Vec<SyncWindow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Manifest {
    kind: Option<String>,
    metadata: Option<Meta>,
    spec: Option<Spec>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Meta {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Spec {
    sync_windows: Option<Vec<Option<SyncWindow>>>,
}

/// Parses an AppProject manifest (YAML or JSON).
pub fn parse_project(text: &str) -> Result<WindowProject, ProjectError> {
    let value: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| ProjectError::Yaml(e.to_string()))?;
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string();
    if kind != "AppProject" {
        return Err(ProjectError::NotAppProject(kind));
    }
    let m: Manifest = yaml_serde::from_value(value).map_err(|e| ProjectError::Windows(e.to_string()))?;
    let _ = m.kind;
    Ok(WindowProject {
        name: m.metadata.and_then(|x| x.name).unwrap_or_default(),
        windows: m.spec.and_then(|s| s.sync_windows).unwrap_or_default().into_iter().flatten().collect(),
    })
}
