//! Change requests: the `ChangeRequest` file contract and its rules, the approval policy, the
//! derived status, the rollout plan, health verdicts and preflight verdicts.
//!
//! Pure: no I/O and no clock. The caller reads the files (`ChangeSet::parse` takes
//! `(display name, text)` pairs), gathers cluster evidence, and passes `now`.
//!
//! - Files: `parse` (messages `FILE:LINE: field: message`; yaml_serde's location for syntax and
//!   type errors, `locate` for rule violations), `schema` (every unknown key at once), `rules`
//!   (every violation, at most `MAX_PROBLEMS` per file), `image`, `duration`.
//! - Decisions: `approval` (distinct approvers, never the author, case-insensitive), `status`
//!   (history, then approvals, then windows, then the planned slot; fail closed on `Unknown`),
//!   `plan` (percent rounds up as Argo Rollouts' setWeight; monotone; ends at replicas),
//!   `health`.
//! - Preflight: `preflight` (the `Check`/`Preflight` types and waivers), `checks` (no cluster
//!   needed), `workload_checks` and `access_checks` (from evidence the caller gathers).
//! - `run`: the run state machine.

pub mod access_checks;
pub mod approval;
pub mod checks;
pub mod duration;
pub mod health;
pub mod image;
pub mod locate;
pub mod model;
pub mod parse;
pub mod plan;
pub mod preflight;
pub mod quantity;
mod raw;
pub mod rules;
pub mod run;
pub mod schema;
pub mod status;
pub mod workload_checks;

pub use access_checks::{
    AccessRequest, AccessResult, ArgoAppEvidence, BslEvidence, DryRunOutcome, LeaseEvidence, backup_name, check_argocd_autosync,
    check_backup_location, check_dry_run, check_lock, check_rbac, lock_lease_name, required_access,
};
pub use approval::{ApprovalPolicy, ApprovalVerdict};
pub use checks::{LiveContainers, TargetWindow, check_approvals, check_containers, check_freeze, check_images, check_window};
pub use health::{HealthEvidence, HealthReport, HealthVerdict, PodHealth, PodWarning, health_verdict};
pub use image::{ImageRef, parse_image};
pub use model::*;
pub use parse::{ChangeSet, InvalidFile, Problem, parse_change};
pub use plan::{IntOrPercent, PlanError, PlannedHold, RolloutPlan, WorkloadShape, plan_rollout, resolve_surge_unavailable, step_target};
pub use preflight::{Check, CheckId, CheckStatus, Preflight, WaiveError, Waiver};
pub use status::{ChangeStatus, RunHistory, SlotFit, StatusVerdict, WindowVerdict, change_status, slot_fit};
pub use workload_checks::{
    PdbEvidence, QuotaEvidence, SurgeEvidence, WorkloadEvidence, check_pdb, check_quota, check_rollout_complete, check_target,
    planned_disruptions, rollout_incomplete,
};
