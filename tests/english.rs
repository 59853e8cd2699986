//! The console in English (`--lang en`): the board, the call form and the help read in
//! English. A binary of its own: the language is the whole process's.

mod common;

use ratatui::crossterm::event::KeyCode;

use pult::lang::{self, Lang};

use common::screens::{app, filled_form, key, render};

/// Russian words of the interface that must not show in English (the requests' own data —
/// callers' names, descriptions — stays as it was typed).
const RUSSIAN_CHROME: [&str; 12] = [
    "Входящие",
    "Очереди",
    "Сроки",
    "звонок",
    "направить",
    "справка",
    "выход",
    "Новое обращение",
    "ФИО обратившегося",
    "Тип обращения",
    "Клавиши",
    "предложено",
];

fn english() {
    lang::set(Lang::En);
}

fn assert_no_russian_chrome(screen: &str) {
    for word in RUSSIAN_CHROME {
        assert!(!screen.contains(word), "«{word}» in English:\n{screen}");
    }
}

#[test]
fn the_board_speaks_english() {
    english();
    let screen = render(&app(None), 160, 48);
    insta::assert_snapshot!(screen);
    for word in [
        "Incoming",
        "Queues",
        "Deadlines",
        "call",
        "route",
        "help",
        "quit",
    ] {
        assert!(screen.contains(word), "{word}:\n{screen}");
    }
    assert_no_russian_chrome(&screen);
}

#[test]
fn the_call_form_speaks_english() {
    english();
    let screen = render(&filled_form(), 160, 48);
    insta::assert_snapshot!(screen);
    for word in [
        "New request",
        "Caller's full name",
        "Type of request",
        "Phone to call back",
    ] {
        assert!(screen.contains(word), "{word}:\n{screen}");
    }
    assert_no_russian_chrome(&screen);
}

#[test]
fn the_help_lists_every_key_in_english() {
    english();
    let mut app = app(None);
    key(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 80, 40);
    insta::assert_snapshot!(screen);
    assert!(screen.contains("Keys"), "{screen}");
    assert!(screen.contains("Board"), "{screen}");
    assert_no_russian_chrome(&screen);
}

#[test]
fn the_command_lines_help_follows_the_language_asked_for() {
    let help = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pult"));
        command
            .args(args)
            .env_remove("PULT_LANG")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "C.UTF-8");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("pult runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let russian = help(&["report", "daily", "--help"], &[]);
    assert!(russian.contains("Использование:"), "{russian}");
    assert!(russian.contains("Ежедневный отчёт"), "{russian}");
    for english in [
        help(&["report", "daily", "--help", "--lang", "en"], &[]),
        help(&["--lang=en", "report", "daily", "--help"], &[]),
        help(&["report", "daily", "--help"], &[("LANG", "en_GB.UTF-8")]),
        help(&["report", "daily", "--help"], &[("PULT_LANG", "en")]),
    ] {
        assert!(english.contains("Usage:"), "{english}");
        assert!(english.contains("The daily report"), "{english}");
        assert!(english.contains("Write to a file"), "{english}");
        assert!(!english.contains("Ежедневный"), "{english}");
    }
}

/// `pult [PATH…] --help` in `lang`.
fn help_of(path: &[&str], lang: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pult"))
        .args(path)
        .arg("--help")
        .env("PULT_LANG", lang)
        .env_remove("PULT_DATA")
        .output()
        .expect("run pult");
    assert!(output.status.success(), "pult {path:?} --help failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The commands a help lists under its commands' heading.
fn commands_in(help: &str, heading: &str) -> Vec<String> {
    help.split_once(heading)
        .map(|(_, rest)| rest)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn every_commands_help_is_russian_with_every_option_described_and_examples() {
    let mut paths: Vec<Vec<String>> = vec![Vec::new()];
    let mut seen = Vec::new();
    while let Some(path) = paths.pop() {
        let words: Vec<&str> = path.iter().map(String::as_str).collect();
        let help = help_of(&words, "ru");
        for sub in commands_in(&help, "Команды:") {
            let mut deeper = path.clone();
            deeper.push(sub);
            paths.push(deeper);
        }
        // clap's own English never shows
        for english in [
            "Usage",
            "Options",
            "Commands",
            "Arguments",
            "[OPTIONS]",
            "[COMMAND]",
            "Print",
            "default:",
            "env:",
            "Possible values",
            "possible values",
        ] {
            assert!(
                !help.contains(english),
                "pult {words:?} --help says «{english}»:\n{help}"
            );
        }
        assert!(
            help.contains("Примеры:"),
            "pult {words:?} --help has no examples:\n{help}"
        );
        // every option and argument has its description on its line or the next
        let lines: Vec<&str> = help.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_option =
                trimmed.starts_with("--") || trimmed.starts_with("-h") || trimmed.starts_with('<');
            if !is_option || !line.starts_with("  ") {
                continue;
            }
            let described_here = trimmed
                .split("  ")
                .filter(|part| !part.trim().is_empty())
                .count()
                > 1;
            let described_next = lines.get(at + 1).is_some_and(|next| {
                let next = next.trim_start();
                !next.is_empty() && !next.starts_with('-')
            });
            assert!(
                described_here || described_next,
                "pult {words:?} --help: «{line}» has no description:\n{help}"
            );
        }
        seen.push(words.join(" "));
    }
    for expected in [
        "",
        "report daily",
        "staff enable",
        "callers merge",
        "import",
    ] {
        assert!(
            seen.iter().any(|path| path == expected),
            "{expected} not reached: {seen:?}"
        );
    }
}
