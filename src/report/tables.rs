//! The reports' tables as rows of text, laid out once for both the Markdown and the CSV file.

use super::format::{
    category_label, change, channel_label, hours_minutes, iso_week, maybe_hours_minutes,
    queue_name, share_change, share_number, sparkline, step_label, step_noun, step_verb, trend,
    weekday_short,
};
use super::{DailyReport, PeriodFigures, Step, Tally, Trend, WeeklyReport};
use crate::domain::policy::Policy;

pub(super) struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One cell of a row: words, or a figure pult computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cell {
    /// Labels and names, some of them typed by staff or the school (queue names, logins,
    /// words of descriptions): a spreadsheet must never read them as a formula.
    Text(String),
    /// A count, share, duration or change formatted by pult from a number, never from typed
    /// text: the CSV keeps it as it is, so Excel reads `-0:05` as a time.
    Figure(String),
}

impl Cell {
    pub fn as_str(&self) -> &str {
        match self {
            Cell::Text(text) | Cell::Figure(text) => text,
        }
    }
}

fn text(text: impl Into<String>) -> Cell {
    Cell::Text(text.into())
}

fn figure(text: impl Into<String>) -> Cell {
    Cell::Figure(text.into())
}

fn strings(header: &[&str]) -> Vec<String> {
    header.iter().map(|h| h.to_string()).collect()
}

fn tally<K>(title: &str, tallies: &[Tally<K>], label: impl Fn(&K) -> String) -> Table {
    Table {
        header: strings(&[title, "Число"]),
        rows: tallies
            .iter()
            .map(|tally| vec![text(label(&tally.key)), figure(tally.count.to_string())])
            .collect(),
    }
}

/// Received by channel, category, queue and role.
pub(super) fn received(figures: &PeriodFigures, policy: &Policy) -> [Table; 4] {
    let received = &figures.received;
    [
        tally("Канал", &received.by_channel, |c| {
            channel_label(*c).into()
        }),
        tally("Тип обращения", &received.by_category, |c| {
            category_label(policy, *c)
        }),
        tally("Очередь", &received.by_queue, |q| {
            queue_name(policy, q.as_deref())
        }),
        tally(
            "Роль обратившегося",
            &received.by_role,
            |r| r.label().into(),
        ),
    ]
}

pub(super) fn steps(figures: &PeriodFigures, policy: &Policy) -> Table {
    Table {
        header: strings(&[
            "Этап",
            "В срок",
            "Из",
            "Доля, %",
            "Медиана, ч:мм",
            "90-й процентиль, ч:мм",
        ]),
        rows: Step::ALL
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
            .collect(),
    }
}

pub(super) fn overdue(report: &DailyReport, policy: &Policy) -> Table {
    Table {
        header: strings(&["№", "Очередь", "Исполнитель", "Срок", "Просрочка, ч:мм"]),
        rows: report
            .overdue
            .iter()
            .map(|late| {
                vec![
                    text(late.id.to_string()),
                    text(queue_name(policy, late.queue.as_deref())),
                    text(late.assignee.clone().unwrap_or_else(|| "—".into())),
                    text(step_verb(late.step)),
                    figure(hours_minutes(late.late_ms)),
                ]
            })
            .collect(),
    }
}

/// The week's totals beside the week before's, with the direction of each change.
pub(super) fn comparison(report: &WeeklyReport, policy: &Policy) -> Table {
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
        "Поступило обращений",
        now.received.total,
        before.received.total,
    )];
    for step in Step::ALL {
        let (n, b) = (now.steps.get(step), before.steps.get(step));
        rows.push(vec![
            text(format!("Доля, %: {}", step_label(step, policy))),
            figure(share_number(n.share_tenths())),
            figure(share_number(b.share_tenths())),
            figure(share_change(b.share_tenths(), n.share_tenths())),
        ]);
    }
    for step in Step::ALL {
        let (n, b) = (now.steps.get(step), before.steps.get(step));
        rows.push(vec![
            text(format!("Медиана, ч:мм: {}", step_noun(step))),
            figure(maybe_hours_minutes(n.median_ms)),
            figure(maybe_hours_minutes(b.median_ms)),
            figure(trend(Trend::between_some(b.median_ms, n.median_ms))),
        ]);
    }
    rows.push(count_row(
        "Открыто на конец недели",
        now.open_at_end,
        before.open_at_end,
    ));
    rows.push(count_row(
        "Просьб о продлении срока",
        now.extensions.asked,
        before.extensions.asked,
    ));
    rows.push(count_row(
        "Передано поставщику",
        now.vendor.sent,
        before.vendor.sent,
    ));
    let (year, week) = report.previous_week();
    Table {
        header: vec![
            "Показатель".into(),
            iso_week(report.year, report.week),
            iso_week(year, week),
            "Изменение".into(),
        ],
        rows,
    }
}

/// Received (in all and per category) and the deadline shares for each day of the week,
/// with the week's figure and, when asked, a text sparkline.
pub(super) fn series(report: &WeeklyReport, policy: &Policy, with_sparkline: bool) -> Table {
    let mut header: Vec<String> = vec!["Показатель".into()];
    header.extend(
        report
            .days
            .iter()
            .map(|d| format!("{} {}", weekday_short(d.date), d.date.format("%d.%m"))),
    );
    header.push("Неделя".into());
    if with_sparkline {
        header.push("Динамика".into());
    }
    let row = |label: String, per_day: Vec<String>, week: String, values: Vec<u64>| {
        let mut row = vec![text(label)];
        row.extend(per_day.into_iter().map(figure));
        row.push(figure(week));
        if with_sparkline {
            row.push(figure(sparkline(&values)));
        }
        row
    };
    let counts = |pick: &dyn Fn(&PeriodFigures) -> u32| -> Vec<u32> {
        report.days.iter().map(|d| pick(&d.figures)).collect()
    };
    let count_row = |label: String, per_day: Vec<u32>, week: u32| {
        row(
            label,
            per_day.iter().map(u32::to_string).collect(),
            week.to_string(),
            per_day.iter().map(|&c| u64::from(c)).collect(),
        )
    };
    let mut rows = vec![count_row(
        "Поступило, всего".into(),
        counts(&|f| f.received.total),
        report.totals.received.total,
    )];
    for (index, total) in report.totals.received.by_category.iter().enumerate() {
        let of_category =
            |f: &PeriodFigures| f.received.by_category.get(index).map_or(0, |t| t.count);
        rows.push(count_row(
            category_label(policy, total.key),
            counts(&of_category),
            total.count,
        ));
    }
    for step in Step::ALL {
        let shares: Vec<Option<u32>> = report
            .days
            .iter()
            .map(|d| d.figures.steps.get(step).share_tenths())
            .collect();
        rows.push(row(
            format!("Доля, %: {}", step_label(step, policy)),
            shares.iter().map(|s| share_number(*s)).collect(),
            share_number(report.totals.steps.get(step).share_tenths()),
            shares.iter().map(|s| u64::from(s.unwrap_or(0))).collect(),
        ));
    }
    Table { header, rows }
}

pub(super) fn top_categories(report: &WeeklyReport, policy: &Policy) -> Table {
    tally("Тип обращения", &report.top_categories, |c| {
        category_label(policy, *c)
    })
}

pub(super) fn recurring_words(report: &WeeklyReport) -> Table {
    Table {
        header: strings(&["Слово в описаниях", "Обращений"]),
        rows: report
            .recurring_words
            .iter()
            .map(|t| vec![text(t.key.clone()), figure(t.count.to_string())])
            .collect(),
    }
}

pub(super) fn longest_open(report: &WeeklyReport, policy: &Policy) -> Table {
    Table {
        header: strings(&["№", "Очередь", "Тип обращения", "Открыто, ч"]),
        rows: report
            .longest_open
            .iter()
            .map(|open| {
                vec![
                    text(open.id.to_string()),
                    text(queue_name(policy, open.queue.as_deref())),
                    text(category_label(policy, open.category)),
                    figure(open.hours_open.to_string()),
                ]
            })
            .collect(),
    }
}
