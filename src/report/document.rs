//! A report as a document of blocks, built once from the figures and drawn by each format
//! (Markdown, CSV, the console's screen): a label is written here or nowhere.

mod daily;
mod weekly;

use super::format::{category_label, queue_name, queue_short, share_number, trend};
use super::Trend;
use crate::domain::policy::Policy;
use crate::domain::request::Category;

pub use daily::daily_document;

/// The hours a report counted its deadlines in, when the policy has them: «Сроки «…» считаются
/// в часы работы Службы: пн-пт 08:00-20:00; …, часовой пояс Europe/Moscow, с производственным
/// календарём».
fn hours_used(policy: &Policy) -> Option<String> {
    let file = policy.hours.as_ref()?;
    let steps: Vec<&str> = [
        ("route", tr!("report.hours.route")),
        ("take", tr!("report.hours.take")),
        ("resolve", tr!("report.hours.resolve")),
    ]
    .into_iter()
    .filter(|(name, _)| file.counts(name))
    .map(|(_, label)| label)
    .collect();
    if steps.is_empty() {
        return None;
    }
    let calendar = if file.production_calendar {
        tr!("report.hours.with_calendar")
    } else {
        tr!("report.hours.without_calendar")
    };
    Some(tr!(
        "report.hours.used",
        steps = steps.join(", "),
        week = file.week.join("; "),
        zone = file.zone,
        calendar = calendar
    ))
}
pub use weekly::weekly_document;

/// One report, ready to be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    /// The day or the week the report is about, for a window's title: `11.11.2026`.
    pub period: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A section's title.
    Heading(String),
    Figures(Vec<Figure>),
    Table(Table),
    Series(Series),
    /// A paragraph; a line break in it is kept.
    Text(String),
}

/// A named value: `Открыто на конец дня: 6`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub label: String,
    pub value: Cell,
    /// What the value is measured against: `на 16.11.2026 10:00`.
    pub note: Option<String>,
    /// The value asks for the head's attention (something is late).
    pub alert: bool,
}

/// One cell of a table or a figure's value: words, or a figure pult computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Labels and names, some of them typed by staff or the school (queue names, logins,
    /// words of descriptions, the proposals): a spreadsheet must never read them as a formula.
    Text(String),
    /// A count, share, duration or change formatted by pult from a number, never from typed
    /// text: the CSV keeps it as it is, so Excel reads `-0:05` as a time.
    Figure(String),
    /// A queue's or a category's name from the school's policy, with its short form for narrow
    /// places; typed by the school, so it is text to a spreadsheet too.
    Name { full: String, short: String },
}

impl Cell {
    pub fn as_str(&self) -> &str {
        match self {
            Cell::Text(text) | Cell::Figure(text) => text,
            Cell::Name { full, .. } => full,
        }
    }

    /// The short form of a name; any other cell as it is.
    pub fn short(&self) -> &str {
        match self {
            Cell::Name { short, .. } => short,
            cell => cell.as_str(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub title: String,
    pub align: Align,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Every row asks for the head's attention (the overdue requests).
    pub alert: bool,
}

/// What the numbers of a series count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Requests; the lines of a series share one scale, so they compare.
    Count,
    /// A share in tenths of a percent, on a scale of 0–100 %.
    ShareTenths,
}

impl Unit {
    /// The value as the reports write it: `4`, `66,7`.
    pub fn figure(self, value: u64) -> String {
        match self {
            Unit::Count => value.to_string(),
            Unit::ShareTenths => share_number(u32::try_from(value).ok()),
        }
    }
}

/// Numbers per day of the week, one line per thing counted, each with the week's figure and
/// its direction against the week before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// What is counted: `Поступило по типам обращений`.
    pub label: String,
    pub unit: Unit,
    /// The days' names: `Пн 09.11`.
    pub days: Vec<String>,
    pub lines: Vec<SeriesLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesLine {
    pub label: String,
    /// The policy's short name, for where the label does not fit.
    pub short: String,
    /// One per day; `None` where there was nothing to count (a share of no requests).
    pub values: Vec<Option<u64>>,
    pub week: Option<u64>,
    pub trend: Option<Trend>,
}

impl Series {
    /// The series as a table: a row per line with the days, the week's figure and its trend.
    pub fn table(&self) -> Table {
        let mut titles = vec![self.label.clone()];
        titles.extend(self.days.iter().cloned());
        titles.extend([
            tr!("report.series.week").to_string(),
            tr!("report.series.trend").to_string(),
        ]);
        let mut table = Table::titled(titles, 1);
        let number =
            |value: Option<u64>| figure(value.map(|v| self.unit.figure(v)).unwrap_or_default());
        table.rows = self
            .lines
            .iter()
            .map(|line| {
                let mut row = vec![text(line.label.clone())];
                row.extend(line.values.iter().map(|&value| number(value)));
                row.push(number(line.week));
                row.push(figure(trend(line.trend)));
                row
            })
            .collect();
        table
    }
}

impl Document {
    /// Every label the document holds: headings, figures' labels, columns, series and their
    /// lines; what each format must show.
    pub fn labels(&self) -> Vec<&str> {
        let mut labels = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Heading(text) => labels.push(text.as_str()),
                Block::Figures(figures) => {
                    labels.extend(figures.iter().map(|figure| figure.label.as_str()));
                }
                Block::Table(table) => {
                    labels.extend(table.columns.iter().map(|column| column.title.as_str()));
                }
                Block::Series(series) => {
                    labels.push(series.label.as_str());
                    labels.extend(series.lines.iter().map(|line| line.label.as_str()));
                }
                Block::Text(_) => {}
            }
        }
        labels
    }
}

fn text(text: impl Into<String>) -> Cell {
    Cell::Text(text.into())
}

fn figure(text: impl Into<String>) -> Cell {
    Cell::Figure(text.into())
}

fn category(policy: &Policy, category: Category) -> Cell {
    Cell::Name {
        full: category_label(policy, category),
        short: policy.category_short(category).to_string(),
    }
}

fn queue(policy: &Policy, queue: Option<&str>) -> Cell {
    Cell::Name {
        full: queue_name(policy, queue),
        short: queue_short(policy, queue),
    }
}

impl Figure {
    fn new(label: impl Into<String>, value: Cell) -> Figure {
        Figure {
            label: label.into(),
            value,
            note: None,
            alert: false,
        }
    }

    fn count(label: impl Into<String>, count: impl ToString) -> Figure {
        Figure::new(label, figure(count.to_string()))
    }
}

impl Table {
    /// A table whose first `left` columns are left-aligned, the rest right-aligned.
    fn new(titles: &[&str], left: usize) -> Table {
        Table::titled(titles.iter().map(|title| title.to_string()).collect(), left)
    }

    fn titled(titles: Vec<String>, left: usize) -> Table {
        let columns = titles
            .into_iter()
            .enumerate()
            .map(|(index, title)| Column {
                title,
                align: if index < left {
                    Align::Left
                } else {
                    Align::Right
                },
            })
            .collect();
        Table {
            columns,
            rows: Vec::new(),
            alert: false,
        }
    }
}
