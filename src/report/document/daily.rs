//! The daily report to the head of the service (§3.3.2) as a document.

use chrono::FixedOffset;

use super::{category, figure, queue, text, Block, Cell, Document, Figure, Table};
use crate::domain::policy::Policy;
use crate::report::format::{
    channel_label, date, hours_minutes, local_time, maybe_hours_minutes, offset_name, share_number,
    step_label, step_verb, weekday,
};
use crate::report::{DailyReport, PeriodFigures, Step, Tally};

pub fn daily_document(report: &DailyReport, policy: &Policy, offset: FixedOffset) -> Document {
    let figures = &report.figures;
    let generated = local_time(report.generated_at, offset);
    let senders = if report.senders.is_empty() {
        "—".to_string()
    } else {
        report.senders.join(", ")
    };
    let (day, weekday) = (date(report.date), weekday(report.date));
    let day = tr!("report.daily.day_value", date = day, weekday = weekday);
    let mut blocks = vec![
        Block::Figures(vec![
            Figure::new(tr!("report.daily.day"), figure(day)),
            Figure::new(
                tr!("report.time_zone"),
                figure(tr!("report.time_zone_value", offset = offset_name(offset))),
            ),
            Figure::new(tr!("report.daily.senders"), text(senders)),
            Figure::new(tr!("report.generated"), figure(generated.clone())),
        ]),
        Block::Heading(tr!("report.daily.received_heading").into()),
        Block::Figures(vec![
            Figure::count(tr!("report.daily.received"), figures.received.total),
            Figure::count(tr!("report.daily.cancelled"), figures.received.cancelled),
        ]),
    ];
    blocks.extend(received(figures, policy).map(Block::Table));
    blocks.extend([
        Block::Heading(tr!("report.daily.deadlines_heading").into()),
        Block::Text(tr!("report.daily.deadlines_note").into()),
    ]);
    blocks.extend(super::hours_used(policy).map(Block::Text));
    blocks.extend([
        Block::Table(steps(figures, policy)),
        Block::Heading(tr!("report.daily.open_heading").into()),
    ]);
    let mut overdue = Figure::count(tr!("report.daily.overdue"), report.overdue.len());
    overdue.note = Some(tr!("report.daily.overdue_at", time = generated));
    overdue.alert = !report.overdue.is_empty();
    blocks.push(Block::Figures(vec![
        Figure::count(tr!("report.daily.open_at_end"), figures.open_at_end),
        overdue,
    ]));
    if !report.overdue.is_empty() {
        blocks.push(Block::Table(overdue_table(report, policy)));
    }
    if !report.undelivered.is_empty() {
        blocks.push(Block::Heading(
            tr!("report.daily.undelivered_heading").into(),
        ));
        blocks.push(Block::Table(undelivered_table(report, policy, offset)));
    }
    let (e, v) = (&figures.extensions, &figures.vendor);
    blocks.extend([
        Block::Heading(tr!("report.daily.extensions_heading").into()),
        Block::Figures(vec![
            Figure::count(tr!("report.extensions.asked"), e.asked),
            Figure::count(tr!("report.extensions.approved"), e.approved),
            Figure::count(tr!("report.extensions.denied"), e.denied),
            Figure::count(tr!("report.vendor.sent"), v.sent),
            Figure::count(tr!("report.vendor.answered"), v.answered),
        ]),
    ]);
    Document {
        title: tr!("report.daily.title").into(),
        period: date(report.date),
        blocks,
    }
}

/// `title | Число`, one row per key.
pub(super) fn tally<K>(title: &str, tallies: &[Tally<K>], label: impl Fn(&K) -> Cell) -> Table {
    let mut table = Table::new(&[title, tr!("report.column.count")], 1);
    table.rows = tallies
        .iter()
        .map(|tally| vec![label(&tally.key), figure(tally.count.to_string())])
        .collect();
    table
}

/// Received by channel, category, queue and role.
fn received(figures: &PeriodFigures, policy: &Policy) -> [Table; 4] {
    let received = &figures.received;
    [
        tally(tr!("report.column.channel"), &received.by_channel, |c| {
            text(channel_label(*c))
        }),
        tally(tr!("report.column.category"), &received.by_category, |c| {
            category(policy, *c)
        }),
        tally(tr!("report.column.queue"), &received.by_queue, |q| {
            queue(policy, q.as_deref())
        }),
        tally(tr!("report.column.caller_role"), &received.by_role, |r| {
            text(r.label())
        }),
    ]
}

fn steps(figures: &PeriodFigures, policy: &Policy) -> Table {
    let mut table = Table::new(
        &[
            tr!("report.column.step"),
            tr!("report.column.within"),
            tr!("report.column.of"),
            tr!("report.column.share"),
            tr!("report.column.median"),
            tr!("report.column.p90"),
        ],
        1,
    );
    table.rows = Step::ALL
        .iter()
        .map(|&step| {
            let figures = figures.steps.get(step);
            vec![
                text(step_label(step, policy)),
                figure(figures.within.to_string()),
                figure(figures.of.to_string()),
                figure(share_number(figures.share_tenths())),
                figure(maybe_hours_minutes(figures.median_ms)),
                figure(maybe_hours_minutes(figures.p90_ms)),
            ]
        })
        .collect();
    table
}

fn undelivered_table(report: &DailyReport, policy: &Policy, offset: FixedOffset) -> Table {
    let mut table = Table::new(
        &[
            tr!("report.column.number"),
            tr!("report.column.queue"),
            tr!("report.column.assignee"),
            tr!("report.column.undelivered_since"),
            tr!("report.column.mail_reason"),
        ],
        3,
    );
    table.alert = true;
    table.rows = report
        .undelivered
        .iter()
        .map(|row| {
            vec![
                text(row.id.to_string()),
                queue(policy, row.queue.as_deref()),
                text(row.assignee.clone().unwrap_or_else(|| "—".into())),
                figure(local_time(row.since, offset)),
                text(row.reason.clone()),
            ]
        })
        .collect();
    table
}

fn overdue_table(report: &DailyReport, policy: &Policy) -> Table {
    let mut table = Table::new(
        &[
            tr!("report.column.number"),
            tr!("report.column.queue"),
            tr!("report.column.assignee"),
            tr!("report.column.deadline"),
            tr!("report.column.late"),
        ],
        4,
    );
    table.alert = true;
    table.rows = report
        .overdue
        .iter()
        .map(|late| {
            vec![
                text(late.id.to_string()),
                queue(policy, late.queue.as_deref()),
                text(late.assignee.clone().unwrap_or_else(|| "—".into())),
                text(step_verb(late.step)),
                figure(hours_minutes(late.late_ms)),
            ]
        })
        .collect();
    table
}
