//! The command line's edges, with the built binary: a mistyped data directory makes no store,
//! and nothing staff typed reaches a terminal raw.

mod common;

use std::path::Path;
use std::process::Output;

use common::calls::{log_call_through, valid_call};
use common::people::me;
use common::service::{connect, open_as_me, serve};
use common::{is_pult, terminate};
use pult::domain::call_form::CallDraft;
use pult::domain::change::Change;
use pult::domain::request::{Category, RequestId};
use pult::domain::staff::Role;
use pult::net::client::Client;
use pult::service::Command as Cmd;

fn pult(dir: &Path, args: &[&str]) -> Output {
    common::pult_in(dir, args)
}

/// The pult processes whose command line names `dir` (a server started for it).
fn pults_for(dir: &Path) -> Vec<i32> {
    let needle = dir.as_os_str().as_encoded_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| is_pult(*pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|line| line.windows(needle.len()).any(|part| part == needle))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A typo does not make a store

/// Every command but the console, `server` and `demo`, on a directory without a store.
const READERS: [&[&str]; 8] = [
    &["list"],
    &["show", "1"],
    &["history", "1"],
    &["vendor"],
    &["search", "Петрова"],
    &["report", "daily"],
    &["staff", "list"],
    &["callers", "list"],
];

#[test]
fn a_mistyped_data_directory_is_named_and_nothing_is_created() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("nonexistent").join("dir");
    for args in READERS {
        let output = pult(&missing, args);
        // (stopped before any assertion, so a failure leaves nothing running)
        let left = pults_for(&missing);
        left.iter().for_each(|pid| terminate(*pid));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "pult {args:?} exited 0: {stderr}");
        assert!(
            stderr.contains(&missing.display().to_string()) && stderr.contains("pult server"),
            "pult {args:?} does not say which directory holds no store: {stderr}"
        );
        assert!(
            output.stdout.is_empty(),
            "pult {args:?} printed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(left.is_empty(), "pult {args:?} left a server running");
        assert!(!root.path().join("nonexistent").exists(), "pult {args:?}");
    }
}

#[test]
fn an_empty_directory_gets_no_store_either() {
    let root = tempfile::tempdir().unwrap();
    let output = pult(root.path(), &["list"]);
    let left = pults_for(root.path());
    left.iter().for_each(|pid| terminate(*pid));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("pult server"), "{stderr}");
    assert!(left.is_empty(), "a server was left running");
    let inside: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
    assert!(inside.is_empty(), "pult list wrote into the directory");
}

#[test]
fn a_store_whose_server_is_down_gets_its_server_started() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let created = pult(&dir, &["demo"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    pults_for(&dir).iter().for_each(|pid| terminate(*pid));
    assert!(pults_for(&dir).is_empty());
    let output = pult(&dir, &["list"]);
    let servers = pults_for(&dir);
    servers.iter().for_each(|pid| terminate(*pid));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(servers.len(), 1, "pult list started the store's server");
}

// ---------------------------------------------------------------------------------------------
// Nothing raw reaches a terminal or a spreadsheet

/// What a hostile (or careless) text may hold: colour, a bell, a screen clear by 8-bit CSI, a
/// title change, bidi overrides, a line separator and invisible characters.
const HOSTILE: &str = "\u{1b}[31mКрасный\u{1b}[0m\u{7}\u{9b}2J\u{202e}наоборот\u{202c}\
     \u{2028}строка\u{2029}\u{200b}\u{feff}\u{61c}\u{7f}\u{1b}]0;заголовок\u{7}\u{85}\u{200f}\u{2066}";

/// The same in TOML's escapes, for a queue name in the school's policy.toml.
const HOSTILE_TOML: &str = "\\u001b[31mТехн.\\u0007\\u009b2J\\u202eнаоборот\\u2028\\u200b\\u061c";

/// The characters no text pult prints may hold (a CSV may start with its BOM and end its
/// records with CR LF).
fn forbidden(text: &str) -> Vec<(usize, char)> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let chars: Vec<char> = body.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter(|&(index, &c)| {
            let control = c.is_control() && c != '\n' && c != '\t';
            let crlf = c == '\r' && chars.get(index + 1) == Some(&'\n');
            let invisible = matches!(
                c,
                '\u{200b}'..='\u{200f}'
                    | '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{feff}'
                    | '\u{61c}'
            );
            (control && !crlf) || invisible
        })
        .map(|(index, &c)| (index, c))
        .collect()
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    let found = forbidden(text);
    assert!(
        found.is_empty(),
        "{what} printed raw {:?}:\n{}",
        found
            .iter()
            .map(|(_, c)| format!("U+{:04X}", u32::from(*c)))
            .collect::<Vec<_>>(),
        text.escape_debug()
    );
}

/// Runs `pult ARGS` and checks its stdout and stderr; returns the output.
#[track_caller]
fn clean_run(dir: &Path, args: &[&str]) -> Output {
    let output = pult(dir, args);
    let what = format!("pult {}", args.join(" ").escape_debug());
    assert_clean(
        &format!("{what} (stdout)"),
        &String::from_utf8_lossy(&output.stdout),
    );
    assert_clean(
        &format!("{what} (stderr)"),
        &String::from_utf8_lossy(&output.stderr),
    );
    output
}

#[track_caller]
fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn call(client: &mut Client, name: &str, category: Category) -> RequestId {
    let draft = CallDraft {
        description: format!("Не открывается дневник {HOSTILE}"),
        ..valid_call(name, category, None)
    };
    log_call_through(client, draft).id
}

#[test]
fn nothing_staff_typed_reaches_the_terminal_raw() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    // the school's policy names the technical queue with escape sequences
    let policy = common::clock_policy()
        .replace("\"Технический специалист\"", &format!("\"{HOSTILE_TOML}\""))
        .replace("\"Техн.\"", &format!("\"{HOSTILE_TOML}\""));
    assert_ne!(policy, common::clock_policy());
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    {
        // the test's user: the first admin, operator and head, and the technician who is
        // the vendor representative
        let service = open_as_me(&dir);
        let mut staff = service.identify(&me().login).unwrap();
        staff.roles.push(Role::Tech);
        staff.vendor_rep = true;
        service.seed().put_staff(&staff).unwrap();
        // a name the form refuses now (no digits, no sentence), kept from before that rule
        let from_before = pult::domain::lifecycle::receive(
            RequestId(1),
            pult::domain::lifecycle::Intake {
                channel: pult::domain::request::Channel::Phone,
                received_at: pult::domain::time::Timestamp(common::calls::now_ms() - 60_000),
                logged_by: me().login,
                caller: pult::domain::request::Caller {
                    name: format!("Петрова {HOSTILE}"),
                    role: pult::domain::request::CallerRole::Parent,
                    class: None,
                    phone: None,
                    email: Some(pult::domain::validate::Email::parse("p@mail.ru").unwrap()),
                },
                category: Category::Technical,
                description: format!("Звонок из старого журнала {HOSTILE}"),
                consent: None,
            },
            &service.policy().deadlines,
        );
        service.seed().import_requests(&[from_before]).unwrap();
        service.seed().flush().unwrap();
    }
    let _server = serve(&dir);
    let mut client = connect(&dir);
    let escalated = call(&mut client, "Петрова Анна", Category::Technical);
    for command in [
        Cmd::Change {
            id: escalated,
            change: Change::Route {
                queue: "tech".into(),
            },
        },
        Cmd::Change {
            id: escalated,
            change: Change::Take,
        },
        Cmd::Change {
            id: escalated,
            change: Change::Escalate {
                reformulated: format!("Вход не работает {HOSTILE}"),
                ticket: format!("VND-{HOSTILE}"),
            },
        },
        Cmd::Change {
            id: escalated,
            change: Change::VendorAnswer {
                answer: format!("Исправлено {HOSTILE}"),
            },
        },
    ] {
        client.call(command).expect("accepted");
    }
    let cancelled = call(&mut client, "Сидорова Анна", Category::Technical);
    client
        .call(Cmd::Change {
            id: cancelled,
            change: Change::Cancel {
                reason: format!("дубликат {HOSTILE}"),
            },
        })
        .expect("cancelled");
    let late = call(&mut client, "Орлова Мария", Category::Technical);
    client
        .call(Cmd::Change {
            id: late,
            change: Change::Route {
                queue: "tech".into(),
            },
        })
        .expect("routed");

    let name = format!("Смирнова {HOSTILE}");
    let added = clean_run(
        &dir,
        &[
            "staff", "add", "smirnova", "--name", &name, "--roles", "operator",
        ],
    );
    assert!(succeeded(&added).contains("Смирнова"));
    // the same name again: the refusal shows the account that exists
    let twice = clean_run(
        &dir,
        &[
            "staff",
            "add",
            "smirnova2",
            "--name",
            &name,
            "--roles",
            "operator",
        ],
    );
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("Смирнова"));

    let (escalated, cancelled) = (escalated.0.to_string(), cancelled.0.to_string());
    for args in [
        vec!["history", escalated.as_str()],
        vec!["history", cancelled.as_str()],
        vec!["vendor"],
        vec!["staff", "list"],
        vec!["report", "daily"],
        vec!["report", "daily", "--format", "csv"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", escalated.as_str()],
        vec!["show", escalated.as_str(), "--json"],
        vec!["show", cancelled.as_str(), "--json"],
        vec!["search", "Петрова"],
        vec!["callers", "list"],
    ] {
        let printed = succeeded(&clean_run(&dir, &args));
        assert!(!printed.trim().is_empty(), "pult {args:?} printed nothing");
    }
    let shown = succeeded(&clean_run(&dir, &["show", &escalated]));
    assert!(
        shown.contains("Красный"),
        "the text itself is kept:\n{shown}"
    );

    // a Markdown report written to a file is output too
    let file = root.path().join("день.md");
    let file_arg = file.to_str().unwrap();
    succeeded(&clean_run(&dir, &["report", "daily", "-o", file_arg]));
    assert_clean(
        "pult report daily -o",
        &std::fs::read_to_string(&file).unwrap(),
    );

    // the head's proposals, hostile to the terminal and to Excel at once
    let proposals = format!("-2+3+cmd|' /C calc'!A0 {HOSTILE}");
    let week = ["--week", "2026-W10"];
    succeeded(&clean_run(
        &dir,
        &["report", "proposals", week[0], week[1], "--", &proposals],
    ));
    let csv = succeeded(&clean_run(
        &dir,
        &["report", "weekly", week[0], week[1], "--format", "csv"],
    ));
    let defused = csv.contains("'-2+3+cmd|' /C calc'!A0 ")
        && ["\n-2+3", "\"-2+3", ";-2+3"]
            .iter()
            .all(|raw| !csv.contains(raw));
    assert!(
        defused,
        "the proposals are not defused:\n{}",
        csv.escape_debug()
    );
    assert!(
        csv.starts_with('\u{feff}'),
        "the CSV keeps its BOM for Excel"
    );
    succeeded(&clean_run(&dir, &["report", "weekly", week[0], week[1]]));

    // arguments echoed back in refusals
    for args in [
        vec!["show", HOSTILE],
        vec!["list", "--status", HOSTILE],
        vec!["report", "daily", "--date", HOSTILE],
        vec!["report", "weekly", "--week", HOSTILE],
        vec![
            "staff",
            "add",
            HOSTILE,
            "--name",
            "Козлов",
            "--roles",
            "tech",
        ],
        vec![
            "staff",
            "add",
            "kozlov",
            "--name",
            "Козлов",
            "--roles",
            HOSTILE,
        ],
        vec![HOSTILE],
        vec!["list", HOSTILE],
        vec!["staff", "enable", HOSTILE],
        vec!["import", HOSTILE],
    ] {
        let refused = clean_run(&dir, &args);
        assert!(!refused.status.success(), "pult {args:?} succeeded");
        assert!(!refused.stderr.is_empty(), "pult {args:?} said nothing");
    }
}

// ---------------------------------------------------------------------------------------------
// What the head writes is kept; what people read names queues as they know them

#[test]
fn the_heads_reassign_comment_is_kept_and_the_timeline_says_queues_by_their_names() {
    let root = tempfile::tempdir().unwrap();
    drop(open_as_me(root.path()));
    let server = serve(root.path());
    let mut client = connect(root.path());
    let id = call(&mut client, "Петрова Анна", Category::Technical);
    for change in [
        Change::Route {
            queue: "tech".into(),
        },
        Change::Reassign {
            queue: "ejournal".into(),
            assignee: None,
            comment: "это вопрос журнала, не техники".into(),
        },
    ] {
        client
            .call(Cmd::Change { id, change })
            .unwrap_or_else(|error| panic!("{error}"));
    }
    // the head is told the rule that applies: the queue's specialist takes it, not the head
    let refused = client
        .call(Cmd::Change {
            id,
            change: Change::Take,
        })
        .expect_err("the head does not take an ЭЖД request");
    assert_eq!(
        refused.to_string(),
        "это обращение очереди «ЭЖД»: в работу его берёт и ведёт её специалист \
         (администратор электронного журнала); руководитель может передать его в другую очередь"
    );
    // the specialist asks for more time (the service, as the head cannot)
    drop(client);
    server.stop();
    let service = open_as_me(root.path());
    let specialist = pult::domain::staff::Staff {
        login: "smirnova".into(),
        name: "Смирнова Елена".into(),
        roles: vec![Role::Ejournal],
        vendor_rep: false,
        disabled: false,
    };
    service.seed().put_staff(&specialist).unwrap();
    for change in [
        Change::Take,
        Change::AskExtension {
            reason: "ждём поставщика".into(),
            until: pult::domain::time::Timestamp(common::calls::now_ms() + 48 * 3_600_000),
        },
    ] {
        service
            .execute(&specialist, Cmd::Change { id, change })
            .unwrap_or_else(|error| panic!("{error}"));
    }
    drop(service);
    let server = serve(root.path());
    let number = id.0.to_string();
    let history = succeeded(&clean_run(root.path(), &["history", &number]));
    assert!(
        history.contains("передал(а) в очередь ЭЖД: «это вопрос журнала, не техники»"),
        "{history}"
    );
    assert!(history.contains("в очередь Техн."), "{history}");
    for key in ["ejournal", "tech"] {
        assert!(
            !history.contains(key),
            "«{key}» shown to people:\n{history}"
        );
    }
    let shown = succeeded(&clean_run(root.path(), &["show", &number, "--json"]));
    let json: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let notes = json["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|note| note["text"]
            .as_str()
            .is_some_and(|text| text.contains("это вопрос журнала, не техники"))),
        "the comment is a note: {json:#}"
    );
    let timeline = json["timeline"].as_array().unwrap();
    let moved = timeline
        .iter()
        .find_map(|event| event["action"].get("reassigned_with_comment"))
        .unwrap_or_else(|| panic!("no reassign with its comment: {json:#}"));
    assert_eq!(moved["comment"], "это вопрос журнала, не техники");
    // every time in it is RFC 3339, the extension's too
    let until = timeline
        .iter()
        .find_map(|event| event["action"]["extension_asked"]["until"].as_str())
        .unwrap_or_else(|| panic!("no extension asked: {json:#}"));
    assert!(
        chrono::DateTime::parse_from_rfc3339(until).is_ok(),
        "{until}"
    );
    // and no raw milliseconds anywhere in it
    fn raw_times(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Number(number)
                if number.as_i64().is_some_and(|n| n > 1_000_000_000_000) =>
            {
                found.push(path.to_string())
            }
            serde_json::Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    raw_times(item, &format!("{path}[{index}]"), found);
                }
            }
            serde_json::Value::Object(fields) => {
                for (name, field) in fields {
                    raw_times(field, &format!("{path}.{name}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    raw_times(&json, "", &mut found);
    assert!(found.is_empty(), "milliseconds, not RFC 3339, at {found:?}");
    server.stop();
}

// ---------------------------------------------------------------------------------------------
// Staff accounts

#[test]
fn an_account_disabled_from_the_command_line_is_enabled_again() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    drop(open_as_me(&dir));
    let _server = serve(&dir);
    let added = pult(
        &dir,
        &[
            "staff",
            "add",
            "petrova",
            "--name",
            "Петрова Ольга",
            "--roles",
            "operator",
        ],
    );
    succeeded(&added);
    let disabled = succeeded(&pult(&dir, &["staff", "disable", "petrova"]));
    assert!(disabled.contains("отключена"), "{disabled}");
    let enabled = succeeded(&pult(&dir, &["staff", "enable", "petrova"]));
    assert!(
        enabled.starts_with("Включена учётная запись: petrova")
            && enabled.contains("Петрова Ольга")
            && !enabled.contains("отключена"),
        "{enabled}"
    );
    let listed = succeeded(&pult(&dir, &["staff", "list"]));
    let line = listed
        .lines()
        .find(|line| line.contains("petrova"))
        .unwrap_or_default();
    assert!(!line.contains("отключена"), "{listed}");
    let unknown = pult(&dir, &["staff", "enable", "nobody"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nobody"));
    let help = succeeded(&pult(&dir, &["staff", "enable", "--help"]));
    assert!(help.contains("pult staff enable petrova"), "{help}");
}
