//! The request log: kept in memory for tests and optionally appended to a JSON-lines file as
//! `{"ts","user","verb","method","path","status"}`.
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestRecord {
    pub ts: String,
    pub user: String,
    pub verb: String,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// Records kept in memory (bounded) and written to the file if one was given.
pub struct RequestLog {
    records: Mutex<Vec<RequestRecord>>,
    file: Mutex<Option<std::fs::File>>,
}

const MAX_KEPT: usize = 100_000;

impl RequestLog {
    pub fn open(path: Option<&PathBuf>) -> std::io::Result<Self> {
        let file = match path {
            Some(p) => Some(std::fs::OpenOptions::new().create(true).append(true).open(p)?),
            None => None,
        };
        Ok(Self { records: Mutex::new(Vec::new()), file: Mutex::new(file) })
    }

    pub fn record(&self, user: &str, verb: &str, method: &str, path: &str, status: u16) {
        let rec = RequestRecord {
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            user: user.to_string(),
            verb: verb.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            status,
        };
        if let Some(f) = self.file.lock().unwrap_or_else(|p| p.into_inner()).as_mut()
            && let Ok(line) = serde_json::to_string(&rec)
        {
            // A full disk must not take the API down; the in-memory log still has the record.
            let _ = writeln!(f, "{line}");
        }
        let mut recs = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if recs.len() >= MAX_KEPT {
            recs.remove(0);
        }
        recs.push(rec);
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.records.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
