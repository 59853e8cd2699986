//! `pult backup`, `pult backup --verify FILE` and `pult restore FILE`: a copy of the store made
//! by the running server, checked, and brought back into a new data directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::out::say;
use super::{connect, CliError};
use crate::service::{BackupState, Command, Reply};
use crate::store::backup::{
    is_sealed, restore, seal, unseal, verify, write_whole_private, BackupSummary,
};

/// How often the server is asked whether its backup is done, and for how long at most.
const POLL: Duration = Duration::from_millis(200);
const AT_MOST: Duration = Duration::from_secs(6 * 3600);

/// `pult backup`'s options (their help is the catalogue's `cli.help.pult.backup.*`).
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Положить копию ещё и в FILE (её читает пользователь сервера)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Проверить копию FILE, ничего не восстанавливая
    #[arg(long, value_name = "FILE", conflicts_with_all = ["output", "keep_daily", "keep_weekly"])]
    pub verify: Option<PathBuf>,
    /// Оставить в backups/ по копии за столько последних дней
    #[arg(long, value_name = "N")]
    pub keep_daily: Option<u32>,
    /// И по копии за столько последних недель
    #[arg(long, value_name = "N")]
    pub keep_weekly: Option<u32>,
    /// Зашифровать копию, положенную в -o FILE, паролем (age)
    #[arg(long, requires = "output")]
    pub encrypt: bool,
    /// Файл с паролем (права 0600; иначе PULT_BACKUP_PASSPHRASE)
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// The environment variable a passphrase may come in (else `--passphrase-file`).
pub const PASSPHRASE_VARIABLE: &str = "PULT_BACKUP_PASSPHRASE";

/// The passphrase from `file` (its owner's alone, the first line) or the environment.
fn passphrase(file: Option<&Path>) -> Result<Option<String>, CliError> {
    let Some(file) = file else {
        return Ok(std::env::var(PASSPHRASE_VARIABLE)
            .ok()
            .filter(|phrase| !phrase.is_empty()));
    };
    use std::os::unix::fs::PermissionsExt;
    let refused = |reason: String| {
        CliError::Backup(tr!(
            "cli.backup.passphrase_file",
            file = file.display(),
            reason = reason
        ))
    };
    let mode = std::fs::metadata(file)
        .map_err(|error| refused(error.to_string()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(refused(tr!(
            "cli.backup.passphrase_open",
            mode = format!("{:o}", mode & 0o777)
        )));
    }
    let text = std::fs::read_to_string(file).map_err(|error| refused(error.to_string()))?;
    let phrase = text.lines().next().unwrap_or_default().to_string();
    if phrase.is_empty() {
        return Err(refused(tr!("cli.backup.passphrase_empty").into()));
    }
    Ok(Some(phrase))
}

/// A plain copy of `file` to read: `file` itself, or it opened with the passphrase into a
/// temporary file beside `near` that the guard removes.
fn opened(file: &Path, near: &Path, phrase_file: Option<&Path>) -> Result<Opened, CliError> {
    if !is_sealed(file) {
        return Ok(Opened {
            path: file.to_path_buf(),
            temporary: false,
        });
    }
    let phrase = passphrase(phrase_file)?.ok_or_else(|| {
        CliError::Backup(tr!("cli.backup.needs_passphrase", file = file.display()))
    })?;
    opened_with(file, near, &phrase)
}

/// A backup to read, removed at the end when it was opened from a sealed one.
struct Opened {
    path: PathBuf,
    temporary: bool,
}

impl Drop for Opened {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub fn backup(dir: &Path, args: BackupArgs) -> Result<(), CliError> {
    if let Some(file) = args.verify {
        let plain = opened(
            &file,
            &std::env::temp_dir(),
            args.passphrase_file.as_deref(),
        )?;
        let summary = verify(&plain.path).map_err(|error| CliError::Backup(error.to_string()))?;
        say!("{}", tr!("cli.backup.verified", file = file.display()))?;
        return describe(&summary);
    }
    let sealing = if args.encrypt {
        if args.output.is_none() {
            return Err(CliError::Backup(
                tr!("cli.backup.encrypt_needs_output").into(),
            ));
        }
        Some(passphrase(args.passphrase_file.as_deref())?.ok_or_else(|| {
            CliError::Backup(tr!(
                "cli.backup.no_passphrase",
                variable = PASSPHRASE_VARIABLE
            ))
        })?)
    } else {
        None
    };
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
                match &sealing {
                    Some(phrase) => {
                        seal(&file, &output, phrase)
                            .map_err(|error| CliError::Backup(error.to_string()))?;
                        // checked as it now is on its disk, opened with the same passphrase
                        let plain = opened_with(&output, &std::env::temp_dir(), phrase)?;
                        verify(&plain.path).map_err(|error| CliError::Backup(error.to_string()))?;
                        say!("{}", tr!("cli.backup.sealed", file = output.display()))?;
                    }
                    None => {
                        copy_out(&file, &output)?;
                        say!("{}", tr!("cli.backup.copied", file = output.display()))?;
                    }
                }
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
    write_whole_private(output, &bytes).map_err(failed)?;
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

/// How an opened copy's temporary file is named: `.pult-opened-PID.pultbak`.
const OPENED: (&str, &str) = (".pult-opened-", ".pultbak");

/// Removes what a run killed before it could clean up left opened in `near` (its process
/// is gone): a plain copy of everyone's data must not lie about.
fn clear_left_opened(near: &Path) {
    let Ok(entries) = std::fs::read_dir(near) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let pid = name
            .strip_prefix(OPENED.0)
            .and_then(|rest| rest.strip_suffix(OPENED.1))
            .and_then(|pid| pid.parse::<u32>().ok());
        if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `sealed` opened with `phrase` into a temporary file in `near` (0600, removed after).
fn opened_with(sealed: &Path, near: &Path, phrase: &str) -> Result<Opened, CliError> {
    clear_left_opened(near);
    let path = near.join(format!("{}{}{}", OPENED.0, std::process::id(), OPENED.1));
    let _ = std::fs::remove_file(&path);
    unseal(sealed, &path, phrase).map_err(|error| CliError::Backup(error.to_string()))?;
    Ok(Opened {
        path,
        temporary: true,
    })
}

/// Restores `file` into `dir`, which must be empty or not exist; no server runs there yet.
/// A sealed copy is opened with the passphrase first, beside `dir`.
pub fn restore_into(dir: &Path, file: &Path, phrase_file: Option<&Path>) -> Result<(), CliError> {
    let near = dir
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let plain = opened(file, near, phrase_file)?;
    let summary = restore(&plain.path, dir).map_err(|error| CliError::Backup(error.to_string()))?;
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
