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

use std::os::unix::fs::MetadataExt;
use std::time::Instant;

use common::{ensure_users, group_id, Place, Tmux, EXITED};

const GROUP: &str = "pulte2e";
/// Starts the server, so the store's first admin, operator and head.
const ADMIN: &str = "pulte2ea";
/// Added by the admin as a head of the service.
const HEAD: &str = "pulte2eb";
const HEAD_NAME: &str = "Белова Ольга Николаевна";
/// In the group, so the socket lets them in, but without an account in pult.
const STRANGER: &str = "pulte2ec";

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
    ensure_users(GROUP, &[ADMIN, HEAD, STRANGER]);

    // 2–3. A fresh data directory owned by pulte2ea, open to the group; pult within reach.
    let place = Place::new("two", ADMIN, GROUP);

    // 4. pulte2ea starts the server, so pulte2ea is the store's first admin.
    place.start_server(ADMIN);
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
    a.keys(&["Tab", "3"]);
    a.type_text("5а");
    a.keys(&["Tab", "2"]);
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
