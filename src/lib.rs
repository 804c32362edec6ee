#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]
pub mod cli;
pub mod config;
pub mod domain;
pub mod journal;
pub mod model;
pub mod sim;
pub mod tui;
