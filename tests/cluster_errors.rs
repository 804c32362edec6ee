//! Bad input gives clear, typed errors: missing kubeconfig, unknown context, unreachable
//! server, bad token.
#[path = "support/cluster.rs"]
mod support;

use cabin::cluster::{ClusterError, ConnectOptions, connect};
use support::{opts, start_sim};

#[tokio::test]
async fn missing_kubeconfig() {
    let o = ConnectOptions { kubeconfig: Some("/nonexistent/cabin/kubeconfig".into()), context: None, read_only: false };
    let err = connect(o).await.unwrap_err();
    assert!(matches!(err, ClusterError::MissingKubeconfig { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("/nonexistent/cabin/kubeconfig") && text.contains("--kubeconfig"), "{text}");
}

#[tokio::test]
async fn unknown_context_lists_the_known_ones() {
    let sim = start_sim().await;
    let err = connect(opts(&sim, Some("prod"), false)).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ClusterError::UnknownContext { .. }), "{err:?}");
    assert!(text.contains("\"prod\"") && text.contains("sim, sim-deployer, sim-viewer"), "{text}");
}

#[tokio::test]
async fn unreachable_server() {
    let sim = start_sim().await;
    let url = sim.handle.url();
    let o = opts(&sim, None, false);
    sim.handle.shutdown().await;
    let err = connect(o).await.unwrap_err();
    assert!(matches!(err, ClusterError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&url) && text.contains("cannot reach the API server"), "{text}");
}

#[tokio::test]
async fn bad_token_says_refresh_credentials() {
    let sim = start_sim().await;
    let yaml = sim.handle.kubeconfig_yaml();
    let mut bad = String::new();
    for line in yaml.lines() {
        if line.trim_start().starts_with("token:") {
            bad.push_str("    token: expired-or-wrong\n");
        } else {
            bad.push_str(line);
            bad.push('\n');
        }
    }
    std::fs::write(&sim.kubeconfig, bad).unwrap();
    let err = connect(opts(&sim, None, false)).await.unwrap_err();
    assert!(matches!(err, ClusterError::Unauthorized { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("401") && text.contains("refresh your credentials or check the context"), "{text}");
}

fn cabin(args: &[&str], kubeconfig_env: &str) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cabin"))
        .args(args)
        .env("KUBECONFIG", kubeconfig_env)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
}

#[tokio::test]
async fn the_binary_honours_kubeconfig_and_exits_non_zero_with_a_clear_message() {
    let (code, stderr) = cabin(&[], "/nonexistent/from-env/kubeconfig");
    assert_ne!(code, 0);
    assert!(stderr.contains("no kubeconfig found at /nonexistent/from-env/kubeconfig"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let sim = start_sim().await;
    let (code, stderr) = cabin(&["--context", "prod"], sim.kubeconfig.to_str().unwrap());
    assert_ne!(code, 0);
    assert!(stderr.contains("unknown context \"prod\"") && stderr.contains("sim, sim-deployer, sim-viewer"), "{stderr}");
}

/// A cluster older than 1.28 has no SelfSubjectReview (404): connect falls back to a namespace
/// list, as for 403/405. A minimal plain-HTTP API server answers exactly that.
#[tokio::test]
async fn a_cluster_without_self_subject_review_still_connects() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let line = head.lines().next().unwrap_or_default().to_string();
                log.lock().unwrap().push(line.clone());
                let (code, body) = if line.contains("selfsubjectreviews") {
                    (
                        "404 Not Found",
                        r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}"#,
                    )
                } else {
                    ("200 OK", r#"{"kind":"NamespaceList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}"#)
                };
                let reply = format!(
                    "HTTP/1.1 {code}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: old\n  cluster:\n    server: http://{addr}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: old\n  context:\n    cluster: old\n    user: u\ncurrent-context: old\n"
        ),
    )
    .unwrap();
    let c = connect(ConnectOptions { kubeconfig: Some(kc), context: None, read_only: true }).await.unwrap();
    assert_eq!(c.info().user, "u", "the kubeconfig user name stands in for the unknown identity");
    let lines = seen.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l.contains("/api/v1/namespaces")), "the fallback probe ran: {lines:?}");
}
