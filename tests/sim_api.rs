//! Raw HTTPS API tests of `cabin sim` (no Kubernetes client library): authentication,
//! authorization, CRUD status codes, list paging, watch resume and 410 Expired.
mod common;

use common::http::{request, request_accept};
use common::{TestSim, start_sim};
use serde_json::json;

const CM: &str = "application/json";

async fn sim_with_ns(ns: &str) -> TestSim {
    let sim = start_sim("demo").await;
    let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).to_string();
    let r = request(&sim, "POST", "/api/v1/namespaces", Some(&sim.token("operator")), Some(CM), body.as_bytes()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Like a real cluster, every namespace gets the kube-root-ca.crt ConfigMap; wait for it so
    // the tests' own writes come after it.
    let store = sim.store();
    common::wait_until(std::time::Duration::from_secs(20), "kube-root-ca.crt in the new namespace", || {
        store.get(cabin::sim::store_api::kinds::CONFIG_MAP, Some(ns), "kube-root-ca.crt").is_some()
    })
    .await;
    sim
}

/// Watch events without the namespace's kube-root-ca.crt ConfigMap.
fn own_events(r: &common::http::Reply) -> Vec<serde_json::Value> {
    r.events().into_iter().filter(|e| e["object"]["metadata"]["name"] != "kube-root-ca.crt").collect()
}

fn cm(name: &str, labels: serde_json::Value) -> Vec<u8> {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
        .to_string()
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_and_forbidden_requests_get_real_statuses() {
    let sim = sim_with_ns("t1").await;
    let r = request(&sim, "GET", "/api/v1/namespaces", None, None, b"").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (401, Some("Unauthorized")));
    let r = request(&sim, "GET", "/api/v1/namespaces", Some("wrong"), None, b"").await;
    assert_eq!(r.status, 401);
    let viewer = sim.token("viewer");
    let r = request(&sim, "GET", "/api/v1/namespaces/t1/configmaps", Some(&viewer), None, b"").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = request(&sim, "POST", "/api/v1/namespaces/t1/configmaps", Some(&viewer), Some(CM), &cm("a", json!({}))).await;
    let st = r.json();
    assert_eq!((r.status, st["kind"].as_str(), st["reason"].as_str()), (403, Some("Status"), Some("Forbidden")));
    assert_eq!(
        st["message"],
        "configmaps is forbidden: User \"viewer\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"t1\""
    );
    let log = sim.handle.requests();
    assert!(log.iter().any(|r| r.user == "viewer" && r.verb == "create" && r.status == 403), "{log:?}");
    assert!(log.iter().any(|r| r.user == "viewer" && r.verb == "list" && r.status == 200), "{log:?}");
    let file = std::fs::read_to_string(sim.dir.path().join("requests.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(file.lines().next().unwrap()).unwrap();
    for k in ["ts", "user", "verb", "method", "path", "status"] {
        assert!(first.get(k).is_some(), "request log line lacks {k}: {first}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_conflict_and_not_found() {
    let sim = sim_with_ns("t2").await;
    let op = sim.token("operator");
    let path = "/api/v1/namespaces/t2/configmaps";
    let r = request(&sim, "POST", path, Some(&op), Some(CM), &cm("a", json!({"app": "x"}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let r = request(&sim, "POST", path, Some(&op), Some(CM), &cm("a", json!({}))).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (409, Some("AlreadyExists")));
    let mut newer = created.clone();
    newer["data"]["k"] = json!("v2");
    let r = request(&sim, "PUT", &format!("{path}/a"), Some(&op), Some(CM), newer.to_string().as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut stale = created.clone();
    stale["data"]["k"] = json!("v3");
    let r = request(&sim, "PUT", &format!("{path}/a"), Some(&op), Some(CM), stale.to_string().as_bytes()).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (409, Some("Conflict")), "{}", r.body);
    let r = request(&sim, "GET", &format!("{path}/nope"), Some(&op), None, b"").await;
    assert_eq!((r.status, r.json()["message"].as_str()), (404, Some("configmaps \"nope\" not found")));
    let bad = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}).to_string();
    let r = request(&sim, "POST", path, Some(&op), Some(CM), bad.as_bytes()).await;
    let st = r.json();
    assert_eq!((r.status, st["reason"].as_str()), (422, Some("Invalid")), "{}", r.body);
    assert_eq!(st["details"]["causes"][0]["field"], "metadata.name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_selectors_and_paging() {
    let sim = sim_with_ns("t3").await;
    let op = sim.token("operator");
    let path = "/api/v1/namespaces/t3/configmaps";
    for (n, tier) in [("a", "web"), ("b", "db"), ("c", "web"), ("d", "cache")] {
        let r = request(&sim, "POST", path, Some(&op), Some(CM), &cm(n, json!({"tier": tier}))).await;
        assert_eq!(r.status, 201);
    }
    let names = |v: &serde_json::Value| {
        let items = v["items"].as_array().unwrap().iter();
        items.map(|o| o["metadata"]["name"].as_str().unwrap().to_string()).filter(|n| n != "kube-root-ca.crt").collect::<Vec<_>>()
    };
    let r = request(&sim, "GET", &format!("{path}?labelSelector=tier%20in%20(web,db)"), Some(&op), None, b"").await;
    assert_eq!(names(&r.json()), vec!["a", "b", "c"]);
    let r = request(&sim, "GET", &format!("{path}?labelSelector=tier!%3Dweb"), Some(&op), None, b"").await;
    assert_eq!(names(&r.json()), vec!["b", "d"]);
    let r = request(&sim, "GET", &format!("{path}?fieldSelector=metadata.name%3Dc"), Some(&op), None, b"").await;
    assert_eq!(names(&r.json()), vec!["c"]);
    let r = request(&sim, "GET", &format!("{path}?limit=3"), Some(&op), None, b"").await;
    let page = r.json();
    assert_eq!(names(&page), vec!["a", "b", "c"]);
    let cont = page["metadata"]["continue"].as_str().expect("continue token");
    let r = request(&sim, "GET", &format!("{path}?limit=3&continue={cont}"), Some(&op), None, b"").await;
    let page2 = r.json();
    assert_eq!(names(&page2), vec!["d"]);
    assert!(page2["metadata"]["continue"].is_null());
    // Without selectors the apiserver says how many items follow the page: d and kube-root-ca.crt.
    assert_eq!(page["metadata"]["remainingItemCount"], 2);
    // With a selector a page holds `limit` matching items, the next page goes on after the
    // last of them, and (as the apiserver) no remainingItemCount is given.
    let sel = "labelSelector=tier%20in%20(web,cache)";
    let r = request(&sim, "GET", &format!("{path}?{sel}&limit=1"), Some(&op), None, b"").await;
    let p1 = r.json();
    assert_eq!(names(&p1), vec!["a"]);
    assert!(p1["metadata"]["remainingItemCount"].is_null(), "{p1}");
    let mut seen = names(&p1);
    let mut cont = p1["metadata"]["continue"].as_str().expect("continue token").to_string();
    loop {
        let r = request(&sim, "GET", &format!("{path}?{sel}&limit=1&continue={cont}"), Some(&op), None, b"").await;
        assert_eq!(r.status, 200);
        let p = r.json();
        seen.extend(names(&p));
        match p["metadata"]["continue"].as_str() {
            Some(c) => cont = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, vec!["a", "c", "d"]);
    // Across namespaces, pages follow (namespace, name) order and never repeat an object.
    let all = "/api/v1/configmaps";
    let whole = names(&request(&sim, "GET", all, Some(&op), None, b"").await.json());
    let (mut paged, mut cont) = (Vec::new(), String::new());
    loop {
        let r = request(&sim, "GET", &format!("{all}?limit=2&continue={cont}"), Some(&op), None, b"").await;
        let p = r.json();
        paged.extend(names(&p));
        match p["metadata"]["continue"].as_str() {
            Some(c) => cont = c.to_string(),
            None => break,
        }
    }
    assert_eq!(paged, whole);
    assert!(whole.len() >= 4, "{whole:?}");
    // A page as a Table (kubectl get --chunk-size) carries the page's rows and the token.
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let r = request_accept(&sim, &format!("{path}?limit=3"), &op, table).await;
    let t = r.json();
    assert_eq!(t["kind"], "Table");
    let rows: Vec<&str> = t["rows"].as_array().unwrap().iter().map(|r| r["object"]["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(rows, vec!["a", "b", "c"]);
    assert_eq!(t["metadata"]["continue"], page["metadata"]["continue"]);
    assert!(t["columnDefinitions"].as_array().is_some_and(|c| !c.is_empty()));
}

/// Every page of a list carries the first page's resourceVersion, so a watch from it sees
/// what changed while the pages were read; a token older than the history is 410 Expired with
/// a token for the remainder, as the apiserver answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_share_the_first_pages_resource_version() {
    let sim = sim_with_ns("t5").await;
    let op = sim.token("operator");
    let path = "/api/v1/namespaces/t5/configmaps";
    for n in ["a", "c", "e"] {
        assert_eq!(request(&sim, "POST", path, Some(&op), Some(CM), &cm(n, json!({}))).await.status, 201);
    }
    let p1 = request(&sim, "GET", &format!("{path}?limit=2"), Some(&op), None, b"").await.json();
    let rv = p1["metadata"]["resourceVersion"].as_str().unwrap().to_string();
    let cont = p1["metadata"]["continue"].as_str().unwrap().to_string();
    // Between the pages: "b" is created where the first page already was.
    assert_eq!(request(&sim, "POST", path, Some(&op), Some(CM), &cm("b", json!({}))).await.status, 201);
    let p2 = request(&sim, "GET", &format!("{path}?limit=2&continue={cont}"), Some(&op), None, b"").await.json();
    assert_eq!(p2["metadata"]["resourceVersion"].as_str(), Some(rv.as_str()), "{p2}");
    let r = request(&sim, "GET", &format!("{path}?watch=true&resourceVersion={rv}&timeoutSeconds=1"), Some(&op), None, b"").await;
    let added: Vec<String> = r.events().iter().map(|e| e["object"]["metadata"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(added, vec!["b"], "a watch from the list's resourceVersion brings what the pages missed");
    // The history moves past the token's resourceVersion: 410 Expired, and a token for the rest.
    let p1 = request(&sim, "GET", &format!("{path}?limit=1"), Some(&op), None, b"").await.json();
    let cont = p1["metadata"]["continue"].as_str().unwrap().to_string();
    let store = sim.store();
    for i in 0..cabin::sim::store::DEFAULT_HISTORY + 5 {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("z{i:05}"), "namespace": "t5"}});
        store.create(obj).unwrap();
    }
    let r = request(&sim, "GET", &format!("{path}?limit=1&continue={cont}"), Some(&op), None, b"").await;
    assert_eq!(r.status, 410, "{}", r.body);
    let e = r.json();
    assert_eq!(e["reason"], "Expired");
    assert!(e["message"].as_str().unwrap().starts_with("The provided continue parameter is too old"), "{e}");
    let rest = e["metadata"]["continue"].as_str().expect("a token for the remainder");
    let r = request(&sim, "GET", &format!("{path}?limit=2&continue={rest}"), Some(&op), None, b"").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = r.json();
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["b", "c"], "the remainder goes on after the last item returned");
    assert!(page["metadata"]["continue"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resumes_from_resource_version_and_expires_old_ones() {
    let sim = sim_with_ns("t4").await;
    let op = sim.token("operator");
    let path = "/api/v1/namespaces/t4/configmaps";
    let r = request(&sim, "POST", path, Some(&op), Some(CM), &cm("first", json!({}))).await;
    let rv = r.json()["metadata"]["resourceVersion"].as_str().unwrap().to_string();
    for n in ["second", "third"] {
        request(&sim, "POST", path, Some(&op), Some(CM), &cm(n, json!({}))).await;
    }
    request(&sim, "DELETE", &format!("{path}/second"), Some(&op), None, b"").await;
    let r = request(&sim, "GET", &format!("{path}?watch=true&resourceVersion={rv}&timeoutSeconds=1"), Some(&op), None, b"").await;
    assert_eq!(r.status, 200);
    let got: Vec<(String, String)> = r
        .events()
        .iter()
        .map(|e| (e["type"].as_str().unwrap().to_string(), e["object"]["metadata"]["name"].as_str().unwrap().to_string()))
        .collect();
    let want: Vec<(String, String)> =
        [("ADDED", "second"), ("ADDED", "third"), ("DELETED", "second")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(got, want);
    // Push the first resourceVersion out of the retained history.
    let store = sim.store();
    for i in 0..cabin::sim::store::DEFAULT_HISTORY + 5 {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("f{i}"), "namespace": "t4"}});
        store.create(obj).unwrap();
    }
    let r = request(&sim, "GET", &format!("{path}?watch=true&resourceVersion={rv}&timeoutSeconds=1"), Some(&op), None, b"").await;
    let events = r.events();
    assert_eq!(events.len(), 1, "{}", r.body);
    assert_eq!(
        (events[0]["type"].as_str(), events[0]["object"]["code"].as_i64(), events[0]["object"]["reason"].as_str()),
        (Some("ERROR"), Some(410), Some("Expired"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_answer_with_status_and_drop_watches() {
    let sim = sim_with_ns("t5").await;
    let op = sim.token("operator");
    sim.handle.set_fault(Some(cabin::sim::Fault::Status(503)));
    let r = request(&sim, "GET", "/api/v1/namespaces", Some(&op), None, b"").await;
    assert_eq!((r.status, r.json()["kind"].as_str()), (503, Some("Status")));
    sim.handle.set_fault(None);
    let r = request(&sim, "GET", "/api/v1/namespaces", Some(&op), None, b"").await;
    assert_eq!(r.status, 200);
    // A long watch is closed by DropWatches well before its own timeout.
    let sim = std::sync::Arc::new(sim);
    let s2 = sim.clone();
    let watch = tokio::spawn(async move {
        let t = s2.token("operator");
        request(&s2, "GET", "/api/v1/namespaces/t5/configmaps?watch=true&timeoutSeconds=120", Some(&t), None, b"").await
    });
    common::wait_until(std::time::Duration::from_secs(10), "the watch to be logged", || {
        sim.handle.requests().iter().any(|r| r.verb == "watch")
    })
    .await;
    let started = std::time::Instant::now();
    sim.handle.set_fault(Some(cabin::sim::Fault::DropWatches));
    let r = tokio::time::timeout(std::time::Duration::from_secs(15), watch).await.expect("watch closed").unwrap();
    assert_eq!(r.status, 200);
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sends_bookmarks_and_initial_events() {
    let sim = sim_with_ns("t6").await;
    let op = sim.token("operator");
    let path = "/api/v1/namespaces/t6/configmaps";
    request(&sim, "POST", path, Some(&op), Some(CM), &cm("one", json!({}))).await;
    let r = request(&sim, "GET", &format!("{path}?watch=1&allowWatchBookmarks=true&timeoutSeconds=3"), Some(&op), None, b"").await;
    let events = own_events(&r);
    assert_eq!(events[0]["type"], "ADDED", "no resourceVersion means: current objects first");
    assert_eq!(events[0]["object"]["metadata"]["name"], "one");
    let mark = events.iter().find(|e| e["type"] == "BOOKMARK").unwrap_or_else(|| panic!("no bookmark in {}", r.body));
    assert!(mark["object"]["metadata"]["resourceVersion"].as_str().is_some_and(|v| v.parse::<u64>().unwrap() > 0));
    let r = request(
        &sim,
        "GET",
        &format!("{path}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"),
        Some(&op),
        None,
        b"",
    )
    .await;
    let events = own_events(&r);
    assert_eq!(events[0]["type"], "ADDED");
    assert_eq!(events[1]["type"], "BOOKMARK");
    assert_eq!(events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
}

/// The `cabin sim` command: prints its address, writes the kubeconfig, serves kubectl, and
/// exits cleanly on SIGTERM.
#[test]
fn cabin_sim_command_serves_until_sigterm() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kc.yaml");
    let log = dir.path().join("req.jsonl");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cabin"))
        .args(["sim", "--listen", "127.0.0.1:0", "--kubeconfig-out"])
        .arg(&kc)
        .arg("--request-log")
        .arg(&log)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("cabin sim listening on https://").unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"), "{addr}");
    let kubeconfig = std::fs::read_to_string(&kc).unwrap();
    assert!(kubeconfig.contains(&format!("server: https://{addr}")) && kubeconfig.contains("current-context: sim"));
    let out =
        std::process::Command::new(common::kubectl_path()).arg("--kubeconfig").arg(&kc).args(["get", "ns", "-o", "name"]).output().unwrap();
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.lines().any(|l| l.contains("\"verb\":\"list\"") && l.contains("/api/v1/namespaces")), "{logged}");
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "cabin sim exited with {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_with_label_selector_sees_objects_enter_and_leave() {
    let sim = sim_with_ns("t7").await;
    let op = sim.token("operator");
    let path = "/api/v1/namespaces/t7/configmaps";
    let r = request(&sim, "POST", path, Some(&op), Some(CM), &cm("x", json!({"team": "a"}))).await;
    let rv = r.json()["metadata"]["resourceVersion"].as_str().unwrap().to_string();
    let merge = "application/merge-patch+json";
    request(&sim, "PATCH", &format!("{path}/x"), Some(&op), Some(merge), br#"{"metadata":{"labels":{"team":"b"}}}"#).await;
    request(&sim, "PATCH", &format!("{path}/x"), Some(&op), Some(merge), br#"{"data":{"k":"2"}}"#).await;
    request(&sim, "PATCH", &format!("{path}/x"), Some(&op), Some(merge), br#"{"metadata":{"labels":{"team":"a"}}}"#).await;
    let r =
        request(&sim, "GET", &format!("{path}?watch=1&labelSelector=team%3Da&resourceVersion={rv}&timeoutSeconds=1"), Some(&op), None, b"")
            .await;
    let types: Vec<String> = r.events().iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(types, vec!["DELETED", "ADDED"], "{}", r.body);
}
