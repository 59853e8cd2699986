//! `pult web`: the website form until SIGTERM or SIGINT, or (`--snippet`) the button for the
//! school's site.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use super::out::say;
use super::CliError;
use crate::domain::policy::PLACEHOLDER_HOTLINE;
use crate::domain::time::SystemClock;
use crate::net::client::Launch;
use crate::web::{fallback_info, pages, start, WebConfig};

pub fn run(dir: &Path, mut config: WebConfig, launch: Launch) -> Result<(), CliError> {
    // On a laptop the form starts the server as a console does; a door run as its own OS
    // user (assets/pult-web.service) reaches a server someone else runs, and never starts one.
    config.launch = if may_start_server(dir) {
        launch
    } else {
        Launch::Never
    };
    let handle = start(config, Arc::new(SystemClock), true)?;
    say!(
        "{}",
        tr!("print.web", address = handle.addr, dir = dir.display())
    )?;
    if fallback_info(dir).service.hotline == PLACEHOLDER_HOTLINE {
        say!(
            "{}",
            tr!("print.web_placeholder_hotline", dir = dir.display())
        )?;
    }
    handle.wait();
    Ok(())
}

/// A data directory that is this user's own (or not made yet).
fn may_start_server(dir: &Path) -> bool {
    match std::fs::metadata(dir) {
        // SAFETY: getuid cannot fail.
        Ok(meta) => meta.uid() == unsafe { libc::getuid() },
        Err(_) => true,
    }
}

pub fn snippet(dir: &Path, config: &WebConfig) -> Result<(), CliError> {
    let url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}/", config.listen));
    say!("{}", pages::snippet(&fallback_info(dir), &url))?;
    Ok(())
}
