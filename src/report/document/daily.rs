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
    let mut blocks = vec![
        Block::Figures(vec![
            Figure::new(
                "День",
                figure(format!("{} ({})", date(report.date), weekday(report.date))),
            ),
            Figure::new("Время", figure(format!("местное, {}", offset_name(offset)))),
            Figure::new("Направляют", text(senders)),
            Figure::new("Сформирован", figure(generated.clone())),
        ]),
        Block::Heading("Поступившие обращения".into()),
        Block::Figures(vec![
            Figure::count("Поступило обращений за день", figures.received.total),
            Figure::count(
                "Из них отменено (дубликаты, спам)",
                figures.received.cancelled,
            ),
        ]),
    ];
    blocks.extend(received(figures, policy).map(Block::Table));
    blocks.extend([
        Block::Heading("Соблюдение сроков".into()),
        Block::Text(
            "Доли — от обращений, поступивших за день, кроме отменённых; \
             этап, ещё не выполненный, в срок не считается."
                .into(),
        ),
        Block::Table(steps(figures, policy)),
        Block::Heading("Открытые и просроченные обращения".into()),
    ]);
    let mut overdue = Figure::count("Просрочено сейчас", report.overdue.len());
    overdue.note = Some(format!("на {generated}"));
    overdue.alert = !report.overdue.is_empty();
    blocks.push(Block::Figures(vec![
        Figure::count("Открыто на конец дня", figures.open_at_end),
        overdue,
    ]));
    if !report.overdue.is_empty() {
        blocks.push(Block::Table(overdue_table(report, policy)));
    }
    let (e, v) = (&figures.extensions, &figures.vendor);
    blocks.extend([
        Block::Heading("Продление сроков и обращения к поставщику платформы".into()),
        Block::Figures(vec![
            Figure::count("Просьб о продлении срока", e.asked),
            Figure::count("Продление согласовано", e.approved),
            Figure::count("В продлении отказано", e.denied),
            Figure::count("Передано поставщику платформы", v.sent),
            Figure::count("Получено ответов поставщика", v.answered),
        ]),
    ]);
    Document {
        title: "Ежедневный отчёт руководителю Службы о работе с обращениями".into(),
        period: date(report.date),
        blocks,
    }
}

/// `title | Число`, one row per key.
pub(super) fn tally<K>(title: &str, tallies: &[Tally<K>], label: impl Fn(&K) -> Cell) -> Table {
    let mut table = Table::new(&[title, "Число"], 1);
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
        tally("Канал", &received.by_channel, |c| {
            text(channel_label(*c))
        }),
        tally("Тип обращения", &received.by_category, |c| {
            category(policy, *c)
        }),
        tally("Очередь", &received.by_queue, |q| {
            queue(policy, q.as_deref())
        }),
        tally("Роль обратившегося", &received.by_role, |r| text(r.label())),
    ]
}

fn steps(figures: &PeriodFigures, policy: &Policy) -> Table {
    let mut table = Table::new(
        &[
            "Этап",
            "В срок",
            "Из",
            "Доля, %",
            "Медиана, ч:мм",
            "90-й процентиль, ч:мм",
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

fn overdue_table(report: &DailyReport, policy: &Policy) -> Table {
    let mut table = Table::new(
        &["№", "Очередь", "Исполнитель", "Срок", "Просрочка, ч:мм"],
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
