//! Who sees what, through the server: a psych request's text only for the psychologist queue
//! and the head, a queue's requests only for its specialists, nothing for the director and
//! the system admin (issue 4's table, "see open requests" and "contact data").

mod common;

use std::path::Path;

use pult::domain::access::CONFIDENTIAL;
use pult::domain::call_form::CallDraft;
use pult::domain::change::Change;
use pult::domain::request::{CallerRole, Category, RequestId};
use pult::domain::staff::Role;
use pult::domain::time::{Clock, SystemClock, Timestamp};
use pult::net::client::{attach, ClientError, Launch};
use pult::service::{Command, Failure, FailureKind, Reply};

use common::calls::log_call;
use common::people::{me, staff};
use common::service::{connect, open_as_me, serve, set_my_roles};

const SECRET: &str = "Ребёнок отказывается выходить на уроки, плачет";

/// A psych request logged by `ivanova` and routed to the psychologist; then the OS user
/// running the test gets `roles`.
fn prepared(dir: &Path, roles: &[Role]) -> RequestId {
    let service = open_as_me(dir);
    let operator = staff("ivanova", "Иванова Анна", &[Role::Operator]);
    service.seed().put_staff(&operator).unwrap();
    let draft = CallDraft {
        answered_at: Some(Timestamp(SystemClock.now().0 - 60_000)),
        name: "Лебедева Наталья".into(),
        role: Some(CallerRole::Parent),
        class: "2В".into(),
        category: Some(Category::Psych),
        description: SECRET.into(),
        phone: "89035557788".into(),
        email: String::new(),
        caller_card: None,
        acknowledge: false,
    };
    let request = log_call(&service, &operator, draft);
    service
        .execute(
            &operator,
            Command::Change {
                id: request.id,
                change: Change::Route {
                    queue: "psych".into(),
                },
            },
        )
        .unwrap();
    set_my_roles(&service, roles);
    request.id
}

/// (what `show` gives, how many open requests the console's welcome holds)
fn seen_by(roles: &[Role]) -> (Result<String, Failure>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), roles);
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    let shown = match client.call(Command::ShowRequest { id }) {
        Ok(Reply::Request { request }) => Ok(request.description),
        Ok(other) => panic!("{other:?}"),
        Err(ClientError::Rejected(failure)) => Err(failure),
        Err(other) => panic!("{other}"),
    };
    let console = attach(dir.path(), &Launch::Never, None).unwrap();
    (shown, console.welcome.open.len())
}

#[test]
fn the_psychologist_and_the_head_read_a_psych_request() {
    for roles in [vec![Role::Psych], vec![Role::Head]] {
        let (shown, open) = seen_by(&roles);
        assert_eq!(shown.as_deref(), Ok(SECRET), "{roles:?}");
        assert_eq!(open, 1, "{roles:?}");
    }
}

#[test]
fn an_operator_sees_the_request_but_not_its_confidential_text() {
    for roles in [vec![Role::Operator], vec![Role::SiteAdmin]] {
        let (shown, open) = seen_by(&roles);
        assert_eq!(shown.as_deref(), Ok(CONFIDENTIAL), "{roles:?}");
        assert_eq!(open, 1, "{roles:?}");
    }
}

#[test]
fn another_queue_the_director_and_the_admin_do_not_see_it_at_all() {
    for roles in [
        vec![Role::Tech],
        vec![Role::Ejournal],
        vec![Role::Director],
        vec![Role::Admin],
    ] {
        let (shown, open) = seen_by(&roles);
        let error = shown.expect_err("must not be shown");
        assert_eq!(error.kind, FailureKind::NotVisible, "{roles:?}: {error}");
        assert_eq!(open, 0, "{roles:?}");
    }
}

#[test]
fn every_read_of_contact_data_is_recorded_and_the_head_can_list_them() {
    use pult::store::AuditAction;
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), &[Role::Head]);
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    client.call(Command::ShowRequest { id }).unwrap();
    client.call(Command::RecordView { id }).unwrap();
    let Reply::History { events } = client.call(Command::History { id }).unwrap() else {
        panic!("no history")
    };
    let reads: Vec<&AuditAction> = events
        .iter()
        .filter(|event| event.actor == me().login)
        .map(|event| &event.action)
        .collect();
    assert_eq!(
        reads,
        [
            &AuditAction::Viewed { export: true },
            &AuditAction::Viewed { export: false }
        ]
    );
    assert!(events
        .iter()
        .any(|event| event.action == AuditAction::Logged && event.actor == "ivanova"));
}

#[test]
fn only_the_head_reads_the_account_of_reads() {
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), &[Role::Operator]);
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    let error = client.call(Command::History { id }).unwrap_err();
    assert_eq!(error.kind(), Some(FailureKind::Denied), "{error}");
    assert!(error.to_string().contains("руководитель"), "{error}");
}

#[test]
fn the_vendor_representative_may_not_escalate_a_psych_request_he_does_not_see() {
    let dir = tempfile::tempdir().unwrap();
    let id = prepared(dir.path(), &[Role::Tech]);
    let before = {
        let service = open_as_me(dir.path());
        let psychologist = staff("orlova", "Орлова Елена", &[Role::Psych]);
        service.seed().put_staff(&psychologist).unwrap();
        service
            .execute(
                &psychologist,
                Command::Change {
                    id,
                    change: Change::Take,
                },
            )
            .expect("the psychologist takes it");
        let mut representative = service.identify(&me().login).unwrap();
        representative.vendor_rep = true;
        service.seed().put_staff(&representative).unwrap();
        service.seed().flush().unwrap();
        let stored = service.records().request(id).unwrap().expect("stored");
        (stored, service.records().event_count().unwrap())
    };

    let server = serve(dir.path());
    let mut client = connect(dir.path());
    let refused = client.call(Command::Change {
        id,
        change: Change::Escalate {
            reformulated: "Просьба разобраться".into(),
            ticket: "VND-1".into(),
        },
    });
    let error = refused.expect_err("a technician escalated a psych request");
    assert_eq!(error.kind(), Some(FailureKind::NotVisible), "{error}");
    server.stop();

    let service = open_as_me(dir.path());
    let after = service.records().request(id).unwrap().expect("stored");
    assert_eq!((after, service.records().event_count().unwrap()), before);
}
