//! `pult import FILE`: calls written elsewhere (a spreadsheet journal, the paper log of an
//! outage, another pult's `list --json`) logged through the server, each with its own
//! received time and the importing person as its author.
//!
//! The rows that pass are imported; each refused row is named by its line with its reason,
//! and writes nothing; the exit status is non-zero when any row was refused. A row imported
//! before (the same received time, caller and description) makes no copy, so a file may be
//! imported again after a fix, or after a run that stopped half-way.

mod read;
mod words;

use std::io::Read;
use std::path::Path;

use serde_json::json;
use thiserror::Error;

pub use read::{Row, MAX_RECORD_BYTES};
pub use words::Words;

use super::out::{self, say};
use super::{connect, policy, CliError};
use crate::domain::import::{ImportCall, RowOutcome};
use crate::domain::policy::Policy;
use crate::domain::request::Category;
use crate::net::client::Client;
use crate::net::protocol::{encoded_len, MAX_CLIENT_FRAME};
use crate::service::{Command, Reply};

/// Largest file read, in MiB (a school's whole journal is a few dozen).
pub const MAX_FILE_MIB: u64 = 1024;

/// Most rows sent in one command (one transaction on the server).
pub const MAX_ROWS_PER_COMMAND: usize = 5_000;

/// Why a file cannot be imported at all.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{}", tr!("import.error.read", path = .path, error = .source))]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{}", tr!("import.error.too_large", path = .path, limit = MAX_FILE_MIB))]
    TooLarge { path: String },
    #[error("{}", tr!("import.error.not_text"))]
    NotText,
    #[error("{}", tr!("import.error.empty"))]
    Empty,
    #[error("{}", tr!("import.error.json", line = .line, error = .error))]
    Json { line: u64, error: String },
    #[error("{}", tr!("import.error.csv", error = .0))]
    Csv(String),
    #[error("{}", tr!("import.error.columns", missing = .missing, found = .found))]
    Columns { missing: String, found: String },
    #[error("{}", tr!("import.error.refused", count = .refused))]
    RowsRefused { refused: usize },
}

/// Why one row cannot be read (the server's checks of a row that reads are `RowRefusal`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RowError {
    #[error("{}", tr!("import.row_error.too_long", bytes = .bytes, max = MAX_RECORD_BYTES / 1024))]
    TooLong { bytes: usize },
    #[error("{}", tr!("import.row_error.not_a_request", error = .0))]
    NotARequest(String),
    #[error("{}", tr!("import.row_error.bad_time", text = .0))]
    BadTime(String),
    #[error("{}", tr!("import.row_error.no_such_time", text = .0))]
    NoSuchTime(String),
    #[error("{}", tr!("import.row_error.no_role"))]
    NoRole,
    #[error("{}", tr!("import.row_error.bad_role", text = .0))]
    BadRole(String),
    #[error("{}", tr!("import.row_error.no_category", types = types()))]
    NoCategory,
    #[error("{}", tr!("import.row_error.bad_category", text = .0, types = types()))]
    BadCategory(String),
    #[error("{}", tr!("import.row_error.bad_channel", text = .0))]
    BadChannel(String),
    #[error("{}", tr!("import.row_error.too_large"))]
    TooLarge,
}

fn types() -> String {
    Category::ALL
        .iter()
        .map(|category| category.label())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A row that cannot be read: its line and why.
pub type Unreadable = (u64, RowError);

/// The calls of a file's bytes, and the rows that cannot be read.
pub fn calls_of(
    bytes: &[u8],
    policy: &Policy,
) -> Result<(Vec<ImportCall>, Vec<Unreadable>), ImportError> {
    let text = read::decode(bytes)?;
    let rows = read::rows(&text, &Words::new(policy))?;
    let mut calls = Vec::with_capacity(rows.len());
    let mut unreadable = Vec::new();
    for row in rows {
        match row {
            Ok(call) => calls.push(call),
            Err(refused) => unreadable.push(refused),
        }
    }
    Ok((calls, unreadable))
}

/// `calls` in commands that each fit in a frame, and the rows too large for any.
pub fn batches(calls: Vec<ImportCall>) -> (Vec<Vec<ImportCall>>, Vec<Unreadable>) {
    // room for the message's own tags, the command's number and the list's length
    let budget = MAX_CLIENT_FRAME - 4096;
    let mut batches = Vec::new();
    let mut too_large = Vec::new();
    let (mut batch, mut size) = (Vec::new(), 0);
    for call in calls {
        // the server's decoder counts the memory a list takes as well as its bytes
        let length = encoded_len(&call).map(|length| length + std::mem::size_of::<ImportCall>());
        let Some(length) = length.ok().filter(|length| *length <= budget) else {
            too_large.push((call.line, RowError::TooLarge));
            continue;
        };
        if size + length > budget || batch.len() == MAX_ROWS_PER_COMMAND {
            batches.push(std::mem::take(&mut batch));
            size = 0;
        }
        size += length;
        batch.push(call);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    (batches, too_large)
}

/// Sends the batches in order, each one command, adding what became of each row to
/// `outcomes`; stops at the first command the server refuses as a whole (the rows of the
/// batches before it are imported).
pub fn send(
    client: &mut Client,
    batches: Vec<Vec<ImportCall>>,
    outcomes: &mut Vec<RowOutcome>,
) -> Result<(), CliError> {
    for calls in batches {
        let Reply::Imported { rows } = client.call(Command::Import { calls })? else {
            return Err(CliError::Unexpected);
        };
        outcomes.extend(rows);
    }
    Ok(())
}

fn read_input(file: &str) -> Result<Vec<u8>, ImportError> {
    let limit = MAX_FILE_MIB * 1024 * 1024;
    let failed = |source| ImportError::Read {
        path: file.to_string(),
        source,
    };
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(failed)?;
    } else {
        std::fs::File::open(file)
            .and_then(|opened| opened.take(limit + 1).read_to_end(&mut bytes))
            .map_err(failed)?;
    }
    if bytes.len() as u64 > limit {
        return Err(ImportError::TooLarge {
            path: file.to_string(),
        });
    }
    Ok(bytes)
}

/// `pult import FILE` (`-`: standard input).
pub fn run(dir: &Path, file: &str, json: bool) -> Result<(), CliError> {
    let mut client = connect(dir)?;
    let policy = policy(&mut client)?;
    let bytes = read_input(file)?;
    let (calls, mut refused) = calls_of(&bytes, &policy)?;
    drop(bytes);
    let (batches, too_large) = batches(calls);
    refused.extend(too_large);
    let mut outcomes = Vec::new();
    let sent = send(&mut client, batches, &mut outcomes);
    if sent.is_ok() || !outcomes.is_empty() {
        report(&outcomes, &refused, json)?;
    }
    sent?;
    let count = refused.len()
        + outcomes
            .iter()
            .filter(|outcome| matches!(outcome, RowOutcome::Refused { .. }))
            .count();
    if count > 0 {
        return Err(ImportError::RowsRefused { refused: count }.into());
    }
    Ok(())
}

/// The refused rows by line, then the summary (or all of it as JSON).
fn report(outcomes: &[RowOutcome], unreadable: &[Unreadable], json: bool) -> Result<(), CliError> {
    let mut imported = 0;
    let mut already = 0;
    let mut refused: Vec<(u64, String)> = unreadable
        .iter()
        .map(|(line, error)| (*line, error.to_string()))
        .collect();
    let mut rows = Vec::new();
    for outcome in outcomes {
        match outcome {
            RowOutcome::Imported { line, id } => {
                imported += 1;
                rows.push(json!({"line": line, "result": "imported", "id": id.0}));
            }
            RowOutcome::AlreadyThere { line, id } => {
                already += 1;
                rows.push(json!({"line": line, "result": "already_there", "id": id.0}));
            }
            RowOutcome::Refused { line, refusal } => refused.push((*line, refusal.to_string())),
        }
    }
    refused.sort_by_key(|(line, _)| *line);
    if json {
        rows.extend(
            refused
                .iter()
                .map(|(line, reason)| json!({"line": line, "result": "refused", "reason": reason})),
        );
        rows.sort_by_key(|row| row["line"].as_u64());
        return out::json(&json!({
            "imported": imported,
            "already_there": already,
            "refused": refused.len(),
            "rows": rows,
        }));
    }
    for (line, reason) in &refused {
        say!("{}", tr!("import.row", line = line, reason = reason))?;
    }
    say!(
        "{}",
        tr!(
            "import.summary",
            imported = imported,
            already = already,
            refused = refused.len()
        )
    )?;
    Ok(())
}
