//! Command mode (`:`): parse what the user typed into a screen change or an engine command.
use super::screens::{ListKind, ScreenKind};
use crate::model::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Show(ScreenKind),
    Scope(Scope),
    Context(String),
    Help,
    Quit,
}

/// `deploy`, `sts`, `pods`, `events`, `ns [NAME|all]`, `ctx NAME`, `dash`, `help`, `q`.
/// Aliases follow k9s (`dp`, `po`, `ev`, …). Errors are ready for the status line.
pub fn parse(input: &str) -> Result<Parsed, String> {
    let mut words = input.split_whitespace();
    let Some(cmd) = words.next() else { return Err("empty command: try :deploy, :pods or :help".into()) };
    let arg = words.next();
    let list = |k| Ok(Parsed::Show(ScreenKind::List(k)));
    match (cmd.to_ascii_lowercase().as_str(), arg) {
        ("q" | "q!" | "quit" | "exit", _) => Ok(Parsed::Quit),
        ("help" | "h" | "?", _) => Ok(Parsed::Help),
        ("dash" | "dashboard" | "home" | "workloads" | "wl", _) => Ok(Parsed::Show(ScreenKind::Dashboard)),
        ("deploy" | "deployment" | "deployments" | "dp", _) => list(ListKind::Deployments),
        ("sts" | "statefulset" | "statefulsets", _) => list(ListKind::StatefulSets),
        ("pods" | "pod" | "po", _) => list(ListKind::Pods),
        ("events" | "event" | "ev", _) => list(ListKind::Events),
        ("ns" | "namespace" | "namespaces", None) => list(ListKind::Namespaces),
        ("ns" | "namespace" | "namespaces", Some("all" | "*" | "-A" | "0")) => Ok(Parsed::Scope(Scope::All)),
        ("ns" | "namespace" | "namespaces", Some(ns)) => Ok(Parsed::Scope(Scope::Namespace(ns.to_string()))),
        ("ctx" | "context" | "contexts", Some(name)) => Ok(Parsed::Context(name.to_string())),
        ("ctx" | "context" | "contexts", None) => Err("usage: :ctx NAME (a context of your kubeconfig)".into()),
        (other, _) => Err(format!("unknown command :{other} — try :deploy :sts :pods :events :ns :ctx :q (or ? for help)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k9s_commands() {
        assert_eq!(parse("deploy"), Ok(Parsed::Show(ScreenKind::List(ListKind::Deployments))));
        assert_eq!(parse("ns payments"), Ok(Parsed::Scope(Scope::Namespace("payments".into()))));
        assert_eq!(parse("ns all"), Ok(Parsed::Scope(Scope::All)));
        assert_eq!(parse("ctx prod"), Ok(Parsed::Context("prod".into())));
        assert_eq!(parse("q"), Ok(Parsed::Quit));
        assert!(parse("bogus").unwrap_err().starts_with("unknown command :bogus"));
    }
}
