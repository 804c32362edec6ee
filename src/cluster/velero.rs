//! The pre-change Velero backup: a `velero.io/v1` `Backup` in Velero's namespace, named after
//! the change, labelled `change-id=<ID>`; usable only at phase `Completed`.
use serde_json::{Value, json};

use super::error::ClusterError;
use super::write::{Mutation, ObjRef, VELERO_BACKUP, VELERO_RESTORE, WriteError, WriteStep, Writer};
use crate::domain::change::VeleroBackup;

pub const VELERO_NAMESPACE: &str = "velero";

/// Creates under `name`, or `name-2`, `name-3`, … when an object of that name exists already
/// (two attempts within the same second); returns the name used.
async fn create_unique<F, Fut>(name: &str, create: F) -> Result<String, WriteError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), WriteError>>,
{
    for n in 1..=5 {
        let candidate = if n == 1 { name.to_string() } else { format!("{name}-{n}") };
        match create(candidate.clone()).await {
            Err(WriteError::Cluster(ClusterError::Api { code: 409, .. })) => continue,
            other => return other.map(|()| candidate),
        }
    }
    Err(WriteError::Cluster(ClusterError::Api {
        code: 409,
        reason: "AlreadyExists".into(),
        detail: format!("{name} and four more names are taken"),
    }))
}

/// Creates the backup `name` (or `name-N` when taken) for `change`; returns the name used.
pub async fn create_backup(writer: &Writer, change: &str, name: &str, spec: &VeleroBackup) -> Result<String, WriteError> {
    create_unique(name, |n| create_backup_named(writer, change, n, spec)).await
}

async fn create_backup_named(writer: &Writer, change: &str, name: String, spec: &VeleroBackup) -> Result<(), WriteError> {
    let name = name.as_str();
    let ttl = crate::domain::change::duration::format_go_duration(spec.ttl);
    let body = json!({
        "apiVersion": "velero.io/v1", "kind": "Backup",
        "metadata": {"name": name, "namespace": VELERO_NAMESPACE, "labels": {"change-id": change}},
        "spec": {"includedNamespaces": spec.included_namespaces, "snapshotVolumes": spec.snapshot_volumes.unwrap_or(true), "ttl": ttl},
    });
    let step = WriteStep {
        change: Some(change.to_string()),
        step: "backup".into(),
        kind: "backup".into(),
        action: "create-backup".into(),
        params: json!({"name": name, "includedNamespaces": spec.included_namespaces, "ttl": ttl}),
    };
    writer.apply(&step, Mutation::Create { target: ObjRef::new(VELERO_BACKUP, VELERO_NAMESPACE, name), body }).await.map(|_| ())
}

/// The backup's `status.phase` ("" while Velero has not picked it up).
pub async fn backup_phase(writer: &Writer, name: &str) -> Result<String, ClusterError> {
    phase(writer, "backups", name).await
}

/// The restore's `status.phase` ("" while Velero has not picked it up).
pub async fn restore_phase(writer: &Writer, name: &str) -> Result<String, ClusterError> {
    phase(writer, "restores", name).await
}

async fn phase(writer: &Writer, plural: &str, name: &str) -> Result<String, ClusterError> {
    let path = format!("/apis/velero.io/v1/namespaces/{VELERO_NAMESPACE}/{plural}/{name}");
    let v = super::rollout::get_json(writer, &path)
        .await?
        .ok_or_else(|| ClusterError::NotFound { detail: format!("the {plural} {VELERO_NAMESPACE}/{name} does not exist") })?;
    Ok(v.pointer("/status/phase").and_then(Value::as_str).unwrap_or_default().to_string())
}

/// The name of a restore made for `change` at `at`.
pub fn restore_name(change: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    format!("restore-{}-{}", change.to_ascii_lowercase(), at.format("%Y%m%d-%H%M%S"))
}

/// Creates the `Restore` `name` (or `name-N` when taken) of `backup` for `change`, overwriting
/// existing objects (`existingResourcePolicy: update`), as `velero restore create` with
/// `--existing-resource-policy=update` does; returns the name used.
pub async fn create_restore(writer: &Writer, change: &str, name: &str, backup: &str) -> Result<String, WriteError> {
    create_unique(name, |n| create_restore_named(writer, change, n, backup)).await
}

async fn create_restore_named(writer: &Writer, change: &str, name: String, backup: &str) -> Result<(), WriteError> {
    let name = name.as_str();
    let body = json!({
        "apiVersion": "velero.io/v1", "kind": "Restore",
        "metadata": {"name": name, "namespace": VELERO_NAMESPACE, "labels": {"change-id": change}},
        "spec": {"backupName": backup, "existingResourcePolicy": "update"},
    });
    let step = WriteStep {
        change: Some(change.to_string()),
        step: "restore".into(),
        kind: "restore".into(),
        action: "create-restore".into(),
        params: json!({"name": name, "backupName": backup, "existingResourcePolicy": "update"}),
    };
    writer.apply(&step, Mutation::Create { target: ObjRef::new(VELERO_RESTORE, VELERO_NAMESPACE, name), body }).await.map(|_| ())
}

/// The `velero restore create` command that returns the backup's objects (overwriting the
/// existing ones: `--existing-resource-policy=update`).
pub fn restore_command(backup: &str) -> String {
    format!("velero restore create --from-backup {backup} --existing-resource-policy=update")
}
