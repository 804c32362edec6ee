//! The real terminal: raw mode, alternate screen, mouse; restored on every exit path and
//! before a panic message is printed.
use std::io::{self, Stdout};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use crossterm::{cursor, execute};
use futures::{Stream, StreamExt, future};
use ratatui::backend::CrosstermBackend;

use super::action::InputEvent;

/// Restores the terminal when dropped (normal return, `?` error, or unwinding).
pub struct TerminalGuard {
    _private: (),
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Err(e) = restore() {
            tracing::warn!("could not restore the terminal: {e}");
        }
    }
}

/// Enter raw mode + alternate screen + mouse capture. The guard undoes it.
pub fn setup() -> io::Result<(CrosstermBackend<Stdout>, TerminalGuard)> {
    install_panic_hook();
    enable_raw_mode()?;
    let guard = TerminalGuard { _private: () };
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    Ok((CrosstermBackend::new(io::stdout()), guard))
}

/// Leave raw mode and the alternate screen, show the cursor. Safe to call twice.
pub fn restore() -> io::Result<()> {
    let raw = disable_raw_mode();
    let screen = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
    raw.and(screen)
}

/// Restore the terminal first, then let the previous hook print the panic.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = restore();
        previous(info);
    }));
}

/// crossterm's events as `InputEvent`s; the stream ends on a read error (stdin gone).
pub fn input_stream() -> impl Stream<Item = InputEvent> + Unpin {
    EventStream::new()
        .take_while(|r| {
            if let Err(e) = r {
                tracing::error!("terminal input failed: {e}");
            }
            future::ready(r.is_ok())
        })
        .filter_map(|r| {
            future::ready(match r {
                Ok(Event::Key(k)) => Some(InputEvent::Key(k)),
                Ok(Event::Mouse(m)) => Some(InputEvent::Mouse(m)),
                Ok(Event::Resize(w, h)) => Some(InputEvent::Resize(w, h)),
                _ => None,
            })
        })
}
