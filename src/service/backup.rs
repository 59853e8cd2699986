//! Backups made by the server while it serves: one at a time, on a thread of their own, into
//! the data directory's `backups/`, the older copies then thinned to what the school keeps.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{Datelike, NaiveDate};

use super::messages::BackupState;
use super::{Outcome, Reply, Service, ServiceError};
use crate::domain::access::{may_do, Operation};
use crate::domain::staff::Staff;
use crate::store::backup::backup_file;

/// The folder of the data directory the server's backups go to (its user's alone).
pub const BACKUP_DIR: &str = "backups";
/// How a backup's file name ends.
pub const BACKUP_EXTENSION: &str = "pultbak";

/// Where the server's backup stands, shared with the thread that makes it.
pub(super) type SharedBackup = Arc<Mutex<BackupState>>;

impl Service {
    /// Starts a backup on a thread of its own and says so; one already running is reported
    /// instead of a second.
    pub(super) fn start_backup(
        &self,
        actor: &Staff,
        keep_daily: Option<u32>,
        keep_weekly: Option<u32>,
    ) -> Outcome {
        may_do(actor, Operation::Backup, &self.policy)?;
        let mut state = self
            .backup
            .lock()
            .map_err(|_| ServiceError::NotSaved(tr!("backup.busy").into()))?;
        if matches!(*state, BackupState::Running { .. }) {
            return Ok((
                Reply::Backup {
                    state: state.clone(),
                },
                Vec::new(),
            ));
        }
        let folder = self.store.dir().join(BACKUP_DIR);
        private_folder(&folder).map_err(|error| ServiceError::Backup(error.to_string()))?;
        let now = self.clock.now();
        let stamp = now.to_utc().format("%Y%m%d-%H%M%S").to_string();
        let mut file = folder.join(format!("pult-{stamp}.{BACKUP_EXTENSION}"));
        let mut again = 1;
        while file.exists() {
            again += 1;
            file = folder.join(format!("pult-{stamp}-{again}.{BACKUP_EXTENSION}"));
        }
        let source = self.store.backup_source()?;
        *state = BackupState::Running {
            file: file.clone(),
            started_at: now,
        };
        let running = state.clone();
        drop(state);
        let shared = Arc::clone(&self.backup);
        let spawned = std::thread::Builder::new()
            .name("pult-backup".into())
            .spawn(move || {
                // the consoles come first
                crate::os::lowest_priority();
                let started = Instant::now();
                let done = match backup_file(&source, &file, now.0) {
                    Ok(summary) => BackupState::Done {
                        removed: thin_out(&folder, &file, keep_daily, keep_weekly),
                        file,
                        summary,
                        took_ms: started.elapsed().as_millis() as i64,
                    },
                    Err(error) => BackupState::Failed {
                        file,
                        reason: error.to_string(),
                    },
                };
                if let Ok(mut state) = shared.lock() {
                    *state = done;
                }
            });
        if let Err(error) = spawned {
            if let Ok(mut state) = self.backup.lock() {
                *state = BackupState::None;
            }
            return Err(ServiceError::Backup(error.to_string()));
        }
        Ok((Reply::Backup { state: running }, Vec::new()))
    }

    pub(super) fn backup_status(&self, actor: &Staff) -> Outcome {
        may_do(actor, Operation::Backup, &self.policy)?;
        let state = self
            .backup
            .lock()
            .map(|state| state.clone())
            .unwrap_or(BackupState::None);
        Ok((Reply::Backup { state }, Vec::new()))
    }
}

/// Removes what a backup killed in the middle left half-written in `dir`'s backups (a hidden
/// `.NAME.partial`); the copies made whole stay.
pub fn clear_partial_backups(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir.join(BACKUP_DIR)) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `folder`, made if need be, readable by the server's user alone.
fn private_folder(folder: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(folder)?;
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))
}

/// The day a backup of the server was made, from its name (`pult-20261201-194500.pultbak`).
fn made_on(file: &Path) -> Option<NaiveDate> {
    let name = file.file_name()?.to_str()?;
    let stamp = name.strip_prefix("pult-")?.get(..8)?;
    name.ends_with(&format!(".{BACKUP_EXTENSION}"))
        .then(|| NaiveDate::parse_from_str(stamp, "%Y%m%d").ok())?
}

/// The copies to keep of `copies` (each with its day): the newest of each of the last
/// `daily` days that have one and of each of the last `weekly` ISO weeks; the others go.
pub fn to_remove(copies: &[(PathBuf, NaiveDate)], daily: u32, weekly: u32) -> Vec<PathBuf> {
    let mut newest_first: Vec<&(PathBuf, NaiveDate)> = copies.iter().collect();
    newest_first.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    let mut kept: BTreeSet<&PathBuf> = BTreeSet::new();
    let mut days = BTreeSet::new();
    let mut weeks = BTreeSet::new();
    for (file, day) in &newest_first {
        if days.len() < daily as usize && days.insert(*day) {
            kept.insert(file);
        }
        let week = (day.iso_week().year(), day.iso_week().week());
        if weeks.len() < weekly as usize && weeks.insert(week) {
            kept.insert(file);
        }
    }
    newest_first
        .into_iter()
        .filter(|(file, _)| !kept.contains(file))
        .map(|(file, _)| file.clone())
        .collect()
}

/// Removes the copies in `folder` past what the school keeps (nothing when it said nothing);
/// `made` is the one just made, always kept. Returns what was removed.
fn thin_out(
    folder: &Path,
    made: &Path,
    keep_daily: Option<u32>,
    keep_weekly: Option<u32>,
) -> Vec<PathBuf> {
    if keep_daily.is_none() && keep_weekly.is_none() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let copies: Vec<(PathBuf, NaiveDate)> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter_map(|file| made_on(&file).map(|day| (file, day)))
        .collect();
    let removed: Vec<PathBuf> = to_remove(
        &copies,
        keep_daily.unwrap_or(0).max(1),
        keep_weekly.unwrap_or(0),
    )
    .into_iter()
    .filter(|file| file != made)
    .filter(|file| std::fs::remove_file(file).is_ok())
    .collect();
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    #[test]
    fn the_newest_of_each_day_and_of_each_week_is_kept() {
        // two copies on the 30th (a Monday), one a day before, back to the 2nd
        let mut copies: Vec<(PathBuf, NaiveDate)> = (2..=29)
            .map(|d| {
                (
                    PathBuf::from(format!("pult-202611{d:02}-030000.pultbak")),
                    day(d),
                )
            })
            .collect();
        copies.push(("pult-20261130-030000.pultbak".into(), day(30)));
        copies.push(("pult-20261130-120000.pultbak".into(), day(30)));
        let removed = to_remove(&copies, 3, 2);
        let kept: Vec<&PathBuf> = copies
            .iter()
            .map(|(file, _)| file)
            .filter(|file| !removed.contains(file))
            .collect();
        // the last three days (the 30th's newer copy) and the week before this one (its
        // newest, the 29th, a day already kept)
        assert_eq!(
            kept,
            [
                &PathBuf::from("pult-20261128-030000.pultbak"),
                &PathBuf::from("pult-20261129-030000.pultbak"),
                &PathBuf::from("pult-20261130-120000.pultbak"),
            ]
        );
        assert_eq!(to_remove(&copies, 0, 5).len(), copies.len() - 5);
        assert!(made_on(Path::new("backups/pult-20261130-120000.pultbak")).is_some());
        assert!(made_on(Path::new("backups/other.txt")).is_none());
    }
}
