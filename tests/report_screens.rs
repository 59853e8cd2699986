//! The report screens from the reports' fixture (ratatui TestBackend + insta) at 80×24, scrolled,
//! and at 160×48, in the monochrome theme so the snapshots show what reads without colour;
//! a sweep of small sizes and scrolls that must never panic, and the labels of each report's
//! document in all three formats.

#[path = "common/report_fixture.rs"]
mod report_fixture;

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use pult::report::csv::csv;
use pult::report::document::{daily_document, weekly_document, Document};
use pult::report::markdown::markdown;
use pult::tui::theme::Theme;
use pult::tui::view::report::{draw_daily, draw_document, draw_weekly};
use report_fixture::{moscow, policy, wednesday, week_46};

fn daily_screen(width: u16, height: u16, scroll: u16) -> String {
    let report = wednesday();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| {
            let area = frame.area();
            draw_daily(
                frame,
                area,
                &report,
                &policy(),
                &Theme::monochrome(),
                scroll,
            );
        })
        .expect("draw");
    terminal.backend().to_string()
}

fn weekly_screen(width: u16, height: u16, scroll: u16) -> String {
    let report = week_46();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| {
            let area = frame.area();
            draw_weekly(
                frame,
                area,
                &report,
                &policy(),
                &Theme::monochrome(),
                scroll,
            );
        })
        .expect("draw");
    terminal.backend().to_string()
}

#[test]
fn daily_80x24() {
    insta::assert_snapshot!(daily_screen(80, 24, 0));
}

#[test]
fn daily_80x24_scrolled_to_the_overdue() {
    insta::assert_snapshot!(daily_screen(80, 24, 16));
}

#[test]
fn daily_160x48() {
    insta::assert_snapshot!(daily_screen(160, 48, 0));
}

#[test]
fn weekly_80x24() {
    insta::assert_snapshot!(weekly_screen(80, 24, 0));
}

#[test]
fn weekly_80x24_scrolled_to_the_charts() {
    insta::assert_snapshot!(weekly_screen(80, 24, 28));
}

#[test]
fn weekly_160x48() {
    insta::assert_snapshot!(weekly_screen(160, 48, 0));
}

#[test]
fn scrolling_past_the_end_stops_at_the_last_page() {
    assert_eq!(weekly_screen(80, 24, 500), weekly_screen(80, 24, u16::MAX));
    assert_eq!(daily_screen(160, 48, 40), daily_screen(160, 48, 0));
}

#[test]
fn report_screens_survive_every_small_size_and_scroll() {
    let (day, week) = (wednesday(), week_46());
    let (policy, theme) = (policy(), Theme::colored());
    for width in (0..=100).step_by(3) {
        for height in (0..=30).step_by(2) {
            for scroll in [0, 7, 1000] {
                let mut terminal =
                    Terminal::new(TestBackend::new(width, height)).expect("terminal");
                terminal
                    .draw(|frame| {
                        let area = frame.area();
                        draw_daily(frame, area, &day, &policy, &theme, scroll);
                    })
                    .expect("draw daily");
                terminal
                    .draw(|frame| {
                        let area = frame.area();
                        draw_weekly(frame, area, &week, &policy, &theme, scroll);
                    })
                    .expect("draw weekly");
            }
        }
    }
}

/// The whole page on a screen wide and tall enough that nothing is cut or wrapped, as text.
fn screen_text(document: &Document) -> String {
    let mut terminal = Terminal::new(TestBackend::new(240, 400)).expect("terminal");
    terminal
        .draw(|frame| {
            let area = frame.area();
            draw_document(frame, area, document, &Theme::monochrome(), 0);
        })
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn markdown_csv_and_the_screen_show_every_label_of_the_document() {
    let offset = moscow();
    let documents = [
        daily_document(&wednesday(), &policy(), offset),
        weekly_document(&week_46(), &policy(), offset),
    ];
    for document in &documents {
        let drawn = [
            ("Markdown", markdown(document)),
            ("CSV", csv(document)),
            ("the screen", screen_text(document)),
        ];
        assert!(document.labels().len() > 10, "{}", document.title);
        for label in document.labels() {
            for (format, text) in &drawn {
                assert!(
                    text.contains(label),
                    "«{label}» of «{}» is missing from {format}:\n{text}",
                    document.title
                );
            }
        }
        for (format, text) in &drawn {
            assert!(text.contains(&document.title), "the title in {format}");
        }
    }
}
