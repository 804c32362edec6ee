//! The run screen's updates: `:run ID` asks the engine for the plan, the plan comes back in a
//! confirmation popup (`y` starts the run), the run's lines fill the screen, and the run keys
//! (promote, pause/continue, rollback, abort) become engine commands — rollback and abort
//! after a confirmation. None of this exists in a read-only session.
use super::popups::{Popup, PopupKind};
use super::screens::{Screen, ScreenKind};
use super::state::AppState;
use crate::model::{Command, HealthSample, MessageLevel, ObjectKey, RunBackup, RunControl, RunHold, RunLine, RunStep, UserMessage};

/// The run screen's state: the change, its plan, and what the run reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunScreenState {
    pub change: Option<String>,
    pub plan: Option<String>,
    /// The planned stepper (empty for a rollback or restore outside a run: the steps seen are
    /// shown then).
    pub steps: Vec<RunStep>,
    /// The workloads the run changes.
    pub targets: Vec<ObjectKey>,
    pub lines: Vec<RunLine>,
    /// The hold being watched (cleared when the run leaves it).
    pub hold: Option<RunHold>,
    /// Health samples over time, oldest first (bounded).
    pub samples: Vec<(chrono::DateTime<chrono::Utc>, HealthSample)>,
    /// The backup and its last phase, when the run made one.
    pub backup: Option<RunBackup>,
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
const MAX_SAMPLES: usize = 2000;

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
/// A run's plan from the engine.
pub struct Plan {
    pub change: String,
    pub text: String,
    pub steps: Vec<RunStep>,
    pub targets: Vec<ObjectKey>,
    pub resume: bool,
}

pub fn plan_ready(state: &mut AppState, plan: Plan) {
    if state.read_only() {
        return;
    }
    let Plan { change, text, steps, targets, resume } = plan;
    state.run = RunScreenState { change: Some(change.clone()), plan: Some(text.clone()), steps, targets, ..Default::default() };
    show(state);
    let on_yes = Command::StartRun(change.clone());
    let title = if resume { format!("resume {change}?") } else { format!("run {change}?") };
    state.popups.push(Popup::new(title, PopupKind::Confirm { body: text, on_yes }));
}

/// An engine's question outside a live run (rollback or restore): the run screen shows what
/// follows, and nothing is sent without `y`.
pub fn ask(state: &mut AppState, title: String, text: String, on_yes: Command) {
    if state.read_only() {
        return;
    }
    state.popups.push(Popup::new(title, PopupKind::Confirm { body: text, on_yes }));
}

pub fn line(state: &mut AppState, line: RunLine) {
    // A new change, or a new activity of the same change after its run ended (a rollback or
    // restore from a workload): a fresh screen.
    if state.run.change.as_deref() != Some(line.change.as_str()) || (state.run.ended() && state.run.plan.is_none()) {
        state.run = RunScreenState { change: Some(line.change.clone()), ..Default::default() };
        show(state);
    }
    let run = &mut state.run;
    if let Some(h) = line.hold {
        run.hold = Some(h);
    } else if run.hold.is_some_and(|h| line.step != format!("hold-{}", h.index + 1)) {
        run.hold = None;
    }
    if let Some(sample) = line.sample {
        run.samples.push((line.ts, sample));
        if run.samples.len() > MAX_SAMPLES {
            run.samples.remove(0);
        }
    }
    if let Some(b) = &line.backup {
        run.backup = Some(b.clone());
    }
    run.lines.push(line);
    if state.run.lines.len() > MAX_LINES {
        state.run.lines.remove(0);
    }
}

/// The workload selected on the top screen (a row of a workloads list, or a workload screen).
fn selected_workload(state: &AppState) -> Option<ObjectKey> {
    let screen = state.screen();
    if let ScreenKind::Workload(k) = &screen.kind {
        return Some(k.clone());
    }
    match screen.selected_target(&state.cluster, state.ui.now) {
        crate::tui::screens::rows::Target::Workload(k) => Some(k),
        _ => None,
    }
}

fn live(state: &AppState) -> bool {
    !state.run.ended() && !state.run.lines.is_empty()
}

/// A run key: promote and pause/continue at once; rollback and abort after a confirmation.
/// Rollback on a workload (not the run screen) rolls back the last run that changed it: the
/// live run when it is one of its targets, else the engine plans it from the journal.
pub fn key(state: &mut AppState, control: RunControl) -> Vec<Command> {
    if state.read_only() {
        return Vec::new();
    }
    if control == RunControl::Rollback
        && state.screen().kind == ScreenKind::Changes
        && let Some(id) = state.changes.selected().map(|c| c.change.id.clone())
        && !(live(state) && state.run.change.as_deref() == Some(id.as_str()))
    {
        say(state, MessageLevel::Info, &format!("planning the rollback of {id}…"));
        return vec![Command::PlanChangeRollback(id)];
    }
    if control == RunControl::Rollback
        && state.screen().kind != ScreenKind::Run
        && let Some(w) = selected_workload(state)
        && !(live(state) && state.run.targets.contains(&w))
    {
        say(state, MessageLevel::Info, &format!("planning the rollback of {}/{}…", w.namespace, w.name));
        return vec![Command::PlanRollback(w)];
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

/// `R`: a Velero restore from the pre-change backup of the run on screen, or of the change
/// selected on the changes screen; the engine shows what it overwrites and asks.
pub fn restore(state: &mut AppState) -> Vec<Command> {
    if state.read_only() {
        return Vec::new();
    }
    let change = match state.screen().kind {
        ScreenKind::Changes => state.changes.selected().map(|c| c.change.id.clone()),
        _ => state.run.change.clone(),
    };
    match change {
        Some(id) if state.screen().kind == ScreenKind::Changes || !live(state) => vec![Command::PlanRestore(id)],
        Some(_) => {
            say(state, MessageLevel::Warn, "the run is live: roll it back (U) or let it end before restoring data");
            Vec::new()
        }
        None => {
            say(state, MessageLevel::Warn, "no change: open a run (:run) or select a change (C) first");
            Vec::new()
        }
    }
}

/// A run found interrupted (cabin was killed mid-run): say where it stopped and what to do,
/// once, when the changes feed first shows it so.
pub fn notice_interrupted(state: &mut AppState, feed: &crate::engine::changes_feed::ChangesFeed) {
    use crate::domain::change::ChangeStatus;
    let was = |id: &str| state.changes.feed.changes.iter().any(|c| c.change.id == id && c.status.status == ChangeStatus::Interrupted);
    let Some(c) = feed.changes.iter().find(|c| c.status.status == ChangeStatus::Interrupted && !was(&c.change.id)) else { return };
    let id = &c.change.id;
    let text = if state.read_only() {
        format!("{id}: {} (read-only: resume or roll back from a writable session)", c.status.rule)
    } else {
        format!("{id}: {} — `:run {id}` resumes it, `U` on it in the changes screen (C) rolls it back", c.status.rule)
    };
    say(state, MessageLevel::Warn, &text);
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
