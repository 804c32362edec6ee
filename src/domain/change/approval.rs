//! The approval policy (from the config file) and its verdict on a change.

use super::model::{ChangeRequest, Risk};
use serde::{Deserialize, Serialize};

/// `approval:` in the config. Approvers are counted once each (case-insensitive), the author
/// never counts, and when `allowedApprovers` is not empty only those count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalPolicy {
    /// Distinct approvers other than the author (default 2).
    pub min_approvers: u32,
    /// For `risk: high`; never fewer than `minApprovers` (the larger applies).
    pub min_approvers_high_risk: Option<u32>,
    /// When not empty, only these people count as approvers (case-insensitive).
    pub allowed_approvers: Vec<String>,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy { min_approvers: 2, min_approvers_high_risk: None, allowed_approvers: Vec::new() }
    }
}

/// Why an approval entry did not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    pub approver: String,
    pub reason: String,
}

/// The verdict, with the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalVerdict {
    pub met: bool,
    pub required: u32,
    /// Distinct approvers that count, as written (first spelling kept).
    pub counted: Vec<String>,
    pub ignored: Vec<Ignored>,
    /// The rule that applied: `minApprovers` or `minApproversHighRisk`.
    pub rule: String,
    /// One sentence saying which rule decided.
    pub message: String,
}

impl ApprovalPolicy {
    /// Required approvers for a risk level, and the name of the rule that sets it.
    pub fn required_for(&self, risk: Risk) -> (u32, &'static str) {
        match (risk, self.min_approvers_high_risk) {
            (Risk::High, Some(n)) if n >= self.min_approvers => (n, "minApproversHighRisk"),
            _ => (self.min_approvers, "minApprovers"),
        }
    }

    /// Judges the change's `approvedBy` against this policy.
    pub fn verdict(&self, change: &ChangeRequest) -> ApprovalVerdict {
        let (required, rule) = self.required_for(change.risk);
        let author = change.author.trim().to_lowercase();
        let allowed: Vec<String> = self.allowed_approvers.iter().map(|a| a.trim().to_lowercase()).collect();
        let mut counted: Vec<String> = Vec::new();
        let mut ignored = Vec::new();
        for a in &change.approved_by {
            let key = a.trim().to_lowercase();
            let reason = if key.is_empty() {
                Some("empty entry")
            } else if key == author {
                Some("the author cannot approve their own change")
            } else if counted.iter().any(|c| c.trim().to_lowercase() == key) {
                Some("already counted (approvers are distinct, case-insensitive)")
            } else if !allowed.is_empty() && !allowed.contains(&key) {
                Some("not in allowedApprovers")
            } else {
                None
            };
            match reason {
                Some(r) => ignored.push(Ignored { approver: a.clone(), reason: r.into() }),
                None => counted.push(a.trim().to_string()),
            }
        }
        let met = counted.len() as u64 >= u64::from(required);
        let message = message(change, required, rule, &counted, &ignored, met);
        ApprovalVerdict { met, required, counted, ignored, rule: rule.into(), message }
    }
}

fn message(change: &ChangeRequest, required: u32, rule: &str, counted: &[String], ignored: &[Ignored], met: bool) -> String {
    let scope = if rule == "minApproversHighRisk" { " for risk high" } else { "" };
    let who = if counted.is_empty() { "none".to_string() } else { counted.join(", ") };
    let skipped: Vec<String> = ignored.iter().map(|i| format!("'{}' ignored: {}", i.approver, i.reason)).collect();
    let skipped = if skipped.is_empty() { String::new() } else { format!("; {}", skipped.join("; ")) };
    let verdict = if met { "approved" } else { "needs approval" };
    format!(
        "{verdict}: {rule}{scope} requires {required} distinct approver{} other than the author ({}), has {} ({who}){skipped}",
        if required == 1 { "" } else { "s" },
        change.author,
        counted.len(),
    )
}
