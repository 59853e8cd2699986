//! The reports window around the report screens: waiting, refusals, the proposals editor
//! and the keys of the window.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::common::{centered, footer, hint_as, hints, pair_as};
use super::report::{draw_daily, draw_weekly};
use crate::domain::access::{may_do, Operation};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::reports::{ReportKind, ReportState};

pub fn draw(frame: &mut Frame, app: &App, state: &ReportState, body: Rect, footer_area: Rect) {
    frame.render_widget(Clear, body);
    match (state.kind, &state.daily, &state.weekly) {
        _ if state.error.is_some() => {
            let text = state.error.clone().unwrap_or_default();
            message(frame, app, body, &tr!("reports.failed", text = text));
        }
        (ReportKind::Daily, Some(report), _) if report.date == state.date => {
            draw_daily(frame, body, report, &app.policy, &app.theme, state.scroll);
        }
        (ReportKind::Weekly, _, Some(report)) if (report.year, report.week) == state.week => {
            draw_weekly(frame, body, report, &app.policy, &app.theme, state.scroll);
        }
        _ => message(frame, app, body, tr!("reports.computing")),
    }
    if let Some(editor) = &state.proposals {
        let area = centered(body, 76, 14);
        frame.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(app.theme.focused_border)
            .title(tr!(
                "reports.proposals_title",
                week = format!("{}-W{:02}", state.week.0, state.week.1)
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(editor, inner);
        let keys = hints(app, Context::Form, &[Action::Save, Action::Cancel]);
        footer(frame, app, footer_area, &keys);
        return;
    }
    let periods = match state.kind {
        ReportKind::Daily => tr!("reports.other_day"),
        ReportKind::Weekly => tr!("reports.other_week"),
    };
    let mut keys: Vec<(String, &str)> = Vec::new();
    let periods_keys = (Action::PreviousPeriod, Action::NextPeriod);
    keys.extend(pair_as(app, Context::Reports, periods_keys, periods));
    let scroll_keys = (Action::Up, Action::Down);
    keys.extend(pair_as(
        app,
        Context::Reports,
        scroll_keys,
        tr!("reports.scroll"),
    ));
    let may = |operation| may_do(&app.me, operation, &app.policy).is_ok();
    if may(Operation::ReadDaily) && may(Operation::ReadWeekly) {
        let other = match state.kind {
            ReportKind::Daily => tr!("reports.weekly"),
            ReportKind::Weekly => tr!("reports.daily"),
        };
        keys.extend(hint_as(app, Context::Reports, Action::OtherReport, other));
    }
    if state.kind == ReportKind::Weekly && may(Operation::WriteProposals) {
        keys.extend(hints(app, Context::Reports, &[Action::Proposals]));
    }
    keys.extend(hint_as(
        app,
        Context::Reports,
        Action::Close,
        tr!("key.back"),
    ));
    footer(frame, app, footer_area, &keys);
}

fn message(frame: &mut Frame, app: &App, area: Rect, text: &str) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.focused_border)
        .title(tr!("reports.title"));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(
        Paragraph::new(Line::styled(text.to_string(), app.theme.dim)).wrap(Wrap { trim: false }),
        inner,
    );
}
