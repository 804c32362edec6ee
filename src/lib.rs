//! cabin — a terminal cockpit for Kubernetes change management.
//!
//! Module map (see `../shared/DESIGN.md`):
//! - `domain`: pure logic (sync windows, freezes, change clock); no I/O, no clock.
//! - `model`: small view types and the messages between engine and UI.
//! - `cluster`: the only module that talks to Kubernetes (kube-rs); read-only guard.
//! - `engine`: owns the tasks, turns cluster watches into snapshots for the UI.
//! - `sim`: the simulated cluster, reachable only over HTTPS.
//! - `journal`: the tamper-evident audit journal.
//! - `config`, `tui`, `cli`.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod cli;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod engine;
pub mod journal;
pub mod model;
pub mod sim;
pub mod tui;
