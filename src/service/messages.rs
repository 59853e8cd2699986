//! The messages of the service: what a console or script asks (`Command`), what it is told
//! (`Reply`), what every console applies (`Event`) and what it gets on attaching (`Welcome`).

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::retention::ActFiles;
use super::search::{Found, Hit};
use super::website::{WebForm, WebInfo};
use crate::domain::call_form::CallDraft;
use crate::domain::caller::{CallerCard, CallerId};
use crate::domain::change::Change;
use crate::domain::import::{ImportCall, RowOutcome};
use crate::domain::mail::{ConsoleMail, Outgoing};
use crate::domain::policy::Policy;
use crate::domain::request::{Channel, Request, RequestId, Status};
use crate::domain::retention::RetentionPlan;
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use crate::domain::website::{PublicStatus, Receipt};
use crate::report::{DailyReport, WeeklyReport};
use crate::store::backup::BackupSummary;
use crate::store::AuditEvent;

/// What a console or a script asks the service to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Log a call from the Appendix-2 form; it lands in Входящие. Sending the same call
    /// again (same person, same answered-at) returns the request already stored.
    LogCall {
        draft: CallDraft,
        channel: Channel,
    },
    /// A change to a stored request: routing it and every later move of its life (see
    /// `domain::change`).
    Change {
        id: RequestId,
        change: Change,
    },
    /// Keep the unfinished form of the person at this console.
    SaveDraft {
        draft: CallDraft,
    },
    /// The form was cancelled or saved: forget the draft.
    DiscardDraft,
    /// Requests in id order after `after`, at most `PAGE_LIMIT`, optionally of one status.
    ListRequests {
        status: Option<Status>,
        after: Option<RequestId>,
    },
    ShowRequest {
        id: RequestId,
    },
    /// The queues, categories and deadlines in force.
    GetPolicy,
    /// Add a staff account (admin).
    AddStaff {
        staff: Staff,
    },
    ListStaff,
    /// Disable a staff account (admin); its consoles are disconnected.
    DisableStaff {
        login: String,
    },
    /// Every request ever escalated to the vendor, with the outcome (the representative, the
    /// head), so a new representative can read all earlier ones.
    VendorHistory,
    /// A console opened a request's detail with its contact data: recorded (152-FZ).
    RecordView {
        id: RequestId,
    },
    /// Who changed a request and when (anyone who may see the request; reads left out).
    Timeline {
        id: RequestId,
    },
    /// Everything recorded about a request, reads included (the head).
    History {
        id: RequestId,
    },
    /// Requests, open or closed, by number, name, phone, email or words of the description.
    Search {
        query: String,
    },
    /// Everyone on this phone or email, as typed in the form (phone first).
    FindCaller {
        phone: Option<String>,
        email: Option<String>,
    },
    /// A request's detail for the console: the request, its timeline and its caller's other
    /// requests. Recorded as a read of contact data (152-FZ).
    OpenDetail {
        id: RequestId,
    },
    /// Caller cards in id order after `after`, at most `PAGE_LIMIT`.
    ListCallers {
        after: Option<CallerId>,
    },
    /// Two cards are one person: `merged` joins `kept` (the head, the system admin).
    MergeCallers {
        kept: CallerId,
        merged: CallerId,
    },
    /// Some of a card's requests are another person's: they move to a card of their own
    /// (the head, the system admin).
    SplitCaller {
        card: CallerId,
        requests: Vec<RequestId>,
    },
    /// The daily report for a local day (today if none), in the asker's time zone.
    DailyReport {
        date: Option<NaiveDate>,
        offset_seconds: i32,
    },
    /// The weekly analysis of an ISO week (the last full one if none).
    WeeklyReport {
        week: Option<(i32, u32)>,
        offset_seconds: i32,
    },
    /// The head's proposals to the director for an ISO week (an empty text removes them).
    SaveProposals {
        year: i32,
        week: u32,
        text: String,
    },
    /// Log rows of a file as calls, each with its own received time, all in one transaction
    /// (those who may log a call). A row seen before (by its content) makes no copy; a
    /// refused row writes nothing and the others go on. The answer: `Reply::Imported`.
    Import {
        calls: Vec<ImportCall>,
    },
    /// Enable a disabled staff account again (admin): undoes `DisableStaff`.
    EnableStaff {
        login: String,
    },
    /// What the website's pages show: the service's name and hotline, the request types, the
    /// deadlines and the consent texts (the website door only).
    WebInfo,
    /// A request from the website form; the same form sent again is the same request (the
    /// website door only).
    SubmitWeb {
        form: WebForm,
    },
    /// A request's status for a person who gives its number and the phone or email they
    /// wrote: nothing when the pair does not match (the website door only).
    PublicStatus {
        id: RequestId,
        contact: String,
    },
    /// The outbox, newest first (those who read a request's whole history).
    MailStatus,
    /// Make a backup of everything in the data directory's `backups/` while the service goes
    /// on (the system admin); then keep `keep_daily` and `keep_weekly` copies there, when given.
    /// The answer: `Reply::Backup` (running).
    Backup {
        keep_daily: Option<u32>,
        keep_weekly: Option<u32>,
    },
    /// Where the last backup stands (the system admin): `Reply::Backup`.
    BackupStatus,
    /// What the policy's `[retention]` has due now, and with `apply` destroying it with the
    /// act (the head, the system admin): `Reply::Retention`. Months in `offset_seconds`' time.
    Retention {
        apply: bool,
        offset_seconds: i32,
    },
}

impl Command {
    /// The website door's own commands: the only ones its connection may send, and ones no
    /// other connection may.
    pub fn is_website(&self) -> bool {
        matches!(
            self,
            Command::WebInfo | Command::SubmitWeb { .. } | Command::PublicStatus { .. }
        )
    }
}

/// The service's answer to one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Logged {
        request: Request,
    },
    Routed {
        request: Request,
    },
    Done,
    Requests {
        requests: Vec<Request>,
        more: bool,
        /// Stored records in this range that could not be read (a damaged store).
        unreadable: Vec<RequestId>,
    },
    Request {
        request: Request,
    },
    Staff {
        staff: Vec<Staff>,
    },
    Policy {
        policy: Policy,
    },
    /// A request after a change in its life.
    Changed {
        request: Request,
    },
    /// A request's audit log, oldest first.
    History {
        events: Vec<AuditEvent>,
    },
    Found {
        found: Found,
    },
    /// The card found, if any (contacts left out for those who may not see them).
    Caller {
        card: Option<CallerCard>,
    },
    /// Everyone on a phone or email, oldest card first.
    People {
        cards: Vec<CallerCard>,
    },
    Callers {
        cards: Vec<CallerCard>,
        more: bool,
    },
    Detail {
        detail: Box<Detail>,
    },
    Daily {
        report: Box<DailyReport>,
    },
    Weekly {
        report: Box<WeeklyReport>,
    },
    /// What became of each row of an import, in the order sent.
    Imported {
        rows: Vec<RowOutcome>,
    },
    WebInfo {
        info: Box<WebInfo>,
    },
    /// A website request is stored: its number and deadlines.
    Submitted {
        receipt: Receipt,
    },
    PublicStatus {
        status: Option<PublicStatus>,
    },
    /// The outbox, and whether mail is set up at all.
    Outbox {
        messages: Vec<Outgoing>,
        set_up: bool,
    },
    /// Where the server's backup stands.
    Backup {
        state: BackupState,
    },
    /// What is due under `[retention]` (None: the policy keeps no span), and the act when it
    /// was destroyed.
    Retention {
        plan: Option<RetentionPlan>,
        act: Option<ActFiles>,
    },
}

/// A backup made by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupState {
    /// None made since the server started.
    None,
    Running {
        file: PathBuf,
        started_at: Timestamp,
    },
    Done {
        file: PathBuf,
        summary: BackupSummary,
        took_ms: i64,
        /// Older copies removed to keep the number asked for.
        removed: Vec<PathBuf>,
    },
    Failed {
        file: PathBuf,
        reason: String,
    },
}

/// What the console's detail window shows of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub request: Request,
    /// Who changed it and when, oldest first (reads left out).
    pub timeline: Vec<AuditEvent>,
    pub caller: Option<CallerCard>,
    /// The caller's latest other requests this person may see, newest first (at most 20).
    pub earlier: Vec<Hit>,
}

/// A change every connected console applies to its local copy.
// Events are moved once and serialized; boxing the request would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A request was created or changed; closed ones leave the open set.
    RequestChanged {
        request: Request,
        /// The login of whoever changed it.
        by: String,
    },
    /// A staff account was added or changed (the queues pane shows who works where).
    StaffChanged { staff: Staff },
    /// A request this console may no longer see (it left the viewer's queue).
    RequestGone { id: RequestId, by: String },
    /// The store stopped taking writes (`trouble` says why, e.g. a full disk), or takes
    /// them again (`None`).
    StoreState { trouble: Option<String> },
}

/// What a console receives when it attaches: who it is, the rules and what is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub me: Staff,
    pub policy: Policy,
    pub staff: Vec<Staff>,
    pub open: Vec<Request>,
    pub draft: Option<CallDraft>,
    /// The result template, signed (None: mail is not set up; a result by email is sent by
    /// hand).
    pub mail: Option<ConsoleMail>,
}
