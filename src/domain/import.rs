//! Calls brought in from a file (`pult import`): a school's journal kept in a spreadsheet, the
//! paper log of an outage, or another pult's `list --json`. Each row is a call form with its
//! own received time; it passes the same checks as the form, and it is named by its content,
//! so importing the same row again finds the request it made instead of making a copy.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::call_form::{CallDraft, CheckedCall, Field, FormErrors};
use super::request::{Channel, RequestId};
use super::time::Timestamp;
use super::validate::FieldError;

/// One row of an import file, as the command line read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCall {
    /// Where the row starts in the file (1 is the first line), to say which row is wrong.
    pub line: u64,
    /// The row as a call form; `answered_at` is the row's received time.
    pub draft: CallDraft,
    pub channel: Channel,
}

/// Why a row was not logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RowRefusal {
    /// The row has no received time.
    #[error("{}", tr!("import.refusal.no_time"))]
    NoTime,
    /// The row was received after the moment it is imported.
    #[error("{}", tr!("import.refusal.in_future", at = .received_at.to_rfc3339()))]
    InFuture { received_at: Timestamp },
    /// The form's checks, field by field, in the form's order.
    #[error("{}", describe(.errors))]
    Form { errors: Vec<(Field, FieldError)> },
}

fn describe(errors: &[(Field, FieldError)]) -> String {
    errors
        .iter()
        .map(|(field, error)| format!("{} — {error}", field.label()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What became of one row, by its line in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowOutcome {
    /// Logged as a new request.
    Imported {
        line: u64,
        id: RequestId,
    },
    /// The same call was imported before (this file, an earlier run, another file).
    AlreadyThere {
        line: u64,
        id: RequestId,
    },
    Refused {
        line: u64,
        refusal: RowRefusal,
    },
}

impl RowOutcome {
    pub fn line(&self) -> u64 {
        match self {
            RowOutcome::Imported { line, .. }
            | RowOutcome::AlreadyThere { line, .. }
            | RowOutcome::Refused { line, .. } => *line,
        }
    }
}

/// A row that may be logged: the checked form and its received time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRow {
    pub received_at: Timestamp,
    pub call: CheckedCall,
}

impl CheckedRow {
    /// What names this call however often it is imported: its received time, the caller's
    /// name and the description, as the checks normalised them (a row written again with
    /// other spaces, or another writing of the same phone, is the same call).
    pub fn content_key(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(b"pult import 1\0");
        hash.update(self.received_at.0.to_be_bytes());
        for text in [&self.call.caller.name, &self.call.description] {
            hash.update((text.len() as u64).to_be_bytes());
            hash.update(text.as_bytes());
        }
        hash.finalize().into()
    }
}

/// The checks of one row at `now`: a received time, not in the future, and the form's own.
pub fn check(call: &ImportCall, now: Timestamp) -> Result<CheckedRow, RowRefusal> {
    let received_at = call.draft.answered_at.ok_or(RowRefusal::NoTime)?;
    if received_at > now {
        return Err(RowRefusal::InFuture { received_at });
    }
    let call = call
        .draft
        .check()
        .map_err(|FormErrors { errors }| RowRefusal::Form { errors })?;
    Ok(CheckedRow { received_at, call })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::{CallerRole, Category};

    fn row(at: i64, name: &str, phone: &str) -> ImportCall {
        ImportCall {
            line: 2,
            draft: CallDraft {
                answered_at: Some(Timestamp(at)),
                name: name.into(),
                role: Some(CallerRole::Teacher),
                class: String::new(),
                category: Some(Category::Technical),
                description: "Не работает  вход".into(),
                phone: phone.into(),
                email: String::new(),
                caller_card: None,
                acknowledge: false,
            },
            channel: Channel::Phone,
        }
    }

    #[test]
    fn the_same_call_written_twice_has_one_key() {
        let one = check(
            &row(1_000, "Петров  Иван", "8 912 345-67-89"),
            Timestamp(5_000),
        );
        let two = check(
            &row(1_000, " Петров Иван ", "+79123456789"),
            Timestamp(5_000),
        );
        let (one, two) = (one.expect("valid"), two.expect("valid"));
        assert_eq!(one.content_key(), two.content_key());
        let later = check(&row(2_000, "Петров Иван", "+79123456789"), Timestamp(5_000));
        assert_ne!(one.content_key(), later.expect("valid").content_key());
    }

    #[test]
    fn a_row_from_the_future_or_without_a_time_is_refused() {
        let future = check(&row(9_000, "Петров Иван", "+79123456789"), Timestamp(5_000));
        assert_eq!(
            future,
            Err(RowRefusal::InFuture {
                received_at: Timestamp(9_000)
            })
        );
        let mut timeless = row(1_000, "Петров Иван", "+79123456789");
        timeless.draft.answered_at = None;
        assert_eq!(check(&timeless, Timestamp(5_000)), Err(RowRefusal::NoTime));
    }

    #[test]
    fn the_form_checks_apply_to_a_row() {
        let refused = check(&row(1_000, "", "12-34"), Timestamp(5_000));
        let Err(RowRefusal::Form { errors }) = refused else {
            panic!("not refused by the form: {refused:?}");
        };
        let fields: Vec<Field> = errors.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, [Field::Name, Field::Phone]);
    }
}
