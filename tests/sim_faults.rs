//! Seeded fault injection (`SimOptions.faults`, a scenario's `faults:`, `cabin sim --faults`)
//! and the request hook (`SimOptions.on_request`).
mod common;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cabin::sim::RequestSummary;
use cabin::sim::faults::FaultPlan;
use cabin::sim::scenario::{self, Scenario};
use cabin::sim::store_api::{SimStore, kinds};
use common::{TestSim, http, start_sim_with_options};
use serde_json::json;

fn scenario() -> Scenario {
    Scenario { objects: vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})], ..Scenario::default() }
}

async fn with_faults(spec: &str) -> TestSim {
    let plan = FaultPlan::parse(spec).expect("valid fault spec");
    start_sim_with_options(scenario(), |o| o.faults = Some(plan)).await
}

async fn statuses(sim: &TestSim, n: usize) -> Vec<u16> {
    let token = sim.token("operator");
    let mut out = Vec::new();
    for _ in 0..n {
        let r = http::try_request(sim, "GET", "/api/v1/namespaces/shop", Some(&token), None, b"").await;
        out.push(r.map_or(0, |r| r.status));
    }
    out
}

const MIXED: &str = "seed=7,error=0.2,codes=500/503,throttle=0.2,retry-after=3,reset=0.1,exempt=selfsubjectreviews";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_replays_the_same_faults() {
    let a = statuses(&with_faults(MIXED).await, 60).await;
    let b = statuses(&with_faults(MIXED).await, 60).await;
    assert_eq!(a, b, "the same seed gives the same answers in the same order");
    for code in [200, 500, 503, 429, 0] {
        assert!(a.contains(&code), "{code} occurs in {a:?} (0 = connection reset)");
    }
    let other = statuses(&with_faults(&MIXED.replace("seed=7", "seed=8")).await, 60).await;
    assert_ne!(a, other, "another seed, other faults");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_says_when_to_retry_and_exempt_requests_pass() {
    let sim = with_faults("seed=1,throttle=1,retry-after=3,exempt=selfsubjectreviews").await;
    let token = sim.token("operator");
    let r = http::request(&sim, "GET", "/api/v1/namespaces", Some(&token), None, b"").await;
    assert_eq!(r.status, 429);
    assert!(r.headers.to_ascii_lowercase().contains("retry-after: 3"), "{}", r.headers);
    assert_eq!((r.json()["reason"].as_str(), r.json()["details"]["retryAfterSeconds"].as_i64()), (Some("TooManyRequests"), Some(3)));
    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}).to_string();
    for _ in 0..10 {
        let path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
        let r = http::request(&sim, "POST", path, Some(&token), Some("application/json"), review.as_bytes()).await;
        assert_eq!(r.status, 201, "the exempt probe always answers: {}", r.body);
    }
    // A plan can be lifted and changed while running.
    sim.handle.set_fault_plan(None);
    assert_eq!(statuses(&sim, 5).await, vec![200; 5]);
    sim.handle.set_fault_plan(Some(FaultPlan { error: 1.0, codes: vec![503], after: "1h".into(), ..FaultPlan::default() }));
    assert_eq!(statuses(&sim, 5).await, vec![200; 5], "no faults before `after`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_and_dropped_watches() {
    let sim = with_faults("seed=3,latency=1,latency-ms=300,drop-watch=1").await;
    let token = sim.token("operator");
    let start = Instant::now();
    let r = http::request(&sim, "GET", "/api/v1/namespaces/shop", Some(&token), None, b"").await;
    assert_eq!(r.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300), "the answer was held back by the latency spike");
    // A watch asked to last ten minutes ends early (the helper gives up after 20 s).
    let w = http::request(&sim, "GET", "/api/v1/namespaces?watch=true&timeoutSeconds=600", Some(&token), None, b"").await;
    assert_eq!(w.status, 200);
    assert!(w.events().iter().any(|e| e["type"] == "ADDED" && e["object"]["metadata"]["name"] == "shop"), "{}", w.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_files_and_the_command_line_take_fault_plans() {
    let text = "faults:\n  seed: 1\n  error: 1.0\n  codes: [503]\nobjects:\n- {apiVersion: v1, kind: Namespace, metadata: {name: shop}}\n";
    let sc = scenario::parse("f.yaml", text).expect("scenario with faults parses");
    let sim = start_sim_with_options(sc, |_| {}).await;
    assert_eq!(statuses(&sim, 3).await, vec![503; 3]);
    let bad = scenario::parse("f.yaml", "faults:\n  error: 2\n").expect_err("a share above 1 is refused");
    assert_eq!(bad.to_string(), "scenario file \"f.yaml\": field faults: error: 2 is not a share between 0 and 1");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cabin")).args(["sim", "--faults", "throttle=2"]).output().expect("run cabin");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("throttle: \"2\" is not a share between 0 and 1"), "{err}");
}

/// A request as the hook saw it, with the Deployment's image at that moment.
type Seen = (RequestSummary, Option<String>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_hook_runs_before_the_request_is_processed() {
    let store: Arc<OnceLock<Arc<dyn SimStore>>> = Arc::new(OnceLock::new());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let (store2, seen2) = (store.clone(), seen.clone());
    let hook = Arc::new(move |r: &RequestSummary| {
        // What the object looks like at the moment the request arrives.
        let image = store2
            .get()
            .and_then(|s| s.get(kinds::DEPLOYMENT, Some("shop"), "web"))
            .and_then(|d| d["spec"]["template"]["spec"]["containers"][0]["image"].as_str().map(str::to_string));
        seen2.lock().unwrap_or_else(|p| p.into_inner()).push((r.clone(), image));
    });
    let mut sc = scenario();
    sc.objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}));
    let sim = start_sim_with_options(sc, |o| o.on_request = Some(hook)).await;
    let _ = store.set(sim.store());
    sim.kubectl_ok(&["-n", "shop", "set", "image", "deploy/web", "app=nginx:1.28"]);
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (patch, image) = seen.iter().find(|(r, _)| r.method == "PATCH").expect("the hook saw kubectl's PATCH");
    assert_eq!(patch.path, "/apis/apps/v1/namespaces/shop/deployments/web");
    assert!(patch.query.contains("fieldManager=kubectl-set"), "{}", patch.query);
    assert_eq!(patch.user.as_deref(), Some("operator"));
    assert!(patch.headers.iter().any(|(k, v)| k == "user-agent" && v.starts_with("kubectl")), "{:?}", patch.headers);
    assert_eq!(image.as_deref(), Some("nginx:1.27"), "the hook ran before the patch was applied");
    let now = sim.store().get(kinds::DEPLOYMENT, Some("shop"), "web").expect("web exists");
    assert_eq!(now["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.28");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_still_takes_effect_and_verbs_limit_faults() {
    let sim = with_faults("seed=1,lost=1,verbs=patch").await;
    let token = sim.token("operator");
    assert_eq!(statuses(&sim, 3).await, vec![200; 3], "only PATCH requests get faults");
    let path = "/api/v1/namespaces/shop";
    let body = br#"{"metadata":{"labels":{"patched":"yes"}}}"#;
    let reply = http::try_request(&sim, "PATCH", path, Some(&token), Some("application/merge-patch+json"), body).await;
    assert!(reply.is_none(), "the answer is lost: {reply:?}");
    let ns = sim.store().get(kinds::NAMESPACE, None, "shop").expect("shop exists");
    assert_eq!(ns["metadata"]["labels"]["patched"], "yes", "the PATCH took effect although its answer was lost");
}
