//! `pult backup`, `pult backup --verify FILE` and `pult restore FILE`: a copy of the store made
//! by the running server, checked, and brought back into a new data directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::out::say;
use super::{connect, CliError};
use crate::service::{BackupState, Command, Reply};
use crate::store::backup::{restore, verify, write_private, BackupSummary};

/// How often the server is asked whether its backup is done, and for how long at most.
const POLL: Duration = Duration::from_millis(200);
const AT_MOST: Duration = Duration::from_secs(6 * 3600);

pub struct BackupArgs {
    pub output: Option<PathBuf>,
    pub verify: Option<PathBuf>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
}

pub fn backup(dir: &Path, args: BackupArgs) -> Result<(), CliError> {
    if let Some(file) = args.verify {
        let summary = verify(&file).map_err(|error| CliError::Backup(error.to_string()))?;
        say!("{}", tr!("cli.backup.verified", file = file.display()))?;
        return describe(&summary);
    }
    let mut client = connect(dir)?;
    let started = Instant::now();
    let mut state = match client.call(Command::Backup {
        keep_daily: args.keep_daily,
        keep_weekly: args.keep_weekly,
    })? {
        Reply::Backup { state } => state,
        _ => return Err(CliError::Unexpected),
    };
    while let BackupState::Running { .. } = state {
        if started.elapsed() > AT_MOST {
            return Err(CliError::Backup(tr!("cli.backup.too_long").into()));
        }
        std::thread::sleep(POLL);
        state = match client.call(Command::BackupStatus)? {
            Reply::Backup { state } => state,
            _ => return Err(CliError::Unexpected),
        };
    }
    match state {
        BackupState::Done {
            file,
            summary,
            took_ms,
            removed,
        } => {
            say!(
                "{}",
                tr!(
                    "cli.backup.made",
                    file = file.display(),
                    seconds = format!("{:.1}", took_ms as f64 / 1000.0)
                )
            )?;
            describe(&summary)?;
            for old in &removed {
                say!("{}", tr!("cli.backup.removed", file = old.display()))?;
            }
            if let Some(output) = args.output {
                copy_out(&file, &output)?;
                say!("{}", tr!("cli.backup.copied", file = output.display()))?;
            }
            Ok(())
        }
        BackupState::Failed { file, reason } => Err(CliError::Backup(tr!(
            "cli.backup.failed",
            file = file.display(),
            reason = reason
        ))),
        BackupState::None | BackupState::Running { .. } => Err(CliError::Unexpected),
    }
}

/// The server's copy at `output` too (this user must be able to read it: the server's own
/// user, as the backup timer runs), written whole or not at all.
fn copy_out(file: &Path, output: &Path) -> Result<(), CliError> {
    let failed = |error: std::io::Error| {
        CliError::Backup(tr!(
            "cli.backup.not_copied",
            file = file.display(),
            output = output.display(),
            error = error
        ))
    };
    let bytes = std::fs::read(file).map_err(failed)?;
    let name = output
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let partial = output.with_file_name(format!(".{name}.partial"));
    write_private(&partial, &bytes)
        .and_then(|()| std::fs::rename(&partial, output))
        .map_err(|error| {
            let _ = std::fs::remove_file(&partial);
            failed(error)
        })?;
    // the copy is checked as it now is on its disk
    verify(output).map_err(|error| CliError::Backup(error.to_string()))?;
    Ok(())
}

fn describe(summary: &BackupSummary) -> Result<(), CliError> {
    let made = crate::domain::time::Timestamp(summary.header.created_at_ms)
        .to_utc()
        .with_timezone(&chrono::Local)
        .format("%d.%m.%Y %H:%M:%S");
    say!(
        "{}",
        tr!(
            "cli.backup.summary",
            made = made,
            requests = summary.requests,
            entries = summary.entries,
            writes = summary.writes,
            files = summary.files,
            mib = format!("{:.1}", summary.bytes as f64 / (1024.0 * 1024.0)),
            sha256 = summary.sha256,
            version = summary.header.pult_version
        )
    )?;
    Ok(())
}

/// Restores `file` into `dir`, which must be empty or not exist; no server runs there yet.
pub fn restore_into(dir: &Path, file: &Path) -> Result<(), CliError> {
    let summary = restore(file, dir).map_err(|error| CliError::Backup(error.to_string()))?;
    say!(
        "{}",
        tr!(
            "cli.backup.restored",
            file = file.display(),
            dir = dir.display()
        )
    )?;
    describe(&summary)
}
