//! The exports: Markdown and CSV of both reports, the director's free of personal data and
//! neither holding a word of a psych request.

use pult::domain::request::Category;
use pult::report::csv::{daily_csv, weekly_csv};
use pult::report::markdown::{daily_markdown, weekly_markdown};
use pult::report::{DailyReport, WeeklyReport};

use super::report_fixture::{moscow, policy, proposals, requests, wednesday, week_46};

#[test]
fn the_directors_report_holds_no_personal_data() {
    let report = week_46();
    let files = [
        weekly_markdown(&report, &policy(), moscow()),
        weekly_csv(&report, &policy(), moscow()),
        serde_json::to_string(&report).expect("json"),
    ];
    for request in requests() {
        let caller = &request.caller;
        let mut personal: Vec<String> = vec![caller.name.clone(), request.description.clone()];
        personal.extend(caller.name.split_whitespace().map(str::to_string));
        personal.extend(
            request
                .description
                .split(['.', ',', '!', '?', ':'])
                .map(str::trim)
                .filter(|part| part.chars().count() >= 12)
                .map(str::to_string),
        );
        if let Some(phone) = &caller.phone {
            let digits = phone.e164().trim_start_matches("+7").to_string();
            personal.extend([phone.e164().to_string(), phone.display(), digits]);
        }
        if let Some(email) = &caller.email {
            personal.push(email.as_str().to_string());
            personal.push(email.as_str().to_lowercase());
        }
        personal.extend(request.assignee.clone());
        personal.push(request.logged_by.clone());
        for file in &files {
            for item in &personal {
                assert!(
                    !file.contains(item.as_str()),
                    "№{}: «{item}» is in the director's report:\n{file}",
                    request.id.0
                );
            }
        }
    }
    // teachers named mid-sentence in descriptions: Гусева (203, 211, 222), Марина Петровна (209)
    for file in &files {
        let file = file.to_lowercase();
        for name in ["гусева", "марина", "петровна"] {
            assert!(!file.contains(name), "{name} is in the director's report");
        }
    }
}

#[test]
fn no_psych_description_word_appears_in_either_report() {
    let weekly = week_46();
    let daily = wednesday();
    let files = [
        daily_markdown(&daily, &policy(), moscow()),
        daily_csv(&daily, &policy(), moscow()),
        weekly_markdown(&weekly, &policy(), moscow()),
        weekly_csv(&weekly, &policy(), moscow()),
    ];
    let psych: Vec<String> = requests()
        .into_iter()
        .filter(|r| r.category == Category::Psych)
        .flat_map(|r| {
            r.description
                .split(|c: char| !c.is_alphabetic() && c != '-')
                .filter(|w| w.chars().count() >= 4)
                .map(|w| w.to_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(psych.contains(&"тревожность".to_string()));
    for file in &files {
        let file = file.to_lowercase();
        for word in &psych {
            let plain = word.replace('ё', "е");
            assert!(
                !file.contains(word.as_str()) && !file.contains(&plain),
                "the psych word «{word}» is in a report"
            );
        }
    }
}

#[test]
fn csv_opens_in_a_russian_excel() {
    let weekly = weekly_csv(&week_46(), &policy(), moscow());
    let daily = daily_csv(&wednesday(), &policy(), moscow());
    for file in [&weekly, &daily] {
        assert!(file.starts_with('\u{feff}'), "UTF-8 BOM first");
        assert!(file.contains("UTC+03:00"));
        assert!(file.contains("Сформирован;16.11.2026 10:00\r\n"));
    }
    // the proposals hold a `;` and a line break: one quoted field
    assert!(weekly.contains(
        "\"Провести для родителей инструктаж по входу в электронный дневник; проверить \
         видеосвязь в кабинетах.\nДоговориться с поставщиком о сроках ответа.\"\r\n"
    ));
    assert!(daily.contains("распределено в течение 30 мин;4;6;66,7;0:10;9:30\r\n"));
    assert!(daily.contains("№195;Руководитель Службы;belova;закрыть;214:00\r\n"));
    assert!(weekly.contains("Поступило обращений;27;5;↑ +22\r\n"));
    assert!(weekly.contains("Медиана, ч:мм: распределение;0:10;0:10;без изменений\r\n"));
    // nothing of ours looks like a formula, so nothing needed defusing
    assert!(!weekly.contains(";'") && !daily.contains(";'"));
    assert!(weekly.contains("Доля, %: закрыто в течение 24 ч;60,0;80,0;↓ −20,0 п.п.\r\n"));
}

#[test]
fn markdown_reads_as_plain_text() {
    let daily = daily_markdown(&wednesday(), &policy(), moscow());
    insta::assert_snapshot!("daily_markdown", daily);
    let weekly = weekly_markdown(&week_46(), &policy(), moscow());
    insta::assert_snapshot!("weekly_markdown", weekly);
    assert!(weekly.contains(&proposals()));
}

#[test]
fn reports_survive_a_json_round_trip() {
    let weekly = week_46();
    let text = serde_json::to_string(&weekly).expect("json");
    assert_eq!(
        serde_json::from_str::<WeeklyReport>(&text).expect("back"),
        weekly
    );
    let daily = wednesday();
    let text = serde_json::to_string(&daily).expect("json");
    assert_eq!(
        serde_json::from_str::<DailyReport>(&text).expect("back"),
        daily
    );
}

#[test]
fn nothing_typed_becomes_a_formula_in_excel() {
    // the head's proposals as an attacker would write them (OWASP's CSV injection example)
    let attack = "-2+3+cmd|' /C calc'!A0";
    let mut report = week_46();
    report.proposals = Some(attack.to_string());
    // and queue names in the school's policy.toml
    let mut policy = policy();
    for (queue, start) in policy.queues.iter_mut().zip(["=", "+", "-", "@"]) {
        queue.name = format!("{start}HYPERLINK(\"http://example.com\")");
    }
    let weekly = weekly_csv(&report, &policy, moscow());
    let daily = daily_csv(&wednesday(), &policy, moscow());
    assert!(
        weekly.contains(&format!("\r\n'{attack}\r\n")),
        "the proposals are not defused:\n{weekly}"
    );
    assert!(daily.contains("\"'=HYPERLINK(\"\"http://example.com\"\")\""));
    for file in [&weekly, &daily] {
        for record in file.split("\r\n") {
            for cell in record.split(';') {
                let cell = cell.trim_start_matches('"');
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "a cell Excel reads as a formula: {cell:?}"
                );
            }
        }
    }
}
