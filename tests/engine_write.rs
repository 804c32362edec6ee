//! Write-ahead journalling of mutating requests against `cabin sim`: the intent is on disk
//! before the request is sent, the outcome after; a write whose intent cannot be journalled is
//! never sent; a refused write (read-only) is journalled as failed and never reaches the server.
#[path = "support/cluster.rs"]
mod support;

use std::sync::Arc;

use cabin::engine::write::{WriteError, set_image};
use cabin::journal::{Journal, JournalContext, SystemClock, read_entries};
use support::{conn, start_sim};

fn patches(sim: &support::Sim) -> usize {
    sim.handle.requests().iter().filter(|r| r.method == "PATCH").count()
}

fn journal_at(path: &std::path::Path) -> Arc<Journal> {
    Arc::new(Journal::open(path, JournalContext::local(), Box::new(SystemClock)).unwrap().0)
}

#[tokio::test]
async fn intent_before_the_request_and_outcome_after() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let path = sim.dir.path().join("journal.jsonl");
    let journal = journal_at(&path);
    let image = "ghcr.io/acme/payments-api:1.15.0";
    let rv = set_image(journal, &c, Some("CHG-7".into()), ("payments", "payments-api"), "app", image).await.unwrap();
    assert!(rv.is_some(), "the patch response carries the new resourceVersion");
    assert_eq!(patches(&sim), 1);

    let entries = read_entries(&path).unwrap();
    let mine: Vec<_> = entries.iter().filter(|e| e.change.as_deref() == Some("CHG-7")).collect();
    assert_eq!(mine.len(), 2, "{mine:#?}");
    let (intent, outcome) = (mine[0], mine[1]);
    assert_eq!(intent.outcome.as_deref(), Some("intent"));
    assert_eq!(intent.kind, "rollout-step");
    assert_eq!(intent.details["action"], "set-image");
    assert_eq!(intent.details["params"]["image"], image);
    assert_eq!(outcome.outcome.as_deref(), Some("ok"));
    assert_eq!(outcome.targets[0].resource_version_after, rv);
    assert!(intent.seq < outcome.seq);
    // The intent was on disk before the request reached the server.
    let patch_at = sim.handle.requests().iter().find(|r| r.method == "PATCH").map(|r| r.ts.clone()).unwrap();
    let patch_ts = chrono::DateTime::parse_from_rfc3339(&patch_at).unwrap();
    assert!(intent.ts <= patch_ts, "intent {} after the PATCH {}", intent.ts, patch_at);
}

#[tokio::test]
async fn no_journal_no_write() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let path = sim.dir.path().join("journal.jsonl");
    let journal = journal_at(&path);
    // Make the journal unwritable from now on: replace the file by a directory.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = set_image(journal, &c, None, ("payments", "payments-api"), "app", "x:2").await.unwrap_err();
    assert!(matches!(err, WriteError::NotJournalled(_)), "{err}");
    assert!(err.to_string().starts_with("not sent"), "{err}");
    assert_eq!(patches(&sim), 0, "nothing may reach the cluster without its journal entry");
}

#[tokio::test]
async fn refused_write_is_journalled_as_failed() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    let path = sim.dir.path().join("journal.jsonl");
    let err = set_image(journal_at(&path), &c, Some("CHG-8".into()), ("payments", "payments-api"), "app", "x:2").await.unwrap_err();
    assert!(matches!(err, WriteError::Cluster(_)), "{err}");
    assert_eq!(patches(&sim), 0);
    let entries = read_entries(&path).unwrap();
    let outcome = entries.iter().rfind(|e| e.change.as_deref() == Some("CHG-8")).unwrap();
    assert_eq!(outcome.outcome.as_deref(), Some("failed"));
    assert!(outcome.details["error"].as_str().unwrap().contains("read-only"), "{:?}", outcome.details);
}
