//! The console loop: terminal events, backend messages and the clock become `Msg`s for
//! `update`; the screen is redrawn only when something changed.

use std::io;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ratatui::crossterm::event::{self, Event as TermEvent};

use super::app::{update, App, Effect, Msg};
use super::terminal;
use super::view::view;
use crate::domain::time::Clock;
use crate::service::Command;

/// Where the console's commands go and its replies and events come from.
pub trait Backend {
    fn send(&mut self, token: u64, command: Command);
    /// Replies, events and connection changes that have arrived since the last call.
    fn drain(&mut self) -> Vec<Msg>;
    /// A descriptor that becomes readable when something arrives, to wake the loop.
    fn wake_fd(&self) -> Option<RawFd> {
        None
    }
}

/// Applies `msg` and carries out its effects.
pub fn dispatch(app: &mut App, backend: &mut dyn Backend, clock: &dyn Clock, msg: Msg) {
    for effect in update(app, msg, clock.now()) {
        match effect {
            Effect::Send { token, command } => backend.send(token, command),
            Effect::Bell => terminal::bell(),
        }
    }
}

/// Longest wait for a terminal event before checking signals and the clock.
const POLL: Duration = Duration::from_millis(200);

/// Most terminal events handled before the screen is drawn again.
const MAX_BATCH: usize = 256;

/// Runs the console until it quits or `stop` is set (by SIGTERM/SIGHUP/SIGINT). Whatever
/// happens, the open form's draft is handed to the backend and the terminal restored.
pub fn run(
    app: &mut App,
    backend: &mut dyn Backend,
    clock: &dyn Clock,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut screen = terminal::enter()?;
    let outcome = event_loop(&mut screen, app, backend, clock, stop);
    dispatch(app, backend, clock, Msg::Closing);
    backend.drain();
    terminal::leave();
    outcome
}

fn event_loop(
    screen: &mut terminal::ConsoleTerminal,
    app: &mut App,
    backend: &mut dyn Backend,
    clock: &dyn Clock,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut dirty = true;
    let mut second = clock.now().0.div_euclid(1000);
    while !app.quit && !stop.load(Ordering::Relaxed) {
        if dirty {
            screen.draw(|frame| view(frame, app))?;
            dirty = false;
        }
        match terminal::wait_for_input(POLL, backend.wake_fd()) {
            terminal::Input::HungUp => break,
            terminal::Input::Ready | terminal::Input::Idle => {}
        }
        // Input, or a resize crossterm noticed through SIGWINCH, is waiting right now.
        if event::poll(Duration::ZERO)? {
            // take the events already waiting, so a burst of resizes draws once; bounded,
            // and watching for signals, in case a hung-up terminal reports input forever
            for _ in 0..MAX_BATCH {
                let msg = match event::read()? {
                    TermEvent::Key(key) => Some(Msg::Key(key)),
                    TermEvent::Paste(text) => Some(Msg::Paste(text)),
                    TermEvent::Resize(_, _) => Some(Msg::Resize),
                    _ => None,
                };
                if let Some(msg) = msg {
                    dispatch(app, backend, clock, msg);
                    dirty = true;
                }
                if stop.load(Ordering::Relaxed) || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        let now_second = clock.now().0.div_euclid(1000);
        if now_second != second {
            second = now_second;
            dispatch(app, backend, clock, Msg::Tick);
            dirty = true;
        }
        for msg in backend.drain() {
            dispatch(app, backend, clock, msg);
            dirty = true;
        }
    }
    Ok(())
}
