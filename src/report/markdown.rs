//! The reports as Markdown that also reads as plain text: aligned tables, Russian labels.

use std::fmt::Write;

use chrono::FixedOffset;
use unicode_width::UnicodeWidthStr;

use super::format::{date, iso_week, local_time, offset_name, weekday};
use super::tables::{self, Table};
use super::{DailyReport, PeriodFigures, WeeklyReport};
use crate::domain::policy::Policy;

/// Ежедневный отчёт руководителю Службы (§3.3.2).
pub fn daily_markdown(report: &DailyReport, policy: &Policy, offset: FixedOffset) -> String {
    let figures = &report.figures;
    let mut out = String::new();
    out.push_str("# Ежедневный отчёт руководителю Службы о работе с обращениями\n\n");
    let _ = writeln!(
        out,
        "За {} ({}). Время местное, {}.  ",
        date(report.date),
        weekday(report.date),
        offset_name(offset)
    );
    let senders = if report.senders.is_empty() {
        "—".to_string()
    } else {
        report.senders.join(", ")
    };
    let _ = writeln!(out, "Направляют: {senders}.  ");
    let _ = writeln!(
        out,
        "Сформирован {}.\n",
        local_time(report.generated_at, offset)
    );

    let received = &figures.received;
    let _ = writeln!(out, "## Поступило обращений за день: {}\n", received.total);
    let _ = writeln!(
        out,
        "Из них отменено (дубликаты, спам): {}.\n",
        received.cancelled
    );
    for table in tables::received(figures, policy) {
        pipe_table(&mut out, &table, 1);
    }

    out.push_str("## Соблюдение сроков\n\n");
    out.push_str(
        "Доли — от обращений, поступивших за день, кроме отменённых; \
         этап, ещё не выполненный, в срок не считается.\n\n",
    );
    pipe_table(&mut out, &tables::steps(figures, policy), 1);

    let _ = writeln!(out, "## Открыто на конец дня: {}\n", figures.open_at_end);
    let _ = writeln!(
        out,
        "## Просрочено сейчас: {}\n\nНа {}.\n",
        report.overdue.len(),
        local_time(report.generated_at, offset)
    );
    if !report.overdue.is_empty() {
        pipe_table(&mut out, &tables::overdue(report, policy), 4);
    }
    extensions_and_vendor(&mut out, figures);
    out
}

/// Еженедельный анализ директору с предложениями (§3.3.3): aggregates only.
pub fn weekly_markdown(report: &WeeklyReport, policy: &Policy, offset: FixedOffset) -> String {
    let mut out = String::new();
    out.push_str("# Еженедельный анализ обращений директору с предложениями\n\n");
    let _ = writeln!(
        out,
        "Неделя {}: {} — {}. Время местное, {}.  ",
        iso_week(report.year, report.week),
        report
            .days
            .first()
            .map(|d| date(d.date))
            .unwrap_or_default(),
        report.days.last().map(|d| date(d.date)).unwrap_or_default(),
        offset_name(offset)
    );
    out.push_str(
        "Анализ руководителя Службы: только сводные цифры, \
         без имён, телефонов, адресов и текстов обращений.  \n",
    );
    let _ = writeln!(
        out,
        "Сформирован {}.\n",
        local_time(report.generated_at, offset)
    );

    out.push_str("## Неделя в сравнении с предыдущей\n\n");
    pipe_table(&mut out, &tables::comparison(report, policy), 1);
    out.push_str("## По дням\n\n");
    pipe_table(&mut out, &tables::series(report, policy, true), 1);

    out.push_str("## Частые проблемы\n\n");
    if report.top_categories.is_empty() {
        out.push_str("Обращений за неделю не было.\n\n");
    } else {
        pipe_table(&mut out, &tables::top_categories(report, policy), 1);
    }
    if report.recurring_words.is_empty() {
        out.push_str("Слов, повторяющихся в описаниях трёх и более обращений, нет.\n\n");
    } else {
        pipe_table(&mut out, &tables::recurring_words(report), 1);
    }

    let _ = writeln!(
        out,
        "## Повторные обращения\n\nОбратившихся с двумя и более обращениями за неделю: {}.\n",
        report.repeat_callers
    );

    out.push_str("## Дольше всего открыты\n\n");
    if report.longest_open.is_empty() {
        out.push_str("Открытых обращений нет.\n\n");
    } else {
        pipe_table(&mut out, &tables::longest_open(report, policy), 3);
    }

    out.push_str("## Предложения руководителя Службы\n\n");
    match report.proposals.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => {
            out.push_str(text);
            out.push('\n');
        }
        _ => out.push_str("Предложения ещё не написаны.\n"),
    }
    out
}

fn extensions_and_vendor(out: &mut String, figures: &PeriodFigures) {
    let e = &figures.extensions;
    let v = &figures.vendor;
    out.push_str("## Продление сроков и обращения к поставщику платформы\n\n");
    let _ = writeln!(
        out,
        "- Просьб о продлении срока: {}; согласовано: {}; отказано: {}.",
        e.asked, e.approved, e.denied
    );
    let _ = writeln!(
        out,
        "- Передано поставщику: {}; получено ответов: {}.",
        v.sent, v.answered
    );
}

/// An aligned pipe table; columns from `right_from` on are right-aligned.
fn pipe_table(out: &mut String, table: &Table, right_from: usize) {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let header: Vec<String> = table.header.iter().map(|text| cell(text)).collect();
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|row| row.iter().map(|value| cell(value.as_str())).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            std::iter::once(&header)
                .chain(rows.iter())
                .filter_map(|row| row.get(column))
                .map(|text| text.width())
                .fold(3, usize::max)
        })
        .collect();
    let line = |out: &mut String, row: &[String]| {
        out.push('|');
        for (column, width) in widths.iter().enumerate() {
            let text = row.get(column).map(String::as_str).unwrap_or("");
            let pad = " ".repeat(width.saturating_sub(text.width()));
            if column >= right_from {
                let _ = write!(out, " {pad}{text} |");
            } else {
                let _ = write!(out, " {text}{pad} |");
            }
        }
        out.push('\n');
    };
    line(out, &header);
    out.push('|');
    for (column, width) in widths.iter().enumerate() {
        let dashes = "-".repeat(width.saturating_sub(1));
        if column >= right_from {
            let _ = write!(out, " {dashes}: |");
        } else {
            let _ = write!(out, " {dashes}- |");
        }
    }
    out.push('\n');
    for row in &rows {
        line(out, row);
    }
    out.push('\n');
}
