//! Why the service refused a command, as the sentence the console shows.

use thiserror::Error;

use crate::domain::call_form::FormErrors;
use crate::domain::lifecycle::TransitionError;
use crate::domain::policy::PolicyError;
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum ServiceError {
    #[error(
        "у пользователя {login} нет учётной записи в pult. Попросите администратора \
         системы добавить её: pult staff add {login} --name \"Фамилия Имя Отчество\" --roles operator"
    )]
    NoAccount { login: String },
    #[error("учётная запись {login} отключена. Обратитесь к администратору системы.")]
    Disabled { login: String },
    #[error("такой сотрудник уже есть: {existing}")]
    StaffExists { existing: String },
    #[error("{reason}")]
    BadStaff { reason: String },
    #[error("обращения {id} нет")]
    NoSuchRequest {
        id: crate::domain::request::RequestId,
    },
    #[error("обращение {id} вам не видно: оно не из вашей очереди")]
    NotVisible {
        id: crate::domain::request::RequestId,
    },
    #[error("форма заполнена не полностью: {}", describe(.0))]
    Form(FormErrors),
    #[error("очереди «{queue}» нет в политике")]
    UnknownQueue { queue: String },
    #[error("политика {path}: {source}")]
    Policy {
        path: std::path::PathBuf,
        source: PolicyError,
    },
    #[error("файл {path} не читается и не пишется: {source}")]
    PolicyFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{id} не найдена")]
    NoSuchCaller { id: crate::domain::caller::CallerId },
    #[error("это одна и та же карточка")]
    SameCaller,
    #[error("{0}")]
    Report(#[from] crate::report::ReportError),
    #[error("смещение часового пояса {seconds} с невозможно")]
    BadOffset { seconds: i32 },
    #[error("не сохранено: {0}")]
    NotSaved(String),
    #[error("{0}")]
    TooLong(#[from] crate::domain::validate::TooLong),
    #[error("{0}")]
    Denied(#[from] crate::domain::access::Denied),
    #[error("{0}")]
    Rule(#[from] TransitionError),
    #[error("{0}")]
    Store(StoreError),
    /// A write the store could not make and will refuse until it is opened again.
    #[error("не сохранено: {0}")]
    StoreFailed(String),
}

impl ServiceError {
    /// The store refused a write in a way it keeps refusing until opened again.
    pub fn poisons_the_store(&self) -> bool {
        match self {
            ServiceError::Store(error) => error.poisons_the_store(),
            ServiceError::StoreFailed(_) => true,
            _ => false,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Rule(rule) => ServiceError::Rule(rule),
            other => ServiceError::Store(other),
        }
    }
}

fn describe(errors: &FormErrors) -> String {
    errors
        .errors
        .iter()
        .map(|(field, error)| format!("{} — {error}", field.label()))
        .collect::<Vec<_>>()
        .join("; ")
}
