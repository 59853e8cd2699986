//! Opening the console on the embedded store for the OS user at the keyboard.

use std::io::IsTerminal;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::{Local, Offset};

use super::CliError;
use crate::domain::time::{Clock, SystemClock};
use crate::service::identity::OsUser;
use crate::service::Service;
use crate::tui::app::App;
use crate::tui::keymap::Keymap;
use crate::tui::run::{run as run_console, LocalBackend};
use crate::tui::theme::Theme;

pub fn run(service: Service, user: &OsUser) -> Result<(), CliError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::NotATerminal);
    }
    let me = service.identify(&user.login)?;
    let welcome = service.welcome(&me)?;
    let user_keymap = directories::ProjectDirs::from("", "", "pult")
        .map(|dirs| dirs.config_dir().join("keymap.toml"));
    let keymap = Keymap::load(user_keymap.as_deref())?;
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
    let mut backend = LocalBackend::new(service, me);
    run_console(&mut app, &mut backend, &clock, &stop)?;
    Ok(())
}
