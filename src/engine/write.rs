//! Every mutating request the engine sends goes through [`journaled_write`]: the intent is
//! journalled — on disk, fdatasync'd — before the request leaves the process, and the outcome
//! after it. A write whose intent cannot be journalled is not sent, so the journal never lacks
//! a change that reached the cluster; an intent without an outcome is a visible gap (cabin
//! stopped, or the outcome could not be written) that an auditor can follow up.
use std::future::Future;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::cluster::{ClusterError, Connection, ops};
use crate::journal::{Entry, Journal, JournalError, NewEntry, Target};

/// One mutating request, described for the journal before it is sent.
#[derive(Debug, Clone)]
pub struct WriteIntent {
    /// The change request's ticket id, if the write belongs to one.
    pub change: Option<String>,
    /// The journal kind, e.g. `rollout-step` or `rollback`.
    pub kind: String,
    /// What is done, e.g. `set-image`.
    pub action: String,
    pub target: Target,
    /// Parameters of the action (never secrets: the journal scrubs them anyway).
    pub details: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("not sent: its intent could not be journalled ({0}); check the journal with `cabin journal verify` and retry")]
    NotJournalled(JournalError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("{action} was sent ({result}) but its outcome could not be journalled ({error}); record it with `cabin journal append`")]
    OutcomeNotJournalled { action: String, result: String, error: JournalError },
}

/// Journals `intent`, runs `op` (which returns the target's resourceVersion after the change),
/// then journals the outcome: `ok` with that resourceVersion, or `failed` with the error.
pub async fn journaled_write<F>(journal: Arc<Journal>, intent: WriteIntent, op: F) -> Result<Option<String>, WriteError>
where
    F: Future<Output = Result<Option<String>, ClusterError>>,
{
    let before = entry(&intent, "intent", intent.target.clone(), None);
    append(journal.clone(), before).await.map_err(WriteError::NotJournalled)?;
    let result = op.await;
    let mut target = intent.target.clone();
    let (outcome, error) = match &result {
        Ok(rv) => {
            target.resource_version_after = rv.clone();
            ("ok", None)
        }
        Err(e) => ("failed", Some(e.to_string())),
    };
    let after = entry(&intent, outcome, target, error);
    if let Err(error) = append(journal, after).await {
        let result = match &result {
            Ok(_) => "it succeeded".to_string(),
            Err(e) => format!("it failed: {e}"),
        };
        return Err(WriteError::OutcomeNotJournalled { action: intent.action, result, error });
    }
    Ok(result?)
}

/// `kubectl set image` for one container of a Deployment, journalled.
pub async fn set_image(
    journal: Arc<Journal>,
    conn: &Connection,
    change: Option<String>,
    target: (&str, &str),
    container: &str,
    image: &str,
) -> Result<Option<String>, WriteError> {
    let (namespace, deployment) = target;
    let intent = WriteIntent {
        change,
        kind: "rollout-step".to_string(),
        action: "set-image".to_string(),
        target: Target {
            group: "apps".to_string(),
            kind: "Deployment".to_string(),
            namespace: Some(namespace.to_string()),
            name: deployment.to_string(),
            resource_version_before: None,
            resource_version_after: None,
        },
        details: json!({ "container": container, "image": image }),
    };
    journaled_write(journal, intent, ops::set_image(conn, namespace, deployment, container, image)).await
}

fn entry(intent: &WriteIntent, outcome: &str, target: Target, error: Option<String>) -> NewEntry {
    let mut details = json!({ "action": intent.action, "params": intent.details });
    if let (Some(map), Some(e)) = (details.as_object_mut(), error) {
        map.insert("error".to_string(), Value::from(e));
    }
    NewEntry {
        change: intent.change.clone(),
        kind: intent.kind.clone(),
        targets: vec![target],
        outcome: Some(outcome.to_string()),
        details,
    }
}

/// Appends off the async threads (the append waits for fdatasync).
async fn append(journal: Arc<Journal>, entry: NewEntry) -> Result<Entry, JournalError> {
    let path = journal.path().to_path_buf();
    match tokio::task::spawn_blocking(move || journal.append(entry)).await {
        Ok(r) => r,
        // The blocking task panicked or was cancelled: the entry is not acknowledged.
        Err(e) => Err(JournalError::Write { path, source: std::io::Error::other(e.to_string()) }),
    }
}
