//! The store's files are the server's alone: a staff member who may reach the socket, and a
//! local user who may not, walk a demo store's data directory and try to read every file.
//! Needs root to make the OS users (CI runs as root); skipped with a reason otherwise.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{ensure_users, path_str, set_mode, shell_quote, system_tool, Place};

const GROUP: &str = "pultwall";
/// The server's own OS user (the unit's `User=pult`).
const SERVER: &str = "pultwsrv";
/// A staff member: in the data directory's group, so the socket lets them in.
const STAFF: &str = "pultwstaff";
/// A local user with nothing to do with pult.
const OTHER: &str = "pultwother";
const OTHER_GROUP: &str = "pultwoth";

/// Files in the data directory that hold no personal data and may be read by the group.
const PUBLIC: &[&str] = &["policy.toml", "server.pid"];

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `pult ARGS` as `login` with the primary group `group` and `umask`, as the unit runs it.
fn pult_as(place: &Place, login: &str, group: &str, umask: &str, args: &[&str]) -> Command {
    let words: Vec<String> = args.iter().map(|arg| shell_quote(arg)).collect();
    let mut command = Command::new(system_tool("runuser", "util-linux"));
    command
        .args(["-u", login, "-g", group, "--", "sh", "-c"])
        .arg(format!(
            "umask {umask}; exec env LANG=C.UTF-8 PULT_DATA={} {} {}",
            shell_quote(path_str(&place.data())),
            shell_quote(path_str(&place.pult)),
            words.join(" ")
        ))
        .current_dir("/")
        .env_remove("PULT_DATA");
    command
}

/// What `login` can read (`READ path`) and list (`LIST path`) under `dir`.
fn what_can_be_read(login: &str, dir: &Path) -> Vec<String> {
    let script = format!(
        "find {dir} 2>/dev/null | while read -r p; do \
           if [ -f \"$p\" ] && head -c1 \"$p\" >/dev/null 2>&1; then echo \"READ $p\"; fi; \
           if [ -d \"$p\" ] && ls \"$p\" >/dev/null 2>&1; then echo \"LIST $p\"; fi; \
         done",
        dir = shell_quote(path_str(dir))
    );
    let output = Command::new(system_tool("runuser", "util-linux"))
        .args(["-u", login, "--", "sh", "-c", &script])
        .current_dir("/")
        .output()
        .expect("walk the data directory as another user");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: kill with a pid we started; at worst it is already gone.
        unsafe {
            libc::kill(self.0.id() as i32, libc::SIGTERM);
        }
        let _ = self.0.wait();
    }
}

/// A demo store, its server running, a call logged: every kind of file there is.
fn demo_with_server(place: &Place, group: &str, umask: &str) -> Running {
    let demo = pult_as(place, SERVER, group, umask, &["demo"])
        .output()
        .expect("run pult demo");
    assert!(
        demo.status.success(),
        "pult demo: {}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let server = pult_as(place, SERVER, group, umask, &["server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pult server");
    let running = Running(server);
    let socket = place.data().join("pult.sock");
    let started = Instant::now();
    while !socket.exists() && started.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let list = pult_as(place, SERVER, group, umask, &["list"])
        .output()
        .expect("pult list");
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    running
}

fn assert_nothing_personal(login: &str, found: &[String], data: &Path) {
    let data = path_str(data);
    for line in found {
        let allowed = line == &format!("LIST {data}")
            || PUBLIC
                .iter()
                .any(|name| line == &format!("READ {data}/{name}"));
        assert!(allowed, "{login} can {line}; all they reach: {found:#?}");
    }
}

#[test]
fn under_the_units_settings_staff_and_strangers_read_no_personal_data() {
    if !is_root() {
        println!("walls::files: skipped — making OS users needs root; CI runs it as root");
        return;
    }
    ensure_users(GROUP, &[SERVER, STAFF]);
    ensure_users(OTHER_GROUP, &[OTHER]);
    // the README's step: the data directory opened to the staff group (0750)
    let place = Place::new("files", SERVER, GROUP);
    let _server = demo_with_server(&place, GROUP, "0027");
    let staff = what_can_be_read(STAFF, &place.data());
    // the walk itself works: the group may enter the data directory (to reach the socket)
    assert!(
        staff.contains(&format!("LIST {}", path_str(&place.data()))),
        "{staff:?}"
    );
    assert_nothing_personal(STAFF, &staff, &place.data());
    assert_eq!(what_can_be_read(OTHER, &place.data()), Vec::<String>::new());
}

#[test]
fn a_data_directory_made_with_a_plain_mkdir_is_closed_at_start() {
    if !is_root() {
        println!("walls::files: skipped — making OS users needs root; CI runs it as root");
        return;
    }
    ensure_users(GROUP, &[SERVER, STAFF]);
    ensure_users(OTHER_GROUP, &[OTHER]);
    let place = Place::new("mkdir", SERVER, GROUP);
    set_mode(&place.data(), 0o755);
    let _server = demo_with_server(&place, GROUP, "0022");
    assert_eq!(what_can_be_read(OTHER, &place.data()), Vec::<String>::new());
    assert_nothing_personal(
        STAFF,
        &what_can_be_read(STAFF, &place.data()),
        &place.data(),
    );
}
