//! Logging to a file under the XDG state dir (never the terminal: it belongs to the TUI).
use std::path::{Path, PathBuf};

use thiserror::Error;
pub use tracing_appender::non_blocking::WorkerGuard;

#[derive(Debug, Error)]
pub enum LoggingError {
    #[error("cannot create the log directory {path}: {source}; pass a writable log path")]
    Dir { path: String, source: std::io::Error },
    #[error("cannot open the log file {path}: {message}; fix its permissions or remove it")]
    File { path: String, message: String },
    #[error("invalid log filter {filter:?}: {message}; use e.g. \"info\" or \"cabin=debug\"")]
    Filter { filter: String, message: String },
    #[error("a global logger is already installed: {0}")]
    AlreadySet(String),
}

/// `~/.local/state/cabin/cabin.log` (XDG state dir; falls back to the data dir).
pub fn default_log_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "cabin")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join("cabin.log"))
}

/// Send `tracing` output to the file at `path` with the filter `level` ("info", "cabin=debug").
/// Keep the returned guard alive until exit: dropping it flushes the file.
pub fn init(path: &Path, level: &str) -> Result<WorkerGuard, LoggingError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| LoggingError::Dir { path: dir.display().to_string(), source })?;
    let file_name = path.file_name().map(|f| f.to_os_string()).unwrap_or_else(|| "cabin.log".into());
    // `rolling::never` panics when the file cannot be opened (root-owned after one `sudo cabin`,
    // a read-only state dir): the builder reports it instead.
    let appender = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::NEVER)
        .filename_prefix(file_name.to_string_lossy().into_owned())
        .build(dir)
        .map_err(|e| LoggingError::File { path: path.display().to_string(), message: e.to_string() })?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .map_err(|e| LoggingError::Filter { filter: level.to_string(), message: e.to_string() })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| LoggingError::AlreadySet(e.to_string()))?;
    Ok(guard)
}
