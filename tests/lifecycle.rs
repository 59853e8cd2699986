//! A request's life after routing, through the server: take, note, close, return, extension,
//! reassign, reopen, cancel — and who may do each (issue 4's table, one case per cell).

mod common;

use std::path::Path;

use pult::domain::call_form::CallDraft;
use pult::domain::change::Change;
use pult::domain::request::{
    Category, Channel, ExtensionState, NoteKind, Request, RequestId, ReturnChannel, Status,
};
use pult::domain::staff::{Role, Staff};
use pult::domain::time::{Clock, SystemClock, Timestamp, HOUR_MS};
use pult::service::{Command, Failure, FailureKind, Reply, Service};

use common::calls::{log_call, valid_call};
use common::people::{me, staff, staff_member};
use common::service::{connect, open_as_me, serve};

fn call(category: Category, offset_ms: i64) -> CallDraft {
    let answered_at = Timestamp(SystemClock.now().0 - 60_000 - offset_ms);
    valid_call("Петрова Анна Ивановна", category, Some(answered_at))
}

/// The state a request is put in before the command under test.
#[derive(Debug, Clone, Copy)]
enum Start {
    New,
    Routed,
    InWork,
    PendingExtension,
    Resolved,
}

/// A store with an operator `ivanova`, an e-journal specialist `smirnova` and a head
/// `belova`, holding one e-journal request brought to `start`; then the OS user running the
/// test gets `roles` (and is the one who logged the request when `own` is set).
fn prepared(dir: &Path, start: Start, roles: &[Role], own: bool) -> RequestId {
    let service: Service = open_as_me(dir);
    let seed = service.seed();
    for member in [
        staff_member("ivanova", &[Role::Operator]),
        staff_member("smirnova", &[Role::Ejournal]),
        staff_member("belova", &[Role::Head]),
    ] {
        seed.put_staff(&member).unwrap();
    }
    let logger = if own {
        staff_member(&me().login, &[Role::Operator])
    } else {
        staff_member("ivanova", &[Role::Operator])
    };
    seed.put_staff(&logger).unwrap();
    let run = |who: &Staff, command| match service.execute(who, command) {
        Ok((reply, _)) => reply,
        Err(error) => panic!("setup: {error}"),
    };
    let request = log_call(&service, &logger, call(Category::Ejournal, 0));
    let id = request.id;
    let specialist = staff_member("smirnova", &[Role::Ejournal]);
    if !matches!(start, Start::New) {
        run(
            &logger,
            Command::Change {
                id,
                change: Change::Route {
                    queue: "ejournal".into(),
                },
            },
        );
    }
    if matches!(
        start,
        Start::InWork | Start::PendingExtension | Start::Resolved
    ) {
        run(
            &specialist,
            Command::Change {
                id,
                change: Change::Take,
            },
        );
    }
    if matches!(start, Start::PendingExtension) {
        run(
            &specialist,
            Command::Change {
                id,
                change: Change::AskExtension {
                    reason: "ждём поставщика".into(),
                    until: Timestamp(request.deadlines.resolve_by.0 + 24 * HOUR_MS),
                },
            },
        );
    }
    if matches!(start, Start::Resolved) {
        run(
            &specialist,
            Command::Change {
                id,
                change: Change::Resolve {
                    text: "пароль сброшен".into(),
                    returned_by: ReturnChannel::Phone,
                    message: None,
                },
            },
        );
    }
    seed.put_staff(&staff_member(&me().login, roles)).unwrap();
    seed.flush().unwrap();
    id
}

/// Runs `command` as the test's OS user through a real server; the reply or the refusal.
/// A command that leaves the request out of the actor's sight (a return) answers `Done`: the
/// request is then read from the store after the server stops.
fn through_server(dir: &Path, command: Command) -> Result<Request, Failure> {
    let server = serve(dir);
    let mut client = connect(dir);
    let id = match &command {
        Command::Change {
            id,
            change: Change::Return { .. },
        } => Some(*id),
        _ => None,
    };
    let reply = client.call(command);
    if let (Ok(Reply::Done), Some(id)) = (&reply, id) {
        drop(client);
        server.stop();
        let service = open_as_me(dir);
        return Ok(service.records().request(id).unwrap().expect("stored"));
    }
    match reply {
        Ok(Reply::Changed { request }) | Ok(Reply::Logged { request }) => Ok(request),
        Ok(other) => panic!("unexpected reply {other:?}"),
        Err(error) => Err(error.failure().cloned().expect("the server refused")),
    }
}

/// Refused for who the actor is (roles, or a request out of their sight), not for anything
/// about the request's state.
fn refused_by_access(outcome: &Result<Request, Failure>) -> bool {
    matches!(outcome, Err(failure) if matches!(failure.kind, FailureKind::Denied | FailureKind::NotVisible))
}

fn case(
    start: Start,
    roles: &[Role],
    own: bool,
    command: impl Fn(RequestId) -> Command,
) -> Result<Request, Failure> {
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), start, roles, own);
    through_server(dir.path(), command(id))
}

fn take(id: RequestId) -> Command {
    Command::Change {
        id,
        change: Change::Take,
    }
}

fn note(id: RequestId) -> Command {
    Command::Change {
        id,
        change: Change::Note {
            kind: NoteKind::NoAnswer,
            text: "не берут трубку".into(),
        },
    }
}

fn close(id: RequestId) -> Command {
    Command::Change {
        id,
        change: Change::Resolve {
            text: "Сбросили пароль, дневник открывается".into(),
            returned_by: ReturnChannel::Phone,
            message: None,
        },
    }
}

fn send_back(id: RequestId) -> Command {
    Command::Change {
        id,
        change: Change::Return {
            reason: "это вопрос к учителю".into(),
        },
    }
}

fn ask_more_time(id: RequestId) -> Command {
    Command::Change {
        id,
        change: Change::AskExtension {
            reason: "ждём поставщика".into(),
            until: Timestamp(SystemClock.now().0 + 72 * HOUR_MS),
        },
    }
}

fn approve(id: RequestId) -> Command {
    Command::Change {
        id,
        change: Change::DecideExtension {
            approve: true,
            note: "согласовано".into(),
        },
    }
}

fn reopen(id: RequestId) -> Command {
    Command::Change {
        id,
        change: Change::Reopen {
            reason: "родитель перезвонил: не работает".into(),
        },
    }
}

fn cancel(id: RequestId) -> Command {
    Command::Change {
        id,
        change: Change::Cancel {
            reason: "дубликат".into(),
        },
    }
}

/// "take, note, close, return, ask extension": no / own queue / own queue (head's) / no / no.
#[test]
fn working_a_request_is_for_its_queue_only() {
    type Work = fn(RequestId) -> Command;
    let works: [(&str, Start, Work); 5] = [
        ("take", Start::Routed, take),
        ("note", Start::InWork, note),
        ("close", Start::InWork, close),
        ("return", Start::InWork, send_back),
        ("ask extension", Start::InWork, ask_more_time),
    ];
    for (what, start, command) in works {
        for roles in [
            vec![Role::Operator],
            vec![Role::SiteAdmin],
            vec![Role::Director],
            vec![Role::Admin],
            vec![Role::Head],
            vec![Role::Tech],
            vec![Role::Psych],
        ] {
            let outcome = case(start, &roles, false, command);
            assert!(
                refused_by_access(&outcome),
                "{what} by {roles:?} was allowed: {outcome:?}"
            );
        }
        let outcome = case(start, &[Role::Ejournal], false, command);
        assert!(
            outcome.is_ok(),
            "{what} by the queue's specialist: {outcome:?}"
        );
    }
}

#[test]
fn the_head_works_the_heads_own_queue() {
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), Start::Routed, &[Role::Head], false);
    // moved to the head's queue by the head, then taken there by the head
    let reassigned = through_server(
        dir.path(),
        Command::Change {
            id,
            change: Change::Reassign {
                queue: "head".into(),
                assignee: None,
                comment: String::new(),
            },
        },
    )
    .expect("the head reassigns");
    assert_eq!(reassigned.queue.as_deref(), Some("head"));
    assert_eq!(reassigned.status, Status::Routed);
    let taken = through_server(dir.path(), take(id)).expect("the head takes in the head's queue");
    assert_eq!(taken.status, Status::InWork);
}

/// "approve extension, reopen": only the head.
#[test]
fn approving_and_reopening_are_the_heads() {
    for roles in [
        vec![Role::Operator],
        vec![Role::SiteAdmin],
        vec![Role::Ejournal],
        vec![Role::Director],
        vec![Role::Admin],
    ] {
        assert!(
            refused_by_access(&case(Start::PendingExtension, &roles, false, approve)),
            "{roles:?}"
        );
        assert!(
            refused_by_access(&case(Start::Resolved, &roles, false, reopen)),
            "{roles:?}"
        );
    }
    let approved = case(Start::PendingExtension, &[Role::Head], false, approve).unwrap();
    let extension = approved.extension.expect("an extension");
    assert_eq!(extension.state, ExtensionState::Approved);
    assert_eq!(approved.deadlines.resolve_by, extension.until);
    let reopened = case(Start::Resolved, &[Role::Head], false, reopen).unwrap();
    assert_eq!(reopened.status, Status::InWork);
    assert!(reopened.result.is_none());
}

/// "log, route, cancel own": operator and site admin yes (cancel only their own), head yes.
#[test]
fn cancelling_is_for_the_head_or_whoever_logged_it() {
    let own = case(Start::New, &[Role::Operator], true, cancel).expect("own call");
    assert_eq!(own.status, Status::Cancelled);
    let error = case(Start::New, &[Role::Operator], false, cancel).unwrap_err();
    assert_eq!(error.kind, FailureKind::Denied, "{error}");
    assert!(error.message.contains("ivanova"), "{error}");
    assert!(case(Start::Routed, &[Role::Head], false, cancel).is_ok());
    for roles in [
        vec![Role::Ejournal],
        vec![Role::Director],
        vec![Role::Admin],
    ] {
        assert!(
            refused_by_access(&case(Start::New, &roles, false, cancel)),
            "{roles:?}"
        );
    }
}

#[test]
fn logging_and_routing_are_for_dispatchers() {
    for (roles, allowed) in [
        (vec![Role::Operator], true),
        (vec![Role::SiteAdmin], true),
        (vec![Role::Head], true),
        (vec![Role::Ejournal], false),
        (vec![Role::Director], false),
        (vec![Role::Admin], false),
    ] {
        let routed = case(Start::New, &roles, false, |id| Command::Change {
            id,
            change: Change::Route {
                queue: "ejournal".into(),
            },
        });
        let as_expected = if allowed {
            routed.is_ok()
        } else {
            refused_by_access(&routed)
        };
        assert!(as_expected, "route by {roles:?}: {routed:?}");
        let logged = case(Start::New, &roles, false, |_| Command::LogCall {
            draft: call(Category::Technical, 7),
            channel: Channel::Phone,
        });
        let as_expected = if allowed {
            logged.is_ok()
        } else {
            refused_by_access(&logged)
        };
        assert!(as_expected, "log by {roles:?}: {logged:?}");
    }
}

#[test]
fn a_whole_life_from_take_to_close_keeps_its_deadlines_and_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), Start::Routed, &[Role::Ejournal], false);
    let taken = through_server(dir.path(), take(id)).unwrap();
    assert_eq!(taken.assignee.as_deref(), Some(me().login.as_str()));
    let resolve_by = taken.deadlines.resolve_by;
    let noted = through_server(dir.path(), note(id)).unwrap();
    assert_eq!(noted.notes.len(), 1);
    let asked = through_server(dir.path(), ask_more_time(id)).unwrap();
    assert!(asked.extension_pending());
    assert_eq!(
        asked.deadlines.resolve_by, resolve_by,
        "asking moves nothing"
    );
    let again = through_server(dir.path(), ask_more_time(id)).unwrap_err();
    assert_eq!(again.kind, FailureKind::Rule, "{again}");
    assert!(again.message.contains("ждёт согласования"), "{again}");
    let closed = through_server(dir.path(), close(id)).unwrap();
    assert_eq!(closed.status, Status::Resolved);
    let result = closed.result.expect("a result");
    assert_eq!(result.returned_by, ReturnChannel::Phone);
}

#[test]
fn a_result_goes_back_only_by_a_channel_the_caller_gave() {
    let outcome = case(Start::InWork, &[Role::Ejournal], false, |id| {
        Command::Change {
            id,
            change: Change::Resolve {
                text: "готово".into(),
                returned_by: ReturnChannel::Email,
                message: None,
            },
        }
    });
    let error = outcome.unwrap_err();
    assert_eq!(error.kind, FailureKind::Rule, "{error}");
    assert!(error.message.contains("почты"), "{error}");
}

#[test]
fn returning_gives_a_fresh_route_by_and_keeps_resolve_by_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), Start::InWork, &[Role::Ejournal], false);
    let service = open_as_me(dir.path());
    let before = service.records().request(id).unwrap().unwrap();
    drop(service);
    let back = through_server(dir.path(), send_back(id)).unwrap();
    assert_eq!(back.status, Status::New);
    assert_eq!(back.queue, None);
    assert_eq!(back.deadlines.resolve_by, before.deadlines.resolve_by);
    assert!(back.deadlines.route_by > before.deadlines.route_by);
    assert!(back
        .notes
        .iter()
        .any(|note| note.text.contains("это вопрос к учителю")));
}

/// "vendor escalation": only the staff member flagged vendor_rep, whatever the roles.
#[test]
fn only_the_vendor_representative_escalates_and_the_answer_comes_back_to_work() {
    let escalate = |id| Command::Change {
        id,
        change: Change::Escalate {
            reformulated: "Вход в дневник возвращает на страницу входа".into(),
            ticket: "VND-4711".into(),
        },
    };
    // someone else is the representative: a refusal names them
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), Start::InWork, &[Role::Ejournal], false);
    {
        let service = open_as_me(dir.path());
        let rep = Staff {
            vendor_rep: true,
            ..staff("kozlov", "Козлов Андрей Петрович", &[Role::Tech])
        };
        service.seed().put_staff(&rep).unwrap();
        service.seed().flush().unwrap();
    }
    let error = through_server(dir.path(), escalate(id)).unwrap_err();
    assert_eq!(error.kind, FailureKind::Denied, "{error}");
    assert!(error.message.contains("Козлов Андрей Петрович"), "{error}");

    // the representative files it and records the answer
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), Start::InWork, &[Role::Ejournal], false);
    {
        let service = open_as_me(dir.path());
        let mut rep = service.identify(&me().login).unwrap();
        rep.vendor_rep = true;
        service.seed().put_staff(&rep).unwrap();
        service.seed().flush().unwrap();
    }
    let sent = through_server(dir.path(), escalate(id)).unwrap();
    assert_eq!(sent.status, Status::WaitingVendor);
    assert_eq!(sent.vendor[0].ticket, "VND-4711");
    let resolve_by = sent.deadlines.resolve_by;
    let answered = through_server(
        dir.path(),
        Command::Change {
            id,
            change: Change::VendorAnswer {
                answer: "Исправлено в версии 2.4.1".into(),
            },
        },
    )
    .unwrap();
    assert_eq!(answered.status, Status::InWork);
    assert_eq!(
        answered.vendor[0].answer.as_deref(),
        Some("Исправлено в версии 2.4.1")
    );
    assert_eq!(
        answered.deadlines.resolve_by, resolve_by,
        "the timer keeps running"
    );
    // a new representative reads every earlier escalation
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    let Ok(Reply::Requests { requests, .. }) = client.call(Command::VendorHistory) else {
        panic!("no history")
    };
    assert_eq!(requests.len(), 1);
}
