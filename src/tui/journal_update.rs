//! `update` for the journal screen: opening it, the feed, `/` search, navigation, detail popup.
use ratatui::layout::{Position, Rect};

use super::popups::{Awaiting, Popup, PopupKind};
use super::screens::journal::JournalMsg;
use super::screens::journal_detail::detail_text;
use super::screens::journal_view;
use super::screens::{Screen, ScreenKind};
use super::state::AppState;
use super::view::layout;
use crate::journal::EntryFilter;
use crate::model::JournalFeed;
use crate::tui::action::NavMsg;

/// Is the journal screen on top?
pub fn active(state: &AppState) -> bool {
    state.screen().kind == ScreenKind::Journal
}

/// Timeline rows that fit on screen now.
pub fn page(state: &AppState) -> usize {
    let [_, body, _, _] = layout(Rect::new(0, 0, state.ui.size.0, state.ui.size.1));
    journal_view::page(body)
}

/// Opens the journal screen (on top of the first screen, like the other view commands).
/// `fields`: new field filters (`:journal k=v…`); None keeps the current ones (`J`).
pub fn open(state: &mut AppState, fields: Option<EntryFilter>) {
    if let Some(f) = fields {
        let page = page(state);
        state.journal.update(JournalMsg::SetFields(f), page);
    }
    state.screens.truncate(1);
    if state.screens[0].kind != ScreenKind::Journal {
        state.screens.push(Screen::new(ScreenKind::Journal));
    }
}

pub fn apply_feed(state: &mut AppState, feed: JournalFeed) {
    let page = page(state);
    state.journal.update(JournalMsg::Feed(feed), page);
}

/// `/text` on the journal: a case-insensitive search over whole entries (empty clears).
pub fn search(state: &mut AppState, text: &str) {
    let page = page(state);
    state.journal.update(JournalMsg::Search(Some(text.to_string())), page);
}

/// esc: clears the search first; false when there was none (the caller goes back).
pub fn clear_search(state: &mut AppState) -> bool {
    if state.journal.filter.text.is_none() {
        return false;
    }
    let page = page(state);
    state.journal.update(JournalMsg::Search(None), page);
    true
}

pub fn nav(state: &mut AppState, msg: NavMsg) {
    let page = page(state);
    state.journal.update(JournalMsg::Nav(msg), page);
}

/// enter: the whole selected entry in a scrollable popup.
pub fn enter(state: &mut AppState) {
    if let Some(e) = state.journal.selected_entry() {
        let title = format!("journal entry seq {}", e.seq);
        let body = Some(detail_text(e));
        state.popups.push(Popup::new(title, PopupKind::Text { awaiting: Awaiting::Nothing, body }));
    }
}

/// A mouse click on a timeline row selects it.
pub fn click(state: &mut AppState, column: u16, row: u16) {
    let [_, body, _, _] = layout(Rect::new(0, 0, state.ui.size.0, state.ui.size.1));
    let area = journal_view::areas(body)[1];
    let first = area.y.saturating_add(2);
    if !area.contains(Position::new(column, row)) || row < first {
        return;
    }
    let page = journal_view::page(body);
    let list = &state.journal.list;
    let offset = super::screens::list::visible_offset(list.offset, list.selected, page);
    let index = offset + usize::from(row - first);
    if index < state.journal.visible.len() {
        state.journal.update(JournalMsg::Nav(NavMsg::Select(index)), page);
    }
}
