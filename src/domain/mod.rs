//! Pure domain logic: no I/O, no clock, no tokio/kube/ratatui.
pub mod change;
pub mod windows;
