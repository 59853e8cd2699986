//! `pult calendar import FILE` and `pult calendar list`: a new year's production calendar from
//! the government's publication, and which years the deadlines know.

use std::path::Path;

use clap::Subcommand;

use super::out::say;
use super::CliError;
use crate::domain::calendar;
use crate::domain::hours::production_calendar;
use crate::service::setup::{
    imported_calendars, load_policy, read_bounded, store_calendars, MAX_CALENDAR_BYTES,
};

#[derive(Debug, Subcommand)]
pub enum CalendarAction {
    /// Загрузить производственный календарь из файла XML (xmlcalendar.ru) или CSV (data.gov.ru)
    Import {
        /// Файл календаря
        file: String,
    },
    /// Годы, которые знает производственный календарь pult, и откуда
    List,
}

pub fn run(dir: &Path, action: CalendarAction) -> Result<(), CliError> {
    match action {
        CalendarAction::Import { file } => import(dir, Path::new(&file)),
        CalendarAction::List => list(dir),
    }
}

fn import(dir: &Path, file: &Path) -> Result<(), CliError> {
    // the policy in force must read before a year is added to it
    let policy = load_policy(dir)?;
    let refused = |reason: String| {
        CliError::Calendar(tr!(
            "cli.calendar.refused",
            file = file.display(),
            reason = reason
        ))
    };
    let text = read_bounded(file, MAX_CALENDAR_BYTES).map_err(refused)?;
    let source = file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let years = calendar::parse(&text, &source).map_err(|error| refused(error.to_string()))?;
    let written = store_calendars(dir, &years)?;
    for (year, path) in years.iter().zip(&written) {
        say!(
            "{}",
            tr!(
                "cli.calendar.imported",
                year = year.year,
                off = year.days_off.len(),
                worked = year.worked.len(),
                shortened = year.shortened.len(),
                path = path.display()
            )
        )?;
    }
    let counted = policy
        .hours
        .as_ref()
        .is_some_and(|hours| hours.production_calendar);
    say!(
        "{}",
        if counted {
            tr!("cli.calendar.restart")
        } else {
            tr!("cli.calendar.not_in_use")
        }
    )?;
    Ok(())
}

fn list(dir: &Path) -> Result<(), CliError> {
    let imported = imported_calendars(dir)?;
    // the shipped data: the years it holds as official, around today
    let this_year = chrono::Datelike::year(&chrono::Local::now().date_naive());
    let official: Vec<i32> = (this_year - 1..=this_year + 3)
        .filter(|year| {
            chrono::NaiveDate::from_ymd_opt(*year, 1, 1)
                .is_some_and(|first| production_calendar(first).1)
        })
        .collect();
    let shipped = official
        .iter()
        .map(|year| year.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    say!("{}", tr!("cli.calendar.shipped", years = shipped))?;
    for year in &imported {
        say!(
            "{}",
            tr!(
                "cli.calendar.imported_year",
                year = year.year,
                source = year.source
            )
        )?;
    }
    let known = |year: i32| official.contains(&year) || imported.iter().any(|y| y.year == year);
    if let Some(missing) = (this_year..=this_year + 1).find(|year| !known(*year)) {
        say!("{}", tr!("cli.calendar.missing", year = missing))?;
    }
    Ok(())
}
