//! The reports as CSV for Excel in a Russian locale: UTF-8 with a BOM, `;` between fields,
//! CRLF between records, one block per table with a blank line between blocks.

use chrono::FixedOffset;

use super::format::{date, iso_week, local_time, offset_name};
use super::tables::{self, Cell, Table};
use super::{DailyReport, WeeklyReport};
use crate::domain::policy::Policy;

const BOM: char = '\u{feff}';

/// The daily report as CSV.
pub fn daily_csv(report: &DailyReport, policy: &Policy, offset: FixedOffset) -> String {
    let figures = &report.figures;
    let mut out = Csv::new();
    out.record(&[
        "Ежедневный отчёт руководителю Службы",
        &date(report.date),
        &format!("время местное, {}", offset_name(offset)),
    ]);
    let mut senders = vec!["Направляют".to_string()];
    senders.extend(report.senders.iter().cloned());
    out.record_owned(&senders);
    out.record(&["Сформирован", &local_time(report.generated_at, offset)]);
    out.blank();

    out.record(&["Поступило за день", &figures.received.total.to_string()]);
    out.record(&["Из них отменено", &figures.received.cancelled.to_string()]);
    out.blank();
    for table in tables::received(figures, policy) {
        out.table(&table);
    }
    out.table(&tables::steps(figures, policy));
    out.record(&["Открыто на конец дня", &figures.open_at_end.to_string()]);
    out.record(&[
        "Просрочено сейчас",
        &report.overdue.len().to_string(),
        &format!("на {}", local_time(report.generated_at, offset)),
    ]);
    out.blank();
    if !report.overdue.is_empty() {
        out.table(&tables::overdue(report, policy));
    }
    let e = &figures.extensions;
    let v = &figures.vendor;
    out.record(&["Просьб о продлении срока", &e.asked.to_string()]);
    out.record(&["Продлений согласовано", &e.approved.to_string()]);
    out.record(&["Продлений отказано", &e.denied.to_string()]);
    out.record(&["Передано поставщику", &v.sent.to_string()]);
    out.record(&["Получено ответов поставщика", &v.answered.to_string()]);
    out.finish()
}

/// The weekly analysis as CSV: aggregates only, and the head's proposals in the last block.
pub fn weekly_csv(report: &WeeklyReport, policy: &Policy, offset: FixedOffset) -> String {
    let mut out = Csv::new();
    out.record(&[
        "Еженедельный анализ директору",
        &iso_week(report.year, report.week),
        &report
            .days
            .first()
            .map(|d| date(d.date))
            .unwrap_or_default(),
        &report.days.last().map(|d| date(d.date)).unwrap_or_default(),
        &format!("время местное, {}", offset_name(offset)),
    ]);
    out.record(&["Сформирован", &local_time(report.generated_at, offset)]);
    out.blank();
    out.table(&tables::comparison(report, policy));
    out.table(&tables::series(report, policy, false));
    out.table(&tables::top_categories(report, policy));
    out.table(&tables::recurring_words(report));
    out.record(&[
        "Обратившихся с двумя и более обращениями за неделю",
        &report.repeat_callers.to_string(),
    ]);
    out.blank();
    out.table(&tables::longest_open(report, policy));
    out.record(&["Предложения руководителя Службы"]);
    out.record(&[report.proposals.as_deref().map(str::trim).unwrap_or("")]);
    out.finish()
}

struct Csv {
    text: String,
}

impl Csv {
    fn new() -> Csv {
        Csv {
            text: BOM.to_string(),
        }
    }

    fn record(&mut self, fields: &[&str]) {
        let quoted: Vec<String> = fields.iter().map(|f| field(f)).collect();
        self.text.push_str(&quoted.join(";"));
        self.text.push_str("\r\n");
    }

    fn record_owned(&mut self, fields: &[String]) {
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        self.record(&fields);
    }

    fn blank(&mut self) {
        self.text.push_str("\r\n");
    }

    fn table(&mut self, table: &Table) {
        self.record_owned(&table.header);
        for row in &table.rows {
            let cells: Vec<String> = row.iter().map(cell).collect();
            self.text.push_str(&cells.join(";"));
            self.text.push_str("\r\n");
        }
        self.blank();
    }

    fn finish(self) -> String {
        self.text
    }
}

/// A table's cell: a figure pult computed goes out as it is, any text through `field`.
fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Figure(figure) => quoted(figure),
        Cell::Text(text) => field(text),
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

/// Quoted when it holds `;`, `"` or a line break.
fn quoted(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
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
