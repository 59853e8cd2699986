//! The reports in English (a binary of its own: the language is the whole process's): the
//! daily report and the weekly analysis from the reports' fixture as Markdown, CSV and the
//! console's report window, and no Russian left in their labels.
//!
//! The fixture's data is Russian, as a school's is: callers, descriptions, the senders, the
//! head's proposals. Each check takes out the data the report may show and asserts that
//! nothing Cyrillic is left. The fixture's policy is the shipped one, whose queue and type
//! names the catalogue gives in English (a school's own names would show as written).

#[path = "common/report_fixture.rs"]
mod report_fixture;

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use pult::lang::{self, Lang};
use pult::report::csv::{daily_csv, weekly_csv};
use pult::report::document::{daily_document, weekly_document, Document};
use pult::report::markdown::{daily_markdown, weekly_markdown};
use pult::report::{weekly, DailyReport, WeeklyReport};
use pult::tui::theme::Theme;
use pult::tui::view::report::{draw_daily, draw_document, draw_weekly};
use report_fixture::{moscow, now, policy, requests};

/// Every test starts here: English for the whole process, whichever test runs first.
fn english() {
    lang::set(Lang::En);
}

/// The fixture's Wednesday, made in English.
fn wednesday() -> DailyReport {
    english();
    report_fixture::wednesday()
}

/// The fixture's week 46, made in English.
fn week_46() -> WeeklyReport {
    english();
    report_fixture::week_46()
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04ff}').contains(&c)
}

/// What the daily report may show of the data in Russian: the senders' names and posts as the
/// head wrote them (queues and assignees' logins read in English or Latin letters).
fn daily_data(report: &DailyReport) -> Vec<String> {
    report.senders.clone()
}

/// What the weekly analysis may show in Russian. It has no personal data: only the words
/// that recur in the callers' descriptions (their own words) and the head's proposals,
/// written in the head's language.
fn weekly_data(report: &WeeklyReport) -> Vec<String> {
    let mut data: Vec<String> = report
        .recurring_words
        .iter()
        .map(|word| word.key.clone())
        .collect();
    let proposals = report.proposals.clone().unwrap_or_default();
    data.extend(proposals.lines().map(str::to_string));
    data
}

/// The lines of `text` that hold a Cyrillic letter once every piece of `data` is taken out
/// (the longest first, so a short piece inside a longer one does not leave the rest behind).
fn russian_lines(text: &str, data: &[String]) -> Vec<String> {
    let mut data: Vec<&String> = data.iter().filter(|d| !d.is_empty()).collect();
    data.sort_by_key(|d| std::cmp::Reverse(d.chars().count()));
    let mut left = text.to_string();
    for piece in data {
        left = left.replace(piece.as_str(), "");
    }
    left.lines()
        .filter(|line| line.chars().any(is_cyrillic))
        .map(str::to_string)
        .collect()
}

fn assert_english(what: &str, text: &str, data: &[String]) {
    let russian = russian_lines(text, data);
    assert!(
        russian.is_empty(),
        "Russian left in {what}:\n{}\n\n{text}",
        russian.join("\n")
    );
}

fn screen(width: u16, height: u16, draw: impl Fn(&mut ratatui::Frame)) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|frame| draw(frame)).expect("draw");
    terminal.backend().to_string()
}

fn daily_screen(width: u16, height: u16) -> String {
    let (report, policy) = (wednesday(), policy());
    screen(width, height, |frame| {
        let area = frame.area();
        draw_daily(frame, area, &report, &policy, &Theme::monochrome(), 0);
    })
}

fn weekly_screen(width: u16, height: u16, scroll: u16) -> String {
    let (report, policy) = (week_46(), policy());
    screen(width, height, |frame| {
        let area = frame.area();
        draw_weekly(frame, area, &report, &policy, &Theme::monochrome(), scroll);
    })
}

/// The whole document on a screen so large nothing is cut, wrapped or shortened.
fn whole_screen(document: &Document) -> String {
    screen(240, 400, |frame| {
        let area = frame.area();
        draw_document(frame, area, document, &Theme::monochrome(), 0);
    })
}

/// CSV with its records one a line, for a snapshot that reads: CRLF and the BOM checked here.
fn csv_lines(csv: &str) -> String {
    let body = csv.strip_prefix('\u{feff}').expect("a BOM for Excel");
    assert!(body.ends_with("\r\n"), "CRLF after each record");
    body.replace("\r\n", "\n")
}

#[test]
fn daily_markdown_in_english() {
    let markdown = daily_markdown(&wednesday(), &policy(), moscow());
    insta::assert_snapshot!("daily_markdown", markdown);
}

#[test]
fn weekly_markdown_in_english() {
    let markdown = weekly_markdown(&week_46(), &policy(), moscow());
    insta::assert_snapshot!("weekly_markdown", markdown);
}

#[test]
fn daily_csv_in_english() {
    let csv = daily_csv(&wednesday(), &policy(), moscow());
    insta::assert_snapshot!("daily_csv", csv_lines(&csv));
}

#[test]
fn weekly_csv_in_english() {
    let csv = weekly_csv(&week_46(), &policy(), moscow());
    insta::assert_snapshot!("weekly_csv", csv_lines(&csv));
}

#[test]
fn daily_screen_80x24() {
    insta::assert_snapshot!("daily_screen_80x24", daily_screen(80, 24));
}

#[test]
fn daily_screen_160x48() {
    insta::assert_snapshot!("daily_screen_160x48", daily_screen(160, 48));
}

#[test]
fn weekly_screen_80x24_scrolled_to_the_charts() {
    insta::assert_snapshot!(
        "weekly_screen_80x24_scrolled_to_the_charts",
        weekly_screen(80, 24, 28)
    );
}

#[test]
fn weekly_screen_160x48() {
    insta::assert_snapshot!("weekly_screen_160x48", weekly_screen(160, 48, 0));
}

#[test]
fn english_csv_opens_in_an_english_excel() {
    let daily = daily_csv(&wednesday(), &policy(), moscow());
    let weekly = weekly_csv(&week_46(), &policy(), moscow());
    assert!(daily.contains("Generated,16 Nov 2026 10:00\r\n"), "{daily}");
    assert!(
        daily.contains("Routed within 30 min,4,6,66.7,0:10,9:30\r\n"),
        "{daily}"
    );
    assert!(
        weekly.contains("\"Closed within 24 h, %\",60.0,80.0,↓ −20.0 pp\r\n"),
        "{weekly}"
    );
    assert!(
        weekly.contains("\"Median time to route, h:mm\",0:10,0:10,no change\r\n"),
        "{weekly}"
    );
}

#[test]
fn the_daily_report_has_no_russian_but_its_data() {
    let report = wednesday();
    let data = daily_data(&report);
    let document = daily_document(&report, &policy(), moscow());
    assert_english("the labels", &document.labels().join("\n"), &[]);
    assert_english("the title", &document.title, &[]);
    assert_english(
        "Markdown",
        &daily_markdown(&report, &policy(), moscow()),
        &data,
    );
    assert_english("CSV", &daily_csv(&report, &policy(), moscow()), &data);
    assert_english("the screen", &whole_screen(&document), &data);
}

#[test]
fn the_weekly_analysis_has_no_russian_but_recurring_words_and_proposals() {
    let report = week_46();
    let data = weekly_data(&report);
    assert!(!report.recurring_words.is_empty(), "the fixture has some");
    let document = weekly_document(&report, &policy(), moscow());
    assert_english("the labels", &document.labels().join("\n"), &[]);
    assert_english("the title", &document.title, &[]);
    assert_english(
        "Markdown",
        &weekly_markdown(&report, &policy(), moscow()),
        &data,
    );
    assert_english("CSV", &weekly_csv(&report, &policy(), moscow()), &data);
    assert_english("the screen", &whole_screen(&document), &data);
}

#[test]
fn a_week_that_does_not_exist_is_refused_in_english() {
    english();
    let refused = weekly(&requests(), 2026, 60, moscow(), now(), &policy(), None);
    let error = refused.expect_err("2026 has 53 weeks at most").to_string();
    assert!(error.contains("2026 has no week 60"), "{error}");
}
