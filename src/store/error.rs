//! What can go wrong with the store, each said as a sentence with what to do about it.

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::codec::CodecError;
use crate::domain::lifecycle::TransitionError;
use crate::domain::request::RequestId;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "хранилище {dir} занято: его держит запущенный сервер pult. Обычные команды \
         работают через сервер; для этой остановите его (kill -TERM `cat {dir}/server.pid`)."
    )]
    Locked { dir: PathBuf },
    #[error(
        "нет доступа к хранилищу {dir}: у пользователя нет прав на чтение и запись. \
         Запустите pult от владельца каталога или укажите другой каталог (--data)."
    )]
    NoPermission { dir: PathBuf },
    #[error(
        "хранилище {dir} повреждено ({detail}). Восстановите его из резервной копии \
         или укажите другой каталог (--data)."
    )]
    Corrupt { dir: PathBuf, detail: String },
    #[error(
        "хранилище {dir} создано более новой версией pult (формат {found}, эта версия \
         понимает до {supported}). Обновите pult."
    )]
    NewerSchema {
        dir: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error("каталог данных {dir} не создаётся: {source}")]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error(
        "{path} открыт другим пользователям (права {mode:o}), а закрыть его не удалось: \
         {source}. В нём персональные данные: выполните chmod -R go-rwx {path} от имени \
         владельца или root и запустите pult снова."
    )]
    OpenToOthers {
        path: PathBuf,
        mode: u32,
        source: io::Error,
    },
    #[error("запись в хранилище не читается: {0}. Восстановите хранилище из резервной копии.")]
    Codec(#[from] CodecError),
    #[error("обращения {0} нет")]
    NoSuchRequest(RequestId),
    #[error("{0}")]
    Rule(TransitionError),
    #[error(
        "диск сервера заполнен: не сохранено. Введённое осталось на экране; повторите, когда \
         администратор освободит место на диске (сервер продолжит сам, без перезапуска)"
    )]
    DiskFull,
    #[error("журнал хранилища недоступен после сбоя сервера; перезапустите сервер pult")]
    JournalLost,
    #[error("ошибка хранилища: {0}")]
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
