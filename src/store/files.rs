//! The store's files are the server's alone: children's personal data never rests in a file
//! another OS user can read, whatever the umask and however the data directory was made.
//!
//! The data directory itself may be opened to the staff group (`chmod 0750`) so that staff
//! reach the server's socket; everything with personal data inside it (the sled store,
//! logs, and whatever later holds personal data) is 0700/0600.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use super::error::StoreError;

/// What the data directory may allow: its group may enter and list it, nobody else.
const DIR_MOST: u32 = 0o750;

/// Makes every file this process creates from now on its owner's only (the server and
/// `pult demo` are the processes that write the store).
pub(super) fn own_files_only() {
    // SAFETY: umask only sets the process's file mode mask and cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates the data directory readable by its owner only, or tightens one that exists.
pub(super) fn prepare_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return tighten(dir, DIR_MOST);
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    builder.mode(0o700);
    builder.create(dir).map_err(|source| match source.kind() {
        io::ErrorKind::PermissionDenied => StoreError::NoPermission {
            dir: dir.to_path_buf(),
        },
        _ => StoreError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        },
    })
}

/// Closes `path` and everything under it to everyone but the owner: directories 0700,
/// files 0600. Called on the store's directory at every open, so files sled made under an
/// older pult or a looser umask are closed too.
pub(super) fn close_tree(path: &Path) -> Result<(), StoreError> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    if meta.is_dir() {
        tighten(path, 0o700)?;
        let entries = fs::read_dir(path).map_err(|source| StoreError::OpenToOthers {
            path: path.to_path_buf(),
            mode: meta.permissions().mode() & 0o7777,
            source,
        })?;
        for entry in entries.flatten() {
            close_tree(&entry.path())?;
        }
        Ok(())
    } else if meta.is_file() {
        tighten(path, 0o600)
    } else {
        // symlinks and sockets: nothing of sled's
        Ok(())
    }
}

/// sled's log file in the store directory `db`, to be synced after each flush; the
/// directories that name it are synced once, so a new store's files survive a power cut too.
pub(super) fn open_log(db: &Path) -> io::Result<fs::File> {
    let log = fs::File::open(db.join("db"))?;
    log.sync_all()?;
    fs::File::open(db)?.sync_all()?;
    if let Some(data) = db.parent() {
        fs::File::open(data)?.sync_all()?;
    }
    Ok(log)
}

/// The file beside sled's log that remembers the request counter as of the last sync
/// (as read before that sync began). sled
/// opens a log that was cut short (a bad copy, a failing disk) as an earlier state without a
/// word; a counter below the mark says that saved requests are missing. It is written after
/// each sync (never ahead of what is on the disk) and needs no sync of its own: an older
/// mark only checks less.
const MARK_FILE: &str = "pult.mark";

/// Opens (creating) the mark in the store directory `db`, with what it holds.
pub(super) fn open_mark(db: &Path) -> io::Result<(fs::File, u64)> {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(db.join(MARK_FILE))?;
    let mut bytes = [0u8; 8];
    let marked = match file.read_exact_at(&mut bytes, 0) {
        Ok(()) => u64::from_be_bytes(bytes),
        Err(_) => 0,
    };
    Ok((file, marked))
}

pub(super) fn write_mark(file: &fs::File, next_request: u64) {
    use std::os::unix::fs::FileExt;
    let _ = file.write_all_at(&next_request.to_be_bytes(), 0);
}

/// Bytes an unprivileged writer may still use on the filesystem of `dir`.
pub(super) fn free_bytes(dir: &Path) -> Option<u64> {
    let path = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs is plain data; zeroed is a valid value for it.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid NUL-terminated path and a statvfs that outlives the call.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    let (free, size) = (u64::from(stat.f_bavail), u64::from(stat.f_frsize));
    Some(free.saturating_mul(size))
}

/// Takes from `path`'s mode every permission beyond `most`.
pub(super) fn tighten(path: &Path, most: u32) -> Result<(), StoreError> {
    let meta = fs::metadata(path).map_err(|source| StoreError::CreateDir {
        dir: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & !most == 0 {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode & most)).map_err(|source| {
        StoreError::OpenToOthers {
            path: path.to_path_buf(),
            mode,
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_directory_made_with_a_plain_mkdir_is_closed_to_others() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        prepare_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o750);
    }

    #[test]
    fn the_store_tree_is_the_owners_alone() {
        let root = tempfile::tempdir().unwrap();
        let db = root.path().join("db");
        fs::create_dir_all(db.join("blobs")).unwrap();
        fs::write(db.join("db"), b"x").unwrap();
        fs::write(db.join("blobs").join("1"), b"x").unwrap();
        for path in [db.join("db"), db.join("blobs").join("1")] {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        }
        fs::set_permissions(&db, fs::Permissions::from_mode(0o755)).unwrap();
        close_tree(&db).unwrap();
        assert_eq!(mode(&db), 0o700);
        assert_eq!(mode(&db.join("blobs")), 0o700);
        assert_eq!(mode(&db.join("db")), 0o600);
        assert_eq!(mode(&db.join("blobs").join("1")), 0o600);
    }
}
