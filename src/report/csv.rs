//! The reports as CSV for Excel in the current language's locale: UTF-8 with a BOM, `;`
//! between fields in Russian (where `,` is the decimal mark) and `,` in English, CRLF between
//! records, a blank record after each block of the report.

use chrono::FixedOffset;

use super::document::{daily_document, weekly_document, Block, Cell, Document, Table};
use super::{DailyReport, WeeklyReport};
use crate::domain::policy::Policy;

const BOM: char = '\u{feff}';

/// The daily report as CSV.
pub fn daily_csv(report: &DailyReport, policy: &Policy, offset: FixedOffset) -> String {
    csv(&daily_document(report, policy, offset))
}

/// The weekly analysis as CSV: aggregates only, and the head's proposals in the last block.
pub fn weekly_csv(report: &WeeklyReport, policy: &Policy, offset: FixedOffset) -> String {
    csv(&weekly_document(report, policy, offset))
}

/// The title and the period first; a heading or a text is a record of one field, a figure
/// `label;value` (and its note); a blank record after each block but a heading.
pub fn csv(document: &Document) -> String {
    let mut out = Csv {
        text: BOM.to_string(),
    };
    out.record(&[field(&document.title), field(&document.period)]);
    out.blank();
    for block in &document.blocks {
        match block {
            Block::Heading(text) => out.record(&[field(text)]),
            Block::Text(text) => {
                out.record(&[field(text)]);
                out.blank();
            }
            Block::Figures(figures) => {
                for figure in figures {
                    let mut fields = vec![field(&figure.label), cell(&figure.value)];
                    fields.extend(figure.note.as_deref().map(field));
                    out.record(&fields);
                }
                out.blank();
            }
            Block::Table(table) => out.table(table),
            Block::Series(series) => out.table(&series.table()),
        }
    }
    out.text
}

struct Csv {
    text: String,
}

impl Csv {
    fn record(&mut self, fields: &[String]) {
        self.text.push_str(&fields.join(separator()));
        self.text.push_str("\r\n");
    }

    fn blank(&mut self) {
        self.text.push_str("\r\n");
    }

    fn table(&mut self, table: &Table) {
        let header: Vec<String> = table.columns.iter().map(|c| field(&c.title)).collect();
        self.record(&header);
        for row in &table.rows {
            let cells: Vec<String> = row.iter().map(cell).collect();
            self.record(&cells);
        }
        self.blank();
    }
}

/// A table's cell: a figure pult computed goes out as it is, any text through `field`.
fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Figure(figure) => quoted(figure),
        Cell::Text(text) | Cell::Name { full: text, .. } => field(text),
    }
}

/// One text field. Whatever starts the way a formula does (`=`, `+`, `-`, `@`, a tab or a
/// carriage return; OWASP's rule) gets a leading apostrophe, whatever follows: `-2+3+cmd|…`
/// runs a program in Excel although it starts like a number.
fn field(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        quoted(&format!("'{text}"))
    } else {
        quoted(text)
    }
}

/// Between the fields of a record: the list separator Excel expects in the language's locale.
fn separator() -> &'static str {
    tr!("report.csv.separator")
}

/// Quoted when it holds the separator, `"` or a line break.
fn quoted(text: &str) -> String {
    if text.contains(separator()) || text.contains(['"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_separators_quotes_or_newlines_are_quoted() {
        assert_eq!(field("просто"), "просто");
        assert_eq!(field("а;б"), "\"а;б\"");
        assert_eq!(field("«да» \"нет\""), "\"«да» \"\"нет\"\"\"");
        assert_eq!(field("строка\nещё"), "\"строка\nещё\"");
    }

    #[test]
    fn every_text_that_starts_like_a_formula_is_defused() {
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("-все"), "'-все");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        // a sign before a digit is no excuse: `-2+3+cmd|…` is a formula to Excel
        assert_eq!(field("+25"), "'+25");
        assert_eq!(field("-0:05"), "'-0:05");
        assert_eq!(field("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(field("\t=1"), "'\t=1");
        assert_eq!(field("\r=1"), "\"'\r=1\"");
        assert_eq!(field("5 = 5"), "5 = 5");
    }

    #[test]
    fn figures_pult_computed_stay_numbers() {
        assert_eq!(cell(&Cell::Figure("-0:05".into())), "-0:05");
        assert_eq!(cell(&Cell::Figure("66,7".into())), "66,7");
        assert_eq!(cell(&Cell::Text("-0:05".into())), "'-0:05");
    }
}
