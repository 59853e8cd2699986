//! A year of the production calendar taken from the government's publication, for the years
//! the shipped data does not cover yet: the XML of xmlcalendar.ru (and the services that
//! copy its layout) and the CSV of the open-data portal (data.gov.ru, «Производственный
//! календарь»).

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::hours::CalendarDay;

/// One year as the decree has it: the days that differ from what their weekday says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearCalendar {
    pub year: i32,
    /// Public holidays and the days off moved by the decree.
    #[serde(default)]
    pub days_off: Vec<NaiveDate>,
    /// Saturdays and Sundays worked instead of a moved day off.
    #[serde(default)]
    pub worked: Vec<NaiveDate>,
    /// Working days an hour shorter, before a holiday (Labour Code, art. 95).
    #[serde(default)]
    pub shortened: Vec<NaiveDate>,
    /// Where it came from (the file imported), for the admin reading it later.
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("{}", tr!("calendar.error.format"))]
    Format,
    #[error("{}", tr!("calendar.error.year", year = .0))]
    Year(String),
    #[error("{}", tr!("calendar.error.day", day = .0))]
    Day(String),
    #[error("{}", tr!("calendar.error.kind", kind = .0))]
    Kind(String),
    #[error("{}", tr!("calendar.error.empty", year = .0))]
    Empty(i32),
}

/// The years a calendar may be imported for.
const YEARS: std::ops::RangeInclusive<i32> = 1993..=2100;

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The non-working public holidays of the Labour Code (art. 112), whatever the weekday.
fn is_public_holiday(date: NaiveDate) -> bool {
    matches!(
        (date.month(), date.day()),
        (1, 1..=8) | (2, 23) | (3, 8) | (5, 1) | (5, 9) | (6, 12) | (11, 4)
    )
}

impl YearCalendar {
    /// What the year says of `date` (a date of this year).
    pub fn day(&self, date: NaiveDate) -> CalendarDay {
        let listed = |days: &[NaiveDate]| days.binary_search(&date).is_ok();
        if listed(&self.days_off) {
            return CalendarDay::DayOff;
        }
        let shortened = listed(&self.shortened);
        if is_weekend(date) {
            if shortened || listed(&self.worked) {
                CalendarDay::Working {
                    worked_weekend: true,
                    shortened,
                }
            } else {
                CalendarDay::Weekend
            }
        } else {
            CalendarDay::Working {
                worked_weekend: false,
                shortened,
            }
        }
    }

    /// The same year with its lists in order and without repeats (`day` searches them).
    pub fn sorted(mut self) -> YearCalendar {
        for days in [&mut self.days_off, &mut self.worked, &mut self.shortened] {
            days.sort();
            days.dedup();
        }
        self
    }

    fn new(year: i32, source: &str) -> YearCalendar {
        YearCalendar {
            year,
            days_off: Vec::new(),
            worked: Vec::new(),
            shortened: Vec::new(),
            source: source.to_string(),
        }
    }

    /// The year as a calendar must be: in the years one may be given for, with its New Year
    /// holidays (a file without days off is not a calendar), every date in that year.
    pub fn checked(self) -> Result<YearCalendar, CalendarError> {
        if !YEARS.contains(&self.year) {
            return Err(CalendarError::Year(self.year.to_string()));
        }
        if self.days_off.is_empty() {
            return Err(CalendarError::Empty(self.year));
        }
        let elsewhere = [&self.days_off, &self.worked, &self.shortened]
            .into_iter()
            .flatten()
            .find(|date| date.year() != self.year);
        if let Some(date) = elsewhere {
            return Err(CalendarError::Day(date.to_string()));
        }
        Ok(self.sorted())
    }
}

/// The years in a publication, XML or CSV as its first character says; `source` names it.
pub fn parse(text: &str, source: &str) -> Result<Vec<YearCalendar>, CalendarError> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') {
        Ok(vec![parse_xml(text, source)?])
    } else {
        parse_csv(text, source)
    }
}

/// xmlcalendar.ru's layout: `<calendar year="2025">` and `<day d="MM.DD" t="1|2|3"/>`,
/// where 1 is a day off, 2 a shortened working day and 3 a weekend day worked; the other
/// days are as their weekday says. Comments are skipped; other tags are ignored.
pub fn parse_xml(text: &str, source: &str) -> Result<YearCalendar, CalendarError> {
    let text = without_comments(text);
    let mut calendar: Option<YearCalendar> = None;
    for tag in text.split('<').skip(1) {
        let Some((tag, _)) = tag.split_once('>') else {
            return Err(CalendarError::Format);
        };
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next();
        match name {
            Some("calendar") => {
                // one year a file: a second is not this layout
                if calendar.is_some() {
                    return Err(CalendarError::Format);
                }
                let year = attribute(tag, "year").ok_or(CalendarError::Format)?;
                let number = year
                    .parse::<i32>()
                    .ok()
                    .filter(|year| YEARS.contains(year))
                    .ok_or_else(|| CalendarError::Year(year.to_string()))?;
                calendar = Some(YearCalendar::new(number, source));
            }
            Some("day") => {
                let Some(calendar) = calendar.as_mut() else {
                    return Err(CalendarError::Format);
                };
                let day = attribute(tag, "d").ok_or(CalendarError::Format)?;
                let date = day
                    .split_once('.')
                    .and_then(|(month, day)| {
                        NaiveDate::from_ymd_opt(
                            calendar.year,
                            month.parse().ok()?,
                            day.parse().ok()?,
                        )
                    })
                    .ok_or_else(|| CalendarError::Day(day.to_string()))?;
                match attribute(tag, "t") {
                    Some("1") => calendar.days_off.push(date),
                    Some("2") => calendar.shortened.push(date),
                    Some("3") => calendar.worked.push(date),
                    other => return Err(CalendarError::Kind(other.unwrap_or_default().into())),
                }
            }
            _ => {}
        }
    }
    calendar.ok_or(CalendarError::Format)?.checked()
}

fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("-->")
            .map_or("", |end| &rest[start + end + 3..]);
    }
    out.push_str(rest);
    out
}

/// The value of `name="…"` in a tag's text (published files are not always well-formed:
/// `date="2024.12.01"country="ru"` has no space, so this does not ask for one).
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let mut search = tag;
    loop {
        let at = search.find(&format!("{name}=\""))?;
        let before = search[..at].chars().next_back();
        let value = &search[at + name.len() + 2..];
        // `id="1"` is not `d="1"`
        if before.is_none_or(|c| !c.is_alphanumeric()) {
            return value.split_once('"').map(|(value, _)| value);
        }
        search = value;
    }
}

/// data.gov.ru's layout: a header, then a row a year: the year and twelve cells, each the
/// month's days off (weekends and holidays) as numbers, `+` after a day off moved by the
/// decree, `*` after a shortened working day; a weekend day not listed is worked. The
/// columns after December (totals) are not read.
pub fn parse_csv(text: &str, source: &str) -> Result<Vec<YearCalendar>, CalendarError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut years = Vec::new();
    for (number, row) in reader.records().enumerate() {
        let row = row.map_err(|_| CalendarError::Format)?;
        let year_cell = row.get(0).unwrap_or_default().trim();
        // the first row is the header when it does not start with a year
        if year_cell.is_empty() || (number == 0 && year_cell.parse::<i32>().is_err()) {
            continue;
        }
        let year = year_cell
            .parse::<i32>()
            .ok()
            .filter(|year| YEARS.contains(year))
            .ok_or_else(|| CalendarError::Year(year_cell.to_string()))?;
        let mut calendar = YearCalendar::new(year, source);
        for month in 1..=12u32 {
            let cell = row.get(month as usize).ok_or(CalendarError::Format)?;
            let mut listed = Vec::new();
            for entry in cell
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
            {
                let number = entry.trim_end_matches(['*', '+']);
                let date = number
                    .parse()
                    .ok()
                    .and_then(|day| NaiveDate::from_ymd_opt(year, month, day))
                    .ok_or_else(|| CalendarError::Day(format!("{entry} ({month:02}.{year})")))?;
                listed.push(date);
                if entry.ends_with('*') {
                    calendar.shortened.push(date);
                } else if entry.ends_with('+') || !is_weekend(date) || is_public_holiday(date) {
                    // the file does not tell a holiday on a weekend from the weekend: the
                    // Labour Code does
                    calendar.days_off.push(date);
                }
            }
            // a weekend day the month does not list is worked
            let mut date = NaiveDate::from_ymd_opt(year, month, 1).ok_or(CalendarError::Format)?;
            while date.month() == month {
                if is_weekend(date) && !listed.contains(&date) {
                    calendar.worked.push(date);
                }
                date = date.succ_opt().ok_or(CalendarError::Format)?;
            }
        }
        years.push(calendar.checked()?);
    }
    if years.is_empty() {
        return Err(CalendarError::Format);
    }
    Ok(years)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn the_xml_says_days_off_shortened_days_and_weekends_worked() {
        let text = r#"<?xml version="1.0"?><!-- <day d="03.03" t="1"/> -->
            <calendar year="2030" date="2029.09.01"country="ru"><holidays>
            <holiday id="1" title="Новогодние каникулы"/></holidays><days>
            <day d="01.01" t="1" h="1"/><day d="02.22" t="2"/><day d="03.02" t="3"/>
            </days></calendar>"#;
        let year = parse(text, "x.xml").expect("parsed");
        assert_eq!(year.len(), 1);
        let year = &year[0];
        assert_eq!(year.day(date(2030, 1, 1)), CalendarDay::DayOff);
        assert_eq!(
            year.day(date(2030, 2, 22)),
            CalendarDay::Working {
                worked_weekend: false,
                shortened: true
            }
        );
        // 2 March 2030 is a Saturday
        assert_eq!(
            year.day(date(2030, 3, 2)),
            CalendarDay::Working {
                worked_weekend: true,
                shortened: false
            }
        );
        assert_eq!(year.day(date(2030, 3, 3)), CalendarDay::Weekend);
        assert_eq!(
            year.day(date(2030, 3, 4)),
            CalendarDay::Working {
                worked_weekend: false,
                shortened: false
            }
        );
    }

    #[test]
    fn a_broken_publication_is_refused_with_what_is_wrong() {
        let refused = |text: &str| parse(text, "x").expect_err("refused");
        assert_eq!(
            refused(r#"<calendar year="2030"><day d="02.30" t="1"/></calendar>"#),
            CalendarError::Day("02.30".into())
        );
        assert_eq!(
            refused(r#"<calendar year="2030"><day d="01.01" t="7"/></calendar>"#),
            CalendarError::Kind("7".into())
        );
        assert_eq!(
            refused(r#"<calendar year="30000"></calendar>"#),
            CalendarError::Year("30000".into())
        );
        assert_eq!(
            refused(r#"<calendar year="2030"></calendar>"#),
            CalendarError::Empty(2030)
        );
        assert_eq!(refused("<days>"), CalendarError::Format);
        assert_eq!(refused(""), CalendarError::Format);
        assert_eq!(
            refused("Год,Январь\n2030,\"1,2,32\"\n"),
            CalendarError::Day("32 (01.2030)".into())
        );
        assert_eq!(refused("Год,Январь\n2030,\"1\"\n"), CalendarError::Format);
        assert_eq!(
            refused("Год\nдве тысячи\n"),
            CalendarError::Year("две тысячи".into())
        );
        // two years in one XML file is not the layout
        let twice =
            r#"<calendar year="2030"><day d="01.01" t="1"/></calendar><calendar year="2031">"#;
        assert_eq!(refused(twice), CalendarError::Format);
        // a calendar file edited by hand: a date of another year
        let mut year = parse(
            r#"<calendar year="2030"><day d="01.01" t="1"/></calendar>"#,
            "x",
        )
        .expect("parsed")
        .remove(0);
        year.shortened.push(date(2031, 2, 22));
        assert_eq!(year.checked(), Err(CalendarError::Day("2031-02-22".into())));
    }

    #[test]
    fn a_csv_without_its_header_keeps_its_first_year() {
        let years = parse(
            "2030,\"1,2,5,6\",,,,,,,,,,,\n2031,\"1,4,5\",,,,,,,,,,,\n",
            "x",
        )
        .expect("parsed");
        assert_eq!(
            years.iter().map(|year| year.year).collect::<Vec<_>>(),
            [2030, 2031]
        );
    }
}
