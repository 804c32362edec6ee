//! The event loop over any backend and any input stream: read input and engine events,
//! coalesce bursts, `update`, draw when dirty (at most one frame per ~10 ms).
use std::time::Duration;

use chrono::Utc;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{Receiver, Sender};
use tokio::time::Instant;

use super::action::{Action, InputEvent};
use super::popups::{Popup, PopupKind};
use super::state::{AppState, UiContext};
use super::update::{message, update};
use super::view::AppView;
use super::{TuiError, TuiOptions, calendar_update, keys};
use crate::model::{Command, ConnState, EngineEvent, MessageLevel};

const FRAME: Duration = Duration::from_millis(10);
const CLOCK_TICK: Duration = Duration::from_secs(1);

pub struct App<B: Backend> {
    terminal: Terminal<B>,
    state: AppState,
    /// None: the system clock (ages refresh every second); Some: a fixed clock (tests).
    fixed_clock: bool,
    /// When the app started, until the first full frame (live data on screen) is logged.
    first_full_frame: Option<Instant>,
    /// When the oldest key not yet shown on screen was read (for the key-to-frame time).
    key_waiting: Option<Instant>,
}

impl<B: Backend> App<B> {
    pub fn new(backend: B, opts: TuiOptions) -> Result<App<B>, TuiError> {
        let terminal = Terminal::new(backend).map_err(TuiError::backend)?;
        let size = terminal.size().map_err(TuiError::backend)?;
        let ui = UiContext {
            theme: opts.theme,
            keymap: opts.keymap,
            read_only: opts.read_only,
            now: opts.now.unwrap_or_else(Utc::now),
            header_extra: opts.header_extra,
            size: (size.width, size.height),
            max_events: opts.max_events,
            local_zone: opts.local_zone,
        };
        let mut state = AppState::new(ui);
        state.cluster.scope = opts.scope;
        calendar_update::apply_feed(&mut state, opts.windows_feed);
        if !opts.config_warnings.is_empty() {
            state.popups.push(Popup::new("settings warnings (defaults apply)", PopupKind::Messages(opts.config_warnings)));
        }
        Ok(App { terminal, state, fixed_clock: opts.now.is_some(), first_full_frame: Some(Instant::now()), key_waiting: None })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn state_mut(&mut self) -> &mut AppState {
        &mut self.state
    }

    pub fn terminal(&self) -> &Terminal<B> {
        &self.terminal
    }

    /// Apply one action (what the loop does per input), returning the engine commands.
    pub fn dispatch(&mut self, action: Action) -> Vec<Command> {
        update(&mut self.state, action)
    }

    /// Draw one frame now.
    pub fn draw(&mut self) -> Result<(), TuiError> {
        if !self.fixed_clock {
            self.state.ui.now = Utc::now();
        }
        let state = &self.state;
        let start = Instant::now();
        let mut rendered = start;
        self.terminal
            .draw(|f| {
                f.render_widget(AppView { state }, f.area());
                rendered = Instant::now();
            })
            .map_err(TuiError::backend)?;
        self.log_first_full_frame();
        // Frame and key-to-frame times for `scripts/scale.sh` (log filter `cabin::perf=debug`):
        // the whole frame, and its part spent building the screen (the rest is the diff and
        // the write to the terminal).
        let done = Instant::now();
        tracing::debug!(
            target: "cabin::perf",
            frame_us = (done - start).as_micros() as u64,
            render_us = (rendered - start).as_micros() as u64,
            "frame"
        );
        if let Some(key) = self.key_waiting.take() {
            tracing::debug!(target: "cabin::perf", key_to_frame_us = (done - key).as_micros() as u64, "key");
        }
        Ok(())
    }

    /// Logs (once) how long it took until a frame showed live cluster data: the scale
    /// script (`scripts/scale.sh`) reads this line from the log file.
    fn log_first_full_frame(&mut self) {
        let c = &self.state.cluster;
        let full = c.conn == ConnState::Live && !c.snapshot.pods.is_empty();
        if let (true, Some(start)) = (full, self.first_full_frame) {
            self.first_full_frame = None;
            tracing::info!(
                elapsed_ms = start.elapsed().as_millis() as u64,
                pods = c.snapshot.pods.len(),
                workloads = c.snapshot.workloads.len(),
                "first full frame"
            );
        }
    }

    /// Run until quit or the end of `input`. The UI never waits on the engine: commands are
    /// sent with `try_send`, and a full channel becomes a status message.
    pub async fn run_with<S>(&mut self, mut input: S, mut events: Receiver<EngineEvent>, commands: Sender<Command>) -> Result<(), TuiError>
    where
        S: Stream<Item = InputEvent> + Unpin,
    {
        let mut dirty = true;
        let mut last_draw: Option<Instant> = None;
        let mut events_open = true;
        let mut clock = tokio::time::interval(CLOCK_TICK);
        loop {
            if self.state.quit {
                return Ok(());
            }
            let now = Instant::now();
            let due = last_draw.map_or(now, |t| t + FRAME);
            if dirty && now >= due {
                self.draw()?;
                dirty = false;
                last_draw = Some(now);
            }
            let changed = tokio::select! {
                biased;
                ev = events.recv(), if events_open => match ev {
                    Some(ev) => {
                        self.engine_event(ev, &mut events, &commands);
                        true
                    }
                    None => {
                        events_open = false;
                        false
                    }
                },
                ev = input.next() => match ev {
                    Some(ev) => {
                        self.input_burst(ev, &mut input, &commands).await;
                        true
                    }
                    // Input closed (stdin gone, or a test's script ended): show the last state.
                    None => return self.draw(),
                },
                _ = tokio::time::sleep_until(due), if dirty => false,
                _ = clock.tick(), if !self.fixed_clock => self.tick(Utc::now()),
            };
            dirty |= changed;
        }
    }

    /// One clock tick at `now`: the header's change clock and the calendar follow. True when
    /// the frame must be redrawn: the header text or the calendar changed, or (other screens)
    /// ages may have.
    pub fn tick(&mut self, now: chrono::DateTime<Utc>) -> bool {
        let before = calendar_update::visible_clock(&self.state);
        update(&mut self.state, Action::Tick(now));
        let after = calendar_update::visible_clock(&self.state);
        before != after || !calendar_update::active(&self.state)
    }

    /// One engine event plus everything already queued; only the newest snapshot is applied.
    fn engine_event(&mut self, first: EngineEvent, events: &mut Receiver<EngineEvent>, commands: &Sender<Command>) {
        let mut pending = vec![first];
        while let Ok(ev) = events.try_recv() {
            pending.push(ev);
        }
        let last_snapshot = pending.iter().rposition(|e| matches!(e, EngineEvent::Snapshot(_)));
        for (i, ev) in pending.into_iter().enumerate() {
            if matches!(ev, EngineEvent::Snapshot(_)) && Some(i) != last_snapshot {
                continue;
            }
            let cmds = update(&mut self.state, Action::Engine(ev));
            self.send(cmds, commands);
        }
    }

    /// One input event plus whatever input is ready right now.
    async fn input_burst<S>(&mut self, first: InputEvent, input: &mut S, commands: &Sender<Command>)
    where
        S: Stream<Item = InputEvent> + Unpin,
    {
        if matches!(first, InputEvent::Key(_)) {
            self.key_waiting.get_or_insert_with(Instant::now);
        }
        self.input(first, commands);
        while !self.state.quit {
            match ready_now(input).await {
                Some(Some(ev)) => self.input(ev, commands),
                _ => break,
            }
        }
        // The selection may have changed: the change clock follows it.
        calendar_update::refresh_header(&mut self.state);
    }

    fn input(&mut self, ev: InputEvent, commands: &Sender<Command>) {
        let read_only = self.state.read_only();
        let prompt_open = self.state.prompt.is_some();
        let confirming = matches!(self.state.popups.last().map(|p| &p.kind), Some(crate::tui::popups::PopupKind::Confirm { .. }));
        let action = if confirming { keys::confirm_key(&ev) } else { calendar_update::key_action(&self.state, &ev) };
        let action =
            if confirming { action } else { action.or_else(|| keys::to_action(&ev, &self.state.ui.keymap, read_only, prompt_open)) };
        if let Some(action) = action {
            let cmds = update(&mut self.state, action);
            self.send(cmds, commands);
        }
    }

    fn send(&mut self, cmds: Vec<Command>, commands: &Sender<Command>) {
        for cmd in cmds {
            match commands.try_send(cmd) {
                Ok(()) => {}
                Err(TrySendError::Full(c)) => {
                    tracing::warn!(?c, "engine command channel full");
                    self.state.status = Some(message(MessageLevel::Warn, "the engine is busy; try again", None));
                }
                Err(TrySendError::Closed(c)) => {
                    tracing::debug!(?c, "engine gone");
                    if !self.state.quit {
                        self.state.status =
                            Some(message(MessageLevel::Error, "the engine stopped", Some("restart cabin; see the log file")));
                    }
                }
            }
        }
    }
}

/// The next item of `input` if one is ready now, polled with this task's own waker. Never
/// with a no-op waker (`now_or_never`): crossterm's `EventStream` hands the waker of the poll
/// that found nothing to its reader thread and keeps it until input arrives, so a no-op waker
/// there means the next key wakes nobody and waits for an unrelated wake-up (the 1 s clock).
async fn ready_now<S: Stream + Unpin>(input: &mut S) -> Option<Option<S::Item>> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match input.poll_next_unpin(cx) {
            std::task::Poll::Ready(item) => Some(item),
            std::task::Poll::Pending => None,
        })
    })
    .await
}
