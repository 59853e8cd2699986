//! Why the service refused a command: the sentence the console shows, and the kind a program
//! acts on (both travel to the client as a [`Failure`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::access::Denied;
use crate::domain::call_form::FormErrors;
use crate::domain::lifecycle::TransitionError;
use crate::domain::policy::PolicyError;
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("{}", tr!("service.no_account", login = .login))]
    NoAccount { login: String },
    #[error("{}", tr!("service.disabled", login = .login))]
    Disabled { login: String },
    #[error("{}", tr!("service.staff_exists", existing = .existing))]
    StaffExists { existing: String },
    #[error("{reason}")]
    BadStaff { reason: String },
    #[error("{}", tr!("service.no_such_request", id = .id))]
    NoSuchRequest {
        id: crate::domain::request::RequestId,
    },
    #[error("{}", tr!("service.not_visible", id = .id))]
    NotVisible {
        id: crate::domain::request::RequestId,
    },
    #[error("{}", tr!("service.form", fields = describe(.0)))]
    Form(FormErrors),
    #[error("{}", tr!("service.policy", path = .path.display(), error = .source))]
    Policy {
        path: std::path::PathBuf,
        source: PolicyError,
    },
    #[error("{}", tr!("service.calendar_file", path = .path.display(), error = .reason))]
    CalendarFile {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("{}", tr!("service.policy_file", path = .path.display(), error = .source))]
    PolicyFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr!("service.no_such_caller", id = .id))]
    NoSuchCaller { id: crate::domain::caller::CallerId },
    #[error("{}", tr!("service.same_caller"))]
    SameCaller,
    #[error("{}", tr!("service.not_on_card", request = .request, card = .card))]
    NotOnCard {
        card: crate::domain::caller::CallerId,
        request: crate::domain::request::RequestId,
    },
    #[error("{}", tr!("service.split_everything"))]
    SplitEverything,
    #[error("{0}")]
    Report(#[from] crate::report::ReportError),
    #[error("{}", tr!("service.bad_offset", seconds = .seconds))]
    BadOffset { seconds: i32 },
    #[error("{}", tr!("service.not_saved", why = .0))]
    NotSaved(String),
    #[error("{}", tr!("service.backup", why = .0))]
    Backup(String),
    #[error("{}", tr!("service.mail_address", to = .to))]
    MailAddress { to: String },
    #[error("{0}")]
    TooLong(#[from] crate::domain::validate::TooLong),
    #[error("{0}")]
    Denied(#[from] crate::domain::access::Denied),
    #[error("{0}")]
    Rule(#[from] TransitionError),
    #[error("{0}")]
    Store(StoreError),
    #[error("{}", tr!("service.site_text", path = .path.display(), error = .source))]
    SiteText {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr!("service.consent_missing"))]
    ConsentMissing,
    #[error("{}", tr!("service.consent_changed"))]
    ConsentChanged,
    /// A write the store could not make and will refuse until it is opened again.
    #[error("{}", tr!("service.not_saved", why = .0))]
    StoreFailed(String),
}

/// What went wrong, for a program to act on; the sentence for people travels beside it.
/// On the wire the variant's index is its encoding: only ever append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureKind {
    /// The OS user has no staff account.
    NoAccount,
    /// The staff account is disabled.
    Disabled,
    /// The person's roles do not allow this command on this request.
    Denied,
    /// A staff account with this login or name exists already.
    StaffExists,
    NoSuchRequest,
    /// The request exists, but not in this person's sight (so nothing may be done to it).
    NotVisible,
    NoSuchCaller,
    /// The call form has fields missing or wrong.
    Form,
    /// The queue named is not in the policy.
    UnknownQueue,
    /// A text is longer than its field allows.
    TooLong,
    /// The request's life does not allow this now (its status, a missing reason, an extension
    /// already pending…).
    Rule,
    /// An argument no command could take: a week or time zone that does not exist, a card
    /// merged with itself, a staff account's fields.
    BadInput,
    /// The server's policy file is unreadable or wrong.
    Policy,
    /// The server's disk is full: nothing was saved; the same command may be sent again once
    /// there is room.
    DiskFull,
    /// The store failed a write and takes none until it is opened again (the server does that
    /// by itself).
    StoreFailed,
    /// This command was not saved (its batch was not written); it may be sent again.
    NotSaved,
    /// The store could not read or write what the command needs (a damaged record, the store's
    /// files).
    Store,
    /// The website form came without the consent to the processing of personal data, or with
    /// consent to a text that is no longer in force.
    Consent,
}

/// A refusal as it travels to the client: the kind for programs, the sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl From<&ServiceError> for Failure {
    fn from(error: &ServiceError) -> Self {
        error.failure()
    }
}

impl ServiceError {
    pub fn kind(&self) -> FailureKind {
        match self {
            ServiceError::NoAccount { .. } => FailureKind::NoAccount,
            ServiceError::Disabled { .. } => FailureKind::Disabled,
            // one answer for "not in your sight", whichever check found it
            ServiceError::Denied(Denied::Hidden { .. }) => FailureKind::NotVisible,
            ServiceError::Denied(_) => FailureKind::Denied,
            ServiceError::StaffExists { .. } => FailureKind::StaffExists,
            ServiceError::BadStaff { .. }
            | ServiceError::SameCaller
            | ServiceError::NotOnCard { .. }
            | ServiceError::SplitEverything
            | ServiceError::BadOffset { .. }
            | ServiceError::MailAddress { .. }
            | ServiceError::Report(_) => FailureKind::BadInput,
            ServiceError::NoSuchRequest { .. } => FailureKind::NoSuchRequest,
            ServiceError::NotVisible { .. } => FailureKind::NotVisible,
            ServiceError::Form(_) => FailureKind::Form,
            ServiceError::Rule(TransitionError::UnknownQueue { .. }) => FailureKind::UnknownQueue,
            ServiceError::Policy { .. }
            | ServiceError::PolicyFile { .. }
            | ServiceError::CalendarFile { .. }
            | ServiceError::SiteText { .. } => FailureKind::Policy,
            ServiceError::ConsentMissing | ServiceError::ConsentChanged => FailureKind::Consent,
            ServiceError::NoSuchCaller { .. } => FailureKind::NoSuchCaller,
            ServiceError::NotSaved(_) => FailureKind::NotSaved,
            ServiceError::Backup(_) => FailureKind::Store,
            ServiceError::TooLong(_) | ServiceError::Rule(TransitionError::TooLong(_)) => {
                FailureKind::TooLong
            }
            ServiceError::Rule(_) => FailureKind::Rule,
            ServiceError::Store(error) => store_kind(error),
            ServiceError::StoreFailed(_) => FailureKind::StoreFailed,
        }
    }

    /// The refusal as the client receives it.
    pub fn failure(&self) -> Failure {
        Failure::new(self.kind(), self.to_string())
    }

    /// Why a command that was applied is refused after all: the commit of its batch failed.
    pub fn not_durable(error: &StoreError) -> ServiceError {
        match error {
            StoreError::DiskFull => ServiceError::Store(StoreError::DiskFull),
            other if other.poisons_the_store() => ServiceError::StoreFailed(other.to_string()),
            other => ServiceError::NotSaved(other.to_string()),
        }
    }

    /// The store refused a write in a way it keeps refusing until opened again.
    pub fn poisons_the_store(&self) -> bool {
        match self.kind() {
            FailureKind::DiskFull | FailureKind::StoreFailed => true,
            FailureKind::NoAccount
            | FailureKind::Disabled
            | FailureKind::Denied
            | FailureKind::StaffExists
            | FailureKind::NoSuchRequest
            | FailureKind::NotVisible
            | FailureKind::NoSuchCaller
            | FailureKind::Form
            | FailureKind::UnknownQueue
            | FailureKind::TooLong
            | FailureKind::Rule
            | FailureKind::BadInput
            | FailureKind::Policy
            | FailureKind::NotSaved
            | FailureKind::Store
            | FailureKind::Consent => false,
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

fn store_kind(error: &StoreError) -> FailureKind {
    match error {
        StoreError::DiskFull => FailureKind::DiskFull,
        StoreError::NoSuchRequest(_) => FailureKind::NoSuchRequest,
        StoreError::Rule(TransitionError::TooLong(_)) => FailureKind::TooLong,
        StoreError::Rule(_) => FailureKind::Rule,
        StoreError::Sled(_) if error.poisons_the_store() => FailureKind::StoreFailed,
        StoreError::Locked { .. }
        | StoreError::NoPermission { .. }
        | StoreError::Corrupt { .. }
        | StoreError::NewerSchema { .. }
        | StoreError::CreateDir { .. }
        | StoreError::OpenToOthers { .. }
        | StoreError::Codec(_)
        | StoreError::JournalLost
        | StoreError::Sled(_) => FailureKind::Store,
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
