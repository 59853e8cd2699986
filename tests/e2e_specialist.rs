//! End-to-end test with real OS users: a specialist works a request from their own queue and
//! the head decides their request for more time, each at their own console, live.
//!
//! Four OS users in the group `pulte2e`: `pulte2ea` starts the server (so it is the store's
//! first admin and operator), adds the e-journal administrator `pulte2es` and the head
//! `pulte2eh`, and logs a call routed to the e-journal queue. At `pulte2es`'s console the
//! request is taken (`t`) and more time asked (`x`); at `pulte2eh`'s the extension is approved
//! (`g`), and `pulte2es`'s console, untouched, shows the later resolve-by; then the request is
//! closed (`c`) by the one channel the caller gave. `pult show --json` has it all.
//!
//! Creating OS users needs root: run as anyone else, the test says it was skipped and passes
//! (CI runs it as root). The users and the group are created once and reused; they stay
//! (`pulte2ea` and the group are shared with e2e_two_users.rs). Everything else — the data
//! directory, the tmux server, the pult server — is removed by `Drop` guards, also when the
//! test fails. State is awaited by polling the screen (`capture-pane`), never by fixed sleeps.
//!
//! Needs tmux, runuser and useradd/groupadd/usermod (util-linux, passwd). Linux only.

mod common;

use std::time::Instant;

use serde_json::Value;

use common::{ensure_users, Place, Session, Tmux};

const GROUP: &str = "pulte2e";
/// Starts the server, so the store's first admin and operator: logs the call.
const ADMIN: &str = "pulte2ea";
/// The e-journal administrator: the request lands in their queue.
const SPECIALIST: &str = "pulte2es";
const SPECIALIST_NAME: &str = "Смирнова Елена Викторовна";
/// The head of the service: decides the extension.
const HEAD: &str = "pulte2eh";
const HEAD_NAME: &str = "Белова Ольга Николаевна";

const REASON: &str = "ждём ответа оператора ЭЖД";
const RESULT: &str = "пароль сброшен, дневник открывается";

/// Width of the left pane (Входящие / Моя очередь) on the 100-column board: panes share the
/// width 3:3:4.
const LEFT_PANE: usize = 30;

/// The left pane of a board: the first `LEFT_PANE` columns of every row.
fn left_pane(screen: &str) -> String {
    screen
        .lines()
        .map(|line| line.chars().take(LEFT_PANE).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The countdown of №1's resolve-by in the timers pane ("№1 закрыть   23:59:41"), as shown:
/// `H:MM:SS` under a day, `NдHHч` past one (`format_countdown`), maybe with `*` or `!`.
fn resolve_countdown(screen: &str) -> Option<String> {
    let line = screen.lines().find(|line| line.contains("№1 закрыть"))?;
    let after = line.split("№1 закрыть").nth(1)?;
    let shown = after.split_whitespace().next()?;
    let shown = shown.trim_end_matches(['*', '!', '│']);
    (!shown.is_empty()).then(|| shown.to_string())
}

/// Whole hours of a countdown as `format_countdown` shows it: `1д23ч` → 47, `23:59:41` → 23,
/// `59:41` → 0. `None` for anything else (a minus: overdue).
fn countdown_hours(shown: &str) -> Option<u64> {
    if let Some((days, hours)) = shown.split_once('д') {
        let hours = hours.strip_suffix('ч')?;
        return Some(days.parse::<u64>().ok()? * 24 + hours.parse::<u64>().ok()?);
    }
    let parts: Vec<u64> = shown
        .split(':')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [hours, _, _] => Some(*hours),
        [_, _] => Some(0),
        _ => None,
    }
}

/// The hours of №1's resolve-by countdown on `session`'s screen; panics showing the screen.
#[track_caller]
fn resolve_hours(session: &Session, screen: &str) -> (String, u64) {
    let shown = resolve_countdown(screen).unwrap_or_else(|| {
        panic!(
            "no «№1 закрыть» countdown on {}'s screen:\n{screen}",
            session.target()
        )
    });
    let hours = countdown_hours(&shown)
        .unwrap_or_else(|| panic!("unreadable countdown «{shown}»; screen:\n{screen}"));
    (shown, hours)
}

#[test]
fn specialist_takes_asks_more_time_head_approves_specialist_closes() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        println!(
            "e2e_specialist: skipped — creating OS users needs root (running as uid {euid}); \
             CI runs this test as root"
        );
        return;
    }
    let started = Instant::now();

    // The group and the users (kept after the test; reused by the next run).
    ensure_users(GROUP, &[ADMIN, SPECIALIST, HEAD]);
    // A fresh data directory owned by pulte2ea, open to the group; pult within reach.
    let place = Place::new("spec", ADMIN, GROUP);

    // 1. pulte2ea starts the server and is the store's first admin: he adds the staff.
    place.start_server(ADMIN);
    for (login, name, role) in [
        (SPECIALIST, SPECIALIST_NAME, "ejournal"),
        (HEAD, HEAD_NAME, "head"),
    ] {
        let added = place.pult_ok(
            ADMIN,
            &["staff", "add", login, "--name", name, "--roles", role],
        );
        assert!(
            added.contains(login) && added.contains(name),
            "pult staff add {login} printed:\n{added}"
        );
    }

    let tmux = Tmux::start(&place.root, "spec");

    // 2. The admin logs a call about the e-journal and routes it to the suggested queue (ЭЖД).
    let admin = tmux.session("a", &place.console_command(ADMIN));
    admin.wait_for_text("Входящие");
    admin.keys(&["n"]);
    admin.wait_for_text("Новое обращение");
    admin.type_text("Петрова Анна Ивановна");
    admin.wait_for_text("Петрова Анна Ивановна");
    admin.keys(&["Tab", "3"]);
    admin.type_text("5а");
    admin.keys(&["Tab", "2"]);
    admin.type_text("Не открывается электронный дневник");
    admin.wait_for_text("Не открывается электронный дневник");
    admin.keys(&["Tab"]);
    admin.type_text("8 912 345-67-89");
    admin.wait_for_text("8 912 345-67-89");
    admin.keys(&["C-s"]);
    admin.wait_for_text("сохранено");
    admin.keys(&["Enter"]);
    admin.wait_until("№1 routed to ЭЖД", |screen| {
        screen.contains("направлено: ЭЖД")
    });
    admin.keys(&["q"]);
    admin.wait_for_clean_exit();

    // 3. The specialist's board: their queue, not Входящие. Take №1, then ask for 24 h more.
    let spec = tmux.session("s", &place.console_command(SPECIALIST));
    spec.wait_until("№1 in the specialist's queue", |screen| {
        screen.contains("Моя очередь 1") && left_pane(screen).contains("№1")
    });
    spec.keys(&["t"]);
    spec.wait_until(
        "№1 «в работе» in the specialist's queue",
        |screen| left_pane(screen).contains("в работе"),
    );

    spec.keys(&["x"]);
    spec.wait_for_text("Просить продления срока · №1");
    spec.keys(&["1"]);
    spec.wait_for_text("[1 ещё на 24 ч]");
    spec.type_text(REASON);
    spec.wait_for_text(REASON);
    spec.keys(&["Enter"]);
    let screen = spec.wait_until(
        "№1 «ждёт согласования» in the specialist's queue",
        |screen| left_pane(screen).contains("ждёт согласования"),
    );
    let (asked_shown, asked_hours) = resolve_hours(&spec, &screen);
    // Logged a minute ago with 24 h to resolve: under a day left, shown as H:MM:SS.
    assert!(
        !asked_shown.contains('д') && asked_hours < 24,
        "resolve-by before the extension: «{asked_shown}»; screen:\n{screen}"
    );

    // 4. The head's board opens on the queues; Tab reaches Сроки, where №1 is the only timer.
    let head = tmux.session("h", &place.console_command(HEAD));
    head.wait_for_text("Белова О. Н. (руководитель)");
    head.keys(&["Tab"]);
    head.wait_until("№1 selected on the head's board", |screen| {
        screen.contains("№1 · в работе, ждёт согласования")
    });
    head.keys(&["g"]);
    head.wait_for_text("Согласование продления · №1");
    head.keys(&["1"]);
    head.wait_for_text("[1 одобрить]");
    head.keys(&["Enter"]);
    head.wait_for_text("№1: продление одобрено");

    // 5. No key to the specialist: the server pushes the approval, resolve-by moves 24 h on.
    let screen = spec.wait_until(
        "the approved extension on the specialist's board",
        |screen| {
            !screen.contains("ждёт согласования")
                && resolve_countdown(screen)
                    .and_then(|shown| countdown_hours(&shown))
                    .is_some_and(|hours| hours >= asked_hours + 23)
        },
    );
    let (approved_shown, approved_hours) = resolve_hours(&spec, &screen);
    // Past a day the countdown reads «1д23ч»; at most an hour boundary passed meanwhile.
    assert!(
        approved_shown.contains('д') && approved_hours <= asked_hours + 24,
        "resolve-by went from «{asked_shown}» to «{approved_shown}»; screen:\n{screen}"
    );

    // 6. Close by the only channel the caller gave: the phone, chosen already.
    spec.keys(&["c"]);
    spec.wait_for_text("Закрыть с результатом · №1");
    spec.wait_for_text("[1 сообщили по телефону +7 912 345-67-89]");
    spec.type_text(RESULT);
    spec.wait_for_text(RESULT);
    spec.keys(&["Enter"]);
    spec.wait_for_text("Моя очередь 0");

    for session in [&spec, &head] {
        session.keys(&["q"]);
        session.wait_for_clean_exit();
    }

    let shown = place.pult_ok(ADMIN, &["show", "1", "--json"]);
    let request: Value = serde_json::from_str(&shown)
        .unwrap_or_else(|error| panic!("pult show 1 --json is not JSON ({error}):\n{shown}"));
    let expect = [
        ("/status", "resolved"),
        ("/queue", "ejournal"),
        ("/assignee", SPECIALIST),
        ("/result/returned_by", "phone"),
        ("/result/text", RESULT),
        ("/extension/state", "approved"),
        ("/extension/asked_by", SPECIALIST),
        ("/extension/decided_by", HEAD),
        ("/extension/reason", REASON),
    ];
    for (pointer, value) in expect {
        assert_eq!(
            request.pointer(pointer).and_then(Value::as_str),
            Some(value),
            "{pointer} in pult show 1 --json:\n{shown}"
        );
    }
    assert_eq!(
        request.pointer("/deadlines/resolve_by"),
        request.pointer("/extension/until"),
        "the approved extension is the resolve-by:\n{shown}"
    );

    println!(
        "e2e_specialist: take, extension approved live (resolve-by {asked_shown} → \
         {approved_shown}), close by phone in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
