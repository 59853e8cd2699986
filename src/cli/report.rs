//! `pult report daily|weekly|proposals`: the reports as Markdown or CSV files, in local time.

use std::path::{Path, PathBuf};

use chrono::{Local, NaiveDate, Offset};
use clap::{Subcommand, ValueEnum};

use super::out::{self, say};
use super::{connect, policy, CliError};
use crate::report::{csv, markdown};
use crate::service::{Command, Reply};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Markdown, readable as plain text
    Md,
    /// CSV for Excel: UTF-8 with a BOM, `;` between fields
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// Ежедневный отчёт руководителю Службы (по умолчанию — за сегодня)
    Daily {
        /// День: ГГГГ-ММ-ДД
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
        #[arg(long, value_enum, default_value = "md")]
        format: Format,
        /// Записать в файл (иначе — на экран)
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Еженедельный анализ директору (по умолчанию — за последнюю полную неделю)
    Weekly {
        /// Неделя ISO: 2026-W47
        #[arg(long, value_name = "YYYY-Www")]
        week: Option<String>,
        #[arg(long, value_enum, default_value = "md")]
        format: Format,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Предложения директору к неделе (руководитель Службы); пустой текст их убирает
    Proposals {
        /// Неделя ISO: 2026-W47
        #[arg(long, value_name = "YYYY-Www")]
        week: String,
        /// Текст предложений
        text: String,
    },
}

/// "2026-W47" → (2026, 47).
pub fn parse_week(text: &str) -> Result<(i32, u32), CliError> {
    let bad = || CliError::BadWeek(text.to_string());
    let (year, week) = text.trim().split_once(['-', ' ']).ok_or_else(bad)?;
    let week = week.trim_start_matches(['W', 'w']);
    Ok((
        year.parse().map_err(|_| bad())?,
        week.parse().map_err(|_| bad())?,
    ))
}

fn parse_date(text: &str) -> Result<NaiveDate, CliError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| CliError::BadDate(text.to_string()))
}

pub fn run(dir: &Path, action: ReportAction) -> Result<(), CliError> {
    let offset = Local::now().offset().fix();
    let offset_seconds = offset.local_minus_utc();
    let mut client = connect(dir)?;
    match action {
        ReportAction::Daily {
            date,
            format,
            output,
        } => {
            let date = date.as_deref().map(parse_date).transpose()?;
            let Reply::Daily { report } = client.call(Command::DailyReport {
                date,
                offset_seconds,
            })?
            else {
                return Err(CliError::Unexpected);
            };
            let policy = policy(&mut client)?;
            let text = match format {
                Format::Md => markdown::daily_markdown(&report, &policy, offset),
                Format::Csv => csv::daily_csv(&report, &policy, offset),
            };
            out::report(&text, output.as_deref())
        }
        ReportAction::Weekly {
            week,
            format,
            output,
        } => {
            let week = week.as_deref().map(parse_week).transpose()?;
            let Reply::Weekly { report } = client.call(Command::WeeklyReport {
                week,
                offset_seconds,
            })?
            else {
                return Err(CliError::Unexpected);
            };
            let policy = policy(&mut client)?;
            let text = match format {
                Format::Md => markdown::weekly_markdown(&report, &policy, offset),
                Format::Csv => csv::weekly_csv(&report, &policy, offset),
            };
            out::report(&text, output.as_deref())
        }
        ReportAction::Proposals { week, text } => {
            let (year, week) = parse_week(&week)?;
            client.call(Command::SaveProposals { year, week, text })?;
            say!(
                "{}",
                tr!("print.proposals_saved", week = format!("{year}-W{week:02}"))
            )?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_and_dates_are_read_as_people_write_them() {
        assert_eq!(parse_week("2026-W47").unwrap(), (2026, 47));
        assert_eq!(parse_week("2026-w7").unwrap(), (2026, 7));
        assert!(parse_week("47").is_err());
        assert!(parse_date("2026-11-22").is_ok());
        assert!(parse_date("22.11.2026").is_err());
    }
}
