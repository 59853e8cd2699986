//! Every text staff type has a bound: a longer one is refused with a sentence that names the
//! field and its limit, and nothing is written. One just at the limit goes through.

mod common;

use pult::domain::change::Change;
use pult::domain::request::{Category, NoteKind, Request, RequestId, ReturnChannel, Status};
use pult::domain::staff::{Role, Staff};
use pult::domain::time::{ManualClock, Timestamp};
use pult::domain::validate::{
    MAX_LOGIN, MAX_NAME, MAX_PROPOSALS, MAX_REASON, MAX_TEXT, MAX_TICKET,
};
use pult::service::{Command, FailureKind, Service};

use common::calls::{log_call, valid_call};
use common::people::staff;
use common::service::open_as_first_user;

const T0: Timestamp = Timestamp(1_795_000_000_000);

struct Desk {
    service: Service,
    head: Staff,
    tech: Staff,
    _dir: tempfile::TempDir,
}

/// A store whose first user (admin, operator, head) is `ivanova`, with a technician who is
/// the vendor representative.
fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, head) = open_as_first_user(dir.path(), &clock);
    let tech = Staff {
        vendor_rep: true,
        ..staff("kozlov", "Козлов Андрей Петрович", &[Role::Tech])
    };
    service.seed().put_staff(&tech).unwrap();
    Desk {
        service,
        head,
        tech,
        _dir: dir,
    }
}

impl Desk {
    /// A technical request taken into work by the technician.
    fn in_work(&self) -> RequestId {
        let draft = valid_call("Петрова Анна", Category::Technical, None);
        let id = log_call(&self.service, &self.head, draft).id;
        let route = Command::Change {
            id,
            change: Change::Route {
                queue: "tech".into(),
            },
        };
        self.service.execute(&self.head, route).unwrap();
        self.service
            .execute(
                &self.tech,
                Command::Change {
                    id,
                    change: Change::Take,
                },
            )
            .unwrap();
        id
    }

    fn request(&self, id: RequestId) -> Request {
        self.service.records().request(id).unwrap().unwrap()
    }

    fn ok(&self, actor: &Staff, command: Command) {
        if let Err(error) = self.service.execute(actor, command.clone()) {
            panic!("{command:?} was refused: {error}");
        }
    }

    /// `command` is refused with a sentence naming `field` and `max`, and nothing changed.
    fn refused(&self, actor: &Staff, id: RequestId, command: Command, field: &str, max: usize) {
        let before = self.request(id);
        let events = self.service.records().event_count().unwrap();
        let Err(error) = self.service.execute(actor, command) else {
            panic!("a text over {max} characters was accepted for «{field}»");
        };
        assert_eq!(error.kind(), FailureKind::TooLong, "{field}: {error}");
        let sentence = error.to_string();
        assert!(
            sentence.contains(field) && sentence.contains(&max.to_string()),
            "the refusal names neither the field «{field}» nor its limit {max}: {sentence}"
        );
        assert_eq!(self.request(id), before, "{field}: the request changed");
        assert_eq!(self.service.records().event_count().unwrap(), events);
    }
}

fn long(chars: usize) -> String {
    "ж".repeat(chars)
}

#[test]
fn a_login_is_at_most_32_characters_as_unix_allows() {
    let desk = desk();
    for login in ["a".repeat(120_000), "a".repeat(MAX_LOGIN + 1)] {
        let add = Command::AddStaff {
            staff: staff(&login, "Сидоров Пётр", &[Role::Operator]),
        };
        let error = desk.service.execute(&desk.head, add).unwrap_err();
        let sentence = error.to_string();
        assert!(
            sentence.contains("Логин") && sentence.contains(&MAX_LOGIN.to_string()),
            "{sentence}"
        );
    }
    assert!(desk
        .service
        .records()
        .staff_member("aaaa")
        .unwrap()
        .is_none());
    assert_eq!(desk.service.records().all_staff().unwrap().len(), 2);
    let add = Command::AddStaff {
        staff: staff(&"a".repeat(MAX_LOGIN), "Сидоров Пётр", &[Role::Operator]),
    };
    desk.ok(&desk.head, add);
}

#[test]
fn a_staff_name_is_at_most_200_characters() {
    let desk = desk();
    let add = Command::AddStaff {
        staff: staff("sidorov", &long(60_000), &[Role::Operator]),
    };
    let sentence = desk
        .service
        .execute(&desk.head, add)
        .unwrap_err()
        .to_string();
    assert!(
        sentence.contains("ФИО") && sentence.contains(&MAX_NAME.to_string()),
        "{sentence}"
    );
    assert!(desk
        .service
        .records()
        .staff_member("sidorov")
        .unwrap()
        .is_none());
    let add = Command::AddStaff {
        staff: staff("sidorov", &long(MAX_NAME), &[Role::Operator]),
    };
    desk.ok(&desk.head, add);
}

#[test]
fn a_cancel_reason_is_at_most_2000_characters() {
    let desk = desk();
    let id = desk.in_work();
    let cancel = |reason: String| Command::Change {
        id,
        change: Change::Cancel { reason },
    };
    desk.refused(&desk.head, id, cancel(long(120_000)), "отмены", MAX_REASON);
    desk.refused(
        &desk.head,
        id,
        cancel(long(MAX_REASON + 1)),
        "отмены",
        MAX_REASON,
    );
    desk.ok(&desk.head, cancel(long(MAX_REASON)));
    assert_eq!(desk.request(id).status, Status::Cancelled);
}

#[test]
fn a_return_and_a_reopening_reason_are_at_most_2000_characters() {
    let desk = desk();
    let id = desk.in_work();
    let back = Command::Change {
        id,
        change: Change::Return {
            reason: long(MAX_REASON + 1),
        },
    };
    desk.refused(&desk.tech, id, back, "возврата", MAX_REASON);
    let close = Command::Change {
        id,
        change: Change::Resolve {
            text: "Сбросили пароль".into(),
            returned_by: ReturnChannel::Phone,
            message: None,
        },
    };
    desk.ok(&desk.tech, close);
    let reopen = |reason: String| Command::Change {
        id,
        change: Change::Reopen { reason },
    };
    desk.refused(
        &desk.head,
        id,
        reopen(long(MAX_REASON + 1)),
        "переоткрытия",
        MAX_REASON,
    );
    desk.ok(&desk.head, reopen(long(MAX_REASON)));
}

#[test]
fn an_extension_reason_and_the_heads_comment_are_at_most_2000_characters() {
    let desk = desk();
    let id = desk.in_work();
    let until = desk.request(id).deadlines.resolve_by.plus_hours(24);
    let ask = |reason: String| Command::Change {
        id,
        change: Change::AskExtension { reason, until },
    };
    desk.refused(
        &desk.tech,
        id,
        ask(long(MAX_REASON + 1)),
        "продлени",
        MAX_REASON,
    );
    desk.ok(&desk.tech, ask(long(MAX_REASON)));
    for approve in [true, false] {
        let decide = Command::Change {
            id,
            change: Change::DecideExtension {
                approve,
                note: long(MAX_REASON + 1),
            },
        };
        desk.refused(&desk.head, id, decide, "Комментарий", MAX_REASON);
    }
    let decide = Command::Change {
        id,
        change: Change::DecideExtension {
            approve: true,
            note: long(MAX_REASON),
        },
    };
    desk.ok(&desk.head, decide);
}

#[test]
fn a_note_and_a_result_are_at_most_10000_characters() {
    let desk = desk();
    let id = desk.in_work();
    let note = |text: String| Command::Change {
        id,
        change: Change::Note {
            kind: NoteKind::Internal,
            text,
        },
    };
    desk.refused(
        &desk.tech,
        id,
        note(long(MAX_TEXT + 1)),
        "Заметка",
        MAX_TEXT,
    );
    desk.ok(&desk.tech, note(long(MAX_TEXT)));
    let close = |text: String| Command::Change {
        id,
        change: Change::Resolve {
            text,
            returned_by: ReturnChannel::Phone,
            message: None,
        },
    };
    desk.refused(
        &desk.tech,
        id,
        close(long(MAX_TEXT + 1)),
        "Результат",
        MAX_TEXT,
    );
    desk.ok(&desk.tech, close(long(MAX_TEXT)));
}

#[test]
fn the_vendors_text_ticket_and_answer_are_bounded() {
    let desk = desk();
    let id = desk.in_work();
    let escalate = |reformulated: String, ticket: String| Command::Change {
        id,
        change: Change::Escalate {
            reformulated,
            ticket,
        },
    };
    desk.refused(
        &desk.tech,
        id,
        escalate(long(MAX_TEXT + 1), "VND-1".into()),
        "для поставщика",
        MAX_TEXT,
    );
    desk.refused(
        &desk.tech,
        id,
        escalate("Не входит".into(), "7".repeat(MAX_TICKET + 1)),
        "заявки",
        MAX_TICKET,
    );
    desk.ok(&desk.tech, escalate(long(MAX_TEXT), "7".repeat(MAX_TICKET)));
    let answer = |answer: String| Command::Change {
        id,
        change: Change::VendorAnswer { answer },
    };
    desk.refused(
        &desk.tech,
        id,
        answer(long(MAX_TEXT + 1)),
        "Ответ поставщика",
        MAX_TEXT,
    );
    desk.ok(&desk.tech, answer(long(MAX_TEXT)));
}

#[test]
fn the_heads_proposals_are_at_most_20000_characters() {
    let desk = desk();
    let save = |text: String| Command::SaveProposals {
        year: 2026,
        week: 46,
        text,
    };
    let sentence = desk
        .service
        .execute(&desk.head, save(long(MAX_PROPOSALS + 1)))
        .unwrap_err()
        .to_string();
    assert!(
        sentence.contains("Предложения") && sentence.contains(&MAX_PROPOSALS.to_string()),
        "{sentence}"
    );
    assert!(desk
        .service
        .records()
        .proposals(2026, 46)
        .unwrap()
        .is_none());
    desk.ok(&desk.head, save(long(MAX_PROPOSALS)));
    let kept = desk.service.records().proposals(2026, 46).unwrap().unwrap();
    assert_eq!(kept.text.chars().count(), MAX_PROPOSALS);
}
