//! Finding the data directory, reading its policy and initialising a fresh store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Service, ServiceError};
use crate::domain::calendar::YearCalendar;
use crate::domain::policy::{Policy, DEFAULT_POLICY_TOML};
use crate::domain::staff::{Role, Staff};
use crate::domain::time::Clock;
use crate::os::OsUser;
use crate::store::Store;

/// The policy file inside a data directory; the copy there is the one in force.
pub const POLICY_FILE: &str = "policy.toml";

/// `--data`, then `PULT_DATA` (both arrive as `explicit`), then the platform data directory.
pub fn data_dir(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit.or_else(|| {
        directories::ProjectDirs::from("", "", "pult").map(|dirs| dirs.data_dir().to_path_buf())
    })
}

/// Reads the data directory's policy, writing the shipped one there on the first start.
pub fn load_policy(dir: &Path) -> Result<Policy, ServiceError> {
    let path = dir.join(POLICY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::write(&path, DEFAULT_POLICY_TOML).map_err(|source| {
                ServiceError::PolicyFile {
                    path: path.clone(),
                    source,
                }
            })?;
            DEFAULT_POLICY_TOML.to_string()
        }
        Err(source) => return Err(ServiceError::PolicyFile { path, source }),
    };
    let mut policy =
        Policy::parse(&text).map_err(|source| ServiceError::Policy { path, source })?;
    if let Some(hours) = policy.hours.as_mut() {
        hours.calendars.extend(imported_calendars(dir)?);
    }
    Ok(policy)
}

/// The folder of a data directory that holds the years of the production calendar
/// `pult calendar import` took in, a file a year (`2028.toml`).
pub const CALENDAR_DIR: &str = "calendar";

/// The imported years of the production calendar, in order; a file that does not read
/// stops the start with a sentence naming it.
pub fn imported_calendars(dir: &Path) -> Result<Vec<YearCalendar>, ServiceError> {
    let folder = dir.join(CALENDAR_DIR);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(ServiceError::CalendarFile {
                path: folder,
                reason: error.to_string(),
            })
        }
    };
    let mut years = Vec::new();
    for entry in entries {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(error) => {
                return Err(ServiceError::CalendarFile {
                    path: folder.clone(),
                    reason: error.to_string(),
                })
            }
        };
        if path.extension().and_then(|ext| ext.to_str()) != Some("toml") {
            continue;
        }
        let refused = |reason: String| ServiceError::CalendarFile {
            path: path.clone(),
            reason,
        };
        let text = read_bounded(&path, MAX_CALENDAR_BYTES).map_err(refused)?;
        let year: YearCalendar =
            toml::from_str(&text).map_err(|error| refused(error.to_string()))?;
        let year = year.checked().map_err(|error| refused(error.to_string()))?;
        years.push(year);
    }
    years.sort_by_key(|year| year.year);
    Ok(years)
}

/// A year of the calendar is a few hundred bytes; a file far larger is not one.
pub const MAX_CALENDAR_BYTES: u64 = 256 * 1024;

/// The text of `path`, refused (with a sentence) when it is larger than `limit` or not UTF-8.
pub fn read_bounded(path: &Path, limit: u64) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(tr!("calendar.error.too_large", limit = limit / 1024));
    }
    String::from_utf8(bytes).map_err(|_| tr!("calendar.error.not_utf8").to_string())
}

/// Writes the `years` into the data directory's calendar folder, a file a year, each
/// whole or not at all (a temporary file renamed); returns the files written.
pub fn store_calendars(dir: &Path, years: &[YearCalendar]) -> Result<Vec<PathBuf>, ServiceError> {
    let folder = dir.join(CALENDAR_DIR);
    let failed = |path: &Path, error: &dyn std::fmt::Display| ServiceError::CalendarFile {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    std::fs::create_dir_all(&folder).map_err(|error| failed(&folder, &error))?;
    let mut written = Vec::new();
    for year in years {
        let path = folder.join(format!("{}.toml", year.year));
        let text = toml::to_string(year).map_err(|error| failed(&path, &error))?;
        // a comment line takes no control character (a file's name may hold one)
        let source: String = year.source.chars().filter(|c| !c.is_control()).collect();
        let heading = tr!("calendar.file_heading", year = year.year, source = source);
        let temporary = folder.join(format!(".{}.toml.new", year.year));
        let text = format!("# {heading}\n{text}");
        // public data, synced before it takes the year's name
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::File::open(&temporary)?.sync_all())
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|error| failed(&path, &error))?;
        written.push(path);
    }
    if let Ok(folder) = std::fs::File::open(&folder) {
        let _ = folder.sync_all();
    }
    Ok(written)
}

/// Opens the store in `dir` with its policy; a fresh store makes `first_user` its admin,
/// operator and head, so a new machine works at once.
pub fn open_service(
    dir: &Path,
    clock: Arc<dyn Clock>,
    first_user: &OsUser,
) -> Result<Service, ServiceError> {
    let store = Store::open(dir)?;
    let policy = load_policy(dir)?;
    if !store.is_initialized()? {
        store.initialize(&first_staff(first_user))?;
    }
    Ok(Service::new(store, policy, clock))
}

fn first_staff(user: &OsUser) -> Staff {
    Staff {
        login: user.login.clone(),
        name: user.full_name.clone(),
        roles: vec![Role::Admin, Role::Operator, Role::Head],
        vendor_rep: false,
        disabled: false,
    }
}
