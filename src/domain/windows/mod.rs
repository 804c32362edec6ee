//! Argo CD sync windows, change freezes, the change clock and the calendar view-model.
//!
//! Pure: no I/O and no clock; every instant is a parameter (`chrono::DateTime<Utc>`).

pub mod cron;
pub mod decision;
pub mod duration;
pub mod glob;
pub mod project;
pub mod report;
pub mod validate;
pub mod window;

pub use decision::{InvalidWindows, WindowList, matching_indices};
pub use project::{ProjectError, WindowProject, parse_project};
pub use report::{CheckReport, WindowReport, check};
pub use validate::{ValidationError, validate_windows};
pub use window::{AppTarget, CompiledWindow, SyncWindow, WindowError};
pub mod agenda;
pub mod clock;
pub mod format;
pub mod freeze;
pub mod workload;
