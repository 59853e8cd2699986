//! The weekly analysis for the director (§3.3.3) as a document: aggregates only.

use chrono::FixedOffset;

use super::daily::tally;
use super::{
    category, figure, queue, text, Block, Document, Figure, Series, SeriesLine, Table, Unit,
};
use crate::domain::policy::Policy;
use crate::report::format::{
    category_label, change, date, day_short, iso_week, local_time, maybe_hours_minutes,
    offset_name, share_change, share_number, step_label, step_median, step_short, trend,
};
use crate::report::{PeriodFigures, Step, Trend, WeeklyReport};

pub fn weekly_document(report: &WeeklyReport, policy: &Policy, offset: FixedOffset) -> Document {
    let first = report
        .days
        .first()
        .map(|d| date(d.date))
        .unwrap_or_default();
    let last = report.days.last().map(|d| date(d.date)).unwrap_or_default();
    let week = iso_week(report.year, report.week);
    let dates = tr!("report.weekly.dates", week = week, from = first, to = last);
    let mut blocks = vec![
        Block::Figures(vec![
            Figure::new(tr!("report.weekly.week"), figure(dates)),
            Figure::new(
                tr!("report.time_zone"),
                figure(tr!("report.time_zone_value", offset = offset_name(offset))),
            ),
            Figure::new(
                tr!("report.generated"),
                figure(local_time(report.generated_at, offset)),
            ),
        ]),
        Block::Text(tr!("report.weekly.about").into()),
    ];
    blocks.extend(super::hours_used(policy).map(Block::Text));
    blocks.extend([
        Block::Heading(tr!("report.weekly.comparison_heading").into()),
        Block::Table(comparison(report, policy)),
        Block::Heading(tr!("report.weekly.days_heading").into()),
        Block::Series(received_series(report)),
        Block::Series(category_series(report, policy)),
        Block::Series(share_series(report, policy)),
        Block::Heading(tr!("report.weekly.problems_heading").into()),
    ]);
    blocks.push(if report.top_categories.is_empty() {
        Block::Text(tr!("report.weekly.no_requests").into())
    } else {
        Block::Table(tally(
            tr!("report.column.category"),
            &report.top_categories,
            |c| category(policy, *c),
        ))
    });
    blocks.push(if report.recurring_words.is_empty() {
        Block::Text(tr!("report.weekly.no_words").into())
    } else {
        let mut words = tally(tr!("report.column.word"), &report.recurring_words, |word| {
            text(word.clone())
        });
        words.columns[1].title = tr!("report.column.requests").into();
        Block::Table(words)
    });
    blocks.extend([
        Block::Heading(tr!("report.weekly.repeat_heading").into()),
        Block::Figures(vec![Figure::count(
            tr!("report.weekly.repeat_callers"),
            report.repeat_callers,
        )]),
        Block::Heading(tr!("report.weekly.longest_heading").into()),
        if report.longest_open.is_empty() {
            Block::Text(tr!("report.weekly.none_open").into())
        } else {
            Block::Table(longest_open(report, policy))
        },
        Block::Heading(tr!("report.weekly.proposals_heading").into()),
        Block::Text(
            report
                .proposals
                .as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .unwrap_or(tr!("report.weekly.no_proposals"))
                .to_string(),
        ),
    ]);
    Document {
        title: tr!("report.weekly.title").into(),
        period: week,
        blocks,
    }
}

/// The week's totals beside the week before's, with the direction of each change.
fn comparison(report: &WeeklyReport, policy: &Policy) -> Table {
    let (now, before) = (&report.totals, &report.previous);
    let count_row = |label: &str, now: u32, before: u32| {
        vec![
            text(label),
            figure(now.to_string()),
            figure(before.to_string()),
            figure(change(i64::from(before), i64::from(now))),
        ]
    };
    let mut rows = vec![count_row(
        tr!("report.weekly.received"),
        now.received.total,
        before.received.total,
    )];
    for step in Step::ALL {
        let (n, b) = (now.steps.get(step), before.steps.get(step));
        let label = step_label(step, policy);
        rows.push(vec![
            text(tr!("report.weekly.share_row", step = label)),
            figure(share_number(n.share_tenths())),
            figure(share_number(b.share_tenths())),
            figure(share_change(b.share_tenths(), n.share_tenths())),
        ]);
    }
    for step in Step::ALL {
        let (n, b) = (now.steps.get(step), before.steps.get(step));
        rows.push(vec![
            text(step_median(step)),
            figure(maybe_hours_minutes(n.median_ms)),
            figure(maybe_hours_minutes(b.median_ms)),
            figure(trend(Trend::between_some(b.median_ms, n.median_ms))),
        ]);
    }
    rows.push(count_row(
        tr!("report.weekly.open_at_end"),
        now.open_at_end,
        before.open_at_end,
    ));
    rows.push(count_row(
        tr!("report.extensions.asked"),
        now.extensions.asked,
        before.extensions.asked,
    ));
    rows.push(count_row(
        tr!("report.vendor.sent"),
        now.vendor.sent,
        before.vendor.sent,
    ));
    let (year, week) = report.previous_week();
    let mut table = Table::titled(
        vec![
            tr!("report.column.measure").into(),
            iso_week(report.year, report.week),
            iso_week(year, week),
            tr!("report.column.change").into(),
        ],
        1,
    );
    table.rows = rows;
    table
}

fn days(report: &WeeklyReport) -> Vec<String> {
    report.days.iter().map(|d| day_short(d.date)).collect()
}

fn counts(report: &WeeklyReport, pick: impl Fn(&PeriodFigures) -> u32) -> Vec<Option<u64>> {
    report
        .days
        .iter()
        .map(|d| Some(u64::from(pick(&d.figures))))
        .collect()
}

fn count_line(
    label: String,
    short: String,
    values: Vec<Option<u64>>,
    now: u32,
    before: u32,
) -> SeriesLine {
    SeriesLine {
        label,
        short,
        values,
        week: Some(u64::from(now)),
        trend: Some(Trend::between(before, now)),
    }
}

fn received_series(report: &WeeklyReport) -> Series {
    Series {
        label: tr!("report.weekly.received").into(),
        unit: Unit::Count,
        days: days(report),
        lines: vec![count_line(
            tr!("report.weekly.total").into(),
            tr!("report.weekly.total").into(),
            counts(report, |f| f.received.total),
            report.totals.received.total,
            report.previous.received.total,
        )],
    }
}

fn category_series(report: &WeeklyReport, policy: &Policy) -> Series {
    let lines = report
        .totals
        .received
        .by_category
        .iter()
        .enumerate()
        .map(|(index, total)| {
            let of = |f: &PeriodFigures| f.received.by_category.get(index).map_or(0, |t| t.count);
            count_line(
                category_label(policy, total.key),
                policy.category_short(total.key).to_string(),
                counts(report, of),
                total.count,
                of(&report.previous),
            )
        })
        .collect();
    Series {
        label: tr!("report.weekly.received_by_category").into(),
        unit: Unit::Count,
        days: days(report),
        lines,
    }
}

fn share_series(report: &WeeklyReport, policy: &Policy) -> Series {
    let lines = Step::ALL
        .iter()
        .map(|&step| {
            let now = report.totals.steps.get(step).share_tenths();
            let before = report.previous.steps.get(step).share_tenths();
            SeriesLine {
                label: step_label(step, policy),
                short: step_short(step, policy),
                values: report
                    .days
                    .iter()
                    .map(|d| d.figures.steps.get(step).share_tenths().map(u64::from))
                    .collect(),
                week: now.map(u64::from),
                trend: Trend::between_some(before, now),
            }
        })
        .collect();
    Series {
        label: tr!("report.weekly.share_series").into(),
        unit: Unit::ShareTenths,
        days: days(report),
        lines,
    }
}

fn longest_open(report: &WeeklyReport, policy: &Policy) -> Table {
    let mut table = Table::new(
        &[
            tr!("report.column.number"),
            tr!("report.column.queue"),
            tr!("report.column.category"),
            tr!("report.column.hours_open"),
        ],
        3,
    );
    table.rows = report
        .longest_open
        .iter()
        .map(|open| {
            vec![
                text(open.id.to_string()),
                queue(policy, open.queue.as_deref()),
                category(policy, open.category),
                figure(open.hours_open.to_string()),
            ]
        })
        .collect();
    table
}
