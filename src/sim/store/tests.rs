use super::*;
use crate::sim::store_api::kinds;
use proptest::prelude::*;
use serde_json::json;

fn cm(name: &str, v: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}, "data": {"v": v}})
}

fn deploy(name: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"}, "spec": {"replicas": replicas}})
}

#[test]
fn create_assigns_metadata_and_rejects_duplicates() {
    let s = MemStore::default();
    let o = s.create(cm("a", "1")).unwrap();
    let m = &o["metadata"];
    assert_eq!(m["resourceVersion"], "1");
    assert_eq!(m["generation"], 1);
    assert!(m["uid"].as_str().unwrap().len() > 10);
    assert!(m["creationTimestamp"].is_string());
    assert!(matches!(s.create(cm("a", "2")), Err(StoreError::AlreadyExists { .. })));
    let g = s.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "x-", "namespace": "default"}})).unwrap();
    assert!(g["metadata"]["name"].as_str().unwrap().starts_with("x-"));
    assert!(matches!(s.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})), Err(StoreError::Invalid(_))));
}

#[test]
fn update_conflicts_on_stale_rv_and_bumps_generation_on_spec_change() {
    let s = MemStore::default();
    let d = s.create(deploy("d", 1)).unwrap();
    let mut stale = d.clone();
    let mut d2 = d.clone();
    d2["spec"]["replicas"] = json!(3);
    let d2 = s.update(d2).unwrap();
    assert_eq!(d2["metadata"]["generation"], 2);
    stale["spec"]["replicas"] = json!(5);
    assert!(matches!(s.update(stale), Err(StoreError::Conflict { .. })));
    let mut st = d2.clone();
    st["status"] = json!({"replicas": 3});
    let st = s.update_status(st).unwrap();
    assert_eq!(st["metadata"]["generation"], 2);
    // update keeps the stored status
    let mut u = st.clone();
    u["status"] = json!({"replicas": 0});
    u["metadata"]["labels"] = json!({"a": "b"});
    assert_eq!(s.update(u).unwrap()["status"]["replicas"], 3);
}

#[test]
fn watch_from_too_old_rv_is_gone() {
    let s = MemStore::new(3);
    for i in 0..10 {
        s.create(cm(&format!("c{i}"), "x")).unwrap();
    }
    assert!(s.watch_from(kinds::CONFIG_MAP, 1).is_err());
    let w = s.watch_from(kinds::CONFIG_MAP, 8).unwrap();
    assert_eq!(w.backlog.iter().map(|(rv, _)| *rv).collect::<Vec<_>>(), vec![9, 10]);
    assert!(s.watch_from(kinds::CONFIG_MAP, 10).unwrap().backlog.is_empty());
    // The history is per kind: ConfigMap churn does not expire a quiet kind's resourceVersion.
    assert!(s.watch_from(kinds::SERVICE, 1).is_ok_and(|w| w.backlog.is_empty()));
}

#[test]
fn list_is_sorted_and_namespaced() {
    let s = MemStore::default();
    for (ns, n) in [("b", "z"), ("a", "y"), ("b", "a")] {
        let mut o = cm(n, "1");
        o["metadata"]["namespace"] = json!(ns);
        s.create(o).unwrap();
    }
    let names = |v: Vec<Value>| v.iter().map(|o| o["metadata"]["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(s.list(kinds::CONFIG_MAP, None)), vec!["y", "a", "z"]);
    assert_eq!(names(s.list(kinds::CONFIG_MAP, Some("b"))), vec!["a", "z"]);
    assert!(s.delete(kinds::CONFIG_MAP, Some("b"), "a").is_ok());
    assert!(matches!(s.delete(kinds::CONFIG_MAP, Some("b"), "a"), Err(StoreError::NotFound { .. })));
}

#[derive(Debug, Clone)]
enum Op {
    Create(u8),
    Update(u8),
    Delete(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![(0u8..6).prop_map(Op::Create), (0u8..6).prop_map(Op::Update), (0u8..6).prop_map(Op::Delete)]
}

fn run_op(s: &MemStore, op: &Op) {
    let _ = match op {
        Op::Create(i) => s.create(cm(&format!("c{i}"), "0")).map(|_| ()),
        Op::Update(i) => match s.get(kinds::CONFIG_MAP, Some("default"), &format!("c{i}")) {
            Some(mut o) => {
                let n = o["data"]["v"].as_str().unwrap().parse::<u32>().unwrap() + 1;
                o["data"]["v"] = json!(n.to_string());
                s.update(o).map(|_| ())
            }
            None => Ok(()),
        },
        Op::Delete(i) => s.delete(kinds::CONFIG_MAP, Some("default"), &format!("c{i}")).map(|_| ()),
    };
}

proptest! {
    /// Every change is delivered in order with strictly increasing resourceVersions, and a
    /// list taken midway plus the watch from its resourceVersion rebuilds the final state.
    #[test]
    fn list_plus_watch_never_misses(ops in proptest::collection::vec(op(), 1..60), split in 0usize..60) {
        let s = MemStore::default();
        let split = split.min(ops.len());
        for o in &ops[..split] { run_op(&s, o); }
        let (listed, rv) = s.list_at(kinds::CONFIG_MAP, None);
        let mut rx = s.subscribe();
        let w = s.watch_from(kinds::CONFIG_MAP, rv).unwrap();
        prop_assert!(w.backlog.is_empty());
        for o in &ops[split..] { run_op(&s, o); }
        let mut state: BTreeMap<String, Value> = listed.iter().map(|o| (o["metadata"]["name"].as_str().unwrap().to_string(), Value::clone(o))).collect();
        // A live watch reads the same changes from the history.
        let mut watched = state.clone();
        for (_, c) in s.changes_after(kinds::CONFIG_MAP, rv).unwrap() {
            let name = c.object["metadata"]["name"].as_str().unwrap().to_string();
            if c.event_type == "DELETED" { watched.remove(&name); } else { watched.insert(name, Value::clone(&c.object)); }
        }
        let mut last = rv;
        while let Ok(c) = rx.try_recv() {
            let crv = object_rv(&c.object);
            prop_assert!(crv > last, "rv not increasing: {} after {}", crv, last);
            last = crv;
            let name = c.object["metadata"]["name"].as_str().unwrap().to_string();
            if c.event_type == "DELETED" { state.remove(&name); } else { state.insert(name, serde_json::Value::clone(&c.object)); }
        }
        prop_assert_eq!(last, s.current_rv());
        let fin: BTreeMap<String, Value> = s.list(kinds::CONFIG_MAP, None).into_iter().map(|o| (o["metadata"]["name"].as_str().unwrap().to_string(), o)).collect();
        prop_assert_eq!(&watched, &fin);
        prop_assert_eq!(state, fin);
    }
}

#[test]
fn a_page_reads_from_its_key_on_and_its_json_follows_each_write() {
    let s = MemStore::default();
    for n in ["a", "b", "c", "d"] {
        s.create(cm(n, "1")).unwrap();
    }
    let names = |p: &ListPage| p.items.iter().map(|i| i.obj["metadata"]["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let p = s.list_page(kinds::CONFIG_MAP, Some("default"), Some(("default", "a")), 2, None);
    assert_eq!(names(&p), ["b", "c"]);
    assert!(p.more);
    assert_eq!(p.remaining, Some(1));
    let odd = |o: &Value| o["metadata"]["name"] != "c";
    let p = s.list_page(kinds::CONFIG_MAP, None, Some(("default", "a")), 2, Some(&odd));
    assert_eq!(names(&p), ["b", "d"]);
    assert!(!p.more);
    assert_eq!(p.remaining, None);
    // The JSON text is the object's, and a write replaces it.
    let first = s.list_page(kinds::CONFIG_MAP, None, None, 1, None);
    let text: Value = serde_json::from_slice(first.items[0].json()).unwrap();
    assert_eq!(text, *first.items[0].obj);
    let mut a = s.get(kinds::CONFIG_MAP, Some("default"), "a").unwrap();
    a["data"]["v"] = json!("2");
    s.update(a).unwrap();
    let again = s.list_page(kinds::CONFIG_MAP, None, None, 1, None);
    let text: Value = serde_json::from_slice(again.items[0].json()).unwrap();
    assert_eq!(text["data"]["v"], "2");
    assert_eq!(text, *again.items[0].obj);
    // An update that changes nothing keeps the version and its text.
    let same = s.get(kinds::CONFIG_MAP, Some("default"), "a").unwrap();
    s.update(same).unwrap();
    let kept = s.list_page(kinds::CONFIG_MAP, None, None, 1, None);
    assert!(std::ptr::eq(kept.items[0].json(), again.items[0].json()), "unchanged objects are not serialized again");
}
