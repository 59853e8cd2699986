//! Helpers shared by the end-to-end tests (e2e_tmux.rs, e2e_two_users.rs): a private tmux
//! server to run pult in a real terminal, its sessions, and a look at processes in /proc.
//!
//! State is awaited by polling (the screen or the condition itself) with a timeout, never by
//! fixed sleeps. Every test file compiles this module on its own, and not every file uses
//! every helper.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long any awaited state may take to show (generous: CI machines are busy).
pub const TIMEOUT: Duration = Duration::from_secs(15);
pub const POLL: Duration = Duration::from_millis(50);
/// Printed by the pane's shell after pult, with pult's exit status.
pub const EXITED: &str = "PULT-EXITED";

/// Single-quotes `text` for `sh`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// Sends SIGTERM to `pid` (a data directory's server) and waits up to `TIMEOUT` for it to end.
pub fn terminate(pid: i32) {
    // SAFETY: kill has no memory preconditions; the pid is the server of a test's temp dir.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let start = Instant::now();
    while is_pult(pid) && start.elapsed() < TIMEOUT {
        std::thread::sleep(POLL);
    }
}

// ---------------------------------------------------------------------------------------------
// tmux

/// One private tmux server (`tmux -L <unique socket>`, so tests run in parallel and never
/// touch a user's tmux); killed on drop, so a failing test leaves nothing running.
pub struct Tmux {
    socket: String,
    config: PathBuf,
}

impl Tmux {
    /// Checks that tmux works and names a new server; its config is written into `dir`.
    pub fn start(dir: &Path, tag: &str) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        match Command::new("tmux").arg("-V").output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!(
                "`tmux -V` failed ({}): the end-to-end tests need a working tmux. \
                 Install tmux (e.g. `apt-get install tmux`) and run them again.",
                output.status
            ),
            Err(error) => panic!(
                "tmux is not on PATH ({error}): the end-to-end tests drive pult through tmux. \
                 Install tmux (e.g. `apt-get install tmux`; CI installs it) and run them again."
            ),
        }
        let socket = format!(
            "pult-e2e-{}-{}-{tag}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        // No status bar: all 30 rows belong to pult. Panes run /bin/sh, whatever $SHELL is.
        let config = dir.join("tmux.conf");
        std::fs::write(&config, "set -g status off\nset -g default-shell /bin/sh\n")
            .expect("write tmux.conf");
        Tmux { socket, config }
    }

    /// A tmux command on this server, run in `/` (every user may stand there).
    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command
            .arg("-u")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.config)
            .current_dir("/")
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .env("TERM", "xterm-256color")
            .env_remove("TMUX");
        command
    }

    /// Runs a tmux command; panics with its stderr when it fails.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> String {
        let output = self.command().args(args).output().expect("run tmux");
        assert!(
            output.status.success(),
            "tmux {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A new 100×30 session running `shell_command` in `/` (every user may stand there).
    pub fn session<'t>(&'t self, name: &str, shell_command: &str) -> Session<'t> {
        self.run(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "30",
            "-c",
            "/",
            shell_command,
        ]);
        Session {
            tmux: self,
            name: name.to_string(),
        }
    }

    /// The consoles still running in this server's panes: the pult processes under the panes'
    /// shells, directly (e2e_tmux.rs) or through runuser (e2e_two_users.rs). A pult whose
    /// parent is a pult is the data directory's server, started by the first console: the
    /// test's fixture stops it, not this.
    fn running_consoles(&self) -> Vec<i32> {
        let Ok(output) = self
            .command()
            .args(["list-panes", "-a", "-F", "#{pane_pid}"])
            .output()
        else {
            return Vec::new();
        };
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|pid| pid.trim().parse().ok())
            .flat_map(descendants_of)
            .filter(|pid| is_pult(*pid) && !parent_of(*pid).is_some_and(is_pult))
            .collect()
    }

    fn socket_path(&self) -> PathBuf {
        let dir =
            std::env::var_os("TMUX_TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        dir.join(format!("tmux-{uid}")).join(&self.socket)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // End every console that is still running *before* its terminal goes away, the way
        // an operator's session ends: SIGTERM, on which pult keeps the draft and closes.
        // (Before commit c809142 pult did not survive losing its terminal at all: crossterm
        // 0.29 spins on a hung-up tty, crossterm-rs/crossterm#793, so a console left running
        // by a failed test would have kept a core busy and the store locked.) SIGKILL what is
        // left after 5 s; kill the server last.
        for pid in self.running_consoles() {
            // SAFETY: kill has no memory preconditions; the pid is a pult of our own panes.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let start = Instant::now();
        while !self.running_consoles().is_empty() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(POLL);
        }
        for pid in self.running_consoles() {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        // The server may already be gone; nothing to report then.
        let _ = self.command().arg("kill-server").output();
        // tmux leaves its socket file behind.
        let _ = std::fs::remove_file(self.socket_path());
    }
}

pub struct Session<'t> {
    tmux: &'t Tmux,
    name: String,
}

impl Session<'_> {
    /// The session's one pane, as a tmux target.
    pub fn target(&self) -> String {
        format!("{}:0.0", self.name)
    }

    /// Sends keys by tmux name (`Enter`, `Tab`, `C-s`, `Escape`) or single characters.
    pub fn keys(&self, keys: &[&str]) {
        let target = self.target();
        let mut args = vec!["send-keys", "-t", &target];
        args.extend_from_slice(keys);
        self.tmux.run(&args);
    }

    /// Types `text` literally (Cyrillic included), as key presses, not as a paste.
    pub fn type_text(&self, text: &str) {
        let target = self.target();
        self.tmux.run(&["send-keys", "-t", &target, "-l", text]);
    }

    pub fn screen(&self) -> String {
        let target = self.target();
        self.tmux.run(&["capture-pane", "-p", "-t", &target])
    }

    /// A tmux format (`#{pane_pid}`, …) expanded for the session's pane.
    pub fn pane_format(&self, format: &str) -> String {
        let target = self.target();
        self.tmux
            .run(&["list-panes", "-t", &target, "-F", format])
            .trim()
            .to_string()
    }

    /// Polls the screen every ~50 ms until `predicate` holds; returns that screen. Panics
    /// with the last screen when `timeout` passes first.
    #[track_caller]
    pub fn wait_for(&self, predicate: impl Fn(&str) -> bool, timeout: Duration) -> String {
        self.wait_until_within("the awaited screen", predicate, timeout)
    }

    /// Waits (up to `TIMEOUT`) for `text` to be on the screen.
    #[track_caller]
    pub fn wait_for_text(&self, text: &str) -> String {
        self.wait_until(&format!("«{text}»"), |screen| screen.contains(text))
    }

    /// Waits (up to `TIMEOUT`) for `predicate` to hold; `what` names it if it never does.
    #[track_caller]
    pub fn wait_until(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        self.wait_until_within(what, predicate, TIMEOUT)
    }

    /// Polls the screen every ~50 ms until `predicate` holds; returns that screen. Panics
    /// with `what` and the last screen when `timeout` passes first.
    #[track_caller]
    pub fn wait_until_within(
        &self,
        what: &str,
        predicate: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if predicate(&screen) {
                return screen;
            }
            if start.elapsed() >= timeout {
                panic!(
                    "{what} did not appear within {timeout:?}; last screen of session {}:\n{screen}",
                    self.name
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until pult has ended; returns its exit status as the shell saw it (128 + N when
    /// signal N ended it) and the screen.
    #[track_caller]
    pub fn wait_for_exit(&self) -> (i32, String) {
        let screen = self.wait_until("the end of pult", |screen| screen.contains(EXITED));
        let status = screen
            .split(EXITED)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|status| status.parse().ok())
            .unwrap_or_else(|| panic!("no exit status after {EXITED}; screen:\n{screen}"));
        (status, screen)
    }

    /// Waits for pult to end by itself and checks it ended well.
    #[track_caller]
    pub fn wait_for_clean_exit(&self) {
        let (status, screen) = self.wait_for_exit();
        assert_eq!(
            status, 0,
            "pult exited with status {status}; screen:\n{screen}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Processes, from /proc

/// Every process with its parent: `(pid, ppid)`.
fn processes() -> Vec<(i32, i32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect()
}

/// The children of a process.
pub fn children_of(parent: i32) -> Vec<i32> {
    processes()
        .into_iter()
        .filter(|(_, ppid)| *ppid == parent)
        .map(|(pid, _)| pid)
        .collect()
}

/// A process's descendants: children, their children, and so on.
pub fn descendants_of(root: i32) -> Vec<i32> {
    let parents = processes();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        next += 1;
    }
    found.remove(0);
    found
}

/// The parent of a process; `None` when it is gone.
pub fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

/// Whether a process is a running pult (a zombie does not count).
pub fn is_pult(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let Some((comm, rest)) = stat
        .split_once(" (")
        .and_then(|(_, rest)| rest.rsplit_once(") "))
    else {
        return false;
    };
    comm == "pult" && !rest.starts_with('Z')
}
