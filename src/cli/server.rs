//! `pult server`: runs until SIGTERM or SIGINT, then stops cleanly.

use std::path::Path;
use std::sync::Arc;

use super::out::say;
use super::CliError;
use crate::domain::time::SystemClock;
use crate::net::server::start;
use crate::os::OsUser;

pub fn run(dir: &Path, user: &OsUser) -> Result<(), CliError> {
    let handle = start(dir, Arc::new(SystemClock), user)?;
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, handle.stop_flag())?;
    }
    // A detached server has no terminal; a hang-up must not end it.
    signal_hook::flag::register(
        signal_hook::consts::SIGHUP,
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
    )?;
    say!(
        "{}",
        tr!(
            "print.server",
            socket = handle.socket().display(),
            log = dir.join("server.log").display()
        )
    )?;
    handle.wait();
    Ok(())
}
