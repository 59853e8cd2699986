//! The reports as Markdown that also reads as plain text: aligned tables, labels in the
//! current language.

use std::fmt::Write;

use chrono::FixedOffset;
use unicode_width::UnicodeWidthStr;

use super::document::{
    daily_document, weekly_document, Align, Block, Cell, Column, Document, Figure, Series, Table,
};
use super::format::sparkline;
use super::{DailyReport, WeeklyReport};
use crate::domain::policy::Policy;

/// Ежедневный отчёт руководителю Службы (§3.3.2).
pub fn daily_markdown(report: &DailyReport, policy: &Policy, offset: FixedOffset) -> String {
    markdown(&daily_document(report, policy, offset))
}

/// Еженедельный анализ директору с предложениями (§3.3.3): aggregates only.
pub fn weekly_markdown(report: &WeeklyReport, policy: &Policy, offset: FixedOffset) -> String {
    markdown(&weekly_document(report, policy, offset))
}

pub fn markdown(document: &Document) -> String {
    let mut out = format!("# {}\n\n", document.title);
    for block in &document.blocks {
        match block {
            Block::Heading(text) => {
                let _ = writeln!(out, "## {text}\n");
            }
            Block::Figures(figures) => {
                for figure in figures {
                    let _ = writeln!(out, "- {}", figure_line(figure));
                }
                out.push('\n');
            }
            Block::Table(table) => pipe_table(&mut out, table),
            Block::Series(series) => pipe_table(&mut out, &series_table(series)),
            Block::Text(text) => {
                out.push_str(text);
                out.push_str("\n\n");
            }
        }
    }
    let end = out.trim_end().len();
    out.truncate(end);
    out.push('\n');
    out
}

/// `Просрочено сейчас: 9 (на 16.11.2026 10:00)`
fn figure_line(figure: &Figure) -> String {
    match &figure.note {
        Some(note) => format!("{}: {} ({note})", figure.label, figure.value.as_str()),
        None => format!("{}: {}", figure.label, figure.value.as_str()),
    }
}

/// A series as its table, with a text sparkline of each line.
fn series_table(series: &Series) -> Table {
    let mut table = series.table();
    table.columns.push(Column {
        title: tr!("report.series.sparkline").into(),
        align: Align::Right,
    });
    for (row, line) in table.rows.iter_mut().zip(&series.lines) {
        let values: Vec<u64> = line.values.iter().map(|v| v.unwrap_or(0)).collect();
        row.push(Cell::Figure(sparkline(&values)));
    }
    table
}

/// An aligned pipe table.
fn pipe_table(out: &mut String, table: &Table) {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let header: Vec<String> = table.columns.iter().map(|c| cell(&c.title)).collect();
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
    let right = |column: usize| {
        table
            .columns
            .get(column)
            .is_some_and(|c| c.align == Align::Right)
    };
    let line = |out: &mut String, row: &[String]| {
        out.push('|');
        for (column, width) in widths.iter().enumerate() {
            let text = row.get(column).map(String::as_str).unwrap_or("");
            let pad = " ".repeat(width.saturating_sub(text.width()));
            if right(column) {
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
        if right(column) {
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
