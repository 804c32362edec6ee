//! Preflight against `cabin sim` (a simulator per test): the evidence gathered over HTTPS, the
//! checks it decides, and the read-only and viewer cases.
#[path = "support/cluster.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use cabin::cluster::Connection;
use cabin::cluster::write::Writer;
use cabin::domain::change::{ApprovalPolicy, ChangeRequest, CheckId, CheckStatus, parse_change};
use cabin::engine::preflight::{PreflightEnv, PreflightRun, evaluate};
use cabin::engine::windows_feed::WindowsFeed;
use cabin::journal::{Journal, JournalContext, SystemClock};
use chrono::Utc;
use support::*;

fn demo(name: &str) -> ChangeRequest {
    let path = format!("{}/assets/changes/demo/{name}", env!("CARGO_MANIFEST_DIR"));
    parse_change(name, &std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn change(yaml_targets: &str) -> ChangeRequest {
    let text = format!(
        "apiVersion: cabin.dev/v1alpha1\nkind: ChangeRequest\nmetadata:\n  name: CHG-7001\nspec:\n  title: t\n  risk: low\n  author: a\n  approvedBy: [b, c]\n  targets:\n{yaml_targets}"
    );
    parse_change("t.yaml", &text).unwrap()
}

fn writer(c: &Connection, dir: &tempfile::TempDir) -> Writer {
    let journal = Journal::open(dir.path().join("journal.jsonl"), JournalContext::local(), Box::new(SystemClock)).unwrap().0;
    Writer::new(c.clone(), Arc::new(journal))
}

async fn preflight(c: &Connection, w: Option<&Writer>, change: &ChangeRequest) -> PreflightRun {
    // As the CLI and the cockpit do: no windows files, the cluster's AppProjects and Applications.
    let feed = cabin::engine::preflight::windows_with_cluster(c, &WindowsFeed::default()).await;
    let policy = ApprovalPolicy::default();
    let env = PreflightEnv { conn: c, writer: w, skip_reason: "read-only session (--read-only)", windows: &feed, policy: &policy };
    evaluate(env, change, Utc::now()).await
}

fn status(run: &PreflightRun, id: CheckId) -> (CheckStatus, String) {
    let c = run.preflight.check(id).unwrap_or_else(|| panic!("no check {id:?}"));
    (c.status, c.summary.clone())
}

/// Re-runs the preflight until `done` holds (the simulator's controllers converge), or fails
/// with the last preflight after `secs`.
async fn until(c: &Connection, w: Option<&Writer>, ch: &ChangeRequest, secs: u64, done: impl Fn(&PreflightRun) -> bool) -> PreflightRun {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let run = preflight(c, w, ch).await;
        if done(&run) {
            return run;
        }
        assert!(tokio::time::Instant::now() < deadline, "condition not reached: {:#?}", run.preflight);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_ready_demo_change_passes_its_cluster_checks() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let dir = tempfile::tempdir().unwrap();
    let w = writer(&c, &dir);
    let ch = demo("chg-2001-payments-api.yaml");
    let run = until(&c, Some(&w), &ch, 60, |r| status(r, CheckId::RolloutComplete).0 == CheckStatus::Pass).await;
    let ids: Vec<CheckId> = run.preflight.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, CheckId::ALL.to_vec(), "every check, in the stable order");
    for id in [CheckId::Approvals, CheckId::Target, CheckId::Containers, CheckId::Images, CheckId::DryRun, CheckId::Rbac] {
        assert_eq!(status(&run, id).0, CheckStatus::Pass, "{id:?}: {}", status(&run, id).1);
    }
    assert_eq!(status(&run, CheckId::BackupLocation), (CheckStatus::Pass, "BackupStorageLocation default is Available".into()));
    assert_eq!(status(&run, CheckId::Lock).0, CheckStatus::Pass);
    let t = &run.targets[0];
    assert_eq!(t.current_images, vec![("app".to_string(), "ghcr.io/acme/payments-api:1.14.2".to_string())]);
    assert_eq!(t.containers[0].current.as_deref(), Some("ghcr.io/acme/payments-api:1.14.2"));
    let plan = t.plan.as_ref().unwrap();
    assert_eq!(plan.holds.iter().map(|h| h.updated).collect::<Vec<_>>(), vec![1, 2, 3]);
    // The dry run persisted nothing: the template still runs the old image.
    let again = preflight(&c, Some(&w), &ch).await;
    assert_eq!(again.targets[0].current_images, t.current_images);
}

#[tokio::test]
async fn read_only_skips_the_dry_run_and_says_why() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    let run = preflight(&c, None, &demo("chg-2001-payments-api.yaml")).await;
    let (s, summary) = status(&run, CheckId::DryRun);
    assert_eq!(s, CheckStatus::Skipped);
    assert!(summary.contains("read-only session"), "{summary}");
    // Everything else is still read (access reviews are allowed in read-only).
    assert_eq!(status(&run, CheckId::Target).0, CheckStatus::Pass);
    assert_eq!(status(&run, CheckId::Rbac).0, CheckStatus::Pass, "{}", status(&run, CheckId::Rbac).1);
}

#[tokio::test]
async fn a_viewer_fails_rbac_and_the_dry_run() {
    let sim = start_sim().await;
    let c = conn(&sim, Some("sim-viewer"), false).await;
    let dir = tempfile::tempdir().unwrap();
    let w = writer(&c, &dir);
    let run = preflight(&c, Some(&w), &demo("chg-2001-payments-api.yaml")).await;
    let (s, summary) = status(&run, CheckId::Rbac);
    assert_eq!(s, CheckStatus::Fail);
    assert!(summary.contains("cannot patch deployments.apps/payments-api in payments"), "{summary}");
    assert!(summary.contains("cannot create backups.velero.io in velero"), "{summary}");
    assert!(!run.preflight.check(CheckId::Rbac).unwrap().waivable);
    let (s, summary) = status(&run, CheckId::DryRun);
    assert_eq!(s, CheckStatus::Fail, "{summary}");
    assert!(summary.contains("403") || summary.contains("forbidden"), "{summary}");
    assert!(!run.preflight.ok);
}

#[tokio::test]
async fn a_missing_target_fails_and_nothing_is_sent_for_it() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let dir = tempfile::tempdir().unwrap();
    let w = writer(&c, &dir);
    let ch = change("    - kind: Deployment\n      namespace: payments\n      name: nope\n      images: {app: x/y:1}\n");
    let run = preflight(&c, Some(&w), &ch).await;
    assert_eq!(status(&run, CheckId::Target), (CheckStatus::Fail, "not found: Deployment payments/nope".into()));
    assert_eq!(status(&run, CheckId::Containers).0, CheckStatus::Skipped);
    assert_eq!(status(&run, CheckId::DryRun).0, CheckStatus::Skipped);
    assert_eq!(status(&run, CheckId::RolloutComplete).0, CheckStatus::Skipped);
    assert!(!run.preflight.ok);
}

#[tokio::test]
async fn a_missing_container_fails() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    let ch = change("    - kind: Deployment\n      namespace: payments\n      name: payments-api\n      images: {sidecar: x/y:1}\n");
    let run = preflight(&c, None, &ch).await;
    let (s, summary) = status(&run, CheckId::Containers);
    assert_eq!(s, CheckStatus::Fail);
    assert!(summary.contains("no container 'sidecar' (has app)"), "{summary}");
}

async fn put_lease(sim: &Sim, holder: &str, change: &str) {
    let client = other_actor(sim).await;
    let api: kube::Api<k8s_openapi::api::coordination::v1::Lease> = kube::Api::namespaced(client, "payments");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let lease: k8s_openapi::api::coordination::v1::Lease = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "cabin-lock-deployment-payments-api", "namespace": "payments", "labels": {"change-id": change}},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 300, "acquireTime": now, "renewTime": now}
    }))
    .unwrap();
    let _ = api.delete("cabin-lock-deployment-payments-api", &Default::default()).await;
    api.create(&Default::default(), &lease).await.unwrap();
}

#[tokio::test]
async fn another_changes_live_lock_fails_and_our_own_passes() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    let ch = demo("chg-2001-payments-api.yaml");
    put_lease(&sim, "bob@laptop", "CHG-9999").await;
    let run = preflight(&c, None, &ch).await;
    let (s, summary) = status(&run, CheckId::Lock);
    assert_eq!(s, CheckStatus::Fail);
    assert!(summary.contains("locked by bob@laptop"), "{summary}");
    // A Lease labelled with this change is its own run's lock (a resume).
    put_lease(&sim, "operator@host", "CHG-2001").await;
    assert_eq!(status(&preflight(&c, None, &ch).await, CheckId::Lock).0, CheckStatus::Pass);
}

#[tokio::test]
async fn a_self_healing_application_fails_autosync() {
    let sim = start_sim().await;
    let client = other_actor(&sim).await;
    let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> = kube::Api::namespaced(client, "checkout");
    let patch = serde_json::json!({"metadata": {"labels": {"app.kubernetes.io/instance": "checkout"}}});
    api.patch("checkout-web", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&patch)).await.unwrap();
    let c = conn(&sim, None, true).await;
    let ch = change("    - kind: Deployment\n      namespace: checkout\n      name: checkout-web\n      images: {app: x/y:1}\n");
    let run = preflight(&c, None, &ch).await;
    let (s, summary) = status(&run, CheckId::ArgocdAutosync);
    assert_eq!(s, CheckStatus::Fail);
    assert!(summary.contains("checkout (Deployment checkout/checkout-web)") && summary.contains("self-heal"), "{summary}");
    assert_eq!(run.targets[0].application.as_deref(), Some("argocd/checkout"));
    // An unmanaged target passes.
    let other = change("    - kind: Deployment\n      namespace: payments\n      name: payments-api\n      images: {app: x/y:1}\n");
    assert_eq!(status(&preflight(&c, None, &other).await, CheckId::ArgocdAutosync).0, CheckStatus::Pass);
}

#[tokio::test]
async fn a_crash_looping_target_fails_rollout_complete() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    set_image(&c, "search", "search-api", "app", &format!("{CRASHING_IMAGE_REPO}:9")).await.unwrap();
    let ch = change("    - kind: Deployment\n      namespace: search\n      name: search-api\n      images: {app: x/y:1}\n");
    let run = until(&c, None, &ch, 60, |r| status(r, CheckId::RolloutComplete).1.contains("CrashLoopBackOff")).await;
    assert_eq!(status(&run, CheckId::RolloutComplete).0, CheckStatus::Fail);
}

/// A TCP relay in front of the simulator that can be cut: every open connection and the
/// listener stop, so the next request of an established client fails (unreachable).
struct Relay {
    port: u16,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(to: std::net::SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let inner = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let t = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                inner.lock().unwrap().push(t);
            }
        });
        tasks.lock().unwrap().push(accept);
        Relay { port, tasks }
    }

    fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

#[tokio::test]
async fn an_unreachable_cluster_fails_closed() {
    let sim = start_sim().await;
    let relay = Relay::start(sim.handle.addr()).await;
    let text = std::fs::read_to_string(&sim.kubeconfig).unwrap().replace(&sim.handle.url(), &format!("https://127.0.0.1:{}", relay.port));
    let path = sim.dir.path().join("relayed");
    std::fs::write(&path, text).unwrap();
    let c =
        cabin::cluster::connect(cabin::cluster::ConnectOptions { kubeconfig: Some(path), context: None, read_only: true }).await.unwrap();
    relay.cut();
    let run = preflight(&c, None, &demo("chg-2001-payments-api.yaml")).await;
    for id in [CheckId::Target, CheckId::Rbac, CheckId::Pdb, CheckId::Lock, CheckId::BackupLocation, CheckId::ArgocdAutosync] {
        assert_eq!(status(&run, id).0, CheckStatus::Fail, "{id:?}: {}", status(&run, id).1);
    }
    assert!(
        status(&run, CheckId::Target).1.contains("cannot read Deployment payments/payments-api"),
        "{}",
        status(&run, CheckId::Target).1
    );
    assert!(!run.preflight.ok);
}

#[tokio::test]
async fn a_deployer_may_patch_but_not_back_up() {
    let sim = start_sim().await;
    let c = conn(&sim, Some("sim-deployer"), true).await;
    let run = preflight(&c, None, &demo("chg-2001-payments-api.yaml")).await;
    let (s, summary) = status(&run, CheckId::Rbac);
    assert_eq!(s, CheckStatus::Fail);
    assert!(summary.contains("cannot create backups.velero.io in velero"), "{summary}");
    assert!(!summary.contains("deployments"), "the deployer may patch Deployments: {summary}");
    // Without a backup in the change, the same user passes.
    let no_backup = change("    - kind: Deployment\n      namespace: payments\n      name: payments-api\n      images: {app: x/y:1}\n");
    assert_eq!(status(&preflight(&c, None, &no_backup).await, CheckId::Rbac).0, CheckStatus::Pass);
}

async fn create(sim: &Sim, ns: &str, obj: serde_json::Value) {
    let client = other_actor(sim).await;
    let kind = obj["kind"].as_str().unwrap().to_string();
    let (group, version, plural) = match kind.as_str() {
        "PodDisruptionBudget" => ("policy", "v1", "poddisruptionbudgets"),
        _ => ("", "v1", "resourcequotas"),
    };
    let gvk = kube::api::GroupVersionKind::gvk(group, version, &kind);
    let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, plural);
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(client, ns, &ar);
    let obj: kube::api::DynamicObject = serde_json::from_value(obj).unwrap();
    api.create(&Default::default(), &obj).await.unwrap();
}

#[tokio::test]
async fn a_budget_without_headroom_fails_pdb() {
    let sim = start_sim().await;
    let client = other_actor(&sim).await;
    let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> = kube::Api::namespaced(client, "search");
    let patch = serde_json::json!({"spec": {"strategy": {"rollingUpdate": {"maxUnavailable": 1}}}});
    api.patch("search-api", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&patch)).await.unwrap();
    let pdb = serde_json::json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "search-api-all", "namespace": "search"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app.kubernetes.io/name": "search-api"}}}
    });
    create(&sim, "search", pdb).await;
    let c = conn(&sim, None, true).await;
    let ch = change("    - kind: Deployment\n      namespace: search\n      name: search-api\n      images: {app: x/y:1}\n");
    let run = until(&c, None, &ch, 60, |r| status(r, CheckId::Pdb).0 == CheckStatus::Fail).await;
    let summary = status(&run, CheckId::Pdb).1;
    assert!(summary.contains("PDB search-api-all allows 0 disruption(s)") && summary.contains("takes up to 1 pod(s) down"), "{summary}");
    assert!(run.preflight.check(CheckId::Pdb).unwrap().waivable);
}

#[tokio::test]
async fn a_quota_without_room_for_the_surge_fails() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    let ch = change("    - kind: Deployment\n      namespace: search\n      name: search-api\n      images: {app: x/y:1}\n");
    // Wait until the namespace's pods are all there, then cap pods at what runs now.
    let client = other_actor(&sim).await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client, "search");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let count = loop {
        let n = pods.list(&Default::default()).await.unwrap().items.len();
        if n >= 5 {
            break n;
        }
        assert!(tokio::time::Instant::now() < deadline, "search pods never reached 5 ({n})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let quota = serde_json::json!({
        "apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": "tight", "namespace": "search"},
        "spec": {"hard": {"pods": count.to_string()}}
    });
    create(&sim, "search", quota).await;
    let run = until(&c, None, &ch, 60, |r| status(r, CheckId::Quota).0 == CheckStatus::Fail).await;
    let summary = status(&run, CheckId::Quota).1;
    assert!(summary.contains("quota tight pods: 0 free, 1 surge pod(s) of Deployment search/search-api need 1"), "{summary}");
}

#[tokio::test]
async fn the_runs_preflight_applies_journalled_waivers() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let dir = tempfile::tempdir().unwrap();
    let w = writer(&c, &dir);
    let ch = change("    - kind: Deployment\n      namespace: payments\n      name: nope\n      images: {app: x/y:1}\n");
    // `target` may not be waived: a journalled waiver of it changes nothing.
    let entry =
        cabin::journal::NewEntry::new(Some("CHG-7001".into()), "waiver", serde_json::json!({"check": "target", "reason": "r", "by": "x"}));
    w.journal().append(entry).unwrap();
    let p = cabin::engine::preflight::preflight_for_run(&w, &ch, &Default::default(), Utc::now()).await;
    assert!(p.check(CheckId::Target).unwrap().blocks());
    // A waivable failure (the planned slot is over) is waived by the journal entry.
    let text = "apiVersion: cabin.dev/v1alpha1\nkind: ChangeRequest\nmetadata:\n  name: CHG-7002\nspec:\n  title: t\n  risk: low\n  author: a\n  approvedBy: [b, c]\n  window: 2020-01-01T00:00:00Z/PT1H\n  targets:\n    - kind: Deployment\n      namespace: payments\n      name: payments-api\n      images: {app: x/y:1}\n";
    let ch = parse_change("t.yaml", text).unwrap();
    let entry = cabin::journal::NewEntry::new(
        Some("CHG-7002".into()),
        "waiver",
        serde_json::json!({"check": "window", "reason": "agreed", "by": "sre"}),
    );
    w.journal().append(entry).unwrap();
    let p = cabin::engine::preflight::preflight_for_run(&w, &ch, &Default::default(), Utc::now()).await;
    let window = p.check(CheckId::Window).unwrap();
    assert_eq!(window.waived.as_ref().map(|x| (x.by.as_str(), x.reason.as_str())), Some(("sre", "agreed")));
    assert_eq!(p.check(CheckId::DryRun).unwrap().status, CheckStatus::Pass);
}
