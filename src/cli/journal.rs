//! `cabin journal verify|export|append|tail|seal`: the audit journal's command-line contract.
//!
//! Exit codes: 0 success; 1 the journal is broken (verify, export, seal); 2 usage or I/O error.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use crate::cluster::anchor::{self, AnchorError};
use crate::cluster::{ConnectOptions, Connection};
use crate::journal::export::{one_line, to_csv, to_json};
use crate::journal::markdown::to_markdown;
use crate::journal::{
    EntryFilter, Head, Journal, JournalContext, NewEntry, SystemClock, VerifyStatus, is_reserved_kind, read_entries, read_since,
    verify_path,
};

/// The audit journal: verify, export, append, tail, seal.
#[derive(Debug, clap::Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    pub command: JournalCmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum JournalCmd {
    /// Check every hash, the chain, seq and time order. Exit 0 if intact, 1 naming the first bad seq.
    Verify {
        /// A head recorded by `seal` (SEQ:HASH): the journal must still contain it.
        #[arg(long, value_name = "SEQ:HASH", conflicts_with = "against_cluster")]
        expect_head: Option<String>,
        /// Expect the head recorded in the cluster by `seal --to-cluster`.
        #[arg(long)]
        against_cluster: bool,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
    /// Export entries as a Markdown report, CSV or a JSON array.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Only this change (ticket id).
        #[arg(long, value_name = "ID")]
        change: Option<String>,
        /// Only entries at or after T (RFC 3339 or YYYY-MM-DD, UTC).
        #[arg(long, value_name = "T")]
        since: Option<String>,
        /// Only entries at or before T (RFC 3339 or YYYY-MM-DD, UTC, inclusive).
        #[arg(long, value_name = "T")]
        until: Option<String>,
    },
    /// Append an entry by hand (for pipelines and scripts); it is marked as appended by hand,
    /// and cabin's own kinds (sessions, writes, change runs…) are refused.
    Append {
        #[arg(long, value_name = "ID")]
        change: Option<String>,
        #[arg(long, default_value = "note")]
        kind: String,
        #[arg(long, value_name = "TEXT")]
        message: String,
        #[arg(long)]
        outcome: Option<String>,
    },
    /// Print the last entries; with -f keep printing new ones.
    Tail {
        #[arg(short, long)]
        follow: bool,
        /// How many entries to print first.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: usize,
    },
    /// Print the head (seq and hash) to anchor the journal elsewhere.
    Seal {
        /// Also record the head in a ConfigMap annotation in cabin's namespace.
        #[arg(long)]
        to_cluster: bool,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
}

/// Where the anchor lives, for `seal --to-cluster` and `verify --against-cluster`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Namespace of the anchor ConfigMap (cabin-journal-anchor).
    #[arg(long, value_name = "NS", default_value = anchor::DEFAULT_NAMESPACE)]
    pub namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Md,
    Csv,
    Json,
}

/// Which global flags `cabin journal …` honours: the journal and config everywhere; the
/// cluster flags only where a cluster is involved (`seal --to-cluster`,
/// `verify --against-cluster`).
pub fn honoured(args: &JournalArgs) -> (&'static str, &'static [&'static str], &'static str) {
    let with_cluster = matches!(args.command, JournalCmd::Seal { to_cluster: true, .. } | JournalCmd::Verify { against_cluster: true, .. });
    if with_cluster {
        ("journal", &["journal", "config", "kubeconfig", "context", "read_only"], "")
    } else {
        ("journal", &["journal", "config"], "only `seal --to-cluster` and `verify --against-cluster` talk to a cluster")
    }
}

pub fn run(args: JournalArgs, g: &super::Globals) -> ExitCode {
    let settings = g.settings();
    let path = match crate::config::journal_path(g.journal.clone(), &settings.config) {
        Ok(p) => p,
        Err(e) => return fail(&e.to_string()),
    };
    let target = Target { kubeconfig: g.kubeconfig.clone(), context: g.context.clone(), flag: g.read_only, config: settings.config };
    let result = match args.command {
        JournalCmd::Verify { against_cluster: true, cluster, .. } => verify_against_cluster(&path, &cluster, &target),
        JournalCmd::Verify { expect_head, .. } => verify(&path, expect_head.as_deref()),
        JournalCmd::Export { format, change, since, until } => export(&path, format, change, since.as_deref(), until.as_deref()),
        JournalCmd::Append { change, kind, message, outcome } => append(&path, change, &kind, &message, outcome),
        JournalCmd::Tail { follow, lines } => tail(&path, follow, lines),
        JournalCmd::Seal { to_cluster, cluster } => seal(&path, to_cluster.then_some((&cluster, &target))),
    };
    result.unwrap_or_else(|msg| fail(&msg))
}

type CmdResult = Result<ExitCode, String>;

fn fail(msg: &str) -> ExitCode {
    eprintln!("cabin journal: {msg}");
    ExitCode::from(2)
}

fn verify(path: &Path, expect: Option<&str>) -> CmdResult {
    let anchor = expect.map(parse_head).transpose()?;
    let status = verify_path(path, anchor.as_ref()).map_err(|e| e.to_string())?;
    println!("{status}");
    Ok(status_code(&status))
}

/// `verify --against-cluster`: the journal must contain the head sealed in the cluster.
fn verify_against_cluster(path: &Path, c: &ClusterArgs, t: &Target) -> CmdResult {
    let found = with_cluster(t, true, |conn| async move { anchor::read_anchor(&conn, &c.namespace).await })?;
    let head = parse_head(&found.head).map_err(|_| {
        format!(
            "the anchor in ConfigMap {}/{} is not SEQ:HASH ({:?}); seal again with `cabin journal seal --to-cluster`",
            c.namespace,
            anchor::ANCHOR_NAME,
            found.head
        )
    })?;
    let status = verify_path(path, Some(&head)).map_err(|e| e.to_string())?;
    println!("{status}");
    let when = found.sealed_at.as_deref().unwrap_or("an unknown time");
    eprintln!("checked against the head sealed in the cluster at {when}: seq {}", head.seq);
    Ok(status_code(&status))
}

/// The cluster the global flags name, and what decides read-only there.
struct Target {
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
    flag: bool,
    config: crate::config::Config,
}

impl Target {
    /// Read-only for the context these flags select (flag, config, fail closed).
    fn decide(&self) -> Result<crate::config::ReadOnlyDecision, String> {
        let context = crate::cluster::resolve_context(self.kubeconfig.as_ref(), self.context.as_deref()).map_err(|e| e.to_string())?;
        Ok(self.config.read_only_decision(self.flag, &context))
    }
}

/// Connects (read-only when `read_only`) and runs `f` on a small runtime of its own.
fn with_cluster<'a, T, F, Fut>(t: &Target, read_only: bool, f: F) -> Result<T, String>
where
    F: FnOnce(Connection) -> Fut,
    Fut: std::future::Future<Output = Result<T, AnchorError>> + 'a,
{
    let opts = ConnectOptions { kubeconfig: t.kubeconfig.clone(), context: t.context.clone(), read_only };
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(async {
            let conn = crate::cluster::connect(opts).await.map_err(AnchorError::from)?;
            f(conn).await
        })
        .map_err(|e| e.to_string())
}

fn status_code(status: &VerifyStatus) -> ExitCode {
    match status {
        VerifyStatus::Verified { .. } => ExitCode::SUCCESS,
        VerifyStatus::Broken { .. } => ExitCode::from(1),
    }
}

fn parse_head(s: &str) -> Result<Head, String> {
    let bad = || format!("--expect-head {s:?}: expected SEQ:HASH as printed by `cabin journal seal`");
    let (seq, hash) = s.split_once(':').ok_or_else(bad)?;
    let seq = seq.trim().parse().map_err(|_| bad())?;
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok(Head { seq, hash })
}

fn export(path: &Path, format: ExportFormat, change: Option<String>, since: Option<&str>, until: Option<&str>) -> CmdResult {
    let filter = EntryFilter {
        change,
        since: since.map(|t| parse_time(t, false)).transpose()?,
        until: until.map(|t| parse_time(t, true)).transpose()?,
        ..EntryFilter::default()
    };
    let status = verify_path(path, None).map_err(|e| e.to_string())?;
    let entries: Vec<_> = read_entries(path).map_err(|e| e.to_string())?.into_iter().filter(|e| filter.matches(e)).collect();
    let text = match format {
        ExportFormat::Md => to_markdown(&entries, &status, &path.display().to_string()),
        ExportFormat::Csv => to_csv(&entries),
        ExportFormat::Json => to_json(&entries).map_err(|e| e.to_string())?,
    };
    print_out(&text)?;
    if let VerifyStatus::Broken { .. } = status {
        eprintln!("cabin journal: WARNING: {status}; the export cannot be trusted past that point");
    }
    Ok(status_code(&status))
}

/// RFC 3339, or a date (start of day; with `end`, the last nanosecond of that day).
fn parse_time(s: &str, end: bool) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = || format!("{s:?} is not a time: use RFC 3339 (2026-11-23T16:00:00Z) or a date (2026-11-23)");
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())?;
    let day = if end { day.succ_opt().ok_or_else(bad)? } else { day };
    let start = day.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc();
    Ok(if end { start - chrono::Duration::nanoseconds(1) } else { start })
}

fn print_out(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| format!("cannot write output: {e}"))
}

fn open_journal(path: &Path) -> Result<Journal, String> {
    let (journal, report) = Journal::open(path, JournalContext::local(), Box::new(SystemClock)).map_err(|e| e.to_string())?;
    if let Some(r) = report.repaired {
        eprintln!(
            "cabin journal: repaired {}: cut a torn last line ({} bytes, sha256 {}) left by a crash; \
             recorded as seq {}",
            path.display(),
            r.cut_bytes,
            r.cut_sha256,
            r.seq
        );
    }
    Ok(journal)
}

fn append(path: &Path, change: Option<String>, kind: &str, message: &str, outcome: Option<String>) -> CmdResult {
    let valid = !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(format!("--kind {kind:?}: use lowercase letters, digits and '-' (e.g. note)"));
    }
    if is_reserved_kind(kind) {
        return Err(format!(
            "--kind {kind:?} is reserved for entries cabin writes itself (sessions, writes, change runs, \
             backups, locks, waivers); record it through cabin, or append a note (--kind note)"
        ));
    }
    let journal = open_journal(path)?;
    let mut new = NewEntry::by_hand(change, kind, message);
    new.outcome = outcome;
    let e = journal.append(new).map_err(|e| e.to_string())?;
    println!("appended seq {} hash {}", e.seq, e.hash);
    Ok(ExitCode::SUCCESS)
}

fn tail(path: &Path, follow: bool, lines: usize) -> CmdResult {
    let entries = read_entries(path).map_err(|e| e.to_string())?;
    let text: String = entries[entries.len().saturating_sub(lines)..].iter().map(|e| one_line(e) + "\n").collect();
    print_out(&text)?;
    if !follow {
        return Ok(ExitCode::SUCCESS);
    }
    let mut offset = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let (entries, next) = read_since(path, offset).map_err(|e| e.to_string())?;
        offset = next;
        print_out(&entries.iter().map(|e| one_line(e) + "\n").collect::<String>())?;
    }
}

fn seal(path: &Path, cluster: Option<(&ClusterArgs, &Target)>) -> CmdResult {
    match verify_path(path, None).map_err(|e| e.to_string())? {
        VerifyStatus::Verified { head, .. } => {
            let value = format!("{}:{}", head.seq, head.hash);
            if let Some((c, t)) = cluster {
                let decision = t.decide()?;
                if let Some(why) = decision.reason.filter(|_| decision.read_only) {
                    eprintln!("cabin journal: refusing to write the anchor: the session is read-only ({why}); nothing was sent");
                    return Ok(ExitCode::from(1));
                }
                let sealed_at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let journal = std::sync::Arc::new(open_journal(path)?);
                let context = with_cluster(t, false, |conn| async move {
                    let writer = crate::cluster::write::Writer::new(conn, journal);
                    anchor::write_anchor(&writer, &c.namespace, &value, &sealed_at).await?;
                    Ok(writer.connection().info().context.clone())
                })?;
                println!("{head}");
                eprintln!(
                    "recorded in ConfigMap {}/{} (annotation {}) of context {context:?}; \
                     check later with: cabin journal verify --against-cluster",
                    c.namespace,
                    anchor::ANCHOR_NAME,
                    anchor::HEAD_ANNOTATION
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!("{head}");
            eprintln!("check later with: cabin journal verify --expect-head {value}");
            Ok(ExitCode::SUCCESS)
        }
        status => {
            println!("{status}");
            eprintln!("cabin journal: refusing to seal a broken journal");
            Ok(ExitCode::from(1))
        }
    }
}
