//! Change request files: where they come from (`--changes DIR`, `CABIN_CHANGES`, the config's
//! `changes:`) and reading them into a [`ChangeSet`]. Files that cannot be read are listed as
//! invalid, never dropped.
use std::path::{Path, PathBuf};

use crate::domain::change::{ChangeSet, InvalidFile, Problem};

/// The directories to read, in order: the command line, then `CABIN_CHANGES` (a path list),
/// then the config's `changes:` (relative paths against the config file's directory is the
/// caller's concern). Duplicates are dropped.
pub fn change_dirs(cli: &[PathBuf], env: Option<std::ffi::OsString>, config: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let from_env: Vec<PathBuf> = env.map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect()).unwrap_or_default();
    for d in cli.iter().chain(from_env.iter()).chain(config.iter()) {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    out
}

/// Reads every `*.yaml` / `*.yml` file of `dirs` (not recursive), sorted by path.
pub fn load_dirs(dirs: &[PathBuf]) -> ChangeSet {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut unreadable: Vec<InvalidFile> = Vec::new();
    for dir in dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                unreadable.push(problem(dir, &format!("cannot read the change directory: {e}")));
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| is_yaml(p)).collect();
        paths.sort();
        for path in paths {
            match std::fs::read_to_string(&path) {
                Ok(text) => files.push((path.display().to_string(), text)),
                Err(e) => unreadable.push(problem(&path, &format!("cannot read the file: {e}"))),
            }
        }
    }
    let mut set = ChangeSet::parse(&files);
    set.invalid.extend(unreadable);
    set
}

/// Reads the given files (for `cabin change validate FILE…`).
pub fn load_files(paths: &[PathBuf]) -> ChangeSet {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for path in paths {
        match std::fs::read_to_string(path) {
            Ok(text) => files.push((path.display().to_string(), text)),
            Err(e) => unreadable.push(problem(path, &format!("cannot read the file: {e}"))),
        }
    }
    let mut set = ChangeSet::parse(&files);
    set.invalid.extend(unreadable);
    set
}

fn is_yaml(p: &Path) -> bool {
    p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn problem(path: &Path, message: &str) -> InvalidFile {
    let file = path.display().to_string();
    let p = Problem { line: 1, field: "file".into(), message: message.to_string() };
    InvalidFile { messages: vec![p.render(&file)], file, problems: vec![p], id: None }
}
