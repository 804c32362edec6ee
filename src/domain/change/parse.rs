//! From file texts to a `ChangeSet`: valid requests and invalid files with
//! `FILE:LINE: field: message` messages. The caller reads the files; nothing here does I/O.

use super::locate::{FieldPath, locate, locate_nth};
use super::model::ChangeRequest;
use super::raw::RawFile;
use super::rules::validate;
use super::schema::unknown_keys;
use serde::Serialize;

/// One thing wrong in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// `spec.targets[0].images.api`; empty for a YAML syntax error.
    pub field: String,
    pub message: String,
}

impl Problem {
    /// `FILE:LINE: field: message` (`FILE:LINE: message` without a field).
    pub fn render(&self, file: &str) -> String {
        if self.field.is_empty() {
            format!("{file}:{}: {}", self.line, self.message)
        } else {
            format!("{file}:{}: {}: {}", self.line, self.field, self.message)
        }
    }
}

/// A file that did not parse or broke a rule: listed, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidFile {
    pub file: String,
    /// Rendered `FILE:LINE: field: message` lines.
    pub messages: Vec<String>,
    #[serde(skip)]
    pub problems: Vec<Problem>,
    /// `metadata.name` when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A file's name, text and outcome.
type Parsed<'a> = (&'a str, &'a str, Result<ChangeRequest, Vec<Problem>>);

/// Every change request found, valid or not, in the order the files were given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChangeSet {
    pub valid: Vec<ChangeRequest>,
    pub invalid: Vec<InvalidFile>,
}

impl ChangeSet {
    /// Parses `(display name, text)` pairs. A change id defined by more than one file makes
    /// every one of those files invalid (which one is meant cannot be known). Ids compare
    /// case-insensitively: objects are named with the lowercased id (`CHG-1` and `chg-1`
    /// would share a Lease and backup names).
    pub fn parse<N: AsRef<str>, T: AsRef<str>>(files: &[(N, T)]) -> ChangeSet {
        let parsed: Vec<Parsed<'_>> = files
            .iter()
            .map(|(n, t)| {
                let (n, t) = (n.as_ref(), t.as_ref());
                (n, t, parse_change(n, t))
            })
            .collect();
        let mut set = ChangeSet::default();
        for (i, (file, text, result)) in parsed.iter().enumerate() {
            match result {
                Ok(change) => {
                    let others: Vec<&str> = parsed
                        .iter()
                        .enumerate()
                        .filter(|(j, (_, _, r))| *j != i && r.as_ref().is_ok_and(|c| c.id.eq_ignore_ascii_case(&change.id)))
                        .map(|(_, (f, _, _))| *f)
                        .collect();
                    if others.is_empty() {
                        set.valid.push(change.clone());
                    } else {
                        let p = Problem {
                            line: locate(text, &FieldPath::parse("metadata.name")),
                            field: "metadata.name".into(),
                            message: format!("duplicate change id \"{}\" (also in {})", change.id, others.join(", ")),
                        };
                        set.invalid.push(invalid(file, vec![p], Some(change.id.clone())));
                    }
                }
                Err(problems) => set.invalid.push(invalid(file, problems.clone(), read_id(text))),
            }
        }
        set
    }

    /// The valid change with this id.
    pub fn get(&self, id: &str) -> Option<&ChangeRequest> {
        self.valid.iter().find(|c| c.id == id)
    }
}

fn invalid(file: &str, problems: Vec<Problem>, id: Option<String>) -> InvalidFile {
    InvalidFile { file: file.to_string(), messages: problems.iter().map(|p| p.render(file)).collect(), problems, id }
}

/// `metadata.name` of a file that failed, when the YAML is readable that far.
fn read_id(text: &str) -> Option<String> {
    let v: yaml_serde::Value = yaml_serde::from_str(text).ok()?;
    v.get("metadata")?.get("name")?.as_str().map(str::to_string)
}

/// Parses one file. `file` is only used for the request's `file` field.
pub fn parse_change(file: &str, text: &str) -> Result<ChangeRequest, Vec<Problem>> {
    if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---") {
        return Err(vec![Problem { line: 1, field: String::new(), message: "the file is empty (no change request)".into() }]);
    }
    let typed: Result<RawFile, _> = yaml_serde::from_str(text);
    // Every unknown key at once (serde stops at the first); when the text does not even load as
    // plain YAML, the typed parse's error says why.
    if let Ok(value) = yaml_serde::from_str::<yaml_serde::Value>(text) {
        let unknown = unknown_keys(text, &value);
        if !unknown.is_empty() {
            return Err(unknown);
        }
    }
    let raw = typed.map_err(|e| vec![serde_problem(text, &e)])?;
    validate(file, text, raw)
}

/// A yaml_serde error as a problem: its line, the field from its path, the message without
/// the position. `missing field`/`unknown field` name the field itself.
fn serde_problem(text: &str, e: &yaml_serde::Error) -> Problem {
    let mut msg = e.to_string();
    let mut line = 1;
    if let Some(loc) = e.location() {
        line = loc.line().max(1);
        let at = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(i) = msg.find(&at) {
            msg.replace_range(i..i + at.len(), "");
        }
    }
    let (path, message) = split_path(&msg);
    let mut field = path.to_string();
    let message = readable(message);
    if let Some(name) = quoted_after(&message, "unknown field `") {
        field = join(&field, name);
    }
    if let Some(name) = quoted_after(&message, "duplicate field `").or_else(|| quoted_after(&message, "duplicate key `")) {
        field = join(&field, name);
        line = locate_nth(text, &FieldPath::parse(&field), 1);
    }
    Problem { line, field, message }
}

/// serde's `expected struct RawSpec` names an internal type: say "a mapping".
fn readable(message: &str) -> String {
    match message.find("expected struct Raw") {
        Some(i) => {
            let tail = &message[i + "expected struct Raw".len()..];
            let end = tail.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(tail.len());
            format!("{}expected a mapping{}", &message[..i], &tail[end..])
        }
        None => message.to_string(),
    }
}

const SERDE_STARTS: [&str; 9] = [
    "invalid type:",
    "invalid value:",
    "invalid length",
    "unknown variant",
    "unknown field",
    "missing field",
    "duplicate field",
    "duplicate key",
    "recursion limit",
];

/// Splits `path: message`; yaml_serde writes the path only below the root.
fn split_path(msg: &str) -> (&str, &str) {
    for start in SERDE_STARTS {
        if msg.starts_with(start) {
            return ("", msg);
        }
        if let Some(i) = msg.find(&format!(": {start}")) {
            return (&msg[..i], &msg[i + 2..]);
        }
    }
    ("", msg)
}

fn quoted_after<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = msg.strip_prefix(prefix)?;
    rest.split_once('`').map(|(name, _)| name)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}
