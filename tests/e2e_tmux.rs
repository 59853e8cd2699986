//! End-to-end tests: the real `pult` binary in a real terminal, driven through tmux.
//!
//! Every test has its own data directory and its own tmux server (`tmux -L <unique socket>`),
//! so the tests run in parallel and never touch a user's tmux. The server is killed by a
//! `Drop` guard, also when a test panics. State is awaited by polling the screen
//! (`capture-pane`), never by fixed sleeps — with one documented exception in
//! `a_killed_console_restores_its_draft`.
//!
//! tmux must be installed (CI installs it): without it these tests fail, they do not skip.
//! Linux only (the killed-console test finds pult's pid in /proc).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const PULT: &str = env!("CARGO_BIN_EXE_pult");
/// How long any awaited state may take to show (generous: CI machines are busy).
const TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);
/// Printed by the pane's shell after pult, with pult's exit status.
const EXITED: &str = "PULT-EXITED";

/// Single-quotes `text` for `sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// A temporary data directory and a config directory, so a user's own
/// `~/.config/pult/keymap.toml` never changes the keys under test.
struct Fixture {
    root: TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let root = tempfile::Builder::new()
            .prefix("pult-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        std::fs::create_dir(root.path().join("data")).expect("create the data directory");
        std::fs::create_dir(root.path().join("config")).expect("create the config directory");
        Fixture { root }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("config")
    }

    /// The shell command that runs the console. The shell stays behind pult, prints how it
    /// ended and keeps the pane open to be read. (tmux's own `pane_dead_status` cannot be
    /// relied on: tmux 3.3a here left about one pane process in five an unreaped zombie, and
    /// a pane kept by `remain-on-exit` showed none of its last output.)
    fn console_command(&self) -> String {
        format!(
            "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color XDG_CONFIG_HOME={} {} --data {}; \
             echo \"{EXITED} $?\"; sleep 600",
            shell_quote(path_str(&self.config())),
            shell_quote(PULT),
            shell_quote(path_str(&self.data())),
        )
    }

    /// Runs `pult ARGS --data DIR` directly, without a terminal.
    fn pult(&self, args: &[&str]) -> Output {
        Command::new(PULT)
            .args(args)
            .arg("--data")
            .arg(self.data())
            .env("LANG", "C.UTF-8")
            .env("XDG_CONFIG_HOME", self.config())
            .env_remove("PULT_DATA")
            .output()
            .expect("run pult")
    }

    /// `pult list --json`, parsed; panics with pult's stderr if it fails.
    fn list_json(&self) -> Vec<Value> {
        let output = self.pult(&["list", "--json"]);
        assert!(
            output.status.success(),
            "pult list --json failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "pult list --json printed no JSON ({error}):\n{}",
                String::from_utf8_lossy(&output.stdout)
            )
        });
        json.as_array()
            .unwrap_or_else(|| panic!("pult list --json: expected an array, got {json}"))
            .clone()
    }
}

impl Drop for Fixture {
    /// The first console started the data directory's server, detached: stop it too.
    fn drop(&mut self) {
        let Some(pid) = std::fs::read_to_string(self.data().join("server.pid"))
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok())
        else {
            return;
        };
        // SAFETY: kill has no memory preconditions; the pid is the server of our temp dir.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let start = Instant::now();
        while is_pult(pid) && start.elapsed() < TIMEOUT {
            std::thread::sleep(POLL);
        }
    }
}

/// One private tmux server; killed on drop, so a failing test leaves nothing running.
struct Tmux {
    socket: String,
    config: PathBuf,
}

impl Tmux {
    fn start(fixture: &Fixture, tag: &str) -> Tmux {
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
        let config = fixture.root.path().join("tmux.conf");
        std::fs::write(&config, "set -g status off\nset -g default-shell /bin/sh\n")
            .expect("write tmux.conf");
        Tmux { socket, config }
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command
            .arg("-u")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.config)
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .env("TERM", "xterm-256color")
            .env_remove("TMUX");
        command
    }

    /// Runs a tmux command; panics with its stderr when it fails.
    fn run(&self, args: &[&str]) -> String {
        let output = self.command().args(args).output().expect("run tmux");
        assert!(
            output.status.success(),
            "tmux {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A new 100×30 session running `shell_command`.
    fn session<'t>(&'t self, name: &str, shell_command: &str) -> Session<'t> {
        self.run(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "30",
            shell_command,
        ]);
        Session {
            tmux: self,
            name: name.to_string(),
        }
    }

    /// A session running the console on the fixture's data, with its board drawn.
    fn console<'t>(&'t self, name: &str, fixture: &Fixture) -> Session<'t> {
        let session = self.session(name, &fixture.console_command());
        session.wait_for_text("Входящие");
        session
    }

    /// The consoles still running in this server's panes (each the child of a pane's shell).
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
            .flat_map(children_of)
            .filter(|pid| is_pult(*pid))
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

struct Session<'t> {
    tmux: &'t Tmux,
    name: String,
}

impl Session<'_> {
    /// The session's one pane, as a tmux target.
    fn target(&self) -> String {
        format!("{}:0.0", self.name)
    }

    /// Sends keys by tmux name (`Enter`, `Tab`, `C-s`, `Escape`) or single characters.
    fn keys(&self, keys: &[&str]) {
        let target = self.target();
        let mut args = vec!["send-keys", "-t", &target];
        args.extend_from_slice(keys);
        self.tmux.run(&args);
    }

    /// Types `text` literally (Cyrillic included), as key presses, not as a paste.
    fn type_text(&self, text: &str) {
        let target = self.target();
        self.tmux.run(&["send-keys", "-t", &target, "-l", text]);
    }

    fn screen(&self) -> String {
        let target = self.target();
        self.tmux.run(&["capture-pane", "-p", "-t", &target])
    }

    fn pane_format(&self, format: &str) -> String {
        let target = self.target();
        self.tmux
            .run(&["list-panes", "-t", &target, "-F", format])
            .trim()
            .to_string()
    }

    /// The pid of pult: the child of the pane's shell.
    #[track_caller]
    fn pult_pid(&self) -> i32 {
        let shell: i32 = self
            .pane_format("#{pane_pid}")
            .parse()
            .expect("tmux gives the pane's pid");
        let children = children_of(shell);
        match children.as_slice() {
            [pid] if is_pult(*pid) => *pid,
            other => panic!(
                "expected pult as the only child of the pane's shell {shell}, found {other:?}"
            ),
        }
    }

    /// Polls the screen every ~50 ms until `predicate` holds; returns that screen. Panics
    /// with the last screen when `timeout` passes first.
    #[track_caller]
    fn wait_for(&self, predicate: impl Fn(&str) -> bool, timeout: Duration) -> String {
        self.wait_until("the awaited screen", predicate, timeout)
    }

    /// Waits (up to `TIMEOUT`) for `text` to be on the screen.
    #[track_caller]
    fn wait_for_text(&self, text: &str) -> String {
        self.wait_until(
            &format!("«{text}»"),
            |screen| screen.contains(text),
            TIMEOUT,
        )
    }

    #[track_caller]
    fn wait_until(
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

    /// Waits until pult has ended; returns its exit status as the shell saw it
    /// (128 + N when signal N ended it).
    #[track_caller]
    fn wait_for_exit(&self) -> i32 {
        let screen = self.wait_for(|screen| screen.contains(EXITED), TIMEOUT);
        let status = screen
            .split(EXITED)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|status| status.parse().ok());
        status.unwrap_or_else(|| panic!("no exit status after {EXITED}; screen:\n{screen}"))
    }

    /// Waits for pult to end by itself and checks it ended well.
    #[track_caller]
    fn wait_for_clean_exit(&self) {
        let status = self.wait_for_exit();
        assert_eq!(
            status,
            0,
            "pult exited with status {status}; screen:\n{}",
            self.screen()
        );
    }
}

/// The children of a process, from /proc.
fn children_of(parent: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| parent_of(*pid) == Some(parent))
        .collect()
}

/// The parent of a process, from /proc; `None` when it is gone.
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

/// Whether a process is a running pult (a zombie does not count).
fn is_pult(pid: i32) -> bool {
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

#[test]
fn a_call_logged_and_routed_with_one_key_survives_a_restart() {
    let fixture = Fixture::new();
    let tmux = Tmux::start(&fixture, "restart");

    let console = tmux.console("first", &fixture);
    console.keys(&["n"]);
    console.wait_for_text("Новое обращение");
    console.type_text("Петрова Анна Ивановна");
    console.wait_for_text("Петрова Анна Ивановна");
    console.keys(&["Tab", "3", "Tab"]);
    console.type_text("5а");
    console.keys(&["Tab", "2", "Tab"]);
    console.type_text("Не открывается электронный дневник");
    console.wait_for_text("Не открывается электронный дневник");
    console.keys(&["Tab"]);
    console.type_text("8 912 345-67-89");
    console.wait_for_text("8 912 345-67-89");
    console.keys(&["C-s"]);
    console.wait_for_text("сохранено");
    console.keys(&["Enter"]);
    console.wait_for_text("направлено");
    console.keys(&["q"]);
    console.wait_for_clean_exit();

    let again = tmux.console("second", &fixture);
    again.wait_for_text("Входящие 0");
    again.keys(&["q"]);
    again.wait_for_clean_exit();

    let requests = fixture.list_json();
    assert_eq!(requests.len(), 1, "exactly one request: {requests:#?}");
    let request = &requests[0];
    assert_eq!(request["status"], "routed", "{request:#}");
    assert_eq!(request["queue"], "ejournal", "{request:#}");
    assert_eq!(request["category"], "ejournal", "{request:#}");
    assert_eq!(request["channel"], "phone", "{request:#}");
    let caller = &request["caller"];
    assert_eq!(caller["name"], "Петрова Анна Ивановна", "{request:#}");
    assert_eq!(caller["role"], "parent", "{request:#}");
    assert_eq!(caller["class"], "5А", "{request:#}");
    assert_eq!(caller["phone"], "+79123456789", "{request:#}");
    assert_eq!(
        request["description"], "Не открывается электронный дневник",
        "{request:#}"
    );
    assert!(
        request["deadlines"]["take_by"].is_string(),
        "a routed request has a take-by deadline: {request:#}"
    );
}

#[test]
fn the_russian_layout_opens_the_form_and_quits() {
    let fixture = Fixture::new();
    let tmux = Tmux::start(&fixture, "russian");

    let console = tmux.console("board", &fixture);
    console.type_text("т");
    console.wait_for_text("Новое обращение");
    // A blank form closes without asking.
    console.keys(&["Escape"]);
    console.wait_for(
        |screen| screen.contains("Входящие") && !screen.contains("Новое обращение"),
        TIMEOUT,
    );
    console.type_text("й");
    console.wait_for_clean_exit();
}

#[test]
fn a_killed_console_restores_its_draft() {
    let fixture = Fixture::new();
    let tmux = Tmux::start(&fixture, "killed");

    let console = tmux.console("killed", &fixture);
    console.keys(&["n"]);
    console.wait_for_text("Новое обращение");
    console.type_text("Сидоров Пётр");
    // role, class, category, then the description
    console.keys(&["Tab", "Tab", "Tab", "Tab"]);
    console.type_text("Нет звука на уроке");
    console.wait_for_text("Нет звука на уроке");
    // The console keeps the draft on its once-a-second tick and says so in the form's title.
    console.wait_for_text("черновик сохранён");

    let pid = console.pult_pid();
    // SAFETY: kill has no memory preconditions; the pid is our own pane's pult.
    let killed = unsafe { libc::kill(pid, libc::SIGKILL) };
    assert_eq!(
        killed,
        0,
        "kill -9 {pid}: {}",
        std::io::Error::last_os_error()
    );
    assert_eq!(
        console.wait_for_exit(),
        128 + libc::SIGKILL,
        "pult was to die of SIGKILL"
    );

    let restored = tmux.session("restored", &fixture.console_command());
    restored.wait_for(
        |screen| {
            screen.contains("Сидоров Пётр")
                && screen.contains("Восстановлен")
                && screen.contains("Нет звука на уроке")
        },
        TIMEOUT,
    );
}

#[test]
fn escape_with_typed_text_asks_before_discarding() {
    let fixture = Fixture::new();
    let tmux = Tmux::start(&fixture, "escape");

    let console = tmux.console("escape", &fixture);
    console.keys(&["n"]);
    console.wait_for_text("Новое обращение");
    console.type_text("Козлов Иван");
    console.wait_for_text("Козлов Иван");
    console.keys(&["Escape"]);
    console.wait_for_text("Отменить ввод?");
    console.keys(&["y"]);
    console.wait_for(
        |screen| screen.contains("Входящие 0") && !screen.contains("Новое обращение"),
        TIMEOUT,
    );
    console.keys(&["q"]);
    console.wait_for_clean_exit();

    let requests = fixture.list_json();
    assert!(requests.is_empty(), "nothing was saved: {requests:#?}");
}

#[test]
fn list_reads_through_the_server_while_a_console_is_open() {
    let fixture = Fixture::new();
    let tmux = Tmux::start(&fixture, "shared");

    let console = tmux.console("holder", &fixture);
    console.keys(&["n"]);
    console.wait_for_text("Новое обращение");
    console.type_text("Громова Татьяна");
    console.keys(&["Tab", "2", "Tab", "Tab", "5", "Tab"]);
    console.type_text("Вопрос о расписании");
    console.keys(&["Tab"]);
    console.type_text("89031234567");
    console.keys(&["C-s"]);
    console.wait_for_text("сохранено");
    console.keys(&["Escape"]);
    console.wait_for_text("оставлено во Входящих");

    // the store is the server's: a script reads it while the console stays open
    let requests = fixture.list_json();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0]["status"], "new");
    assert_eq!(requests[0]["caller"]["role"], "teacher");

    console.keys(&["q"]);
    console.wait_for_clean_exit();
}

#[test]
fn a_console_whose_terminal_goes_away_exits_and_keeps_every_key_typed() {
    let fixture = Fixture::new();
    let tmux = Tmux::start(&fixture, "hangup");

    let console = tmux.console("dropped", &fixture);
    console.keys(&["n"]);
    console.wait_for_text("Новое обращение");
    console.type_text("Орлов Игорь");
    console.wait_for_text("Орлов Игорь");
    let pid = console.pult_pid();
    // The terminal goes away at once, as when an SSH connection drops.
    tmux.run(&["kill-session", "-t", "dropped"]);
    let start = Instant::now();
    while is_pult(pid) {
        assert!(
            start.elapsed() < TIMEOUT,
            "pult {pid} still runs {TIMEOUT:?} after its terminal went away"
        );
        std::thread::sleep(POLL);
    }

    // what was typed after the last tick was kept on the way out
    let restored = tmux.session("restored", &fixture.console_command());
    restored.wait_for(
        |screen| screen.contains("Орлов Игорь") && screen.contains("Восстановлен"),
        TIMEOUT,
    );
}
