//! The stored format: a golden version-1 record keeps decoding, every record round-trips,
//! and damaged bytes give an error, never a panic or a huge allocation.

use proptest::prelude::*;

use pult::domain::call_form::CallDraft;
use pult::domain::deadline::{DeadlinePolicy, Deadlines};
use pult::domain::request::*;
use pult::domain::time::Timestamp;
use pult::domain::validate::{Email, Phone, SchoolClass};
use pult::store::{AuditAction, AuditEvent, CodecError, Record};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/request_v1.bin");

fn golden_request() -> Request {
    let received = Timestamp(1_795_000_000_000);
    Request {
        id: RequestId(124),
        channel: Channel::Phone,
        received_at: received,
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
        routed_at: Some(received.plus_minutes(10)),
        taken_at: Some(received.plus_minutes(20)),
        closed_at: Some(received.plus_minutes(90)),
        deadlines: Deadlines {
            take_by: Some(received.plus_minutes(40)),
            ..Deadlines::on_receipt(&DeadlinePolicy::default(), received)
        },
        result: Some(Resolution {
            text: "Сбросили пароль, дневник открывается.".into(),
            returned_by: ReturnChannel::Phone,
            at: received.plus_minutes(90),
        }),
        cancel_reason: None,
        notes: Vec::new(),
        extension: None,
        vendor: Vec::new(),
        consent: None,
        undelivered: None,
    }
}

const GOLDEN_V2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/request_v2.bin");

/// Version 2 added notes and the extension.
fn golden_request_v2() -> Request {
    let mut request = golden_request();
    let at = request.received_at.plus_minutes(30);
    request.notes = vec![
        Note {
            at,
            author: "smirnova".into(),
            kind: NoteKind::NoAnswer,
            text: "не берут трубку".into(),
        },
        Note {
            at: at.plus_minutes(5),
            author: "smirnova".into(),
            kind: NoteKind::Phoned,
            text: "договорились на 16:00".into(),
        },
    ];
    request.extension = Some(Extension {
        asked_at: at,
        asked_by: "smirnova".into(),
        reason: "ждём ответа поставщика".into(),
        until: request.received_at.plus_hours(48),
        state: ExtensionState::Approved,
        decided_at: Some(at.plus_minutes(10)),
        decided_by: Some("belova".into()),
        decision_note: Some("согласовано".into()),
    });
    request
}

#[test]
fn golden_version_1_request_still_decodes() {
    let bytes = std::fs::read(GOLDEN).expect("tests/fixtures/request_v1.bin");
    assert_eq!(bytes[0], 1, "the golden file is a version-1 record");
    assert_eq!(Request::decode(&bytes).expect("decodes"), golden_request());
}

#[test]
fn a_version_1_record_is_rewritten_in_the_current_version() {
    let bytes = std::fs::read(GOLDEN).expect("tests/fixtures/request_v1.bin");
    let migrated = Request::decode(&bytes).unwrap();
    let rewritten = migrated.encode().unwrap();
    assert_eq!(rewritten[0], 5);
    assert_eq!(Request::decode(&rewritten).unwrap(), migrated);
}

#[test]
fn golden_version_2_request_still_decodes() {
    let bytes = std::fs::read(GOLDEN_V2).expect("tests/fixtures/request_v2.bin");
    assert_eq!(bytes[0], 2);
    assert_eq!(
        Request::decode(&bytes).expect("decodes"),
        golden_request_v2()
    );
}

const GOLDEN_V3: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/request_v3.bin");

/// Version 3 added the vendor escalations.
fn golden_request_v3() -> Request {
    let mut request = golden_request_v2();
    let at = request.received_at.plus_minutes(45);
    request.vendor = vec![VendorCase {
        reformulated: "После ввода пароля — снова страница входа, браузеры Chrome и Firefox".into(),
        ticket: "VND-4711".into(),
        sent_at: at,
        sent_by: "kozlov".into(),
        answer: Some("Исправлено в версии 2.4.1".into()),
        answered_at: Some(at.plus_hours(3)),
    }];
    request
}

#[test]
fn golden_version_3_request_still_decodes() {
    let bytes = std::fs::read(GOLDEN_V3).expect("tests/fixtures/request_v3.bin");
    assert_eq!(bytes[0], 3);
    assert_eq!(
        Request::decode(&bytes).expect("decodes"),
        golden_request_v3()
    );
}

const GOLDEN_V4: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/request_v4.bin");

/// Version 4 added the consent given on the website form.
fn golden_request_v4() -> Request {
    let mut request = golden_request_v3();
    request.channel = Channel::Web;
    request.consent = Some(Consent {
        given_at: request.received_at,
        text_version: "0123456789abcdef".into(),
    });
    request
}

#[test]
fn golden_version_4_request_still_decodes() {
    let bytes = std::fs::read(GOLDEN_V4).expect("tests/fixtures/request_v4.bin");
    assert_eq!(bytes[0], 4);
    assert_eq!(
        Request::decode(&bytes).expect("decodes"),
        golden_request_v4()
    );
}

const GOLDEN_V5: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/request_v5.bin");

/// Version 5 added a result by email that did not get through.
fn golden_request_v5() -> Request {
    let mut request = golden_request_v4();
    request.undelivered = Some(Undelivered {
        at: request.received_at.plus_hours(2),
        to: "petrova@mail.ru".into(),
        reason: "550 5.1.1 нет такого ящика".into(),
    });
    request
}

#[test]
fn golden_version_5_request_still_decodes_and_encodes_the_same() {
    if std::env::var_os("PULT_WRITE_GOLDEN").is_some() {
        std::fs::write(GOLDEN_V5, golden_request_v5().encode().unwrap()).unwrap();
    }
    // A change to Request's fields must come with a new format version and a migration.
    let bytes = std::fs::read(GOLDEN_V5).expect("tests/fixtures/request_v5.bin");
    assert_eq!(bytes[0], 5);
    assert_eq!(
        Request::decode(&bytes).expect("decodes"),
        golden_request_v5()
    );
    assert_eq!(golden_request_v5().encode().unwrap(), bytes);
}

#[test]
fn an_unknown_version_is_refused_by_name() {
    let mut bytes = golden_request().encode().unwrap();
    bytes[0] = 9;
    let error = Request::decode(&bytes).unwrap_err();
    assert!(matches!(
        error,
        CodecError::UnknownVersion {
            found: 9,
            supported: 5,
            ..
        }
    ));
}

#[test]
fn trailing_bytes_are_damage() {
    let mut bytes = golden_request().encode().unwrap();
    bytes.push(0);
    assert!(matches!(
        Request::decode(&bytes),
        Err(CodecError::Damaged { .. })
    ));
    assert!(matches!(Request::decode(&[]), Err(CodecError::Empty)));
}

#[test]
fn a_hostile_length_prefix_does_not_allocate_gigabytes() {
    // version 1, then an id and a string length claiming ~2^62 bytes
    let bytes = [1u8, 5, 0, 0, 0, 253, 255, 255, 255, 255, 255, 255, 255, 63];
    assert!(Request::decode(&bytes).is_err());
}

fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[а-яА-Яa-z0-9 .,!?\n]{0,40}").unwrap()
}

fn request() -> impl Strategy<Value = Request> {
    (
        any::<u64>(),
        any::<i64>(),
        text(),
        text(),
        0usize..6,
        0usize..6,
        proptest::option::of(any::<i64>()),
        proptest::option::of(text()),
    )
        .prop_map(
            |(id, at, name, description, category, status, taken, reason)| {
                let mut request = golden_request();
                request.id = RequestId(id);
                request.received_at = Timestamp(at);
                request.caller.name = name;
                request.description = description;
                request.category = Category::ALL[category];
                request.status = Status::ALL[status];
                request.taken_at = taken.map(Timestamp);
                request.cancel_reason = reason;
                request
            },
        )
}

proptest! {
    #[test]
    fn every_request_round_trips(request in request()) {
        let bytes = request.encode().unwrap();
        prop_assert_eq!(Request::decode(&bytes).unwrap(), request);
    }

    #[test]
    fn drafts_and_audit_events_round_trip(name in text(), seq in any::<u64>(), at in any::<i64>()) {
        let draft = CallDraft { answered_at: Some(Timestamp(at)), name: name.clone(), ..CallDraft::default() };
        prop_assert_eq!(CallDraft::decode(&draft.encode().unwrap()).unwrap(), draft);
        let event = AuditEvent {
            at: Timestamp(at), actor: name, request: RequestId(seq),
            action: AuditAction::Routed { queue: "tech".into() },
        };
        prop_assert_eq!(AuditEvent::decode(&event.encode().unwrap()).unwrap(), event);
    }

    #[test]
    fn any_bytes_decode_to_a_value_or_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Request::decode(&bytes);
        let _ = CallDraft::decode(&bytes);
        let _ = AuditEvent::decode(&bytes);
    }

    #[test]
    fn every_truncation_of_a_record_is_an_error(cut in 0usize..200) {
        let bytes = golden_request().encode().unwrap();
        let cut = cut.min(bytes.len() - 1);
        prop_assert!(Request::decode(&bytes[..cut]).is_err());
    }
}

/// A draft as format 1 kept it (before the form could take a known caller's card): the
/// fields in their order, as bincode wrote them.
#[derive(serde::Serialize)]
struct DraftV1 {
    answered_at: Option<Timestamp>,
    name: String,
    role: Option<CallerRole>,
    class: String,
    category: Option<Category>,
    description: String,
    phone: String,
    email: String,
}

#[test]
fn a_draft_kept_by_format_1_still_comes_back() {
    let old = DraftV1 {
        answered_at: Some(Timestamp(1_795_865_520_000)),
        name: "Петрова Анна".into(),
        role: Some(CallerRole::Parent),
        class: "5А".into(),
        category: Some(Category::Ejournal),
        description: "Не видно оценок".into(),
        phone: "8 912 345-67-89".into(),
        email: String::new(),
    };
    let mut bytes = vec![1];
    bytes.extend(bincode::serde::encode_to_vec(&old, bincode::config::standard()).unwrap());
    let draft = CallDraft::decode(&bytes).expect("a format-1 draft decodes");
    assert_eq!(draft.name, "Петрова Анна");
    assert_eq!(draft.phone, "8 912 345-67-89");
    assert_eq!(draft.caller_card, None);
    assert!(!draft.acknowledge);
    // and is kept again in the current format
    assert_eq!(draft.encode().unwrap()[0], 3);
}

#[test]
fn an_outbox_message_round_trips_and_a_damaged_one_is_an_error() {
    use pult::domain::mail::{message_id, Attempt, MailKind, MailState, Outgoing};
    let message = Outgoing {
        seq: 7,
        request: RequestId(124),
        kind: MailKind::Result,
        to: "petrova@mail.ru".into(),
        to_name: "Петрова Анна Ивановна".into(),
        subject: "Ответ по обращению №124".into(),
        body: "Здравствуйте!\nПароль сброшен.\n".into(),
        message_id: message_id(RequestId(124), MailKind::Result, 7, "school167.ru"),
        thread: "pult.124.5@school167.ru".into(),
        queued_at: Timestamp(1_000),
        queued_by: "smirnova".into(),
        state: MailState::Waiting {
            next_at: Timestamp(61_000),
        },
        attempts: vec![Attempt::Temporary {
            at: Timestamp(1_000),
            reason: "421 4.3.0 try again later".into(),
        }],
    };
    let bytes = message.encode().unwrap();
    assert_eq!(bytes[0], 1);
    assert_eq!(Outgoing::decode(&bytes).unwrap(), message);
    for cut in 0..bytes.len() {
        assert!(Outgoing::decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}
