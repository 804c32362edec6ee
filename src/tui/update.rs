//! `update(&mut AppState, Action) -> Vec<Command>`: the only place state changes.
use ratatui::layout::{Position, Rect};

use super::action::{Action, NavMsg, PromptKind, PromptMsg};
use super::calendar_update as calendar;
use super::changes_update as changes;
use super::commands::{self, Parsed};
use super::journal_update as journal;
use super::popups::{Awaiting, Popup, PopupKind};
use super::screens::changes::ChangesMsg;
use super::screens::list::{Filter, ListMsg, visible_offset};
use super::screens::rows::Target;
use super::screens::{Screen, ScreenKind};
use super::state::{AppState, Prompt};
use super::view::main_table_area;
use super::widgets::table::data_height;
use crate::model::{ClusterSnapshot, Command, ConnState, ContextInfo, EngineEvent, MessageLevel, Scope, UserMessage};

pub fn update(state: &mut AppState, action: Action) -> Vec<Command> {
    match action {
        Action::Engine(ev) => {
            apply_engine(state, ev);
            return Vec::new();
        }
        Action::Resize(w, h) => {
            state.ui.size = (w, h);
            return Vec::new();
        }
        Action::Tick(now) => {
            calendar::tick(state, now);
            return Vec::new();
        }
        Action::Confirm(yes) => return super::run_update::confirm(state, yes),
        Action::Prompt(msg) if state.popups.is_empty() => return prompt(state, msg),
        _ if !state.popups.is_empty() => return popup_keys(state, action),
        _ => {}
    }
    match action {
        Action::Quit => quit(state),
        Action::Confirm(_) => Vec::new(),
        Action::Help => {
            state.popups.push(Popup::new("help", PopupKind::Help));
            Vec::new()
        }
        Action::Back => {
            back(state);
            Vec::new()
        }
        Action::Enter => enter(state),
        Action::Nav(msg) => {
            nav(state, msg);
            Vec::new()
        }
        Action::Sort(key) => {
            list_msg(state, ListMsg::Sort(key));
            Vec::new()
        }
        Action::Yaml => yaml(state),
        Action::Logs => logs(state),
        Action::Journal => {
            journal::open(state, None);
            Vec::new()
        }
        Action::Calendar => {
            calendar::open(state, None);
            Vec::new()
        }
        Action::Run(control) => super::run_update::key(state, control),
        Action::Restore => super::run_update::restore(state),
        Action::Changes => {
            changes::open(state);
            Vec::new()
        }
        Action::Waive => {
            changes::open_waiver(state);
            Vec::new()
        }
        Action::CalendarKey(msg) => {
            state.calendar.update(msg);
            Vec::new()
        }
        Action::Click { column, row } if journal::active(state) => {
            journal::click(state, column, row);
            Vec::new()
        }
        Action::Click { column, row } => {
            click(state, column, row);
            Vec::new()
        }
        Action::Prompt(_) | Action::Engine(_) | Action::Resize(..) | Action::Tick(_) => Vec::new(),
    }
}

fn quit(state: &mut AppState) -> Vec<Command> {
    state.quit = true;
    vec![Command::Shutdown]
}

fn screen_area(state: &AppState) -> Rect {
    Rect::new(0, 0, state.ui.size.0, state.ui.size.1)
}

fn popup_keys(state: &mut AppState, action: Action) -> Vec<Command> {
    let page = data_height(screen_area(state)).max(1);
    match action {
        Action::Back | Action::Quit => {
            state.popups.pop();
        }
        Action::Help if matches!(state.popups.last().map(|p| &p.kind), Some(PopupKind::Help)) => {
            state.popups.pop();
        }
        Action::Nav(msg) => {
            if let Some(p) = state.popups.last_mut() {
                p.scroll(msg, page);
            }
        }
        _ => {}
    }
    Vec::new()
}

fn prompt(state: &mut AppState, msg: PromptMsg) -> Vec<Command> {
    match msg {
        PromptMsg::Open(kind) => {
            state.prompt = Some(Prompt::new(kind, ""));
            state.status = None;
        }
        PromptMsg::Edit(input) => {
            if let Some(p) = state.prompt.as_mut() {
                p.editor.input(input);
            }
        }
        PromptMsg::Cancel => state.prompt = None,
        PromptMsg::Submit => {
            let Some(p) = state.prompt.take() else { return Vec::new() };
            let text = p.text();
            return match p.kind {
                PromptKind::Filter => {
                    set_filter(state, &text);
                    Vec::new()
                }
                PromptKind::Command => run_command(state, &text),
                PromptKind::Waive => changes::waive(state, &text),
            };
        }
    }
    Vec::new()
}

fn set_filter(state: &mut AppState, text: &str) {
    if journal::active(state) {
        journal::search(state, text);
        return;
    }
    if text.is_empty() {
        list_msg(state, ListMsg::Filter(None));
        return;
    }
    match Filter::parse(text) {
        Ok(f) => list_msg(state, ListMsg::Filter(Some(f))),
        Err(e) => state.status = Some(message(MessageLevel::Error, e, Some("fix the regex with / (esc clears)"))),
    }
}

pub fn message(level: MessageLevel, text: impl Into<String>, hint: Option<&str>) -> UserMessage {
    UserMessage { level, text: text.into(), hint: hint.map(str::to_string) }
}

fn run_command(state: &mut AppState, input: &str) -> Vec<Command> {
    match commands::parse(input) {
        Err(e) => {
            state.status = Some(message(MessageLevel::Error, e, None));
            Vec::new()
        }
        Ok(Parsed::Quit) => quit(state),
        Ok(Parsed::Help) => {
            state.popups.push(Popup::new("help", PopupKind::Help));
            Vec::new()
        }
        Ok(Parsed::Show(kind)) => {
            // A view command replaces the stack, like k9s: esc then returns to the dashboard.
            state.screens.truncate(1);
            if state.screens[0].kind != kind {
                state.screens.push(Screen::new(kind));
            }
            Vec::new()
        }
        Ok(Parsed::Journal(fields)) => {
            journal::open(state, Some(fields));
            Vec::new()
        }
        Ok(Parsed::Run(id)) => super::run_update::plan(state, id),
        Ok(Parsed::RunScreen) => {
            super::run_update::open(state);
            Vec::new()
        }
        Ok(Parsed::Changes) => {
            changes::open(state);
            Vec::new()
        }
        Ok(Parsed::Calendar(day)) => {
            calendar::open(state, day.as_deref());
            Vec::new()
        }
        Ok(Parsed::Scope(scope)) => set_scope(state, scope),
        Ok(Parsed::Context(name)) => {
            state.status = Some(message(MessageLevel::Info, format!("switching to context {name}…"), None));
            vec![Command::SwitchContext(name)]
        }
    }
}

fn set_scope(state: &mut AppState, scope: Scope) -> Vec<Command> {
    state.cluster.scope = scope.clone();
    for s in &mut state.screens {
        s.list.update(ListMsg::Reset);
    }
    vec![Command::SetScope(scope)]
}

fn back(state: &mut AppState) {
    if journal::active(state) && journal::clear_search(state) {
        return;
    }
    if state.screen().list.filter.is_some() {
        list_msg(state, ListMsg::Filter(None));
    } else if state.screens.len() > 1 {
        state.screens.pop();
    } else {
        state.status = None;
    }
}

fn enter(state: &mut AppState) -> Vec<Command> {
    if journal::active(state) {
        journal::enter(state);
        return Vec::new();
    }
    match state.screen().selected_target(&state.cluster, state.ui.now) {
        Target::Workload(key) => state.screens.push(Screen::new(ScreenKind::Workload(key))),
        Target::Pod { namespace, name } => state.screens.push(Screen::new(ScreenKind::Pod { namespace, name })),
        Target::Namespace(ns) => {
            state.screens.truncate(1);
            return set_scope(state, Scope::Namespace(ns));
        }
        Target::Context(name) => {
            state.screens.truncate(1);
            return vec![Command::SwitchContext(name)];
        }
        Target::Container { .. } => return logs(state),
        Target::Object(_) => return yaml(state),
        Target::None => {}
    }
    Vec::new()
}

fn nav(state: &mut AppState, msg: NavMsg) {
    if journal::active(state) {
        journal::nav(state, msg);
        return;
    }
    if calendar::active(state) {
        calendar::nav(state, msg);
        return;
    }
    if state.screen().kind == ScreenKind::Changes {
        state.changes.update(ChangesMsg::Nav(msg));
        return;
    }
    let page = data_height(main_table_area(state, screen_area(state)));
    let len = state.screen().visible_len(&state.cluster, state.ui.now);
    list_msg(state, ListMsg::Nav { msg, len, page });
}

/// Applies a list message to the current screen and keeps the selection's identity: a move
/// anchors the object now selected; a re-sort finds the anchored object again.
fn list_msg(state: &mut AppState, msg: ListMsg) {
    let resort = matches!(msg, ListMsg::Sort(_));
    state.screen_mut().list.update(msg);
    let (data, now) = (&state.cluster, state.ui.now);
    let Some(screen) = state.screens.last_mut() else { return };
    if resort {
        screen.follow(data, now);
    } else {
        screen.list.anchor = screen.target_at(data, now, screen.list.selected);
    }
}

fn yaml(state: &mut AppState) -> Vec<Command> {
    let Some(key) = state.screen().yaml_key(&state.cluster, state.ui.now) else {
        state.status = Some(message(MessageLevel::Warn, "nothing selected to show as YAML", None));
        return Vec::new();
    };
    let title = format!("yaml {}/{}/{}", key.kind.to_lowercase(), key.namespace, key.name);
    state.popups.push(Popup::new(title, PopupKind::Text { awaiting: Awaiting::Yaml(key.clone()), body: None }));
    vec![Command::FetchYaml(key)]
}

fn logs(state: &mut AppState) -> Vec<Command> {
    let (namespace, pod, container) = match (state.screen().selected_target(&state.cluster, state.ui.now), &state.screen().kind) {
        (Target::Container { namespace, pod, container }, _) => (namespace, pod, Some(container)),
        (Target::Pod { namespace, name }, _) => (namespace, name, None),
        (_, ScreenKind::Pod { namespace, name }) => (namespace.clone(), name.clone(), None),
        _ => {
            state.status =
                Some(message(MessageLevel::Warn, "logs: select a pod or a container first", Some("enter on a workload lists its pods")));
            return Vec::new();
        }
    };
    let title = format!("logs {namespace}/{pod}{}", container.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default());
    let awaiting = Awaiting::Logs { namespace: namespace.clone(), pod: pod.clone(), container: container.clone() };
    let mut popup = Popup::new(title, PopupKind::Text { awaiting, body: None });
    popup.scroll = usize::MAX / 2; // logs open at the end
    state.popups.push(popup);
    vec![Command::FetchLogs { namespace, pod, container }]
}

fn click(state: &mut AppState, column: u16, row: u16) {
    let area = main_table_area(state, screen_area(state));
    // Rows start below the top border and the header line.
    let first = area.y.saturating_add(2);
    if !area.contains(Position::new(column, row)) || row < first {
        return;
    }
    let height = data_height(area);
    let list = &state.screen().list;
    let offset = visible_offset(list.offset, list.selected, height);
    let index = offset + usize::from(row - first);
    let len = state.screen().visible_len(&state.cluster, state.ui.now);
    if index < len {
        list_msg(state, ListMsg::Nav { msg: NavMsg::Select(index), len, page: height });
    }
}

fn apply_engine(state: &mut AppState, ev: EngineEvent) {
    match ev {
        EngineEvent::Context(info) => {
            // Every Context after the first is a switch: the engine drops answers asked on the
            // previous connection, and nothing of the previous cluster may stay on screen.
            let first = state.cluster.context == ContextInfo::default();
            if !first {
                forget_previous_context(state);
            }
            // The connection's guard is what enforces read-only: the badge and the keys follow it.
            state.ui.read_only = info.read_only;
            state.cluster.context = info;
            state.cluster.generation += 1;
        }
        EngineEvent::Connection(c) => state.cluster.conn = c,
        EngineEvent::Snapshot(snap) => {
            state.cluster.snapshot = *snap;
            state.cluster.generation += 1;
            let (data, now) = (&state.cluster, state.ui.now);
            for s in &mut state.screens {
                s.follow(data, now);
            }
            // The selected workload (and its Argo CD tracking) may have changed.
            calendar::refresh_header(state);
        }
        EngineEvent::Yaml { key, yaml } => fill(state, &Awaiting::Yaml(key), yaml),
        EngineEvent::Logs { namespace, pod, container, text } => fill(state, &Awaiting::Logs { namespace, pod, container }, text),
        EngineEvent::Message(m) => state.status = Some(m),
        EngineEvent::Journal(feed) => journal::apply_feed(state, feed),
        EngineEvent::HeaderClock(line) => state.ui.header_extra = Some(line),
        EngineEvent::Windows(feed) => calendar::apply_feed(state, *feed),
        EngineEvent::RunPlan { change, text, steps, targets, resume } => {
            super::run_update::plan_ready(state, super::run_update::Plan { change, text, steps, targets, resume })
        }
        EngineEvent::Confirm { title, text, on_yes } => super::run_update::ask(state, title, text, on_yes),
        EngineEvent::RunLine(line) => super::run_update::line(state, line),
        EngineEvent::Changes(feed) => {
            super::run_update::notice_interrupted(state, &feed);
            state.changes.update(ChangesMsg::Feed(feed));
        }
    }
}

/// After a context switch: the previous cluster's rows go (until the new cluster's first
/// snapshot), and YAML/log popups opened on it close (their answers will never come).
fn forget_previous_context(state: &mut AppState) {
    state.cluster.snapshot = ClusterSnapshot::default();
    state.cluster.generation += 1;
    state.cluster.conn = ConnState::Connecting;
    for s in &mut state.screens {
        s.list.update(ListMsg::Clamp(0));
    }
    state.popups.retain(|p| !matches!(&p.kind, PopupKind::Text { awaiting: Awaiting::Yaml(_) | Awaiting::Logs { .. }, .. }));
}

fn fill(state: &mut AppState, answer: &Awaiting, text: String) {
    for p in state.popups.iter_mut() {
        if let PopupKind::Text { awaiting, body } = &mut p.kind
            && awaiting == answer
        {
            *body = Some(text.clone());
        }
    }
}
