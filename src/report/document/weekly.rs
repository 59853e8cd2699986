//! The weekly analysis for the director (§3.3.3) as a document: aggregates only.

use chrono::FixedOffset;

use super::daily::tally;
use super::{
    category, figure, queue, text, Block, Document, Figure, Series, SeriesLine, Table, Unit,
};
use crate::domain::policy::Policy;
use crate::report::format::{
    category_label, change, date, iso_week, local_time, maybe_hours_minutes, offset_name,
    share_change, share_number, step_label, step_noun, step_short, trend, weekday_short,
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
    let mut blocks = vec![
        Block::Figures(vec![
            Figure::new("Неделя", figure(format!("{week}, {first} — {last}"))),
            Figure::new("Время", figure(format!("местное, {}", offset_name(offset)))),
            Figure::new(
                "Сформирован",
                figure(local_time(report.generated_at, offset)),
            ),
        ]),
        Block::Text(
            "Анализ руководителя Службы: только сводные цифры, \
             без имён, телефонов, адресов и текстов обращений."
                .into(),
        ),
        Block::Heading("Неделя в сравнении с предыдущей".into()),
        Block::Table(comparison(report, policy)),
        Block::Heading("По дням".into()),
        Block::Series(received_series(report)),
        Block::Series(category_series(report, policy)),
        Block::Series(share_series(report, policy)),
        Block::Heading("Частые проблемы".into()),
    ];
    blocks.push(if report.top_categories.is_empty() {
        Block::Text("Обращений за неделю не было.".into())
    } else {
        Block::Table(tally(
            "Тип обращения",
            &report.top_categories,
            |c| category(policy, *c),
        ))
    });
    blocks.push(if report.recurring_words.is_empty() {
        Block::Text("Слов, повторяющихся в описаниях трёх и более обращений, нет.".into())
    } else {
        let mut words = tally(
            "Слово в описаниях",
            &report.recurring_words,
            |word| text(word.clone()),
        );
        words.columns[1].title = "Обращений".into();
        Block::Table(words)
    });
    blocks.extend([
        Block::Heading("Повторные обращения".into()),
        Block::Figures(vec![Figure::count(
            "Обратившихся с двумя и более обращениями за неделю",
            report.repeat_callers,
        )]),
        Block::Heading("Дольше всего открыты".into()),
        if report.longest_open.is_empty() {
            Block::Text("Открытых обращений нет.".into())
        } else {
            Block::Table(longest_open(report, policy))
        },
        Block::Heading("Предложения руководителя Службы".into()),
        Block::Text(
            report
                .proposals
                .as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .unwrap_or("Предложения ещё не написаны.")
                .to_string(),
        ),
    ]);
    Document {
        title: "Еженедельный анализ обращений директору с предложениями".into(),
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
        "Передано поставщику платформы",
        now.vendor.sent,
        before.vendor.sent,
    ));
    let (year, week) = report.previous_week();
    let mut table = Table::titled(
        vec![
            "Показатель".into(),
            iso_week(report.year, report.week),
            iso_week(year, week),
            "Изменение".into(),
        ],
        1,
    );
    table.rows = rows;
    table
}

fn days(report: &WeeklyReport) -> Vec<String> {
    report
        .days
        .iter()
        .map(|d| format!("{} {}", weekday_short(d.date), d.date.format("%d.%m")))
        .collect()
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
        label: "Поступило обращений".into(),
        unit: Unit::Count,
        days: days(report),
        lines: vec![count_line(
            "всего".into(),
            "всего".into(),
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
        label: "Поступило по типам обращений".into(),
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
        label: "Доля в срок, %".into(),
        unit: Unit::ShareTenths,
        days: days(report),
        lines,
    }
}

fn longest_open(report: &WeeklyReport, policy: &Policy) -> Table {
    let mut table = Table::new(&["№", "Очередь", "Тип обращения", "Открыто, ч"], 3);
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
