//! Entering and leaving the terminal's raw, alternate-screen mode, and making sure it is
//! always left: on quit, on error, on panic and on SIGTERM/SIGHUP.

use std::io::{self, BufWriter, Stdout, Write};
use std::os::unix::io::RawFd;

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute, style};
use ratatui::Terminal;

/// Frames leave in one write (matters over SSH).
pub type ConsoleTerminal = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

pub fn enter() -> io::Result<ConsoleTerminal> {
    // crossterm's own NO_COLOR handling also drops reverse and bold; the theme handles it.
    style::force_color_output(true);
    install_panic_hook();
    enable_raw_mode()?;
    let mut stdout = io::stdout();
    if let Err(error) = execute!(stdout, EnterAlternateScreen, EnableBracketedPaste) {
        leave();
        return Err(error);
    }
    let terminal = Terminal::new(CrosstermBackend::new(BufWriter::new(io::stdout())));
    if terminal.is_err() {
        leave();
    }
    terminal
}

/// Restores the terminal; safe to call more than once and when it was never entered.
pub fn leave() {
    let mut stdout = io::stdout();
    let _ = execute!(
        stdout,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = stdout.flush();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
}

/// Rings the terminal bell.
pub fn bell() {
    let mut stdout = io::stdout();
    let _ = stdout.write_all(b"\x07");
    let _ = stdout.flush();
}

/// What the terminal's input side says after a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Ready,
    Idle,
    /// The terminal is gone (window closed, SSH dropped).
    HungUp,
}

/// Waits up to `timeout` for input on stdin (or for `wake` to become readable), reporting a
/// hung-up terminal.
///
/// crossterm 0.29 loops forever reading end-of-file from a hung-up tty, so the console never
/// hands it a terminal that is gone: it asks the kernel first.
pub fn wait_for_input(timeout: std::time::Duration, wake: Option<RawFd>) -> Input {
    let mut fds = [
        libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let millis = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: two valid pollfds that live across the call; a negative fd is ignored.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, millis) };
    if ready < 0 {
        // interrupted by a signal: let the loop look at its flags
        return Input::Idle;
    }
    let stdin = fds[0].revents;
    if stdin & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        Input::HungUp
    } else if stdin & libc::POLLIN != 0 {
        Input::Ready
    } else {
        Input::Idle
    }
}
