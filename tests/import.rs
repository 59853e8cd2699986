//! `pult import`, with the built binary against a real server on a temp directory: a journal
//! from a spreadsheet (UTF-8 or Windows-1251, `;` or `,`), another pult's `list --json`, bad
//! rows named by their lines, a second import that makes no copies, hostile files, and a
//! person who may not log calls.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::calls::{log_call_through, now_ms};
use common::people::me;
use common::service::{connect, open_as_me, serve, set_my_roles};
use common::PULT_BUILT;
use pult::domain::call_form::CallDraft;
use pult::domain::request::{CallerRole, Category};
use pult::domain::staff::Role;
use pult::domain::time::Timestamp;
use pult::net::server::ServerHandle;
use serde_json::Value;

/// `pult --data DIR ARGS` in Russian and in UTC, with `stdin` as its input.
fn pult(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(PULT_BUILT)
        .env("PULT_LANG", "ru")
        .env("LANG", "C.UTF-8")
        .env("TZ", "UTC")
        .env_remove("PULT_DATA")
        .arg("--data")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pult");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    // written from a thread of its own: pult may answer before it has read everything
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let output = child.wait_with_output().expect("pult ends");
    let _ = writer.join();
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A store whose first user (and so admin, operator and head) is the OS user running the
/// test, and its server; the directory lives as long as the guard.
struct Store {
    _root: tempfile::TempDir,
    dir: PathBuf,
    server: Option<ServerHandle>,
}

impl Store {
    fn new(roles: Option<&[Role]>) -> Store {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).expect("data dir");
        {
            let service = open_as_me(&dir);
            if let Some(roles) = roles {
                set_my_roles(&service, roles);
            }
        }
        let server = Some(serve(&dir));
        Store {
            _root: root,
            dir,
            server,
        }
    }

    fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        pult(&self.dir, args, stdin)
    }

    /// `pult import FILE` of `bytes` written to a file in the store's temp directory.
    fn import_file(&self, name: &str, bytes: &[u8]) -> Output {
        let path = self.dir.parent().expect("root").join(name);
        std::fs::write(&path, bytes).expect("write the file");
        self.run(&["import", path.to_str().expect("UTF-8 path")], b"")
    }

    /// Every request, as `pult list --json` prints it.
    fn requests(&self) -> Vec<Value> {
        let output = self.run(&["list", "--json"], b"");
        assert!(output.status.success(), "{}", text(&output.stderr));
        match serde_json::from_slice(&output.stdout).expect("JSON") {
            Value::Array(requests) => requests,
            other => panic!("not an array: {other}"),
        }
    }

    /// Stops the server and counts the requests in the store itself.
    fn stored(mut self) -> usize {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        let service = open_as_me(&self.dir);
        let count = service.records().all_requests(None).count();
        count
    }
}

#[track_caller]
fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "pult failed: {}\n{}",
        text(&output.stderr),
        text(&output.stdout)
    );
    text(&output.stdout)
}

#[track_caller]
fn refused_rows(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "pult succeeded: {}",
        text(&output.stdout)
    );
    text(&output.stdout)
}

/// The characters no text pult prints may hold.
#[track_caller]
fn assert_clean(what: &str, printed: &str) {
    let raw: Vec<char> = printed
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(
        raw.is_empty(),
        "{what} printed raw {raw:?}:\n{}",
        printed.escape_debug()
    );
}

/// What a request is, as both stores must agree on it.
fn essence(request: &Value) -> Value {
    serde_json::json!({
        "received_at": request["received_at"],
        "channel": request["channel"],
        "caller": request["caller"],
        "category": request["category"],
        "description": request["description"],
    })
}

fn at_seconds(seconds_ago: i64) -> Option<Timestamp> {
    // whole seconds: `list --json` writes received times to the second
    Some(Timestamp((now_ms() / 1000 - seconds_ago) * 1000))
}

/// Four calls as the form logs them: a parent with a class, a teacher with an email only, a
/// pupil about a lesson, a confidential call for the psychologist.
fn log_four_calls(store: &Store) {
    let mut client = connect(&store.dir);
    let calls = [
        CallDraft {
            answered_at: at_seconds(7_200),
            name: "Петрова Анна Ивановна".into(),
            role: Some(CallerRole::Parent),
            class: "5А".into(),
            category: Some(Category::Ejournal),
            description: "Не открывается дневник;\nпишет «ошибка входа», \"срочно\"".into(),
            phone: "8 912 345-67-89".into(),
            email: String::new(),
            caller_card: None,
            acknowledge: false,
        },
        CallDraft {
            answered_at: at_seconds(3_600),
            name: "Сидоров Пётр Олегович".into(),
            role: Some(CallerRole::Teacher),
            class: String::new(),
            category: Some(Category::Technical),
            description: "Не работает видеосвязь на уроке".into(),
            phone: String::new(),
            email: "sidorov@school.ru".into(),
            caller_card: None,
            acknowledge: false,
        },
        CallDraft {
            answered_at: at_seconds(600),
            name: "Орлова Мария".into(),
            role: Some(CallerRole::Student),
            class: "11Б".into(),
            category: Some(Category::LessonQuality),
            description: "Урок прервался на середине".into(),
            phone: "+7 (495) 123-45-67".into(),
            email: "orlova@mail.ru".into(),
            caller_card: None,
            acknowledge: false,
        },
        CallDraft {
            answered_at: at_seconds(60),
            name: "Кузнецова Ольга".into(),
            role: Some(CallerRole::Parent),
            class: "3В".into(),
            category: Some(Category::Psych),
            description: "Ребёнок тревожится перед уроками".into(),
            phone: "89123456780".into(),
            email: String::new(),
            caller_card: None,
            acknowledge: false,
        },
    ];
    for draft in calls {
        log_call_through(&mut client, draft);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON: another pult's list

#[test]
fn list_json_piped_into_an_empty_store_round_trips_its_calls() {
    let old = Store::new(None);
    log_four_calls(&old);
    let listed = succeeded(&old.run(&["list", "--json"], b""));
    let before = old.requests();

    let new = Store::new(None);
    let output = new.run(&["import", "-"], listed.as_bytes());
    let printed = succeeded(&output);
    assert!(
        printed.contains("Импортировано: 4, уже были: 0, не принято: 0"),
        "{printed}"
    );
    let after = new.requests();
    assert_eq!(after.len(), 4);
    let essences = |requests: &[Value]| requests.iter().map(essence).collect::<Vec<_>>();
    assert_eq!(essences(&after), essences(&before));
    for request in &after {
        assert_eq!(request["status"], "new", "an import logs calls: {request}");
        assert_eq!(request["logged_by"], me().login.as_str());
    }
}

#[test]
fn json_lines_round_trip_and_a_second_import_makes_no_copies() {
    let old = Store::new(None);
    log_four_calls(&old);
    let lines: String = old
        .requests()
        .iter()
        .map(|request| format!("{request}\n"))
        .collect();

    let new = Store::new(None);
    let first = succeeded(&new.run(&["import", "-"], lines.as_bytes()));
    assert!(first.contains("Импортировано: 4"), "{first}");
    let second = succeeded(&new.run(&["import", "-"], lines.as_bytes()));
    assert!(
        second.contains("Импортировано: 0, уже были: 4, не принято: 0"),
        "{second}"
    );
    let essences = |requests: Vec<Value>| requests.iter().map(essence).collect::<Vec<_>>();
    assert_eq!(essences(new.requests()), essences(old.requests()));
    assert_eq!(new.stored(), 4, "the second import stored nothing");
}

// ---------------------------------------------------------------------------------------------
// CSV: a school's journal

/// A journal as Russian Excel saves it: Appendix 2's headings, `;`, a description with the
/// delimiter, quotes and a line break inside, a column pult does not know, an empty last row.
const JOURNAL_RU: &str = "№;Дата и время обращения;ФИО обратившегося;Роль обратившегося;Класс;\
Тип обращения;Описание проблемы;Телефон для обратной связи;Адрес электронной почты;Примечание\r\n\
1;18.11.2025 09:05;Петрова Анна Ивановна;родитель;5А;Проблема с ЭЖД;\"Не открывается дневник; \
пишет \"\"ошибка\"\",\r\nвторой день\";8 912 345-67-89;;перезвонить\r\n\
2;18.11.2025 10:40;Сидоров Пётр Олегович;Учитель;;проблемы технического характера;\
Не работает видеосвязь;;sidorov@school.ru;\r\n\
3;19.11.2025 14:00:30;Орлова Мария;ученик;11 б;вопрос по качеству дистанционного урока;\
Урок прервался;+7 (495) 123-45-67;orlova@mail.ru;\r\n\
;;;;;;;;;\r\n";

#[test]
fn a_utf8_journal_with_semicolons_is_imported_row_by_row() {
    let store = Store::new(None);
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(JOURNAL_RU.as_bytes());
    let printed = succeeded(&store.import_file("журнал.csv", &bytes));
    assert!(
        printed.contains("Импортировано: 3, уже были: 0, не принято: 0"),
        "{printed}"
    );
    let requests = store.requests();
    assert_eq!(requests.len(), 3);
    let first = &requests[0];
    assert_eq!(first["received_at"], "2025-11-18T09:05:00Z");
    assert_eq!(first["caller"]["name"], "Петрова Анна Ивановна");
    assert_eq!(first["caller"]["role"], "parent");
    assert_eq!(first["caller"]["class"], "5А");
    assert_eq!(first["caller"]["phone"], "+79123456789");
    assert_eq!(first["category"], "ejournal");
    assert_eq!(
        first["description"],
        "Не открывается дневник; пишет \"ошибка\",\nвторой день"
    );
    assert_eq!(requests[1]["caller"]["email"], "sidorov@school.ru");
    assert_eq!(requests[1]["caller"]["class"], Value::Null);
    assert_eq!(requests[2]["received_at"], "2025-11-19T14:00:30Z");
    assert_eq!(requests[2]["caller"]["class"], "11Б");
    assert_eq!(requests[2]["category"], "lesson_quality");
}

#[test]
fn a_windows_1251_journal_with_commas_and_one_contact_column_is_imported() {
    let store = Store::new(None);
    let journal = "Дата,Время,ФИО,Роль,Класс,Тип обращения,Описание,Телефон/e-mail\r\n\
        18.11.2025,09:05,Петрова Анна Ивановна,родитель,5А,ЭЖД,\"Не открывается дневник, совсем\",\
        \"8 912 345-67-89, petrova@mail.ru\"\r\n\
        18.11.2025,11:15,Ёлкин Семён,учитель,,иные вопросы,Где расписание?,elkin@school.ru\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(journal);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let printed = succeeded(&store.import_file("journal-1251.csv", &bytes));
    assert!(printed.contains("Импортировано: 2"), "{printed}");
    let requests = store.requests();
    assert_eq!(requests[0]["received_at"], "2025-11-18T09:05:00Z");
    assert_eq!(requests[0]["caller"]["name"], "Петрова Анна Ивановна");
    assert_eq!(requests[0]["caller"]["phone"], "+79123456789");
    assert_eq!(requests[0]["caller"]["email"], "petrova@mail.ru");
    assert_eq!(requests[0]["description"], "Не открывается дневник, совсем");
    assert_eq!(requests[1]["caller"]["name"], "Ёлкин Семён");
    assert_eq!(requests[1]["category"], "other");
}

#[test]
fn english_headings_are_read_too() {
    let store = Store::new(None);
    let journal = "Received,Caller's full name,Caller is a,Class,Type of request,\
        Description of the problem,Phone to call back,Email address\n\
        2025-11-18 09:05,Anna Petrova,parent,5А,e-journal problem,Diary does not open,\
        8 912 345-67-89,\n";
    let printed = succeeded(&store.import_file("journal-en.csv", journal.as_bytes()));
    assert!(printed.contains("Импортировано: 1"), "{printed}");
    let request = &store.requests()[0];
    assert_eq!(request["caller"]["name"], "Anna Petrova");
    assert_eq!(request["category"], "ejournal");
}

#[test]
fn bad_rows_are_named_by_their_lines_and_the_others_are_imported() {
    let store = Store::new(None);
    let journal = "Дата и время;ФИО;Роль;Класс;Тип обращения;Описание;Телефон;Почта\n\
        18.11.2025 09:05;Петрова Анна;родитель;5А;ЭЖД;\"Дневник\nне открывается\";89123456789;\n\
        18.11.2025 09:10;;родитель;5А;ЭЖД;Нет имени;89123456789;\n\
        18.11.2099 09:15;Будущев Иван;учитель;;ЭЖД;Из будущего;89123456789;\n\
        18.11.2025 09:20;Сидоров Пётр;учитель;;ЭЖД;Телефон не тот;12-34-мусор;\n\
        18.11.2025 09:25;Орлова Мария;бабушка;5А;ЭЖД;Роль не та;89123456789;\n\
        вчера;Кузнецова Ольга;родитель;5А;ЭЖД;Время не то;89123456789;\n\
        18.11.2025 09:35;Смирнова Ирина;учитель;;техн.;Всё верно;;smirnova@school.ru\n";
    let output = store.import_file("с-ошибками.csv", journal.as_bytes());
    let printed = refused_rows(&output);
    for expected in [
        "строка 4: ФИО обратившегося — обязательное поле",
        "строка 5: время поступления 2099-11-18T09:15:00Z ещё не наступило",
        "строка 6: Телефон для обратной связи — в номере только цифры",
        "строка 7: «бабушка» — не роль обратившегося",
        "строка 8: «вчера» — не дата и время поступления",
        "Импортировано: 2, уже были: 0, не принято: 5",
    ] {
        assert!(printed.contains(expected), "no «{expected}» in:\n{printed}");
    }
    assert!(
        text(&output.stderr).contains("строк не принято: 5"),
        "{}",
        text(&output.stderr)
    );
    let names: Vec<String> = store
        .requests()
        .iter()
        .map(|request| request["caller"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["Петрова Анна", "Смирнова Ирина"]);
    assert_eq!(store.stored(), 2, "a refused row writes nothing");
}

#[test]
fn importing_the_same_journal_twice_creates_nothing_new() {
    let store = Store::new(None);
    // the same call twice in the file too (copied by hand): one request
    let journal = format!(
        "{JOURNAL_RU}5;18.11.2025 09:05;Петрова  Анна Ивановна ;родитель;5А;ЭЖД;\
         \"Не открывается дневник; пишет \"\"ошибка\"\",\nвторой день\";+79123456789;;\r\n"
    );
    let first = succeeded(&store.import_file("журнал.csv", journal.as_bytes()));
    assert!(
        first.contains("Импортировано: 3, уже были: 1, не принято: 0"),
        "{first}"
    );
    let again = succeeded(&store.import_file("журнал.csv", journal.as_bytes()));
    assert!(
        again.contains("Импортировано: 0, уже были: 4, не принято: 0"),
        "{again}"
    );
    let json = succeeded(
        &store.run(
            &[
                "import",
                "--json",
                store
                    .dir
                    .parent()
                    .unwrap()
                    .join("журнал.csv")
                    .to_str()
                    .unwrap(),
            ],
            b"",
        ),
    );
    let summary: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(summary["imported"], 0);
    assert_eq!(summary["already_there"], 4);
    assert_eq!(summary["rows"][0]["line"], 2);
    assert_eq!(summary["rows"][0]["result"], "already_there");
    // lines counted across the CR LFs and the line break inside the first record
    assert_eq!(summary["rows"][3]["line"], 7);
    assert_eq!(store.stored(), 3);
}

// ---------------------------------------------------------------------------------------------
// Hostile files

#[test]
fn a_huge_line_binary_garbage_formulas_and_escapes_never_break_the_output() {
    let store = Store::new(None);
    let row = |name: &str, role: &str, description: &str| {
        serde_json::json!({
            "received_at": "2025-11-18T09:05:00Z",
            "caller": {"name": name, "role": role, "class": "5А", "phone": "+79123456789"},
            "category": "ejournal",
            "description": description,
        })
        .to_string()
    };
    let lines = [
        row(
            "=HYPERLINK(\"http://evil.example\",\"Петрова\")",
            "parent",
            "Формула в имени",
        ),
        row(
            "Сидорова Анна",
            "parent",
            "\u{1b}[2JЭкран\u{1b}]0;заголовок\u{7} очищен\u{202e}",
        ),
        row("Орлова Мария", "parent", &"а".repeat(50 * 1024 * 1024 / 2)),
        row("Кузнецова Ольга", "\u{1b}[2Jбабушка\u{9b}2J", "Роль не та"),
        row(
            "Петрова Анна",
            "parent",
            "=HYPERLINK(\"http://evil.example\",\"Петрова\")",
        ),
    ]
    .join("\n");
    let output = store.import_file("hostile.jsonl", lines.as_bytes());
    let printed = refused_rows(&output);
    assert_clean("pult import (stdout)", &printed);
    assert_clean("pult import (stderr)", &text(&output.stderr));
    assert!(
        printed.contains("строка 3: запись слишком длинная"),
        "{printed}"
    );
    assert!(
        printed.contains("строка 4: «бабушка2J» — не роль"),
        "{printed}"
    );
    // a formula is no one's name; in a description it is kept as the text it is
    assert!(
        printed.contains("строка 1: ФИО обратившегося — это не похоже на ФИО"),
        "{printed}"
    );
    assert!(printed.contains("Импортировано: 2"), "{printed}");
    let requests = store.requests();
    let descriptions: Vec<&str> = requests
        .iter()
        .filter_map(|request| request["description"].as_str())
        .collect();
    assert!(descriptions.contains(&"=HYPERLINK(\"http://evil.example\",\"Петрова\")"));
    let cleaned = requests
        .iter()
        .find(|request| request["caller"]["name"] == "Сидорова Анна")
        .expect("imported");
    let description = cleaned["description"].as_str().unwrap_or_default();
    assert!(
        !description.contains('\u{1b}') && description.contains("Экран"),
        "{description:?}"
    );
    let shown = store.run(&["list"], b"");
    assert_clean("pult list", &text(&shown.stdout));

    // not a text at all
    let garbage: Vec<u8> = (0..100_000u32)
        .map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let output = store.import_file("garbage.bin", &garbage);
    assert!(!output.status.success());
    let said = text(&output.stderr);
    assert_clean("pult import garbage (stderr)", &said);
    assert!(said.contains("двоичные данные"), "{said}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));

    // a CSV whose heading is not a journal's
    let output = store.import_file("other.csv", "a;b;c\n1;2;3\n".as_bytes());
    assert!(!output.status.success());
    let said = text(&output.stderr);
    assert!(
        said.contains("нет столбцов") && said.contains("«ФИО обратившегося»"),
        "{said}"
    );
    assert_eq!(store.stored(), 2);
}

#[test]
fn an_empty_file_and_a_missing_file_are_named() {
    let store = Store::new(None);
    let output = store.import_file("empty.csv", b"  \n");
    assert!(
        text(&output.stderr).contains("файл пуст"),
        "{}",
        text(&output.stderr)
    );
    let output = store.run(&["import", "/nonexistent/журнал.csv"], b"");
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("/nonexistent/журнал.csv"),
        "{}",
        text(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Who may

#[test]
fn a_specialist_who_may_not_log_calls_imports_nothing() {
    let store = Store::new(Some(&[Role::Tech]));
    let output = store.import_file("журнал.csv", JOURNAL_RU.as_bytes());
    assert!(!output.status.success(), "{}", text(&output.stdout));
    let said = text(&output.stderr);
    assert!(
        said.contains("регистрировать и направлять обращения может"),
        "{said}"
    );
    assert_eq!(store.stored(), 0);
}

#[test]
fn a_journal_larger_than_one_message_is_sent_in_several() {
    let store = Store::new(None);
    let rows = 2_000;
    let mut journal = String::from("Дата и время;ФИО;Роль;Класс;Тип обращения;Описание;Телефон\n");
    for n in 0..rows {
        // about 1 KiB a row: some 2 MiB in all, several times the largest message a client
        // may send
        journal.push_str(&format!(
            "{:02}.10.2025 {:02}:{:02};Петрова Анна {};родитель;5А;ЭЖД;{} {n};89123456789\n",
            1 + n / 1440,
            n / 60 % 24,
            n % 60,
            common::calls::surname(n as u64),
            "Не открывается дневник.".repeat(20)
        ));
    }
    assert!(journal.len() > 4 * pult::net::protocol::MAX_CLIENT_FRAME);
    let printed = succeeded(&store.import_file("большой.csv", journal.as_bytes()));
    assert!(
        printed.contains(&format!("Импортировано: {rows}, уже были: 0")),
        "{printed}"
    );
    assert_eq!(store.stored(), rows);
}
