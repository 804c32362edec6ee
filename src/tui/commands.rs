//! Command mode (`:`): parse what the user typed into a screen change or an engine command.
use super::screens::{ListKind, ScreenKind};
use crate::model::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Show(ScreenKind),
    Scope(Scope),
    Context(String),
    /// `:journal [change=… actor=… kind=… outcome=…]` (also `:audit`).
    Journal(crate::journal::EntryFilter),
    /// `:cal [DAY]` (also `:calendar`, `:windows`): the sync-window calendar, at DAY.
    Calendar(Option<String>),
    /// `:changes` (also `:change`, `:chg`, `:cr`): the change requests.
    Changes,
    Help,
    Quit,
    /// `:run ID`: plan a change's run (confirmation first; absent in read-only).
    Run(String),
    /// `:run` without an id: the run screen.
    RunScreen,
}

/// `deploy`, `sts`, `pods`, `events`, `ns [NAME|all]`, `ctx NAME`, `dash`, `journal [k=v…]`,
/// `cal [DAY]`, `help`, `q`.
/// Aliases follow k9s (`dp`, `po`, `ev`, …). Errors are ready for the status line.
pub fn parse(input: &str) -> Result<Parsed, String> {
    let mut words = input.split_whitespace();
    let Some(cmd) = words.next() else { return Err("empty command: try :deploy, :pods or :help".into()) };
    if matches!(cmd.to_ascii_lowercase().as_str(), "journal" | "audit" | "jr") {
        return super::screens::journal::parse_filter(words).map(Parsed::Journal);
    }
    let arg = words.next();
    let list = |k| Ok(Parsed::Show(ScreenKind::List(k)));
    match (cmd.to_ascii_lowercase().as_str(), arg) {
        ("q" | "q!" | "quit" | "exit", _) => Ok(Parsed::Quit),
        ("run", Some(id)) => Ok(Parsed::Run(id.to_string())),
        ("run", None) => Ok(Parsed::RunScreen),
        ("help" | "h" | "?", _) => Ok(Parsed::Help),
        ("cal" | "calendar" | "windows", day) => Ok(Parsed::Calendar(day.map(str::to_string))),
        ("changes" | "change" | "chg" | "cr", _) => Ok(Parsed::Changes),
        ("dash" | "dashboard" | "home" | "workloads" | "wl", _) => Ok(Parsed::Show(ScreenKind::Dashboard)),
        ("deploy" | "deployment" | "deployments" | "dp", _) => list(ListKind::Deployments),
        ("sts" | "statefulset" | "statefulsets", _) => list(ListKind::StatefulSets),
        ("pods" | "pod" | "po", _) => list(ListKind::Pods),
        ("events" | "event" | "ev", _) => list(ListKind::Events),
        ("ns" | "namespace" | "namespaces", None) => list(ListKind::Namespaces),
        ("ns" | "namespace" | "namespaces", Some("all" | "*" | "-A" | "0")) => Ok(Parsed::Scope(Scope::All)),
        ("ns" | "namespace" | "namespaces", Some(ns)) => Ok(Parsed::Scope(Scope::Namespace(ns.to_string()))),
        ("ctx" | "context" | "contexts", Some(name)) => Ok(Parsed::Context(name.to_string())),
        ("ctx" | "context" | "contexts", None) => list(ListKind::Contexts),
        (other, _) => {
            Err(format!("unknown command :{other} — try :deploy :sts :pods :events :ns :ctx :journal :cal :changes :q (or ? for help)"))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_k9s_commands() {
        assert_eq!(parse("deploy"), Ok(Parsed::Show(ScreenKind::List(ListKind::Deployments))));
        assert_eq!(parse("ns payments"), Ok(Parsed::Scope(Scope::Namespace("payments".into()))));
        assert_eq!(parse("ns all"), Ok(Parsed::Scope(Scope::All)));
        assert_eq!(parse("ctx prod"), Ok(Parsed::Context("prod".into())));
        assert_eq!(parse("q"), Ok(Parsed::Quit));
        let Ok(Parsed::Journal(f)) = parse("audit change=CHG-1 kind=rollback") else { panic!("journal") };
        assert_eq!((f.change.as_deref(), f.kind.as_deref()), (Some("CHG-1"), Some("rollback")));
        assert_eq!(parse("cal 2026-12-24"), Ok(Parsed::Calendar(Some("2026-12-24".into()))));
        assert_eq!(parse("windows"), Ok(Parsed::Calendar(None)));
        assert!(parse("bogus").unwrap_err().starts_with("unknown command :bogus"));
    }
}
