//! A waiver from the cockpit: journalled (kind `waiver`, with the actor) before it counts;
//! the change feed then re-runs the preflight, which applies the journalled waivers.
use std::path::PathBuf;

use serde_json::json;

use crate::journal::{ClusterRef, Journal, JournalContext, NewEntry, SystemClock};
use crate::model::ContextInfo;

/// Appends the waiver; the error says why it was not journalled (then it does not apply).
pub async fn journal_waiver(path: Option<PathBuf>, info: ContextInfo, change: String, check: String, reason: String) -> Result<(), String> {
    let path = path.ok_or_else(|| "there is no journal, so the waiver cannot be recorded and does not apply".to_string())?;
    let written = tokio::task::spawn_blocking(move || {
        let mut ctx = JournalContext::local();
        ctx.actor.cluster_user = Some(info.user.clone()).filter(|u| !u.is_empty());
        ctx.cluster = Some(ClusterRef { server: info.cluster_url.clone(), context: info.context.clone() });
        let by = ctx.actor.cluster_user.clone().unwrap_or_else(|| ctx.actor.local_user.clone());
        let (journal, _) = Journal::open(&path, ctx, Box::new(SystemClock))?;
        journal.append(NewEntry::new(Some(change), "waiver", json!({"check": check, "reason": reason, "by": by, "from": "cockpit"})))
    })
    .await;
    match written {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("the waiver was not journalled ({e}), so it does not apply")),
        Err(e) => Err(format!("the waiver was not journalled ({e}), so it does not apply")),
    }
}
