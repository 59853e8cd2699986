//! A document's blocks as lines of a sheet: headings, figures, tables and texts as text (side by
//! side in two columns on a wide screen), series as bar charts across the whole width.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::super::common::{pad, width_of};
use super::super::sheet::{flow, wrap, Sheet};
use super::charts;
use crate::domain::validate::sanitize;
use crate::report::document::{Align, Block, Cell, Document, Figure, Table};
use crate::tui::theme::Theme;

/// From this inner width on, the page has two columns.
const TWO_COLUMNS: u16 = 110;
/// The longest free text (senders, proposals) drawn.
const MAX_TEXT: usize = 20_000;
/// Between a table's columns.
const GAP: usize = 2;
/// The narrowest a table's first column is squeezed to.
const MIN_FIRST: usize = 8;

/// A run of blocks from one heading to the next.
struct Section<'d> {
    blocks: Vec<&'d Block>,
}

impl Section<'_> {
    fn has_series(&self) -> bool {
        self.blocks.iter().any(|b| matches!(b, Block::Series(_)))
    }
}

/// The document on a page `width` columns wide: the first section and those with charts across
/// the whole width, the others two by two side by side when the page is wide enough.
pub(super) fn sheet<'a>(document: &Document, theme: &Theme, width: u16, height: u16) -> Sheet<'a> {
    let mut sections: Vec<Section> = Vec::new();
    for block in &document.blocks {
        match (block, sections.last_mut()) {
            (Block::Heading(_), _) | (_, None) => sections.push(Section {
                blocks: vec![block],
            }),
            (_, Some(section)) => section.blocks.push(block),
        }
    }
    let columns = width >= TWO_COLUMNS;
    let column_width = usize::from(width.saturating_sub(2) / 2);
    let mut sheet = Sheet::new(width);
    // a section waiting for a neighbour to stand beside
    let mut waiting: Option<&Section> = None;
    for (index, section) in sections.iter().enumerate() {
        if !columns || index == 0 || section.has_series() {
            if let Some(alone) = waiting.take() {
                full_width(&mut sheet, alone, theme, width, height);
                sheet.text(vec![Line::default()]);
            }
            full_width(&mut sheet, section, theme, width, height);
            sheet.text(vec![Line::default()]);
            continue;
        }
        match waiting.take() {
            Some(left) => {
                sheet.columns(
                    section_lines(left, theme, column_width),
                    section_lines(section, theme, column_width),
                    2,
                );
                sheet.text(vec![Line::default()]);
            }
            None => waiting = Some(section),
        }
    }
    if let Some(alone) = waiting {
        full_width(&mut sheet, alone, theme, width, height);
    }
    sheet
}

/// A section across the whole width: its text, and a grid of charts for each series.
fn full_width<'a>(
    sheet: &mut Sheet<'a>,
    section: &Section,
    theme: &Theme,
    width: u16,
    height: u16,
) {
    let mut lines = Vec::new();
    for block in &section.blocks {
        match block {
            Block::Series(series) => {
                lines.push(heading(
                    tr!("report.screen.series_heading", series = series.label),
                    theme,
                ));
                sheet.text(std::mem::take(&mut lines));
                charts::grid(sheet, series, theme, width, height);
            }
            _ => lines.extend(block_lines(block, theme, usize::from(width))),
        }
    }
    if !lines.is_empty() {
        sheet.text(lines);
    }
}

fn section_lines<'a>(section: &Section, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    section
        .blocks
        .iter()
        .flat_map(|block| block_lines(block, theme, width))
        .collect()
}

fn block_lines<'a>(block: &Block, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    match block {
        Block::Heading(text) => vec![heading(one_line(text), theme)],
        Block::Figures(figures) => figures
            .iter()
            .flat_map(|figure| figure_lines(figure, theme, width))
            .collect(),
        Block::Table(table) if table.columns.len() == 2 => tally_lines(table, width),
        Block::Table(table) => table_lines(table, theme, width),
        Block::Text(text) => plain_lines(wrap(&sanitize(text, true, MAX_TEXT), width)),
        // drawn as charts by `full_width`
        Block::Series(_) => Vec::new(),
    }
}

fn heading<'a>(text: String, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text, theme.hint_key))
}

fn plain_lines<'a>(texts: Vec<String>) -> Vec<Line<'a>> {
    texts.into_iter().map(Line::from).collect()
}

fn styled_lines<'a>(texts: Vec<String>, style: Style) -> Vec<Line<'a>> {
    texts
        .into_iter()
        .map(|text| Line::from(Span::styled(text, style)))
        .collect()
}

/// Text typed by people, on one line and without control characters.
fn one_line(text: &str) -> String {
    sanitize(text, false, MAX_TEXT)
}

fn figure_lines<'a>(figure: &Figure, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let mut text = format!("{}: {}", figure.label, one_line(figure.value.as_str()));
    if let Some(note) = &figure.note {
        text.push_str(&format!(" ({note})"));
    }
    if figure.alert {
        text.push_str(" !");
        return styled_lines(wrap(&text, width), theme.overdue);
    }
    plain_lines(wrap(&text, width))
}

/// A table of what has how many as one flowing line: `Канал (Число): телефон 4 · сайт 2`,
/// with the policy's short names when the full ones take more than a line.
fn tally_lines<'a>(table: &Table, width: usize) -> Vec<Line<'a>> {
    let titles: Vec<&str> = table.columns.iter().map(|c| c.title.as_str()).collect();
    let lead = match titles.as_slice() {
        [what, count] => format!("  {what} ({count}): "),
        _ => format!("  {}: ", titles.join(", ")),
    };
    let flowed = |name: fn(&Cell) -> &str| {
        let items: Vec<String> = table
            .rows
            .iter()
            .map(|row| {
                let cells: Vec<String> = row.iter().map(|cell| one_line(name(cell))).collect();
                cells.join(" ")
            })
            .collect();
        flow(&lead, &items, width)
    };
    let full = flowed(Cell::as_str);
    if full.len() > 1 {
        return plain_lines(flowed(Cell::short));
    }
    plain_lines(full)
}

/// A table with its header, indented by two columns; when it is wider than `width`, headers
/// wrap at their words and the first column wraps into what is left.
fn table_lines<'a>(table: &Table, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let cells = |name: fn(&Cell) -> &str| -> Vec<Vec<String>> {
        table
            .rows
            .iter()
            .map(|row| row.iter().map(|cell| one_line(name(cell))).collect())
            .collect()
    };
    let gaps = GAP * table.columns.len().saturating_sub(1);
    let fits = |widths: &[usize]| 2 + gaps + widths.iter().sum::<usize>() <= width;
    let mut rows = cells(Cell::as_str);
    let mut widths = natural_widths(table, &rows);
    if !fits(&widths) {
        rows = cells(Cell::short);
        widths = natural_widths(table, &rows);
    }
    if !fits(&widths) {
        for (column, c) in table.columns.iter().enumerate().skip(1) {
            let word = c.title.split_whitespace().map(width_of).max().unwrap_or(0);
            widths[column] = widest(&rows, column).max(word);
        }
        let others: usize = widths.iter().skip(1).sum();
        if let Some(first) = widths.first_mut() {
            *first = width.saturating_sub(2 + gaps + others).max(MIN_FIRST);
        }
    }
    let first_width = widths.first().copied().unwrap_or(0);
    let header: Vec<Vec<String>> = table
        .columns
        .iter()
        .zip(&widths)
        .map(|(c, &w)| wrap(&c.title, w))
        .collect();
    let mut lines = row_lines(table, &header, &widths, Style::default());
    let style = if table.alert {
        theme.overdue
    } else {
        Style::default()
    };
    for row in &rows {
        let cells: Vec<Vec<String>> = row
            .iter()
            .enumerate()
            .map(|(column, text)| match column {
                0 => wrap(text, first_width),
                _ => vec![text.clone()],
            })
            .collect();
        let mut drawn = row_lines(table, &cells, &widths, style);
        if table.alert {
            if let Some(first) = drawn.first_mut() {
                first.push_span(Span::styled(" !", style));
            }
        }
        lines.extend(drawn);
    }
    lines
}

fn widest(rows: &[Vec<String>], column: usize) -> usize {
    rows.iter()
        .filter_map(|row| row.get(column))
        .map(|text| width_of(text))
        .max()
        .unwrap_or(0)
}

/// Each column as wide as its title or its widest cell.
fn natural_widths(table: &Table, rows: &[Vec<String>]) -> Vec<usize> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(column, c)| widest(rows, column).max(width_of(&c.title)))
        .collect()
}

/// One row of a table, each cell given as its lines: as many lines as its tallest cell.
fn row_lines<'a>(
    table: &Table,
    cells: &[Vec<String>],
    widths: &[usize],
    style: Style,
) -> Vec<Line<'a>> {
    let height = cells.iter().map(Vec::len).max().unwrap_or(0);
    (0..height)
        .map(|index| {
            let mut text = "  ".to_string();
            for (column, lines) in cells.iter().enumerate() {
                let width = widths.get(column).copied().unwrap_or(0);
                let cell = pad(lines.get(index).map(String::as_str).unwrap_or(""), width);
                if column > 0 {
                    text.push_str(&" ".repeat(GAP));
                }
                match table.columns.get(column).map_or(Align::Left, |c| c.align) {
                    Align::Left => text.push_str(&cell),
                    Align::Right => {
                        let cell = cell.trim_end();
                        text.push_str(&" ".repeat(width.saturating_sub(width_of(cell))));
                        text.push_str(cell);
                    }
                }
            }
            Line::from(Span::styled(text.trim_end().to_string(), style))
        })
        .collect()
}
