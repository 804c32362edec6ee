//! The run screen's updates: `:run ID` asks the engine for the plan, the plan comes back in a
//! confirmation popup (`y` starts the run), the run's lines fill the screen, and the run keys
//! (promote, pause/continue, rollback, abort) become engine commands — rollback and abort
//! after a confirmation. None of this exists in a read-only session.
use super::popups::{Popup, PopupKind};
use super::screens::{Screen, ScreenKind};
use super::state::AppState;
use crate::model::{Command, MessageLevel, RunControl, RunLine, UserMessage};

/// The run screen's state: the change, its plan, and what the run reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunScreenState {
    pub change: Option<String>,
    pub plan: Option<String>,
    pub lines: Vec<RunLine>,
}

impl RunScreenState {
    /// Whether the run reported its end.
    pub fn ended(&self) -> bool {
        self.lines.last().is_some_and(|l| matches!(l.event.as_str(), "completed" | "rolled-back" | "failed" | "aborted" | "refused"))
    }

    /// The run is paused (by the operator or by a gate with onFailure: pause).
    pub fn paused(&self) -> bool {
        self.lines
            .iter()
            .rev()
            .find(|l| matches!(l.event.as_str(), "pause" | "continue" | "health"))
            .is_some_and(|l| l.event == "pause" || l.note.contains("paused"))
    }
}

const MAX_LINES: usize = 1000;

fn say(state: &mut AppState, level: MessageLevel, text: &str) {
    state.status = Some(UserMessage { level, text: text.to_string(), hint: None });
}

fn show(state: &mut AppState) {
    if state.screen().kind != ScreenKind::Run {
        state.screens.push(Screen::new(ScreenKind::Run));
    }
}

/// `:run ID`.
pub fn plan(state: &mut AppState, id: String) -> Vec<Command> {
    if state.read_only() {
        say(state, MessageLevel::Warn, "read-only: changes cannot be run from this session");
        return Vec::new();
    }
    say(state, MessageLevel::Info, &format!("planning {id}…"));
    vec![Command::PlanRun(id)]
}

/// `:run` without an id.
pub fn open(state: &mut AppState) {
    show(state);
}

/// The engine's plan: show the run screen and ask.
pub fn plan_ready(state: &mut AppState, change: String, text: String) {
    if state.read_only() {
        return;
    }
    state.run = RunScreenState { change: Some(change.clone()), plan: Some(text.clone()), lines: Vec::new() };
    show(state);
    let on_yes = Command::StartRun(change.clone());
    state.popups.push(Popup::new(format!("run {change}?"), PopupKind::Confirm { body: text, on_yes }));
}

pub fn line(state: &mut AppState, line: RunLine) {
    if state.run.change.as_deref() != Some(line.change.as_str()) {
        state.run = RunScreenState { change: Some(line.change.clone()), ..Default::default() };
    }
    state.run.lines.push(line);
    if state.run.lines.len() > MAX_LINES {
        state.run.lines.remove(0);
    }
}

/// A run key: promote and pause/continue at once; rollback and abort after a confirmation.
pub fn key(state: &mut AppState, control: RunControl) -> Vec<Command> {
    if state.read_only() {
        return Vec::new();
    }
    let Some(change) = state.run.change.clone().filter(|_| !state.run.ended() && !state.run.lines.is_empty()) else {
        say(state, MessageLevel::Warn, "no live run: start one with :run CHANGE-ID");
        return Vec::new();
    };
    match control {
        RunControl::Pause | RunControl::Continue => {
            let c = if state.run.paused() { RunControl::Continue } else { RunControl::Pause };
            vec![Command::RunControl(c)]
        }
        RunControl::Promote => vec![Command::RunControl(RunControl::Promote)],
        RunControl::Rollback | RunControl::Abort => {
            let what = if control == RunControl::Rollback { "roll back" } else { "abort" };
            let body = format!(
                "{what} {change}: every target goes back to the template it had before the run (one JSON patch each, as `kubectl rollout undo` does), then the health watch continues until they are healthy.\n\n{}",
                state.run.plan.as_deref().and_then(|p| p.lines().find(|l| l.starts_with("Rollback plan"))).unwrap_or("")
            );
            state.popups.push(Popup::new(format!("{what} {change}?"), PopupKind::Confirm { body, on_yes: Command::RunControl(control) }));
            Vec::new()
        }
    }
}

/// `y` / `n` on a confirmation popup.
pub fn confirm(state: &mut AppState, yes: bool) -> Vec<Command> {
    let Some(Popup { kind: PopupKind::Confirm { on_yes, .. }, .. }) = state.popups.last().cloned() else { return Vec::new() };
    state.popups.pop();
    if yes && !state.read_only() {
        say(state, MessageLevel::Info, "sent");
        vec![on_yes]
    } else {
        say(state, MessageLevel::Info, "nothing was sent");
        Vec::new()
    }
}
