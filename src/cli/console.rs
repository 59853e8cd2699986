//! Opening the console: attach to the server of the data directory (starting it if needed).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::{Local, Offset};

use super::out::tell;
use super::CliError;
use crate::domain::time::{Clock, SystemClock};
use crate::net::client::Launch;
use crate::tui::app::App;
use crate::tui::keymap::Keymap;
use crate::tui::net_backend::NetBackend;
use crate::tui::run::run as run_console;
use crate::tui::theme::Theme;

pub fn run(dir: &Path, launch: Launch) -> Result<(), CliError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::NotATerminal);
    }
    let user_keymap = directories::ProjectDirs::from("", "", "pult")
        .map(|dirs| dirs.config_dir().join("keymap.toml"));
    let keymap = Keymap::load(user_keymap.as_deref())?;
    let (mut backend, welcome) = NetBackend::connect(dir, launch)?;
    let clock = SystemClock;
    let offset = Local::now().offset().fix();
    let mut app = App::new(welcome, keymap, Theme::from_env(), clock.now(), offset);

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    run_console(&mut app, &mut backend, &clock, &stop)?;
    if let Some(farewell) = &app.farewell {
        tell!("pult: {farewell}")?;
    }
    Ok(())
}
