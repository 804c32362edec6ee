//! Preflight verdicts: one `Check` per stable id, with its evidence; `Preflight.ok` when no
//! check fails (a waived failure counts as passed). Serialized as the CLI contract:
//! `{"change": ID, "checks": [{"id", "status", "summary", "evidence", …}], "ok": bool}`.

use serde::Serialize;
use serde_json::Value;

/// Stable check ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    Approvals,
    Window,
    Freeze,
    Target,
    RolloutComplete,
    Containers,
    Images,
    DryRun,
    Rbac,
    Pdb,
    Quota,
    BackupLocation,
    #[serde(rename = "argocd-autosync")]
    ArgocdAutosync,
    Lock,
}

impl CheckId {
    pub const ALL: [CheckId; 14] = [
        CheckId::Approvals,
        CheckId::Window,
        CheckId::Freeze,
        CheckId::Target,
        CheckId::RolloutComplete,
        CheckId::Containers,
        CheckId::Images,
        CheckId::DryRun,
        CheckId::Rbac,
        CheckId::Pdb,
        CheckId::Quota,
        CheckId::BackupLocation,
        CheckId::ArgocdAutosync,
        CheckId::Lock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Approvals => "approvals",
            CheckId::Window => "window",
            CheckId::Freeze => "freeze",
            CheckId::Target => "target",
            CheckId::RolloutComplete => "rollout-complete",
            CheckId::Containers => "containers",
            CheckId::Images => "images",
            CheckId::DryRun => "dry-run",
            CheckId::Rbac => "rbac",
            CheckId::Pdb => "pdb",
            CheckId::Quota => "quota",
            CheckId::BackupLocation => "backup-location",
            CheckId::ArgocdAutosync => "argocd-autosync",
            CheckId::Lock => "lock",
        }
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether an operator may waive a failure of this check. Never: approvals (the CAB's
    /// rule), freeze (exceptions exist for that), a missing target, missing containers or bad
    /// images (the patch itself would be wrong), RBAC denied, another change's lock.
    pub fn waivable(self) -> bool {
        !matches!(
            self,
            CheckId::Approvals | CheckId::Freeze | CheckId::Target | CheckId::Containers | CheckId::Images | CheckId::Rbac | CheckId::Lock
        )
    }
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
    Skipped,
}

/// Who waived a failed check, and why (journalled by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    pub by: String,
    pub reason: String,
}

/// One check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: CheckId,
    pub status: CheckStatus,
    /// One line; for `skipped`, why.
    pub summary: String,
    /// The numbers and objects the check looked at.
    pub evidence: Value,
    pub waivable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Waiver>,
}

impl Check {
    pub fn new(id: CheckId, status: CheckStatus, summary: impl Into<String>, evidence: Value) -> Check {
        Check { id, status, summary: summary.into(), evidence, waivable: id.waivable(), waived: None }
    }

    /// Whether this check stops the run: failed and not waived.
    pub fn blocks(&self) -> bool {
        self.status == CheckStatus::Fail && self.waived.is_none()
    }
}

/// The whole preflight of one change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preflight {
    pub change: String,
    pub checks: Vec<Check>,
    pub ok: bool,
}

/// Why a waiver was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaiveError {
    #[error("no check '{0}' in this preflight")]
    NoSuchCheck(String),
    #[error("check '{0}' did not fail: nothing to waive")]
    NotFailed(String),
    #[error("check '{0}' cannot be waived")]
    NotWaivable(String),
    #[error("a waiver needs a reason and the name of who waives")]
    Empty,
}

impl Preflight {
    /// Checks in the order given; `ok` computed.
    pub fn new(change: impl Into<String>, checks: Vec<Check>) -> Preflight {
        let ok = !checks.iter().any(Check::blocks);
        Preflight { change: change.into(), checks, ok }
    }

    /// Waives the failed check `id`; `ok` is recomputed.
    pub fn waive(&mut self, id: CheckId, by: &str, reason: &str) -> Result<(), WaiveError> {
        if by.trim().is_empty() || reason.trim().is_empty() {
            return Err(WaiveError::Empty);
        }
        let name = id.as_str().to_string();
        let check = self.checks.iter_mut().find(|c| c.id == id).ok_or_else(|| WaiveError::NoSuchCheck(name.clone()))?;
        if check.status != CheckStatus::Fail {
            return Err(WaiveError::NotFailed(name));
        }
        if !check.waivable {
            return Err(WaiveError::NotWaivable(name));
        }
        check.waived = Some(Waiver { by: by.trim().into(), reason: reason.trim().into() });
        self.ok = !self.checks.iter().any(Check::blocks);
        Ok(())
    }

    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}
