//! A request (обращение): who called, about what, where it is and by when it must move.

use serde::{Deserialize, Serialize};

use super::deadline::Deadlines;
use super::time::Timestamp;
use super::validate::{Email, Phone, SchoolClass};

/// Sequential number people see as `№124`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "№{}", self.0)
    }
}

/// How the request reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Web,
    Other,
}

/// Who is calling (Appendix 2, field 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerRole {
    Student,
    Teacher,
    Parent,
}

impl CallerRole {
    /// In the form's order: keys 1, 2, 3.
    pub const ALL: [CallerRole; 3] = [CallerRole::Student, CallerRole::Teacher, CallerRole::Parent];

    pub fn label(self) -> &'static str {
        match self {
            CallerRole::Student => tr!("caller_role.student"),
            CallerRole::Teacher => tr!("caller_role.teacher"),
            CallerRole::Parent => tr!("caller_role.parent"),
        }
    }

    /// The key used in files, JSON and the website form (`parent`), as serde writes it.
    pub fn key(self) -> &'static str {
        match self {
            CallerRole::Student => "student",
            CallerRole::Teacher => "teacher",
            CallerRole::Parent => "parent",
        }
    }

    pub fn from_key(key: &str) -> Option<CallerRole> {
        CallerRole::ALL.into_iter().find(|role| role.key() == key)
    }

    /// A class is asked of a student or of a child's parent (Appendix 2, field 3).
    pub fn needs_class(self) -> bool {
        matches!(self, CallerRole::Student | CallerRole::Parent)
    }
}

/// Type of request (Appendix 2, field 4, and §3.1.3). Never reorder: the index is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Technical,
    Ejournal,
    LessonQuality,
    Psych,
    Other,
    Equipment,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Technical,
        Category::Ejournal,
        Category::LessonQuality,
        Category::Psych,
        Category::Other,
        Category::Equipment,
    ];

    /// The key used in files, JSON and the website form (`lesson_quality`), as serde writes it.
    pub fn key(self) -> &'static str {
        match self {
            Category::Technical => "technical",
            Category::Ejournal => "ejournal",
            Category::LessonQuality => "lesson_quality",
            Category::Psych => "psych",
            Category::Other => "other",
            Category::Equipment => "equipment",
        }
    }

    pub fn from_key(key: &str) -> Option<Category> {
        Category::ALL
            .into_iter()
            .find(|category| category.key() == key)
    }

    /// The type as Appendix 2 names it (the policy may word it for its own form).
    pub fn label(self) -> &'static str {
        match self {
            Category::Technical => tr!("category.technical"),
            Category::Ejournal => tr!("category.ejournal"),
            Category::LessonQuality => tr!("category.lesson_quality"),
            Category::Psych => tr!("category.psych"),
            Category::Other => tr!("category.other"),
            Category::Equipment => tr!("category.equipment"),
        }
    }
}

/// Where a request is in its life. Never reorder: the index is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Routed,
    InWork,
    WaitingVendor,
    Resolved,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Routed,
        Status::InWork,
        Status::WaitingVendor,
        Status::Resolved,
        Status::Cancelled,
    ];

    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Cancelled)
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Routed => "routed",
            Status::InWork => "in_work",
            Status::WaitingVendor => "waiting_vendor",
            Status::Resolved => "resolved",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::New => tr!("status.new"),
            Status::Routed => tr!("status.routed"),
            Status::InWork => tr!("status.in_work"),
            Status::WaitingVendor => tr!("status.waiting_vendor"),
            Status::Resolved => tr!("status.resolved"),
            Status::Cancelled => tr!("status.cancelled"),
        }
    }

    pub fn from_key(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.key() == key)
    }
}

/// The person who called, as written in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub name: String,
    pub role: CallerRole,
    pub class: Option<SchoolClass>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
}

/// How a result went back to the caller (§3.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnChannel {
    Email,
    Phone,
}

/// The outcome of a resolved request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub text: String,
    pub returned_by: ReturnChannel,
    pub at: Timestamp,
}

/// What a specialist wrote down while working a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Phoned the caller and spoke.
    Phoned,
    /// Phoned, nobody answered.
    NoAnswer,
    /// Wrote to the caller's email.
    Emailed,
    /// For the service only.
    Internal,
}

impl NoteKind {
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Phoned => tr!("note_kind.phoned"),
            NoteKind::NoAnswer => tr!("note_kind.no_answer"),
            NoteKind::Emailed => tr!("note_kind.emailed"),
            NoteKind::Internal => tr!("note_kind.internal"),
        }
    }
}

/// A note in a request's timeline: who, when, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub at: Timestamp,
    pub author: String,
    pub kind: NoteKind,
    pub text: String,
}

/// The head's answer to a request for more time (§3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionState {
    /// "ждёт согласования"
    Pending,
    Approved,
    Denied,
}

/// A specialist's request to close later than the 24 hours, and the head's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub asked_at: Timestamp,
    pub asked_by: String,
    pub reason: String,
    /// The proposed new resolve-by.
    pub until: Timestamp,
    pub state: ExtensionState,
    pub decided_at: Option<Timestamp>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

/// One escalation to the learning platform's vendor, filed by the designated representative
/// (dispatcher-administrator.txt): the request as reformulated for the vendor, their ticket,
/// and their answer once it comes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorCase {
    pub reformulated: String,
    pub ticket: String,
    pub sent_at: Timestamp,
    pub sent_by: String,
    pub answer: Option<String>,
    pub answered_at: Option<Timestamp>,
}

/// The consent to the processing of personal data (152-FZ art. 9) that a person gave on the
/// website form: when, and to which text (`text_version`, a digest of the text shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub given_at: Timestamp,
    pub text_version: String,
}

/// One request and everything that has happened to it that later steps need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub channel: Channel,
    pub received_at: Timestamp,
    pub logged_by: String,
    pub caller: Caller,
    pub category: Category,
    pub description: String,
    pub status: Status,
    pub queue: Option<String>,
    pub assignee: Option<String>,
    pub routed_at: Option<Timestamp>,
    pub taken_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub deadlines: Deadlines,
    pub result: Option<Resolution>,
    pub cancel_reason: Option<String>,
    /// Contact attempts and internal notes, oldest first.
    pub notes: Vec<Note>,
    /// The latest request for more time, if any.
    pub extension: Option<Extension>,
    /// Escalations to the platform's vendor, oldest first.
    pub vendor: Vec<VendorCase>,
    /// The consent given on the website form; None for a call (the operator asks aloud).
    pub consent: Option<Consent>,
    /// The result was sent by email and did not get through: back in work, to be phoned.
    pub undelivered: Option<Undelivered>,
}

/// A result by email that the mail server refused or never took (§3.2.3 still asks for the
/// result to reach the person: by phone, then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undelivered {
    pub at: Timestamp,
    pub to: String,
    /// The mail server's words, or why pult stopped trying.
    pub reason: String,
}

impl Request {
    /// How much later than today's resolve-by the pending extension asks to close, in
    /// milliseconds.
    pub fn extension_asked_ms(&self) -> Option<i64> {
        let extension = self
            .extension
            .as_ref()
            .filter(|_| self.extension_pending())?;
        Some((extension.until.0 - self.deadlines.resolve_by.0).max(0))
    }

    /// Waiting for the head's decision on more time.
    pub fn extension_pending(&self) -> bool {
        self.extension
            .as_ref()
            .is_some_and(|extension| extension.state == ExtensionState::Pending)
    }

    /// Waiting for the operator to route it (shown in Входящие).
    pub fn is_incoming(&self) -> bool {
        self.status == Status::New
    }
}
