//! A tiny HTTPS/1.1 client for raw API tests: verifies the simulator's certificate against the
//! CA from its kubeconfig, sends one request with `Connection: close`, reads to the end.
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::TestSim;

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("reply is not JSON ({e}): {}", self.body))
    }

    /// Watch events: one JSON object per line.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.body.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("event is JSON")).collect()
    }
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).expect("CA PEM decodes")
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(pos) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_txt = String::from_utf8_lossy(&rest[..pos]).trim().to_string();
        let size = usize::from_str_radix(size_txt.split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        rest = &rest[pos + 2..];
        if size == 0 || rest.len() < size {
            out.extend_from_slice(&rest[..size.min(rest.len())]);
            break;
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    out
}

/// One request to the simulator. `token: None` sends no Authorization header.
pub async fn request(sim: &TestSim, method: &str, path: &str, token: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Reply {
    try_request(sim, method, path, token, content_type, body)
        .await
        .unwrap_or_else(|| panic!("the simulator closed the connection without answering {method} {path}"))
}

/// A GET with its own Accept header (a Table, as kubectl asks for one).
#[allow(dead_code)]
pub async fn request_accept(sim: &TestSim, path: &str, token: &str, accept: &str) -> Reply {
    send(sim, "GET", path, Some(token), None, b"", accept)
        .await
        .unwrap_or_else(|| panic!("the simulator closed the connection without answering GET {path}"))
}

/// Like `request`, but `None` when the connection closes without an answer (a reset).
pub async fn try_request(
    sim: &TestSim,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<Reply> {
    send(sim, method, path, token, content_type, body, "application/json").await
}

async fn send(
    sim: &TestSim,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
    accept: &str,
) -> Option<Reply> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(pem_to_der(&sim.ca_pem()))).expect("CA is a valid certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let addr = sim.handle.addr();
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect to the simulator");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("server name");
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await.expect("TLS handshake with the simulator's CA");
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: {accept}\r\nContent-Length: {}\r\n", body.len());
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    tls.write_all(head.as_bytes()).await.expect("send request");
    tls.write_all(body).await.expect("send body");
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), tls.read_to_end(&mut raw)).await;
    assert!(read.is_ok(), "the simulator did not finish the reply to {method} {path} in 20s");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = headers.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let mut body = raw[split + 4..].to_vec();
    if headers.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Some(Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}
