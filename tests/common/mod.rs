//! Helpers shared by the integration tests. Each test binary compiles this module on its own
//! with `mod common;`, and not every binary uses every helper.
//!
//! - `people`: the OS user running the test, a made-up first user, staff accounts;
//! - `calls`: valid call forms and logging them;
//! - `service`: a service on a temp directory, a server on one and a client of it;
//! - `screens`: the console drawn from a fixed welcome, for the snapshot tests;
//! - `smtp`: a real SMTP server on loopback (aiosmtpd) and the messages it stored;
//! - this file, for the end-to-end tests (e2e_tmux.rs, e2e_two_users.rs, e2e_specialist.rs,
//!   the walls): a private tmux server to run pult in a real terminal, its sessions, a look at
//!   processes in /proc, and — for the tests that run as root — real OS users and a data
//!   directory they share.
//!
//! State is awaited by polling (the screen or the condition itself) with a timeout, never by
//! fixed sleeps.

#![allow(dead_code)]

pub mod calls;
pub mod people;
pub mod screens;
pub mod service;
pub mod smtp;

use std::ffi::CString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long any awaited state may take to show (generous: CI machines are busy).
/// The shipped policy without its `[hours]`: every deadline on the clock, as the tests that
/// count minutes by hand (or run at whatever hour CI does) expect.
pub fn clock_policy() -> String {
    let shipped = pult::domain::policy::DEFAULT_POLICY_TOML;
    let Some(start) = shipped.find("\n[hours]") else {
        return shipped.to_string();
    };
    let end = shipped[start + 1..]
        .find("\n[")
        .map_or(shipped.len(), |end| start + 1 + end);
    format!("{}{}", &shipped[..start + 1], &shipped[end..])
}

/// The built `pult` with `--data dir` and `args`, in Russian, run to its end.
pub fn pult_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(PULT_BUILT)
        .env("PULT_LANG", "ru")
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("PULT_DATA")
        .output()
        .expect("run pult")
}

/// `dir`'s policy is the clock policy unless the test wrote one of its own.
pub fn on_the_clock(dir: &Path) {
    let path = dir.join("policy.toml");
    if !path.exists() {
        std::fs::create_dir_all(dir).expect("data dir");
        std::fs::write(path, clock_policy()).expect("the clock policy");
    }
}

pub const TIMEOUT: Duration = Duration::from_secs(15);
pub const POLL: Duration = Duration::from_millis(50);
/// Printed by the pane's shell after pult, with pult's exit status.
pub const EXITED: &str = "PULT-EXITED";
/// The binary under test (copied by `Place` when other users cannot reach it).
pub const PULT_BUILT: &str = env!("CARGO_BIN_EXE_pult");

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
        // the tests read the console in Russian, whatever the machine's locale
        command
            .env("PULT_LANG", "ru")
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

// ---------------------------------------------------------------------------------------------
// OS users (e2e_two_users.rs, e2e_specialist.rs: run as root, they create real users)

/// An account from the password database.
pub struct Account {
    pub uid: u32,
    pub home: PathBuf,
}

pub fn account(login: &str) -> Option<Account> {
    let name = CString::new(login).expect("logins hold no NUL");
    // SAFETY: a valid NUL-terminated name; the returned entry is read at once, before any other
    // password-database call could reuse it (the tests that create users run one test per file,
    // on one thread).
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: a non-null entry from getpwnam points to a valid passwd with a valid pw_dir.
    let (uid, home) = unsafe {
        let entry = &*entry;
        let home = std::ffi::CStr::from_ptr(entry.pw_dir)
            .to_string_lossy()
            .into_owned();
        (entry.pw_uid, PathBuf::from(home))
    };
    Some(Account { uid, home })
}

pub fn group_id(group: &str) -> Option<u32> {
    let name = CString::new(group).expect("group names hold no NUL");
    // SAFETY: as in `account`: a valid name, the entry read at once.
    let entry = unsafe { libc::getgrnam(name.as_ptr()) };
    if entry.is_null() {
        None
    } else {
        // SAFETY: non-null: a valid group entry.
        Some(unsafe { (*entry).gr_gid })
    }
}

/// An administration tool: on PATH, else in the usual sbin directories (PATH under sudo or
/// in a container may lack them). Panics naming the package when it is nowhere.
pub fn system_tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed (looked on PATH, /usr/sbin, /sbin): this test creates \
                 OS users and runs pult as them. Install {package} (e.g. `apt-get install \
                 {package}`) and run it again."
            )
        })
}

/// Runs an administration command; panics with its output when it fails.
pub fn run_tool(tool: &Path, args: &[&str]) {
    let output = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("run {}: {error}", tool.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed ({}):\n{}{}",
        tool.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The group and the users `logins` in it, created on the first run and reused after (they
/// stay: other runs and other test files share them). Creating them needs root.
pub fn ensure_users(group: &str, logins: &[&str]) {
    if group_id(group).is_none() {
        let status = Command::new(system_tool("groupadd", "passwd"))
            .arg(group)
            .status()
            .expect("run groupadd");
        // Another run may have created it meanwhile: only its absence is a failure.
        assert!(
            group_id(group).is_some(),
            "groupadd {group} failed ({status}) and the group does not exist"
        );
    }
    for &login in logins {
        if account(login).is_none() {
            let output = Command::new(system_tool("useradd", "passwd"))
                .args(["-m", "-G", group, "-s", "/bin/sh", login])
                .output()
                .expect("run useradd");
            assert!(
                account(login).is_some(),
                "useradd {login} failed ({}) and the user does not exist:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        } else {
            // Reused: make sure it is (still) in the group. Adding again changes nothing.
            run_tool(
                &system_tool("usermod", "passwd"),
                &["-a", "-G", group, login],
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The temporary place: data directory, config directory, maybe a copy of the binary

/// `/tmp/pult-e2e-<tag>-<pid>-<n>`, readable and traversable by everyone, holding the data
/// directory (owned by the user who starts its server, open to a group: mode 0750), an empty
/// config directory (so no user's own keymap changes the keys under test) and, when the built
/// binary is out of other users' reach, a copy of it. On drop the server of the data directory
/// is stopped and all of it removed.
pub struct Place {
    pub root: PathBuf,
    pub pult: PathBuf,
}

impl Place {
    /// A new place whose data directory belongs to `owner` and `group`; `tag` names it.
    pub fn new(tag: &str, owner: &str, group: &str) -> Place {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = loop {
            let candidate = PathBuf::from(format!(
                "/tmp/pult-e2e-{tag}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            match std::fs::create_dir(&candidate) {
                Ok(()) => break candidate,
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => panic!("create {}: {error}", candidate.display()),
            }
        };
        // From here on the guard removes what was made, also when a step below fails.
        let mut place = Place {
            root,
            pult: PathBuf::from(PULT_BUILT),
        };
        set_mode(&place.root, 0o755);
        std::fs::create_dir(place.config()).expect("create the config directory");
        set_mode(&place.config(), 0o755);

        let data = place.data();
        std::fs::create_dir(&data).expect("create the data directory");
        let owner = account(owner)
            .expect("the data directory's owner exists")
            .uid;
        let group = group_id(group).expect("the group exists");
        std::os::unix::fs::chown(&data, Some(owner), Some(group))
            .unwrap_or_else(|error| panic!("chown {}: {error}", data.display()));
        set_mode(&data, 0o750);
        // the clock policy, the data directory owner's as pult would have written it
        on_the_clock(&data);
        std::os::unix::fs::chown(data.join("policy.toml"), Some(owner), Some(group))
            .expect("chown the policy");
        set_mode(&data.join("policy.toml"), 0o644);

        if let Some(reason) = out_of_reach(Path::new(PULT_BUILT)) {
            let bin = place.root.join("bin");
            std::fs::create_dir(&bin).expect("create the directory for pult's copy");
            set_mode(&bin, 0o755);
            let copy = bin.join("pult");
            std::fs::copy(PULT_BUILT, &copy).expect("copy the pult binary");
            set_mode(&copy, 0o755);
            println!(
                "the built pult is out of other users' reach ({reason}); using a copy: {}",
                copy.display()
            );
            place.pult = copy;
        }
        place
    }

    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn config(&self) -> PathBuf {
        self.root.join("config")
    }

    /// `runuser -u LOGIN -- env … pult`: the command line that runs pult as `login` on this
    /// data directory, with a clean locale and the empty config directory.
    pub fn as_user(&self, login: &str) -> Vec<String> {
        let home = account(login).expect("the user exists").home;
        vec![
            path_str(&system_tool("runuser", "util-linux")).to_string(),
            "-u".into(),
            login.into(),
            "--".into(),
            "env".into(),
            "LANG=C.UTF-8".into(),
            "LC_ALL=C.UTF-8".into(),
            "TERM=xterm-256color".into(),
            format!("PULT_DATA={}", path_str(&self.data())),
            format!("HOME={}", path_str(&home)),
            format!("XDG_CONFIG_HOME={}", path_str(&self.config())),
            path_str(&self.pult).to_string(),
        ]
    }

    /// Runs `pult ARGS` as `login`, without a terminal.
    pub fn pult(&self, login: &str, args: &[&str]) -> Output {
        let line = self.as_user(login);
        Command::new(&line[0])
            .args(&line[1..])
            .args(args)
            .current_dir("/")
            .env_remove("PULT_DATA")
            .output()
            .expect("run pult through runuser")
    }

    /// Runs `pult ARGS` as `login` and panics with its output unless it succeeds.
    #[track_caller]
    pub fn pult_ok(&self, login: &str, args: &[&str]) -> String {
        let output = self.pult(login, args);
        assert!(
            output.status.success(),
            "pult {args:?} as {login} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The shell command of a tmux pane: the console as `login`. The shell stays behind pult,
    /// prints how it ended and keeps the pane open to be read (as in e2e_tmux.rs).
    pub fn console_command(&self, login: &str) -> String {
        let line: Vec<String> = self
            .as_user(login)
            .iter()
            .map(|word| shell_quote(word))
            .collect();
        format!("{}; echo \"{EXITED} $?\"; sleep 600", line.join(" "))
    }

    /// Starts the data directory's server as `login` (who becomes the new store's first
    /// admin: only the console, `pult server` and `pult demo` create a store) and waits until
    /// it answers. It runs detached; `Drop` stops it.
    pub fn start_server(&self, login: &str) {
        let line = self.as_user(login);
        let socket = self.data().join("pult.sock");
        let mut server = Command::new(&line[0])
            .args(&line[1..])
            .arg("server")
            .current_dir("/")
            .env_remove("PULT_DATA")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start pult server through runuser");
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            if let Ok(Some(status)) = server.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = server.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                panic!("pult server as {login} ended ({status}): {stderr}");
            }
            if start.elapsed() > TIMEOUT {
                let _ = server.kill();
                let _ = server.wait();
                panic!("pult server as {login} did not answer within {TIMEOUT:?}");
            }
            std::thread::sleep(POLL);
        }
        // reaped when `Drop` stops it
        std::thread::spawn(move || server.wait());
    }

    pub fn server_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.data().join("server.pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }
}

impl Drop for Place {
    /// The first pult started the data directory's server, detached: stop it, then remove
    /// everything (the data directory is its owner's, but root may remove it).
    fn drop(&mut self) {
        if let Some(pid) = self.server_pid() {
            terminate(pid);
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|error| panic!("chmod {mode:o} {}: {error}", path.display()));
}

/// Why other users cannot run the binary at `path`, if they cannot: a directory on the way
/// that is not world-traversable, or a binary that is not world-executable.
fn out_of_reach(path: &Path) -> Option<String> {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mode = |path: &Path| std::fs::metadata(path).map(|meta| meta.mode()).unwrap_or(0);
    if mode(&path) & 0o001 == 0 {
        return Some(format!("{} is not executable by others", path.display()));
    }
    path.ancestors()
        .skip(1)
        .find(|dir| mode(dir) & 0o001 == 0)
        .map(|dir| format!("{} is not traversable by others", dir.display()))
}
