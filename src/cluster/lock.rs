//! A change lock: a `coordination.k8s.io/v1` Lease per target, as client-go's leader election
//! does it — create if absent; take over only when the holder is empty or the record has not
//! been renewed for `leaseDurationSeconds` (a takeover increments `leaseTransitions`); renew
//! with the resourceVersion read (a concurrent writer gets 409); release with an empty holder.
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::error::ClusterError;
use super::write::{LEASE, Mutation, ObjRef, Precondition, WriteError, WriteStep, Writer};

/// Seconds a lock stays valid without renewal (renewed every third of it).
pub const LEASE_SECONDS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub target: ObjRef,
    pub resource_version: String,
    pub acquired: String,
    pub transitions: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{namespace}/{name} is locked by {holder} since {since} (renewed {renewed}); wait for that change to finish, or for the lock to expire {seconds}s after its last renewal"
    )]
    HeldByOther { namespace: String, name: String, holder: String, since: String, renewed: String, seconds: i64 },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn step(change: &str, action: &str, params: Value) -> WriteStep {
    WriteStep { change: Some(change.to_string()), step: "lock".into(), kind: "lock".into(), action: action.into(), params }
}

async fn get(writer: &Writer, target: &ObjRef) -> Result<Option<Value>, ClusterError> {
    let path = format!("/apis/coordination.k8s.io/v1/namespaces/{}/leases/{}", target.namespace, target.name);
    super::rollout::get_json(writer, &path).await
}

fn body(target: &ObjRef, holder: &str, acquired: &str, renewed: &str, transitions: i64, change: &str) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": target.name, "namespace": target.namespace, "labels": {"change-id": change, "app.kubernetes.io/managed-by": "cabin"}},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": LEASE_SECONDS, "acquireTime": acquired, "renewTime": renewed, "leaseTransitions": transitions},
    })
}

/// Who a Lease names and whether that is still valid (renewed within its duration).
struct Holding {
    holder: String,
    renewed: String,
    duration: i64,
    expired: bool,
}

fn holding(lease: &Value, now: DateTime<Utc>) -> Holding {
    let spec = lease.get("spec").cloned().unwrap_or(Value::Null);
    let holder = spec.get("holderIdentity").and_then(Value::as_str).unwrap_or_default().to_string();
    let renewed = spec.get("renewTime").and_then(Value::as_str).unwrap_or_default().to_string();
    let duration = spec.get("leaseDurationSeconds").and_then(Value::as_i64).unwrap_or(LEASE_SECONDS);
    let expired =
        DateTime::parse_from_rfc3339(&renewed).map(|t| now - t.with_timezone(&Utc) > chrono::Duration::seconds(duration)).unwrap_or(true);
    Holding { holder, renewed, duration, expired }
}

/// The live holder of a target's lock: None when the Lease is absent, empty or expired.
pub async fn live_holder(
    writer: &Writer,
    target: &crate::domain::change::TargetRef,
    now: DateTime<Utc>,
) -> Result<Option<String>, ClusterError> {
    let lease = get(writer, &ObjRef::new(LEASE, &target.namespace, &crate::domain::change::lock_lease_name(target))).await?;
    Ok(lease.map(|l| holding(&l, now)).filter(|h| !h.holder.is_empty() && !h.expired).map(|h| h.holder))
}

/// Takes the lock `name` in `namespace` for `holder`. An expired or empty holder is taken
/// over (journalled as `take-over` with the previous holder); a live one refuses.
pub async fn acquire(
    writer: &Writer,
    change: &str,
    namespace: &str,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<Held, LockError> {
    let target = ObjRef::new(LEASE, namespace, name);
    let now_s = ts(now);
    let (mutation, action, previous) = match get(writer, &target).await? {
        None => {
            (Mutation::Create { target: target.clone(), body: body(&target, holder, &now_s, &now_s, 0, change) }, "acquire", Value::Null)
        }
        Some(lease) => {
            let spec = lease.get("spec").cloned().unwrap_or(Value::Null);
            let Holding { holder: current, renewed, duration, expired } = holding(&lease, now);
            let transitions = spec.get("leaseTransitions").and_then(Value::as_i64).unwrap_or(0);
            let rv = lease.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or_default().to_string();
            if !current.is_empty() && current != holder && !expired {
                let since = spec.get("acquireTime").and_then(Value::as_str).unwrap_or("an unknown time").to_string();
                return Err(LockError::HeldByOther {
                    namespace: namespace.into(),
                    name: name.into(),
                    holder: current,
                    since,
                    renewed,
                    seconds: duration,
                });
            }
            let (action, transitions) =
                if current.is_empty() || current == holder { ("acquire", transitions) } else { ("take-over", transitions + 1) };
            let m = Mutation::Replace {
                target: target.clone(),
                body: body(&target, holder, &now_s, &now_s, transitions, change),
                pre: Precondition::exact(rv),
            };
            (m, action, json!({"holder": current, "renewTime": renewed}))
        }
    };
    let written = writer.apply(&step(change, action, json!({"holder": holder, "lease": name, "previous": previous})), mutation).await?;
    Ok(Held { target, resource_version: written.resource_version.unwrap_or_default(), acquired: now_s, transitions: 0 })
}

/// Renews a held lock (the resourceVersion it holds is the precondition).
pub async fn renew(writer: &Writer, change: &str, held: &mut Held, holder: &str, now: DateTime<Utc>) -> Result<(), LockError> {
    let m = Mutation::Replace {
        target: held.target.clone(),
        body: body(&held.target, holder, &held.acquired, &ts(now), held.transitions, change),
        pre: Precondition::exact(held.resource_version.clone()),
    };
    let written = writer.apply(&step(change, "renew", json!({"holder": holder})), m).await?;
    held.resource_version = written.resource_version.unwrap_or_default();
    Ok(())
}

/// Releases a held lock: an empty holder, as client-go's ReleaseOnCancel does.
pub async fn release(writer: &Writer, change: &str, held: &Held, now: DateTime<Utc>) -> Result<(), LockError> {
    let m = Mutation::Replace {
        target: held.target.clone(),
        body: body(&held.target, "", &held.acquired, &ts(now), held.transitions, change),
        pre: Precondition::exact(held.resource_version.clone()),
    };
    writer.apply(&step(change, "release", json!({})), m).await?;
    Ok(())
}

/// The locks of one run or rollback: a Lease per target, all or none; renewed a third of
/// their duration after the last renewal.
#[derive(Debug)]
pub struct LockSet {
    change: String,
    holder: String,
    held: Vec<Held>,
    renewed: Option<tokio::time::Instant>,
}

impl LockSet {
    pub fn new(change: &str, holder: &str) -> LockSet {
        LockSet { change: change.into(), holder: holder.into(), held: Vec::new(), renewed: None }
    }

    /// Takes the lock of every target; on a refusal releases the ones taken and says why.
    pub async fn acquire(&mut self, writer: &Writer, targets: &[crate::domain::change::TargetRef]) -> Result<(), String> {
        for t in targets {
            let name = crate::domain::change::lock_lease_name(t);
            match acquire(writer, &self.change, &t.namespace, &name, &self.holder, Utc::now()).await {
                Ok(held) => self.held.push(held),
                Err(e) => {
                    self.release(writer).await;
                    return Err(e.to_string());
                }
            }
        }
        self.renewed = Some(tokio::time::Instant::now());
        Ok(())
    }

    /// Renews every lock when a third of the lease has passed; what could not be renewed.
    pub async fn renew_due(&mut self, writer: &Writer) -> Vec<String> {
        let every = std::time::Duration::from_secs(u64::try_from(LEASE_SECONDS / 3).unwrap_or(10));
        if self.renewed.is_none_or(|t| t.elapsed() < every) {
            return Vec::new();
        }
        self.renewed = Some(tokio::time::Instant::now());
        let mut lost = Vec::new();
        for held in &mut self.held {
            if let Err(e) = renew(writer, &self.change, held, &self.holder, Utc::now()).await {
                lost.push(format!("the change lock {} could not be renewed: {e}", held.target.name));
            }
        }
        lost
    }

    /// Releases every lock; what could not be released (it expires by itself).
    pub async fn release(&mut self, writer: &Writer) -> Vec<String> {
        let mut failed = Vec::new();
        for held in std::mem::take(&mut self.held) {
            if let Err(e) = release(writer, &self.change, &held, Utc::now()).await {
                failed.push(format!("the lock {} was not released: {e}; it expires by itself", held.target.name));
            }
        }
        failed
    }
}
