//! The wire cannot change by accident: every variant of every message has a sample built from
//! fixed data, and its frame (as `encode_frame` makes it) is kept in `tests/fixtures/wire/`
//! with the `PROTOCOL_VERSION` it was made with.
//!
//! - A frame that differs while `PROTOCOL_VERSION` is the recorded one fails: the change needs
//!   a bump.
//! - After a bump, `PULT_BLESS_WIRE=1 cargo test --test wire_golden` writes the frames and the
//!   version again; without a bump it refuses.
//! - A variant without a sample fails, blessing or not: the variant names come from serde's own
//!   list of the enum (the order that is the encoding), and each sample's variant is read from
//!   its frame, so a new variant cannot be missed.
//! - Every kept frame decodes back to its sample.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;

use pult::domain::call_form::{CallDraft, Field};
use pult::domain::caller::{CallerCard, CallerId};
use pult::domain::change::Change;
use pult::domain::deadline::{DeadlinePolicy, Deadlines};
use pult::domain::hours::HoursFile;
use pult::domain::import::{ImportCall, RowOutcome, RowRefusal};
use pult::domain::mail::{Attempt, ConsoleMail, MailKind, MailState, Outgoing, Template};
use pult::domain::policy::{CategoryDef, Policy, QueueDef, ServiceInfo};
use pult::domain::request::{
    Caller, CallerRole, Category, Channel, Consent, Extension, ExtensionState, Note, NoteKind,
    Request, RequestId, Resolution, ReturnChannel, Status, Undelivered, VendorCase,
};
use pult::domain::staff::{Role, Staff};
use pult::domain::time::Timestamp;
use pult::domain::validate::{Email, FieldError, Phone, SchoolClass};
use pult::domain::website::{PublicStatus, Receipt};
use pult::net::protocol::{
    decode_body, decode_client, decode_server, encode_frame, ClientMsg, Mode, ServerMsg,
    MAX_SERVER_FRAME, PROTOCOL_VERSION,
};
use pult::report::{
    DailyReport, DayFigures, LongOpen, OverdueRequest, PeriodFigures, Step, Tally,
    UndeliveredResult, WeeklyReport,
};
use pult::service::website::{SiteText, WebForm, WebInfo};
use pult::service::{
    BackupState, Command, Detail, Event, Failure, FailureKind, Found, Hit, Reply, Welcome,
};
use pult::store::backup::{BackupHeader, BackupSummary};
use pult::store::{AuditAction, AuditEvent};

const BLESS: &str = "PULT_BLESS_WIRE";
const VERSION_FILE: &str = "PROTOCOL_VERSION";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wire")
}

// ---- the samples: fixed data only (no clock, no parsing of shipped files) ----

const ID: RequestId = RequestId(124);

/// Minutes after a fixed instant (2026-11-18 08:26:40 UTC).
fn at(minutes: i64) -> Timestamp {
    Timestamp(1_795_000_000_000 + minutes * 60_000)
}

fn draft() -> CallDraft {
    CallDraft {
        answered_at: Some(at(0)),
        name: "Петрова Анна Ивановна".into(),
        role: Some(CallerRole::Parent),
        class: "5А".into(),
        category: Some(Category::Ejournal),
        description: "Не открывается дневник".into(),
        phone: "8 912 345-67-89".into(),
        email: "petrova@mail.ru".into(),
        caller_card: None,
        acknowledge: true,
    }
}

fn request() -> Request {
    Request {
        id: ID,
        channel: Channel::Phone,
        received_at: at(0),
        logged_by: "ivanova".into(),
        caller: Caller {
            name: "Петрова Анна Ивановна".into(),
            role: CallerRole::Parent,
            class: Some(SchoolClass::parse("5А").unwrap()),
            phone: Some(Phone::parse("8 912 345-67-89").unwrap()),
            email: Some(Email::parse("petrova@mail.ru").unwrap()),
        },
        category: Category::Ejournal,
        description: "Не открывается дневник.\nВторая строка.".into(),
        status: Status::Resolved,
        queue: Some("ejournal".into()),
        assignee: Some("smirnova".into()),
        routed_at: Some(at(10)),
        taken_at: Some(at(20)),
        closed_at: Some(at(90)),
        deadlines: Deadlines {
            route_by: at(30),
            take_by: Some(at(40)),
            resolve_by: at(24 * 60),
        },
        result: Some(Resolution {
            text: "Сбросили пароль".into(),
            returned_by: ReturnChannel::Phone,
            at: at(90),
        }),
        cancel_reason: Some("дубль".into()),
        notes: vec![Note {
            at: at(25),
            author: "smirnova".into(),
            kind: NoteKind::NoAnswer,
            text: "не берут трубку".into(),
        }],
        extension: Some(Extension {
            asked_at: at(30),
            asked_by: "smirnova".into(),
            reason: "ждём поставщика".into(),
            until: at(48 * 60),
            state: ExtensionState::Approved,
            decided_at: Some(at(35)),
            decided_by: Some("belova".into()),
            decision_note: Some("согласовано".into()),
        }),
        vendor: vec![VendorCase {
            reformulated: "Дневник не открывается у ученика 5А".into(),
            ticket: "SUP-77".into(),
            sent_at: at(50),
            sent_by: "smirnova".into(),
            answer: Some("исправлено".into()),
            answered_at: Some(at(80)),
        }],
        consent: Some(Consent {
            given_at: at(0),
            text_version: "0123456789abcdef".into(),
        }),
        undelivered: Some(Undelivered {
            at: at(95),
            to: "petrova@mail.ru".into(),
            reason: "550 нет такого ящика".into(),
        }),
    }
}

fn outgoing() -> Outgoing {
    Outgoing {
        seq: 3,
        request: ID,
        kind: MailKind::Result,
        to: "petrova@mail.ru".into(),
        to_name: "Петрова Анна Ивановна".into(),
        subject: "Ответ по обращению №124".into(),
        body: "Здравствуйте!\nСбросили пароль.\n".into(),
        message_id: "pult.124.result.3@school167.ru".into(),
        thread: "pult.124.0@school167.ru".into(),
        queued_at: at(90),
        queued_by: "smirnova".into(),
        state: MailState::Waiting { next_at: at(92) },
        attempts: vec![
            Attempt::Temporary {
                at: at(90),
                reason: "421 занят".into(),
            },
            Attempt::Permanent {
                at: at(91),
                reason: "550 нет".into(),
            },
            Attempt::Accepted {
                at: at(92),
                reply: "250 OK".into(),
            },
        ],
    }
}

fn staff() -> Staff {
    Staff {
        login: "smirnova".into(),
        name: "Смирнова Ольга Петровна".into(),
        roles: vec![Role::Ejournal, Role::Head],
        vendor_rep: true,
        disabled: false,
    }
}

fn policy() -> Policy {
    Policy {
        service: ServiceInfo {
            name: "Служба сопровождения".into(),
            hotline: "8 (800) 000-00-00".into(),
        },
        deadlines: DeadlinePolicy {
            route_minutes: 30,
            take_minutes: 30,
            resolve_hours: 24,
            due_soon_percent: 20,
        },
        queues: vec![QueueDef {
            key: "ejournal".into(),
            name: "Администратор электронного журнала".into(),
            short: "ЭЖД".into(),
            role: Role::Ejournal,
        }],
        categories: vec![CategoryDef {
            key: Category::Ejournal,
            label: "проблема с ЭЖД".into(),
            short: "ЭЖД".into(),
            queue: "ejournal".into(),
        }],
        hours: Some(HoursFile {
            zone: "Europe/Moscow".into(),
            week: vec!["пн-пт 08:00-20:00".into(), "сб 09:00-15:00".into()],
            production_calendar: true,
            closed: vec!["2026-12-28..2027-01-08 зимние каникулы".into()],
            service_time: vec!["route".into(), "take".into()],
            emergency: vec!["Детский телефон доверия: 8-800-2000-122".into()],
            calendars: vec![pult::domain::calendar::YearCalendar {
                year: 2028,
                days_off: vec![chrono::NaiveDate::from_ymd_opt(2028, 1, 3).expect("date")],
                worked: vec![chrono::NaiveDate::from_ymd_opt(2028, 1, 8).expect("date")],
                shortened: vec![chrono::NaiveDate::from_ymd_opt(2028, 2, 22).expect("date")],
                source: "calendar2028.xml".into(),
            }],
        }),
        retention: Some(pult::domain::retention::RetentionFile {
            personal_data_days: 365,
            by_type: [("psych".to_string(), 1095)].into_iter().collect(),
            drafts_days: 30,
            apply_daily: false,
        }),
    }
}

fn audit_event() -> AuditEvent {
    AuditEvent {
        at: at(10),
        actor: "ivanova".into(),
        request: ID,
        action: AuditAction::Routed {
            queue: "ejournal".into(),
        },
    }
}

fn hit() -> Hit {
    Hit {
        id: ID,
        status: Status::InWork,
        category: Category::Ejournal,
        queue: Some("ejournal".into()),
        received_at: at(0),
        name: "Петрова Анна Ивановна".into(),
        snippet: "Не открывается дневник".into(),
    }
}

fn caller_card() -> CallerCard {
    CallerCard {
        id: CallerId(7),
        name: "Петрова Анна Ивановна".into(),
        role: CallerRole::Parent,
        class: Some(SchoolClass::parse("5А").unwrap()),
        phones: vec![Phone::parse("8 912 345-67-89").unwrap()],
        emails: vec![Email::parse("petrova@mail.ru").unwrap()],
        requests: vec![RequestId(101), ID],
    }
}

fn figures() -> PeriodFigures {
    let mut figures = PeriodFigures::default();
    figures.received.total = 3;
    figures.received.by_channel = vec![Tally {
        key: Channel::Phone,
        count: 3,
    }];
    figures.received.by_queue = vec![Tally {
        key: Some("ejournal".into()),
        count: 2,
    }];
    figures.steps.route.of = 3;
    figures.steps.route.median_ms = Some(600_000);
    figures
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 18).unwrap()
}

fn daily_report() -> DailyReport {
    DailyReport {
        date: date(),
        start: at(-8 * 60),
        end: at(16 * 60),
        generated_at: at(60),
        senders: vec!["Иванова Анна Сергеевна".into()],
        figures: figures(),
        overdue: vec![OverdueRequest {
            id: ID,
            queue: Some("ejournal".into()),
            assignee: None,
            step: Step::Take,
            late_ms: 120_000,
        }],
        undelivered: vec![UndeliveredResult {
            id: ID,
            queue: Some("ejournal".into()),
            assignee: Some("Смирнова О. П.".into()),
            since: at(95),
            reason: "550 нет такого ящика".into(),
        }],
    }
}

fn weekly_report() -> WeeklyReport {
    WeeklyReport {
        year: 2026,
        week: 47,
        start: at(-3 * 24 * 60),
        end: at(4 * 24 * 60),
        generated_at: at(5 * 24 * 60),
        days: vec![DayFigures {
            date: date(),
            figures: figures(),
        }],
        totals: figures(),
        previous: PeriodFigures::default(),
        top_categories: vec![Tally {
            key: Category::Ejournal,
            count: 2,
        }],
        recurring_words: vec![Tally {
            key: "дневник".into(),
            count: 3,
        }],
        repeat_callers: 1,
        longest_open: vec![LongOpen {
            id: ID,
            queue: None,
            category: Category::Other,
            hours_open: 30,
        }],
        proposals: Some("Провести вебинар".into()),
    }
}

fn welcome() -> Welcome {
    Welcome {
        me: staff(),
        policy: policy(),
        staff: vec![staff()],
        open: vec![request()],
        draft: Some(draft()),
        mail: Some(ConsoleMail {
            result: Template {
                subject: "Ответ по обращению №{number}".into(),
                body: "{result}\n{specialist}\n".into(),
            },
            acknowledges: true,
        }),
    }
}

/// One sample of each `Command` (a new command fails the test until it has one here).
/// Every change to a request (a command carries one).
fn changes() -> Vec<Change> {
    let text = |words: &str| words.to_string();
    vec![
        Change::Route {
            queue: text("ejournal"),
        },
        Change::Take,
        Change::Note {
            kind: NoteKind::Phoned,
            text: text("договорились на 16:00"),
        },
        Change::Resolve {
            text: text("Сбросили пароль"),
            returned_by: ReturnChannel::Email,
            message: Some(text("Здравствуйте!\nСбросили пароль.")),
        },
        Change::Return {
            reason: text("не наша очередь"),
        },
        Change::AskExtension {
            reason: text("ждём поставщика"),
            until: at(48 * 60),
        },
        Change::DecideExtension {
            approve: true,
            note: text("согласовано"),
        },
        Change::Reassign {
            queue: text("tech"),
            assignee: Some(text("kuznetsov")),
            comment: String::new(),
        },
        Change::Reopen {
            reason: text("снова не открывается"),
        },
        Change::Cancel {
            reason: text("дубль №123"),
        },
        Change::Escalate {
            reformulated: text("Дневник не открывается"),
            ticket: text("SUP-77"),
        },
        Change::VendorAnswer {
            answer: text("исправлено"),
        },
        Change::ChangeType {
            category: Category::Technical,
        },
    ]
}

/// Every audit action (a timeline and a history carry them).
fn audit_actions() -> Vec<AuditAction> {
    vec![
        AuditAction::Logged,
        AuditAction::Routed {
            queue: "ejournal".into(),
        },
        AuditAction::Taken,
        AuditAction::Resolved,
        AuditAction::Returned,
        AuditAction::Escalated,
        AuditAction::VendorAnswered,
        AuditAction::Reopened,
        AuditAction::Cancelled {
            reason: "дубль".into(),
        },
        AuditAction::Noted {
            kind: NoteKind::NoAnswer,
        },
        AuditAction::ExtensionAsked { until: at(60) },
        AuditAction::ExtensionDecided { approved: false },
        AuditAction::Reassigned {
            queue: "tech".into(),
            assignee: None,
        },
        AuditAction::Viewed { export: true },
        AuditAction::CallersMerged {
            kept: CallerId(1),
            merged: CallerId(2),
        },
        AuditAction::TypeChanged {
            from: Category::Ejournal,
            to: Category::Technical,
        },
        AuditAction::ReassignedWithComment {
            queue: "ejournal".into(),
            assignee: None,
            comment: "вопрос журнала".into(),
        },
        AuditAction::CallerSplit {
            from: CallerId(7),
            to: CallerId(9),
        },
        AuditAction::MailDelivered {
            kind: MailKind::Acknowledgement,
            reply: "250 OK".into(),
        },
        AuditAction::MailFailed {
            kind: MailKind::Result,
            reason: "421 занят".into(),
            retry_at: Some(at(100)),
        },
        AuditAction::DeadlinesRecounted {
            route_by: Some(at(200)),
            take_by: None,
            resolve_by: Some(at(300)),
        },
        AuditAction::PersonalDataDestroyed {
            act: "act-20271201-030000.md".into(),
        },
    ]
}

fn commands() -> Vec<Command> {
    let text = |words: &str| words.to_string();
    vec![
        Command::LogCall {
            draft: draft(),
            channel: Channel::Phone,
        },
        Command::Change {
            id: ID,
            change: Change::Route {
                queue: text("ejournal"),
            },
        },
        Command::SaveDraft { draft: draft() },
        Command::DiscardDraft,
        Command::ListRequests {
            status: Some(Status::Routed),
            after: Some(RequestId(100)),
        },
        Command::ShowRequest { id: ID },
        Command::GetPolicy,
        Command::AddStaff { staff: staff() },
        Command::ListStaff,
        Command::DisableStaff {
            login: text("smirnova"),
        },
        Command::VendorHistory,
        Command::RecordView { id: ID },
        Command::Timeline { id: ID },
        Command::History { id: ID },
        Command::Search {
            query: text("Петрова"),
        },
        Command::FindCaller {
            phone: Some(text("8 912 345-67-89")),
            email: Some(text("petrova@mail.ru")),
        },
        Command::OpenDetail { id: ID },
        Command::ListCallers {
            after: Some(CallerId(6)),
        },
        Command::MergeCallers {
            kept: CallerId(7),
            merged: CallerId(8),
        },
        Command::SplitCaller {
            card: CallerId(7),
            requests: vec![ID],
        },
        Command::DailyReport {
            date: Some(date()),
            offset_seconds: 3 * 3600,
        },
        Command::WeeklyReport {
            week: Some((2026, 47)),
            offset_seconds: 3 * 3600,
        },
        Command::SaveProposals {
            year: 2026,
            week: 47,
            text: text("Провести вебинар"),
        },
        Command::Import {
            calls: vec![ImportCall {
                line: 2,
                draft: draft(),
                channel: Channel::Phone,
            }],
        },
        Command::EnableStaff {
            login: text("smirnova"),
        },
        Command::WebInfo,
        Command::SubmitWeb {
            form: WebForm {
                name: text("Петрова Анна Ивановна"),
                role: Some(CallerRole::Parent),
                class: text("5А"),
                category: Some(Category::Ejournal),
                description: text("Не открывается дневник"),
                phone: text("8 912 345-67-89"),
                email: text("petrova@mail.ru"),
                consent_version: Some(text("0123456789abcdef")),
                key: [7; 16],
            },
        },
        Command::PublicStatus {
            id: ID,
            contact: text("+79123456789"),
        },
        Command::MailStatus,
        Command::Backup {
            keep_daily: Some(7),
            keep_weekly: Some(4),
        },
        Command::BackupStatus,
        Command::Retention {
            apply: true,
            offset_seconds: 3 * 3600,
        },
    ]
}

/// One sample of each `Reply`.
fn replies() -> Vec<Reply> {
    vec![
        Reply::Logged { request: request() },
        Reply::Routed { request: request() },
        Reply::Done,
        Reply::Requests {
            requests: vec![request()],
            more: true,
            unreadable: vec![RequestId(99)],
        },
        Reply::Request { request: request() },
        Reply::Staff {
            staff: vec![staff()],
        },
        Reply::Policy { policy: policy() },
        Reply::Changed { request: request() },
        Reply::History {
            events: vec![audit_event()],
        },
        Reply::Found {
            found: Found {
                hits: vec![hit()],
                total: 1,
                partial: false,
            },
        },
        Reply::Caller {
            card: Some(caller_card()),
        },
        Reply::Callers {
            cards: vec![caller_card()],
            more: false,
        },
        Reply::People {
            cards: vec![caller_card()],
        },
        Reply::Detail {
            detail: Box::new(Detail {
                request: request(),
                timeline: vec![audit_event()],
                caller: Some(caller_card()),
                earlier: vec![hit()],
            }),
        },
        Reply::Daily {
            report: Box::new(daily_report()),
        },
        Reply::Weekly {
            report: Box::new(weekly_report()),
        },
        Reply::Imported {
            rows: vec![
                RowOutcome::Imported { line: 2, id: ID },
                RowOutcome::AlreadyThere {
                    line: 3,
                    id: RequestId(99),
                },
                RowOutcome::Refused {
                    line: 4,
                    refusal: RowRefusal::Form {
                        errors: vec![
                            (Field::Name, FieldError::Required),
                            (Field::Phone, FieldError::TooLong(40)),
                        ],
                    },
                },
                RowOutcome::Refused {
                    line: 5,
                    refusal: RowRefusal::InFuture {
                        received_at: at(60),
                    },
                },
                RowOutcome::Refused {
                    line: 6,
                    refusal: RowRefusal::NoTime,
                },
            ],
        },
        Reply::WebInfo {
            info: Box::new(WebInfo {
                service: policy().service,
                categories: vec![(Category::Ejournal, "проблема с ЭЖД".into())],
                deadlines: policy().deadlines,
                consent: SiteText {
                    version: "0123456789abcdef".into(),
                    text: "Согласие".into(),
                },
                privacy: SiteText {
                    version: "fedcba9876543210".into(),
                    text: "Политика".into(),
                },
                zone: Some("Europe/Moscow".into()),
            }),
        },
        Reply::Submitted {
            receipt: Receipt::of(&request(), vec!["Служба сейчас не работает.".into()]),
        },
        Reply::PublicStatus {
            status: Some(PublicStatus::of(&request())),
        },
        Reply::Outbox {
            messages: vec![outgoing()],
            set_up: true,
        },
        Reply::Backup {
            state: BackupState::Done {
                file: "/srv/pult/backups/pult-20261201-030000.pultbak".into(),
                summary: BackupSummary {
                    header: BackupHeader {
                        format: 1,
                        created_at_ms: at(400).0,
                        pult_version: "0.3.0".into(),
                        schema_version: 3,
                    },
                    entries: 1200,
                    writes: 3,
                    files: 4,
                    requests: 300,
                    bytes: 65_536,
                    sha256: "ab".repeat(32),
                },
                took_ms: 850,
                removed: vec!["/srv/pult/backups/pult-20261124-030000.pultbak".into()],
            },
        },
        Reply::Retention {
            plan: Some(pult::domain::retention::RetentionPlan {
                by_month: [(("2025-11".to_string(), Category::Psych), 3)]
                    .into_iter()
                    .collect(),
                oldest: Some(at(500)),
                newest: Some(at(600)),
                requests: vec![ID],
                drafts: vec!["ivanova".into()],
            }),
            act: Some(pult::service::retention::ActFiles {
                markdown: "/srv/pult/retention/act-20271201-030000.md".into(),
                csv: "/srv/pult/retention/act-20271201-030000.csv".into(),
                destroyed: 3,
                drafts: 1,
            }),
        },
    ]
}

/// One sample of each `Event`.
fn events() -> Vec<Event> {
    vec![
        Event::RequestChanged {
            request: request(),
            by: "ivanova".into(),
        },
        Event::StaffChanged { staff: staff() },
        Event::RequestGone {
            id: ID,
            by: "ivanova".into(),
        },
        Event::StoreState {
            trouble: Some("диск сервера заполнен".into()),
        },
    ]
}

fn client_messages() -> Vec<ClientMsg> {
    vec![
        ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            program_version: "0.3.0".into(),
            mode: Mode::Attach,
        },
        ClientMsg::Command {
            id: 5,
            command: Command::Change {
                id: ID,
                change: Change::Take,
            },
        },
        ClientMsg::Ping { id: 6 },
        ClientMsg::Language { code: "en".into() },
    ]
}

/// One of each `ServerMsg`, and the other side of the two that have one (a welcome for a
/// script, a refused command).
fn server_messages() -> Vec<(&'static str, ServerMsg)> {
    vec![
        (
            "",
            ServerMsg::Refused {
                reason: "версии не совпадают".into(),
            },
        ),
        (
            "attach",
            ServerMsg::Welcome {
                program_version: "0.3.0".into(),
                welcome: Some(Box::new(welcome())),
            },
        ),
        (
            "commands",
            ServerMsg::Welcome {
                program_version: "0.3.0".into(),
                welcome: None,
            },
        ),
        (
            "ok",
            ServerMsg::Reply {
                id: 5,
                result: Ok(Reply::Done),
            },
        ),
        (
            "refused",
            ServerMsg::Reply {
                id: 6,
                result: Err(Failure::new(
                    FailureKind::NotVisible,
                    "обращение №124 вам не видно: оно не из вашей очереди",
                )),
            },
        ),
        (
            "",
            ServerMsg::Event {
                event: Event::RequestGone {
                    id: ID,
                    by: "ivanova".into(),
                },
            },
        ),
        ("", ServerMsg::Pong { id: 6 }),
        (
            "",
            ServerMsg::Goodbye {
                reason: "сервер pult остановлен".into(),
                reconnect: true,
            },
        ),
    ]
}

fn failure_kinds() -> Vec<FailureKind> {
    use FailureKind::*;
    vec![
        NoAccount,
        Disabled,
        Denied,
        StaffExists,
        NoSuchRequest,
        NotVisible,
        NoSuchCaller,
        Form,
        UnknownQueue,
        TooLong,
        Rule,
        BadInput,
        Policy,
        DiskFull,
        StoreFailed,
        NotSaved,
        Store,
        Consent,
    ]
}

// ---- the machinery ----

/// Decodes a frame and says how it differs from its sample, if it does.
type DecodesBack = Box<dyn Fn(&[u8]) -> Option<String>>;

/// One sample's frame, where it is kept, and whether frames decode back to it.
struct Sample {
    file: String,
    frame: Vec<u8>,
    check: DecodesBack,
}

/// What the test found missing or wrong; collected so one run names every problem.
#[derive(Default)]
struct Findings {
    uncovered: Vec<String>,
    samples: Vec<Sample>,
}

impl Findings {
    /// Adds the samples of one message type. For an enum, every variant must have a sample:
    /// its variants are read from serde's list, its samples' variants from their frames (the
    /// body's first byte is the variant's index while there are fewer than 251).
    fn add<T>(
        &mut self,
        message: &str,
        samples: Vec<(&'static str, T)>,
        decode: fn(&[u8]) -> Result<T, String>,
    ) where
        T: Serialize + DeserializeOwned + PartialEq + Debug + 'static,
    {
        let variants = variant_names::<T>();
        let mut covered = BTreeSet::new();
        for (tag, sample) in samples {
            let frame = encode_frame(&sample).unwrap();
            let mut file = message.to_string();
            if let Some(variants) = variants {
                let index = usize::from(frame[4]);
                assert!(
                    index < 251 && index < variants.len(),
                    "{message}: index {index}"
                );
                covered.insert(index);
                file = format!("{file}.{}", variants[index]);
            }
            if !tag.is_empty() {
                file = format!("{file}.{tag}");
            }
            let check = Box::new(move |frame: &[u8]| {
                let body = frame.get(4..).unwrap_or_default();
                let announced = frame
                    .get(..4)
                    .and_then(|prefix| <[u8; 4]>::try_from(prefix).ok())
                    .map(u32::from_be_bytes);
                if announced != u32::try_from(body.len()).ok() {
                    return Some(format!("its length prefix is not {} bytes", body.len()));
                }
                match decode(body) {
                    Ok(decoded) if decoded == sample => None,
                    Ok(decoded) => Some(format!("decodes to {decoded:?}")),
                    Err(error) => Some(format!("does not decode: {error}")),
                }
            });
            self.samples.push(Sample {
                file: format!("{file}.hex"),
                frame,
                check,
            });
        }
        for (index, name) in variants.unwrap_or_default().iter().enumerate() {
            if !covered.contains(&index) {
                self.uncovered.push(format!("{message}::{name}"));
            }
        }
    }
}

fn decoded<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    decode_body::<T, MAX_SERVER_FRAME>(body).map_err(|error| error.to_string())
}

fn untagged<T>(samples: Vec<T>) -> Vec<(&'static str, T)> {
    samples.into_iter().map(|sample| ("", sample)).collect()
}

fn all_samples() -> Findings {
    let mut findings = Findings::default();
    findings.add("ClientMsg", untagged(client_messages()), |body| {
        decode_client(body).map_err(|error| error.to_string())
    });
    findings.add("ServerMsg", server_messages(), |body| {
        decode_server(body).map_err(|error| error.to_string())
    });
    findings.add("Command", untagged(commands()), decoded::<Command>);
    findings.add("Change", untagged(changes()), decoded::<Change>);
    findings.add(
        "AuditAction",
        untagged(audit_actions()),
        decoded::<AuditAction>,
    );
    findings.add("Reply", untagged(replies()), decoded::<Reply>);
    findings.add("Event", untagged(events()), decoded::<Event>);
    findings.add("Welcome", untagged(vec![welcome()]), decoded::<Welcome>);
    findings.add(
        "Mode",
        untagged(vec![Mode::Attach, Mode::Commands, Mode::Web]),
        decoded::<Mode>,
    );
    findings.add(
        "FailureKind",
        untagged(failure_kinds()),
        decoded::<FailureKind>,
    );
    findings
}

/// The variants of an enum in declaration order, as serde's derive passes them to
/// `deserialize_enum`; `None` for anything else (a struct).
fn variant_names<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut catcher = VariantCatcher(None);
    let _ = T::deserialize(&mut catcher);
    catcher.0
}

/// A deserializer that only learns the variants of the enum asked for, then stops.
struct VariantCatcher(Option<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped")
    }
}

impl std::error::Error for Stop {}

impl serde::de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> serde::Deserializer<'de> for &mut VariantCatcher {
    type Error = Stop;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        self.0 = Some(variants);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

fn to_hex(frame: &[u8]) -> String {
    let mut text = String::new();
    for line in frame.chunks(32) {
        for byte in line {
            text.push_str(&format!("{byte:02x}"));
        }
        text.push('\n');
    }
    text
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| {
            let pair: String = pair.iter().collect();
            u8::from_str_radix(&pair, 16).map_err(|_| format!("«{pair}» is not a hex byte"))
        })
        .collect()
}

fn recorded_version(dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(dir.join(VERSION_FILE)).ok()?;
    text.trim().parse().ok()
}

/// The frames kept now, by file name.
fn kept_frames(dir: &Path) -> BTreeMap<String, Result<Vec<u8>, String>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hex"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let frame = std::fs::read_to_string(&path)
                .map_err(|error| error.to_string())
                .and_then(|text| from_hex(&text));
            (name, frame)
        })
        .collect()
}

fn bless(dir: &Path, findings: &Findings, kept: &BTreeMap<String, Result<Vec<u8>, String>>) {
    std::fs::create_dir_all(dir).unwrap();
    let now: BTreeSet<&str> = findings.samples.iter().map(|s| s.file.as_str()).collect();
    for stale in kept.keys().filter(|name| !now.contains(name.as_str())) {
        std::fs::remove_file(dir.join(stale)).unwrap();
    }
    for sample in &findings.samples {
        std::fs::write(dir.join(&sample.file), to_hex(&sample.frame)).unwrap();
    }
    std::fs::write(dir.join(VERSION_FILE), format!("{PROTOCOL_VERSION}\n")).unwrap();
}

#[test]
fn every_message_is_encoded_as_recorded() {
    let dir = fixtures();
    let findings = all_samples();
    assert!(
        findings.uncovered.is_empty(),
        "variants without a sample in tests/wire_golden.rs (add one to its list, then bump \
         PROTOCOL_VERSION and re-bless with {BLESS}=1 cargo test --test wire_golden):\n  {}",
        findings.uncovered.join("\n  ")
    );
    let files: BTreeSet<&str> = findings.samples.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(
        files.len(),
        findings.samples.len(),
        "two samples share a fixture name: give them different tags"
    );
    for sample in &findings.samples {
        if let Some(wrong) = (sample.check)(&sample.frame) {
            panic!("{}: its own frame {wrong}", sample.file);
        }
    }

    let kept = kept_frames(&dir);
    let recorded = recorded_version(&dir);
    let mut changed = Vec::new();
    for sample in &findings.samples {
        match kept.get(&sample.file) {
            Some(Ok(frame)) if *frame == sample.frame => {}
            Some(Ok(_)) => changed.push(format!("{} encodes differently", sample.file)),
            Some(Err(error)) => changed.push(format!("{} is unreadable: {error}", sample.file)),
            None => changed.push(format!("{} is not kept yet", sample.file)),
        }
    }
    for name in kept.keys().filter(|name| !files.contains(name.as_str())) {
        changed.push(format!("{name} has no sample any more"));
    }

    if std::env::var(BLESS).is_ok_and(|value| value == "1") {
        assert!(
            changed.is_empty() || recorded != Some(PROTOCOL_VERSION),
            "refusing to bless: the wire changed but PROTOCOL_VERSION is still {PROTOCOL_VERSION}, \
             the version these frames were made with. Bump it in src/net/protocol.rs (and say \
             in its comment what changed), then bless again.\n  {}",
            changed.join("\n  ")
        );
        bless(&dir, &findings, &kept);
        return;
    }

    let recorded = recorded.unwrap_or_else(|| {
        panic!(
            "{} has no {VERSION_FILE}: make the frames with {BLESS}=1 cargo test --test \
             wire_golden",
            dir.display()
        )
    });
    assert!(
        recorded == PROTOCOL_VERSION,
        "PROTOCOL_VERSION is {PROTOCOL_VERSION} but the frames were made with {recorded}: \
         re-bless with {BLESS}=1 cargo test --test wire_golden\n  {}",
        changed.join("\n  ")
    );
    assert!(
        changed.is_empty(),
        "the wire changed: bump PROTOCOL_VERSION and re-bless with {BLESS}=1 \
         (cargo test --test wire_golden)\n  {}",
        changed.join("\n  ")
    );
    for sample in &findings.samples {
        if let Some(Ok(frame)) = kept.get(&sample.file) {
            if let Some(wrong) = (sample.check)(frame) {
                panic!("{}: the kept frame {wrong}", sample.file);
            }
        }
    }
}

/// Every change has its move in `Move::ALL` (the list the rules table, the help and the
/// console's hints walk): the samples hold one of each change, as the test above makes sure.
#[test]
fn every_change_is_a_move_the_rules_table_lists() {
    let samples = changes();
    for change in &samples {
        assert!(
            pult::domain::change::Move::ALL.contains(&change.kind()),
            "{change:?}"
        );
    }
    assert_eq!(pult::domain::change::Move::ALL.len(), samples.len());
}
