//! End-to-end test with real OS users: two people's consoles share one server, live.
//!
//! Three OS users in one group `pulte2e`: `pulte2ea` starts the server (and so becomes the
//! store's first admin), adds `pulte2eb`, and logs and routes a call while `pulte2eb`'s
//! console, untouched, shows it arrive and leave the Входящие. `pulte2ec` may reach the socket
//! (same group) but has no account and is told how to get one. Disabling `pulte2eb` ends that
//! console by itself.
//!
//! Creating OS users needs root: run as anyone else, the test says it was skipped and passes
//! (CI runs it as root). The users and the group are created once and reused; they stay.
//! Everything else — the data directory, the tmux server, the pult server — is removed by
//! `Drop` guards, also when the test fails. State is awaited by polling the screen
//! (`capture-pane`) or the condition itself, never by fixed sleeps.
//!
//! Needs tmux, runuser and useradd/groupadd/usermod (util-linux, passwd). Linux only.

mod common;

use std::ffi::CString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::{path_str, shell_quote, terminate, Tmux, EXITED};

const PULT_BUILT: &str = env!("CARGO_BIN_EXE_pult");

const GROUP: &str = "pulte2e";
/// Starts the server, so the store's first admin, operator and head.
const ADMIN: &str = "pulte2ea";
/// Added by the admin as a head of the service.
const HEAD: &str = "pulte2eb";
const HEAD_NAME: &str = "Белова Ольга Николаевна";
/// In the group, so the socket lets them in, but without an account in pult.
const STRANGER: &str = "pulte2ec";

// ---------------------------------------------------------------------------------------------
// OS users

/// An account from the password database.
struct Account {
    uid: u32,
    home: PathBuf,
}

fn account(login: &str) -> Option<Account> {
    let name = CString::new(login).expect("logins hold no NUL");
    // SAFETY: a valid NUL-terminated name; the returned entry is read at once, before any other
    // password-database call could reuse it (this test runs on one thread).
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

fn group_id(group: &str) -> Option<u32> {
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
fn system_tool(name: &str, package: &str) -> PathBuf {
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
fn run_tool(tool: &Path, args: &[&str]) {
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

/// The group and the three users, created on the first run and reused after.
fn ensure_users() {
    if group_id(GROUP).is_none() {
        let status = Command::new(system_tool("groupadd", "passwd"))
            .arg(GROUP)
            .status()
            .expect("run groupadd");
        // Another run may have created it meanwhile: only its absence is a failure.
        assert!(
            group_id(GROUP).is_some(),
            "groupadd {GROUP} failed ({status}) and the group does not exist"
        );
    }
    for login in [ADMIN, HEAD, STRANGER] {
        if account(login).is_none() {
            let output = Command::new(system_tool("useradd", "passwd"))
                .args(["-m", "-G", GROUP, "-s", "/bin/sh", login])
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
                &["-a", "-G", GROUP, login],
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The temporary place: data directory, config directory, maybe a copy of the binary

/// `/tmp/pult-e2e-two-<pid>-<n>`, readable and traversable by everyone, holding the data
/// directory (owner `pulte2ea`, group `pulte2e`, mode 0750), an empty config directory (so no
/// user's own keymap changes the keys under test) and, when the built binary is out of other
/// users' reach, a copy of it. On drop the server of the data directory is stopped and all of
/// it removed.
struct Place {
    root: PathBuf,
    pult: PathBuf,
}

impl Place {
    fn new() -> Place {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = loop {
            let candidate = PathBuf::from(format!(
                "/tmp/pult-e2e-two-{}-{}",
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
        let owner = account(ADMIN).expect("the admin user exists").uid;
        let group = group_id(GROUP).expect("the group exists");
        std::os::unix::fs::chown(&data, Some(owner), Some(group))
            .unwrap_or_else(|error| panic!("chown {}: {error}", data.display()));
        set_mode(&data, 0o750);

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

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    fn config(&self) -> PathBuf {
        self.root.join("config")
    }

    /// `runuser -u LOGIN -- env … pult`: the command line that runs pult as `login` on this
    /// data directory, with a clean locale and the empty config directory.
    fn as_user(&self, login: &str) -> Vec<String> {
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
    fn pult(&self, login: &str, args: &[&str]) -> Output {
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
    fn pult_ok(&self, login: &str, args: &[&str]) -> String {
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
    fn console_command(&self, login: &str) -> String {
        let line: Vec<String> = self
            .as_user(login)
            .iter()
            .map(|word| shell_quote(word))
            .collect();
        format!("{}; echo \"{EXITED} $?\"; sleep 600", line.join(" "))
    }

    fn server_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.data().join("server.pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }
}

impl Drop for Place {
    /// The first pult started the data directory's server, detached: stop it, then remove
    /// everything (the data directory is pulte2ea's, but root may remove it).
    fn drop(&mut self) {
        if let Some(pid) = self.server_pid() {
            terminate(pid);
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn set_mode(path: &Path, mode: u32) {
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

// ---------------------------------------------------------------------------------------------

#[test]
fn two_users_consoles_share_one_server_live() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        println!(
            "e2e_two_users: skipped — creating OS users needs root (running as uid {euid}); \
             CI runs this test as root"
        );
        return;
    }
    let started = Instant::now();

    // 1. The group and the users (kept after the test; reused by the next run).
    ensure_users();

    // 2–3. A fresh data directory owned by pulte2ea, open to the group; pult within reach.
    let place = Place::new();

    // 4. pulte2ea's first command starts the server, so pulte2ea is the store's first admin.
    let added = place.pult_ok(
        ADMIN,
        &["staff", "add", HEAD, "--name", HEAD_NAME, "--roles", "head"],
    );
    assert!(
        added.contains(HEAD) && added.contains(HEAD_NAME),
        "pult staff add printed:\n{added}"
    );
    let staff = place.pult_ok(ADMIN, &["staff", "list"]);
    let admin_line = staff
        .lines()
        .find(|line| line.starts_with(ADMIN))
        .unwrap_or_else(|| panic!("{ADMIN} is not in pult staff list:\n{staff}"));
    for role in ["admin", "operator", "head"] {
        assert!(
            admin_line.contains(role),
            "the first user is to be {role}: {admin_line}"
        );
    }
    // The server opened its socket to the data directory's group.
    let socket = std::fs::metadata(place.data().join("pult.sock")).expect("the server's socket");
    assert_eq!(socket.mode() & 0o777, 0o660, "socket mode");
    assert_eq!(
        Some(socket.gid()),
        group_id(GROUP),
        "the socket belongs to the data directory's group"
    );

    // 5. Two people, two consoles, one server.
    let tmux = Tmux::start(&place.root, "two");
    let a = tmux.session("a", &place.console_command(ADMIN));
    let b = tmux.session("b", &place.console_command(HEAD));
    a.wait_for_text("Входящие");
    a.wait_for_text(&format!("{ADMIN} (оператор)"));
    b.wait_for_text("Входящие 0");
    b.wait_for_text("Белова О. Н. (руководитель)");

    a.keys(&["n"]);
    a.wait_for_text("Новое обращение");
    a.type_text("Петрова Анна Ивановна");
    a.wait_for_text("Петрова Анна Ивановна");
    a.keys(&["Tab", "3", "Tab"]);
    a.type_text("5а");
    a.keys(&["Tab", "2", "Tab"]);
    a.type_text("Не открывается электронный дневник");
    a.wait_for_text("Не открывается электронный дневник");
    a.keys(&["Tab"]);
    a.type_text("8 912 345-67-89");
    a.wait_for_text("8 912 345-67-89");
    a.keys(&["C-s"]);
    a.wait_for_text("сохранено");

    // No key goes to B from here on: its board changes because the server pushes the change.
    b.wait_until("№1 in B's Входящие", |screen| {
        screen.contains("Входящие 1")
            && screen.contains("№1")
            && screen.contains("Петрова А. И.")
            && screen.contains("№1 распределить")
    });

    // Enter routes to the suggested queue (the e-journal administrator).
    a.keys(&["Enter"]);
    a.wait_for_text("направлено");
    b.wait_until("№1 routed on B's board", |screen| {
        screen.contains("Входящие 0")
            && !screen.contains("Петрова А. И.")
            && screen.contains("№1 взять в работу")
    });

    // 6. pulte2ec reaches the socket (same group) but has no account: told how to get one.
    let refused = place.pult(STRANGER, &["list"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "pult list as {STRANGER} (no account) succeeded:\n{}",
        String::from_utf8_lossy(&refused.stdout)
    );
    assert!(
        stderr.contains("нет учётной записи") && stderr.contains("pult staff add pulte2ec"),
        "pult list as {STRANGER}: unexpected stderr:\n{stderr}"
    );

    // 7. Disabling pulte2eb ends that console by itself; pulte2ea's stays.
    let disabled = place.pult_ok(ADMIN, &["staff", "disable", HEAD]);
    assert!(
        disabled.contains(HEAD),
        "pult staff disable printed:\n{disabled}"
    );
    let (status, screen) = b.wait_for_exit();
    // A farewell is a normal end: pult prints the reason after leaving the alternate screen.
    assert_eq!(
        status, 0,
        "B's pult exited with {status}; screen:\n{screen}"
    );
    assert!(
        screen.contains("pult: учётная запись отключена"),
        "B's console did not say why it closed; screen:\n{screen}"
    );

    let screen = a.screen();
    assert!(
        !screen.contains(EXITED) && screen.contains("Входящие"),
        "A's console was to stay open; screen:\n{screen}"
    );
    a.keys(&["q"]);
    let (status, screen) = a.wait_for_exit();
    assert_eq!(
        status, 0,
        "A's pult exited with {status}; screen:\n{screen}"
    );

    println!(
        "e2e_two_users: two users shared one server live in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
