//! What can go wrong with the store, each said as a sentence with what to do about it.

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::codec::CodecError;
use crate::domain::lifecycle::TransitionError;
use crate::domain::request::RequestId;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{}", tr!("store.locked", dir = .dir.display()))]
    Locked { dir: PathBuf },
    #[error("{}", tr!("store.no_permission", dir = .dir.display()))]
    NoPermission { dir: PathBuf },
    #[error("{}", tr!("store.corrupt", dir = .dir.display(), detail = .detail))]
    Corrupt { dir: PathBuf, detail: String },
    #[error("{}", tr!("store.newer_schema", dir = .dir.display(), found = .found, supported = .supported))]
    NewerSchema {
        dir: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error("{}", tr!("store.create_dir", dir = .dir.display(), source = .source))]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error("{}", tr!("store.open_to_others", path = .path.display(), mode = format!("{:o}", .mode), source = .source))]
    OpenToOthers {
        path: PathBuf,
        mode: u32,
        source: io::Error,
    },
    #[error("{}", tr!("store.codec", error = .0))]
    Codec(#[from] CodecError),
    #[error("{}", tr!("store.no_such_request", id = .0))]
    NoSuchRequest(RequestId),
    #[error("{0}")]
    Rule(TransitionError),
    #[error("{}", tr!("store.disk_full"))]
    DiskFull,
    #[error("{}", tr!("store.journal_lost"))]
    JournalLost,
    #[error("{}", tr!("store.sled", error = .0))]
    Sled(sled::Error),
}

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> Self {
        match &error {
            sled::Error::Io(io) if is_disk_full(io) => StoreError::DiskFull,
            _ => StoreError::Sled(error),
        }
    }
}

impl From<io::Error> for StoreError {
    fn from(error: io::Error) -> Self {
        if is_disk_full(&error) {
            StoreError::DiskFull
        } else {
            StoreError::Sled(sled::Error::Io(error))
        }
    }
}

/// No space left, or the quota is used up.
fn is_disk_full(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::StorageFull
        || matches!(
            error.raw_os_error(),
            Some(libc::ENOSPC) | Some(libc::EDQUOT)
        )
}

impl StoreError {
    /// A write failed in a way that sled does not forget (it fails every later write of
    /// the same open store): the store must be opened again.
    pub fn poisons_the_store(&self) -> bool {
        matches!(
            self,
            StoreError::DiskFull | StoreError::Sled(sled::Error::Io(_))
        )
    }
}

impl StoreError {
    /// Turns sled's error on open into what the person needs to know.
    pub(super) fn from_open(error: sled::Error, dir: &Path) -> StoreError {
        let dir = dir.to_path_buf();
        match error {
            sled::Error::Io(io_error) => {
                let text = io_error.to_string();
                if io_error.kind() == io::ErrorKind::WouldBlock
                    || text.contains("could not acquire lock")
                {
                    StoreError::Locked { dir }
                } else if io_error.kind() == io::ErrorKind::PermissionDenied {
                    StoreError::NoPermission { dir }
                } else {
                    StoreError::Corrupt { dir, detail: text }
                }
            }
            sled::Error::Corruption { .. } | sled::Error::Unsupported(_) => StoreError::Corrupt {
                dir,
                detail: error.to_string(),
            },
            other => StoreError::Sled(other),
        }
    }
}
