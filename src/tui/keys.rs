//! Input → Action, through the key map (and the prompt while it is open).
use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers, MouseEventKind};

use super::action::{Action, InputEvent, NavMsg, PromptKind, PromptMsg, SortKey};
use crate::config::{ActionId, Key, KeyMap};
use crate::model::RunControl;

/// Translate one input event. `prompt_open`: keys go to the text input instead of the map.
pub fn to_action(ev: &InputEvent, keymap: &KeyMap, read_only: bool, prompt_open: bool) -> Option<Action> {
    match ev {
        InputEvent::Resize(w, h) => Some(Action::Resize(*w, *h)),
        InputEvent::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Action::Nav(NavMsg::Up)),
            MouseEventKind::ScrollDown => Some(Action::Nav(NavMsg::Down)),
            MouseEventKind::Down(_) => Some(Action::Click { column: m.column, row: m.row }),
            _ => None,
        },
        InputEvent::Key(k) if k.kind == KeyEventKind::Release => None,
        InputEvent::Key(k) if prompt_open => prompt_key(k.code, k.modifiers),
        InputEvent::Key(k) => keymap.action_for(Key::from_event(k), read_only).map(from_id),
    }
}

fn prompt_key(code: KeyCode, mods: KeyModifiers) -> Option<Action> {
    use ratatui_textarea::Key as K;
    let key = match code {
        KeyCode::Char('c') if mods.contains(KeyModifiers::CONTROL) => return Some(Action::Prompt(PromptMsg::Cancel)),
        KeyCode::Enter => return Some(Action::Prompt(PromptMsg::Submit)),
        KeyCode::Esc => return Some(Action::Prompt(PromptMsg::Cancel)),
        // One line: no newline (ctrl-m / ctrl-j) and no tab into a command.
        KeyCode::Char('m' | 'j') if mods.contains(KeyModifiers::CONTROL) => return None,
        KeyCode::Char(c) => K::Char(c),
        KeyCode::Backspace => K::Backspace,
        KeyCode::Delete => K::Delete,
        KeyCode::Left => K::Left,
        KeyCode::Right => K::Right,
        KeyCode::Home => K::Home,
        KeyCode::End => K::End,
        _ => return None,
    };
    let input = ratatui_textarea::Input {
        key,
        ctrl: mods.contains(KeyModifiers::CONTROL),
        alt: mods.contains(KeyModifiers::ALT),
        shift: mods.contains(KeyModifiers::SHIFT),
    };
    Some(Action::Prompt(PromptMsg::Edit(input)))
}

/// The action a key-map entry stands for.
pub fn from_id(id: ActionId) -> Action {
    match id {
        ActionId::Quit => Action::Quit,
        ActionId::Help => Action::Help,
        ActionId::Command => Action::Prompt(PromptMsg::Open(PromptKind::Command)),
        ActionId::Filter => Action::Prompt(PromptMsg::Open(PromptKind::Filter)),
        ActionId::Back => Action::Back,
        ActionId::Enter => Action::Enter,
        ActionId::Up => Action::Nav(NavMsg::Up),
        ActionId::Down => Action::Nav(NavMsg::Down),
        ActionId::Top => Action::Nav(NavMsg::Top),
        ActionId::Bottom => Action::Nav(NavMsg::Bottom),
        ActionId::PageUp => Action::Nav(NavMsg::PageUp),
        ActionId::PageDown => Action::Nav(NavMsg::PageDown),
        ActionId::SortName => Action::Sort(SortKey::Name),
        ActionId::SortAge => Action::Sort(SortKey::Age),
        ActionId::SortStatus => Action::Sort(SortKey::Status),
        ActionId::Yaml => Action::Yaml,
        ActionId::Logs => Action::Logs,
        ActionId::Journal => Action::Journal,
        ActionId::Calendar => Action::Calendar,
        ActionId::Changes => Action::Changes,
        ActionId::Waive => Action::Waive,
        ActionId::Promote => Action::Run(RunControl::Promote),
        ActionId::PauseRun => Action::Run(RunControl::Pause),
        ActionId::Rollback => Action::Run(RunControl::Rollback),
        ActionId::AbortRun => Action::Run(RunControl::Abort),
        ActionId::Restore => Action::Restore,
    }
}

/// Keys while a confirmation popup is on top: `y` confirms, `n` or esc declines; nothing else.
pub fn confirm_key(ev: &InputEvent) -> Option<Action> {
    match ev {
        InputEvent::Key(k) if k.kind == KeyEventKind::Release => None,
        InputEvent::Key(k) => match k.code {
            KeyCode::Char('y') => Some(Action::Confirm(true)),
            KeyCode::Char('n') | KeyCode::Esc => Some(Action::Confirm(false)),
            _ => None,
        },
        InputEvent::Resize(w, h) => Some(Action::Resize(*w, *h)),
        InputEvent::Mouse(_) => None,
    }
}
