//! The kinds a runbook touches, judged by the real kubectl against `cabin sim`: Jobs run to
//! completion, DaemonSets put a pod on each eligible Node, Services get a ClusterIP and
//! Endpoints / EndpointSlices of their ready pods, `kubectl create token`, `cluster-info dump`,
//! the plain-storage kinds (RBAC, PV/PVC, Ingress, HPA, NetworkPolicy, StorageClass,
//! PriorityClass) and the CRDs of the custom resources served.
mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use cabin::sim::scenario::{Behavior, Scenario};
use common::{TestSim, start_sim_with, text, wait_until};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

fn node(name: &str, taint: bool) -> Value {
    let mut n = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}});
    if taint {
        n["spec"] = json!({"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]});
    }
    n
}

fn scenario(bad_images: &[&str]) -> Scenario {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        node("node-1", false),
        node("node-2", false),
        node("control", true),
    ];
    let behavior = Behavior { bad_images: bad_images.iter().map(|s| s.to_string()).collect(), ..Behavior::fast(20) };
    Scenario { objects, behavior, faults: None }
}

fn get_json(sim: &TestSim, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    serde_json::from_str(&sim.kubectl_ok(&all)).expect("kubectl prints JSON")
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

fn apply(sim: &TestSim, name: &str, yaml: &str) -> String {
    let f = sim.write_file(name, yaml);
    sim.kubectl_ok(&["apply", "-f", &f.to_string_lossy()])
}

const JOBS: &str = "apiVersion: batch/v1
kind: Job
metadata: {name: pi, namespace: shop}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: pi, image: 'perl:5.34', command: [perl, -e, print 1]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: broken, namespace: shop}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: x, image: 'crashy:1'}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_to_completion_or_fail_past_their_backoff_limit() {
    let sim = start_sim_with(scenario(&["crashy"])).await;
    apply(&sim, "jobs.yaml", JOBS);
    sim.kubectl_ok(&["-n", "shop", "wait", "--for=condition=complete", "job/pi", "--timeout=60s"]);
    let job = get_json(&sim, &["-n", "shop", "get", "job", "pi"]);
    assert_eq!(job["status"]["succeeded"], 3, "{job}");
    assert!(job["status"]["active"].is_null(), "no pod left running: {job}");
    assert!(job["status"]["completionTime"].is_string(), "{job}");
    let uid = job["metadata"]["uid"].as_str().expect("uid");
    assert_eq!(job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"], uid, "generated selector");
    let pods = items(&get_json(&sim, &["-n", "shop", "get", "pods", "-l", "job-name=pi"]));
    assert_eq!(pods.len(), 3, "one pod per completion, none retried");
    for p in &pods {
        assert_eq!(p["status"]["phase"], "Succeeded", "{p}");
        assert_eq!(p["status"]["containerStatuses"][0]["state"]["terminated"]["reason"], "Completed", "{p}");
    }
    let described = sim.kubectl_ok(&["-n", "shop", "describe", "job", "pi"]);
    assert!(described.contains("Pods Statuses:    0 Active (0 Ready) / 3 Succeeded / 0 Failed"), "{described}");
    let table = sim.kubectl_ok(&["-n", "shop", "get", "job", "pi"]);
    assert!(table.lines().nth(1).is_some_and(|l| l.contains("Complete") && l.contains("3/3")), "{table}");

    sim.kubectl_ok(&["-n", "shop", "wait", "--for=condition=failed", "job/broken", "--timeout=60s"]);
    let broken = get_json(&sim, &["-n", "shop", "get", "job", "broken"]);
    assert_eq!(broken["status"]["failed"], 2, "backoffLimit 1: the second failure ends it: {broken}");
    let failed = broken["status"]["conditions"].as_array().into_iter().flatten().find(|c| c["type"] == "Failed").cloned();
    assert_eq!(failed.map(|c| c["reason"].clone()), Some(json!("BackoffLimitExceeded")));

    // A Job whose pods would restart forever is refused, as by the apiserver.
    let f = sim.write_file(
        "always.yaml",
        &JOBS
            .split("---")
            .next()
            .unwrap_or_default()
            .replace("name: pi,", "name: always,")
            .replace("restartPolicy: Never", "restartPolicy: Always"),
    );
    let refused = sim.kubectl(&["apply", "-f", &f.to_string_lossy()]);
    assert!(
        text(&refused.stderr)
            .contains("spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""),
        "{}",
        text(&refused.stderr)
    );
    let bad_cron = sim.kubectl(&["-n", "shop", "create", "cronjob", "c", "--image=busybox:1.36", "--schedule=61 * * * *"]);
    assert!(text(&bad_cron.stderr).contains("spec.schedule: Invalid value: \"61 * * * *\""), "{}", text(&bad_cron.stderr));

    // Deleting the Job takes its pods with it.
    sim.kubectl_ok(&["-n", "shop", "delete", "job", "pi"]);
    wait_until(WAIT, "the Job's pods are collected", || {
        items(&get_json(&sim, &["-n", "shop", "get", "pods", "-l", "job-name=pi"])).is_empty()
    })
    .await;
}

const DAEMONSET: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: agent, image: 'fluent-bit:IMAGE'}
";

fn daemon_pods(sim: &TestSim) -> Vec<Value> {
    items(&get_json(sim, &["-n", "shop", "get", "pods", "-l", "app=agent"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_runs_one_pod_per_eligible_node_and_rolls_out() {
    let sim = start_sim_with(scenario(&[])).await;
    apply(&sim, "ds.yaml", &DAEMONSET.replace("IMAGE", "3.0"));
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "ds/agent", "--timeout=60s"]);
    let nodes: BTreeSet<String> =
        daemon_pods(&sim).iter().map(|p| p["spec"]["nodeName"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(nodes, BTreeSet::from(["node-1".to_string(), "node-2".to_string()]), "one pod per untainted node");
    let ds = get_json(&sim, &["-n", "shop", "get", "ds", "agent"]);
    assert_eq!((ds["status"]["desiredNumberScheduled"].clone(), ds["status"]["numberReady"].clone()), (json!(2), json!(2)), "{ds}");

    // A toleration makes the tainted node eligible; a new image rolls every pod.
    let tolerant = DAEMONSET.replace("IMAGE", "3.1").replace(
        "      containers:",
        "      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]\n      containers:",
    );
    apply(&sim, "ds2.yaml", &tolerant);
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "ds/agent", "--timeout=60s"]);
    wait_until(WAIT, "three pods of the new image, one per node", || {
        let pods = daemon_pods(&sim);
        let nodes: BTreeSet<&str> = pods.iter().filter_map(|p| p["spec"]["nodeName"].as_str()).collect();
        pods.len() == 3 && nodes.len() == 3 && pods.iter().all(|p| p["spec"]["containers"][0]["image"] == "fluent-bit:3.1")
    })
    .await;
    // The scheduler keeps other pods off the tainted node and says why a pod fits nowhere.
    let f = sim.write_file(
        "pods.yaml",
        "apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: shop}
spec: {containers: [{name: c, image: 'busybox:1.36'}]}
---
apiVersion: v1
kind: Pod
metadata: {name: picky, namespace: shop}
spec: {nodeSelector: {disk: ssd}, containers: [{name: c, image: 'busybox:1.36'}]}
",
    );
    sim.kubectl_ok(&["apply", "-f", &f.to_string_lossy()]);
    wait_until(WAIT, "the plain pod is scheduled, the picky one is not and says why", || {
        let plain = get_json(&sim, &["-n", "shop", "get", "pod", "plain"]);
        let events = sim.kubectl_ok(&["-n", "shop", "get", "events", "--field-selector", "involvedObject.name=picky"]);
        plain["spec"]["nodeName"].as_str().is_some_and(|n| n != "control")
            && events.contains(
                "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector.",
            )
    })
    .await;
    let history = sim.kubectl_ok(&["-n", "shop", "rollout", "history", "ds/agent"]);
    assert!(history.lines().filter(|l| l.trim_start().starts_with(['1', '2'])).count() == 2, "{history}");
    let table = sim.kubectl_ok(&["-n", "shop", "get", "ds"]);
    assert!(table.lines().next().is_some_and(|h| h.contains("DESIRED") && h.contains("UP-TO-DATE")), "{table}");
}

const SERVICE_APP: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: 'nginx:1.27'
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";

fn ready_ips(sim: &TestSim) -> BTreeSet<String> {
    items(&get_json(sim, &["-n", "shop", "get", "pods", "-l", "app=web"]))
        .iter()
        .filter(|p| p["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["type"] == "Ready" && c["status"] == "True"))
        .filter_map(|p| p["status"]["podIP"].as_str().map(str::to_string))
        .collect()
}

fn endpoint_ips(ep: &Value) -> BTreeSet<String> {
    ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a["ip"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_get_cluster_ips_and_endpoints_of_their_ready_pods() {
    let sim = start_sim_with(scenario(&[])).await;
    apply(&sim, "web.yaml", SERVICE_APP);
    let svc = get_json(&sim, &["-n", "shop", "get", "svc", "web"]);
    let ip: std::net::Ipv4Addr = svc["spec"]["clusterIP"].as_str().expect("a ClusterIP at once").parse().expect("an IPv4 address");
    assert_eq!(u32::from(ip) >> 20, u32::from(std::net::Ipv4Addr::new(10, 96, 0, 0)) >> 20, "{ip} in 10.96.0.0/12");
    assert_eq!(svc["spec"]["clusterIPs"], json!([ip.to_string()]));
    let np = get_json(&sim, &["-n", "shop", "get", "svc", "web-np"]);
    let node_port = np["spec"]["ports"][0]["nodePort"].as_i64().expect("a node port");
    assert!((30000..=32767).contains(&node_port), "{node_port}");
    assert_ne!(np["spec"]["clusterIP"], svc["spec"]["clusterIP"], "addresses are unique");

    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    wait_until(WAIT, "Endpoints list the three ready pods", || {
        let ips = ready_ips(&sim);
        ips.len() == 3 && endpoint_ips(&get_json(&sim, &["-n", "shop", "get", "endpoints", "web"])) == ips
    })
    .await;
    let ep = get_json(&sim, &["-n", "shop", "get", "endpoints", "web"]);
    assert_eq!(ep["subsets"][0]["ports"], json!([{"name": "http", "port": 8080, "protocol": "TCP"}]), "named targetPort resolved");
    let table = sim.kubectl_ok(&["-n", "shop", "get", "endpoints", "web"]);
    let first_ip = ready_ips(&sim).into_iter().next().expect("an IP");
    assert!(table.contains(&format!("{first_ip}:8080")), "{table}");
    let described = sim.kubectl_ok(&["-n", "shop", "describe", "svc", "web"]);
    assert!(described.lines().any(|l| l.starts_with("Endpoints:") && l.contains(&format!("{first_ip}:8080"))), "{described}");
    let slices = items(&get_json(&sim, &["-n", "shop", "get", "endpointslices", "-l", "kubernetes.io/service-name=web"]));
    assert_eq!(slices.len(), 1, "{slices:?}");
    let slice_ips: BTreeSet<String> =
        slices[0]["endpoints"].as_array().into_iter().flatten().filter_map(|e| e["addresses"][0].as_str().map(str::to_string)).collect();
    assert_eq!(slice_ips, ready_ips(&sim));

    // Scaling down drops the gone pods from both.
    sim.kubectl_ok(&["-n", "shop", "scale", "deploy/web", "--replicas=1"]);
    wait_until(WAIT, "Endpoints follow the scale-down", || {
        let ips = ready_ips(&sim);
        ips.len() == 1 && endpoint_ips(&get_json(&sim, &["-n", "shop", "get", "endpoints", "web"])) == ips
    })
    .await;
    // Deleting the Service deletes its Endpoints and slices.
    sim.kubectl_ok(&["-n", "shop", "delete", "svc", "web"]);
    wait_until(WAIT, "the Service's Endpoints and slices go with it", || {
        let eps = items(&get_json(&sim, &["-n", "shop", "get", "endpoints"]));
        let slices = items(&get_json(&sim, &["-n", "shop", "get", "endpointslices", "-l", "kubernetes.io/service-name=web"]));
        !eps.iter().any(|e| e["metadata"]["name"] == "web") && slices.is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_token_prints_a_service_account_token() {
    let sim = start_sim_with(scenario(&[])).await;
    wait_until(WAIT, "the default ServiceAccount", || sim.kubectl(&["-n", "shop", "get", "sa", "default"]).status.success()).await;
    let token = sim.kubectl_ok(&["-n", "shop", "create", "token", "default", "--duration=2h"]);
    let parts: Vec<&str> = token.trim().split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT: {token}");
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url claims"))
            .expect("JSON");
    assert_eq!(claims["sub"], "system:serviceaccount:shop:default");
    assert_eq!(claims["exp"].as_i64().zip(claims["iat"].as_i64()).map(|(e, i)| e - i), Some(7200), "--duration=2h");
    let short = sim.kubectl(&["-n", "shop", "create", "token", "default", "--duration=1m"]);
    assert!(
        text(&short.stderr).contains("spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes"),
        "{}",
        text(&short.stderr)
    );
    let missing = sim.kubectl(&["-n", "shop", "create", "token", "nobody"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("serviceaccounts \"nobody\" not found"), "{}", text(&missing.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_info_dump_completes_and_holds_the_pods() {
    let sim = start_sim_with(scenario(&[])).await;
    apply(&sim, "web.yaml", SERVICE_APP);
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    let out = sim.dir.path().join("dump");
    let dump = sim.kubectl_ok(&["cluster-info", "dump", "--namespaces", "shop,default", "--output-directory", &out.to_string_lossy()]);
    assert!(dump.contains("Cluster info dumped to"), "{dump}");
    let pods: Value = serde_json::from_str(&std::fs::read_to_string(out.join("shop").join("pods.json")).expect("pods.json")).expect("JSON");
    let web = items(&pods).iter().filter(|p| p["metadata"]["labels"]["app"] == "web").count();
    assert_eq!(web, 3, "the dump holds the pods");
    for f in ["services.json", "daemonsets.json", "deployments.json", "replicasets.json", "replication-controllers.json", "events.json"] {
        assert!(out.join("shop").join(f).is_file(), "{f} dumped");
    }
    assert!(out.join("nodes.json").is_file());
}

const STORAGE_KINDS: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules: [{apiGroups: [''], resources: [pods], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: default, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules: [{apiGroups: [''], resources: [nodes], verbs: [get]}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static, namespace: shop}
spec: {storageClassName: '', accessModes: [ReadWriteOnce], resources: {requests: {storage: 500Mi}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
  - host: shop.example
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.com/fast
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_storage_kinds_and_the_crds_of_the_custom_resources() {
    let sim = start_sim_with(scenario(&[])).await;
    let out = apply(&sim, "kinds.yaml", STORAGE_KINDS);
    for made in [
        "role.rbac.authorization.k8s.io/reader created",
        "rolebinding.rbac.authorization.k8s.io/reader created",
        "clusterrole.rbac.authorization.k8s.io/node-reader created",
        "persistentvolume/pv-1 created",
        "persistentvolumeclaim/data created",
        "ingress.networking.k8s.io/web created",
        "horizontalpodautoscaler.autoscaling/web created",
        "networkpolicy.networking.k8s.io/deny-all created",
        "storageclass.storage.k8s.io/fast created",
        "priorityclass.scheduling.k8s.io/high created",
    ] {
        assert!(out.contains(made), "{made} in {out}");
    }
    for (args, name) in [
        (vec!["-n", "shop", "get", "roles"], "reader"),
        (vec!["-n", "shop", "get", "rolebindings"], "reader"),
        (vec!["get", "pv"], "pv-1"),
        (vec!["-n", "shop", "get", "pvc"], "data"),
        (vec!["-n", "shop", "get", "ing"], "web"),
        (vec!["-n", "shop", "get", "hpa"], "web"),
        (vec!["-n", "shop", "get", "netpol"], "deny-all"),
        (vec!["get", "sc"], "fast"),
        (vec!["get", "priorityclasses"], "system-cluster-critical"),
        (vec!["get", "clusterrolebindings"], "cabin-sim:viewer"),
    ] {
        let listed = items(&get_json(&sim, &args));
        assert!(listed.iter().any(|o| o["metadata"]["name"] == name), "{name} in {args:?}");
    }
    // Claims bind: `data` (default class) to a provisioned volume, `static` (no class) to pv-1.
    wait_until(WAIT, "both claims are Bound", || {
        items(&get_json(&sim, &["-n", "shop", "get", "pvc"])).iter().all(|c| c["status"]["phase"] == "Bound")
    })
    .await;
    let data = get_json(&sim, &["-n", "shop", "get", "pvc", "data"]);
    assert_eq!(data["spec"]["storageClassName"], "standard", "the default StorageClass");
    let provisioned = format!("pvc-{}", data["metadata"]["uid"].as_str().unwrap_or_default());
    assert_eq!(data["spec"]["volumeName"], provisioned.as_str());
    assert_eq!(get_json(&sim, &["-n", "shop", "get", "pvc", "static"])["spec"]["volumeName"], "pv-1");
    let pv1 = get_json(&sim, &["get", "pv", "pv-1"]);
    assert_eq!((pv1["status"]["phase"].clone(), pv1["spec"]["claimRef"]["name"].clone()), (json!("Bound"), json!("static")));
    let crds: BTreeSet<String> =
        items(&get_json(&sim, &["get", "crd"])).iter().filter_map(|c| c["metadata"]["name"].as_str().map(str::to_string)).collect();
    for want in ["backups.velero.io", "restores.velero.io", "applications.argoproj.io", "appprojects.argoproj.io"] {
        assert!(crds.contains(want), "{want} in {crds:?}");
    }
    let crd = get_json(&sim, &["get", "crd", "applications.argoproj.io"]);
    assert_eq!(crd["spec"]["names"]["kind"], "Application");
    let viewer = get_json(&sim, &["get", "clusterrolebinding", "cabin-sim:viewer"]);
    assert_eq!(viewer["roleRef"]["name"], "view");
    assert_eq!(viewer["subjects"][0]["name"], "viewer");
    // Namespaced kinds go with their namespace; the provisioned volume is deleted with its
    // claim, the one made by hand (Retain) is Released.
    sim.kubectl_ok(&["delete", "namespace", "shop"]);
    wait_until(WAIT, "the namespace's Roles, PVCs and Ingresses are gone, the volumes reclaimed", || {
        let gone =
            ["roles", "pvc", "ingresses", "hpa", "networkpolicies"].iter().all(|k| items(&get_json(&sim, &["get", k, "-A"])).is_empty());
        let pvs = items(&get_json(&sim, &["get", "pv"]));
        gone && pvs.len() == 1 && pvs[0]["metadata"]["name"] == "pv-1" && pvs[0]["status"]["phase"] == "Released"
    })
    .await;
}

/// kubectl 1.32's typed `create` subcommands send protobuf bodies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_create_subcommands_send_protobuf_and_get_what_they_asked_for() {
    let sim = start_sim_with(scenario(&[])).await;
    let ns = ["-n", "shop"];
    let run = |args: &[&str]| sim.kubectl_ok(&[&ns[..], args].concat());
    run(&["create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=8080"]);
    run(&["create", "service", "clusterip", "web", "--tcp=80:8080"]);
    run(&["create", "service", "nodeport", "web-np", "--tcp=80:8080", "--node-port=30123"]);
    run(&["create", "pdb", "web", "--selector=app=web", "--min-available=1"]);
    run(&["create", "quota", "compute", "--hard=pods=10,services=5"]);
    run(&["create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=0 3 * * *", "--", "echo", "hi"]);
    run(&["create", "job", "once", "--from=cronjob/nightly"]);
    run(&["create", "serviceaccount", "robot"]);
    run(&["create", "role", "reader", "--verb=get,list", "--resource=pods"]);
    run(&["create", "rolebinding", "reader", "--role=reader", "--serviceaccount=shop:robot"]);
    sim.kubectl_ok(&["create", "clusterrole", "node-reader", "--verb=get", "--resource=nodes"]);
    sim.kubectl_ok(&["create", "clusterrolebinding", "node-reader", "--clusterrole=node-reader", "--user=alice"]);
    sim.kubectl_ok(&["create", "priorityclass", "high", "--value=1000", "--description=important"]);
    run(&["create", "ingress", "web", "--rule=shop.example/*=web:80"]);

    let d = get_json(&sim, &["-n", "shop", "get", "deploy", "web"]);
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["ports"], json!([{"containerPort": 8080, "protocol": "TCP"}]));
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    let svc = get_json(&sim, &["-n", "shop", "get", "svc", "web"]);
    assert_eq!(svc["spec"]["ports"][0], json!({"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}));
    assert_eq!(svc["spec"]["selector"], json!({"app": "web"}));
    assert!(svc["spec"]["clusterIP"].as_str().is_some_and(|ip| ip.starts_with("10.")), "{svc}");
    wait_until(WAIT, "the typed-created Service has both pods as endpoints", || {
        endpoint_ips(&get_json(&sim, &["-n", "shop", "get", "endpoints", "web"])).len() == 2
    })
    .await;
    assert_eq!(get_json(&sim, &["-n", "shop", "get", "svc", "web-np"])["spec"]["ports"][0]["nodePort"], 30123);
    assert_eq!(get_json(&sim, &["-n", "shop", "get", "pdb", "web"])["spec"]["minAvailable"], 1);
    let quota = get_json(&sim, &["-n", "shop", "get", "quota", "compute"]);
    assert_eq!(quota["spec"]["hard"], json!({"pods": "10", "services": "5"}));
    let cj = get_json(&sim, &["-n", "shop", "get", "cronjob", "nightly"]);
    assert_eq!(cj["spec"]["schedule"], "0 3 * * *");
    assert_eq!(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"], json!(["echo", "hi"]));
    sim.kubectl_ok(&["-n", "shop", "wait", "--for=condition=complete", "job/once", "--timeout=60s"]);
    let once = get_json(&sim, &["-n", "shop", "get", "job", "once"]);
    assert_eq!(once["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"], "manual", "{once}");
    assert_eq!(once["status"]["succeeded"], 1);
    let role = get_json(&sim, &["-n", "shop", "get", "role", "reader"]);
    assert_eq!(role["rules"], json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]));
    let rb = get_json(&sim, &["-n", "shop", "get", "rolebinding", "reader"]);
    assert_eq!(rb["subjects"], json!([{"kind": "ServiceAccount", "name": "robot", "namespace": "shop"}]));
    assert_eq!(get_json(&sim, &["get", "clusterrolebinding", "node-reader"])["subjects"][0]["name"], "alice");
    let pc = get_json(&sim, &["get", "priorityclass", "high"]);
    assert_eq!((pc["value"].clone(), pc["description"].clone()), (json!(1000), json!("important")));
    let ing = get_json(&sim, &["-n", "shop", "get", "ingress", "web"]);
    assert_eq!(ing["spec"]["rules"][0]["host"], "shop.example");
    assert_eq!(ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"], json!({"name": "web", "port": {"number": 80}}));
    assert!(sim.kubectl(&["-n", "shop", "get", "sa", "robot"]).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_reads_the_served_schemas() {
    let sim = start_sim_with(scenario(&[])).await;
    let replicas = sim.kubectl_ok(&["explain", "deployment.spec.replicas"]);
    assert!(replicas.contains("GROUP:      apps") && replicas.contains("FIELD: replicas <integer>"), "{replicas}");
    assert!(replicas.contains("Number of desired pods."), "{replicas}");
    let containers = sim.kubectl_ok(&["explain", "pods.spec.containers"]);
    assert!(containers.contains("<[]Container>") && containers.contains("image\t<string>"), "{containers}");
    for kind in [
        "jobs",
        "cronjobs.spec.jobTemplate",
        "daemonsets.status",
        "services.spec.clusterIP",
        "endpointslices",
        "ingresses.spec.rules",
        "hpa.spec.metrics",
        "clusterroles.rules",
        "pvc.spec.resources",
    ] {
        let out = sim.kubectl(&["explain", kind]);
        assert!(out.status.success(), "explain {kind}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("DESCRIPTION:"), "{kind}: {}", text(&out.stdout));
    }
    let backup = sim.kubectl_ok(&["explain", "backups.velero.io"]);
    assert!(backup.contains("KIND:       Backup") && backup.contains("metadata\t<ObjectMeta>"), "{backup}");
}
