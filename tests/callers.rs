//! Caller cards and search through the real server: one card per phone or email, the form's
//! lookup, the detail's earlier requests and timeline, merging (head and admin only — the
//! "merge callers" cells of issue 4's table), and search over open and closed requests.

mod common;

use std::path::Path;

use pult::domain::call_form::CallDraft;
use pult::domain::caller::CallerCard;
use pult::domain::change::Change;
use pult::domain::request::{CallerRole, Category, Channel, RequestId, ReturnChannel, Status};
use pult::domain::staff::{Role, Staff};
use pult::domain::time::{Clock, SystemClock, Timestamp};
use pult::net::client::Client;
use pult::service::{Command, Failure, FailureKind, Reply, Service};
use pult::store::AuditAction;

use common::calls::log_call;
use common::people::{me, staff_member};
use common::service::{connect, open_as_me, serve, set_my_roles};

fn draft(name: &str, phone: &str, email: &str, category: Category, text: &str) -> CallDraft {
    CallDraft {
        answered_at: None,
        name: name.into(),
        role: Some(CallerRole::Parent),
        class: "5А".into(),
        category: Some(category),
        description: text.into(),
        phone: phone.into(),
        email: email.into(),
    }
}

fn log(service: &Service, by: &Staff, call: CallDraft) -> RequestId {
    log_call(service, by, call).id
}

/// Four calls from three people: Petrova twice by phone (written two ways) and once by
/// email only, Orlov once. The OS user running the test gets `roles`.
fn prepared(dir: &Path, roles: &[Role]) -> Vec<RequestId> {
    let service = open_as_me(dir);
    let operator = staff_member("ivanova", &[Role::Operator]);
    let ejournal = staff_member("smirnova", &[Role::Ejournal]);
    service.seed().put_staff(&operator).unwrap();
    service.seed().put_staff(&ejournal).unwrap();
    let ids = vec![
        log(
            &service,
            &operator,
            draft(
                "Петрова Анна",
                "8 912 345-67-89",
                "",
                Category::Ejournal,
                "Не видно оценок за четверть",
            ),
        ),
        log(
            &service,
            &operator,
            draft(
                "Петрова Анна Ивановна",
                "+79123456789",
                "petrova@mail.ru",
                Category::Technical,
                "Ссылка на урок не открывается",
            ),
        ),
        log(
            &service,
            &operator,
            draft(
                "Орлов Игорь",
                "89001112233",
                "",
                Category::Other,
                "Вопрос про расписание",
            ),
        ),
        log(
            &service,
            &operator,
            draft(
                "Петрова А.",
                "",
                "anna.petrova@yandex.ru",
                Category::Ejournal,
                "Снова нет оценок",
            ),
        ),
    ];
    // the first one is done with: resolved, so search must find closed requests too
    let route = Command::Change {
        id: ids[0],
        change: Change::Route {
            queue: "ejournal".into(),
        },
    };
    service.execute(&operator, route).unwrap();
    service
        .execute(
            &ejournal,
            Command::Change {
                id: ids[0],
                change: Change::Take,
            },
        )
        .unwrap();
    service
        .execute(
            &ejournal,
            Command::Change {
                id: ids[0],
                change: Change::Resolve {
                    text: "Оценки выставлены, сообщили маме".into(),
                    returned_by: ReturnChannel::Phone,
                },
            },
        )
        .unwrap();
    set_my_roles(&service, roles);
    ids
}

struct Running {
    _dir: tempfile::TempDir,
    _server: pult::net::server::ServerHandle,
    client: Client,
    ids: Vec<RequestId>,
}

fn running(roles: &[Role]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let ids = prepared(dir.path(), roles);
    let server = serve(dir.path());
    let client = connect(dir.path());
    Running {
        _dir: dir,
        _server: server,
        client,
        ids,
    }
}

fn find(client: &mut Client, phone: Option<&str>, email: Option<&str>) -> Option<CallerCard> {
    match client.call(Command::FindCaller {
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
    }) {
        Ok(Reply::Caller { card }) => card,
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_card_per_phone_however_written_with_every_request_and_contact() {
    let mut run = running(&[Role::Operator]);
    let card = find(&mut run.client, Some("+7 (912) 345 67 89"), None).expect("known");
    assert_eq!(card.requests, vec![run.ids[0], run.ids[1]]);
    assert_eq!(card.name, "Петрова Анна Ивановна", "the latest name given");
    assert_eq!(card.emails.len(), 1);
    // the email given on the second call finds the same card
    let by_email = find(&mut run.client, None, Some("Petrova@Mail.ru")).expect("known");
    assert_eq!(by_email.id, card.id);
    // an unknown or half-typed number finds nobody
    assert!(find(&mut run.client, Some("89990000000"), None).is_none());
    assert!(find(&mut run.client, Some("8912"), None).is_none());
    // a caller with only another email is a card of their own until merged
    let other = find(&mut run.client, None, Some("anna.petrova@yandex.ru")).expect("known");
    assert_ne!(other.id, card.id);
}

#[test]
fn the_detail_lists_the_callers_other_requests_and_the_timeline() {
    let mut run = running(&[Role::Operator]);
    let Reply::Detail { detail } = run
        .client
        .call(Command::OpenDetail { id: run.ids[1] })
        .unwrap()
    else {
        panic!("no detail")
    };
    let earlier: Vec<RequestId> = detail.earlier.iter().map(|hit| hit.id).collect();
    assert_eq!(earlier, vec![run.ids[0]]);
    assert_eq!(detail.earlier[0].status, Status::Resolved);
    assert_eq!(
        detail
            .timeline
            .iter()
            .map(|e| &e.action)
            .collect::<Vec<_>>(),
        vec![&AuditAction::Logged]
    );
    // the closed one's timeline has its whole life
    let Reply::Detail { detail } = run
        .client
        .call(Command::OpenDetail { id: run.ids[0] })
        .unwrap()
    else {
        panic!("no detail")
    };
    let actions: Vec<&AuditAction> = detail.timeline.iter().map(|e| &e.action).collect();
    assert_eq!(
        actions,
        vec![
            &AuditAction::Logged,
            &AuditAction::Routed {
                queue: "ejournal".into()
            },
            &AuditAction::Taken,
            &AuditAction::Resolved
        ]
    );
}

fn merge(client: &mut Client, kept: &CallerCard, merged: &CallerCard) -> Result<Reply, Failure> {
    client
        .call(Command::MergeCallers {
            kept: kept.id,
            merged: merged.id,
        })
        .map_err(|error| error.failure().cloned().expect("the server refused"))
}

/// The two Petrova cards, read by an operator account on the same store.
fn petrova_cards(dir: &Path) -> (CallerCard, CallerCard) {
    let service = open_as_me(dir);
    let records = service.records();
    let phone = pult::domain::validate::Phone::parse("89123456789").unwrap();
    let email = pult::domain::validate::Email::parse("anna.petrova@yandex.ru").unwrap();
    let first = records
        .caller_by_key(&pult::domain::caller::ContactKey::phone(&phone))
        .unwrap()
        .unwrap();
    let second = records
        .caller_by_key(&pult::domain::caller::ContactKey::email(&email))
        .unwrap()
        .unwrap();
    (first, second)
}

#[test]
fn the_head_and_the_admin_may_merge_callers_and_no_one_else() {
    for (roles, allowed) in [
        (vec![Role::Head], true),
        (vec![Role::Admin], true),
        (vec![Role::Operator], false),
        (vec![Role::SiteAdmin], false),
        (vec![Role::Ejournal], false),
        (vec![Role::Tech], false),
        (vec![Role::Psych], false),
        (vec![Role::Director], false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        prepared(dir.path(), &roles);
        let (kept, merged) = petrova_cards(dir.path());
        let server = serve(dir.path());
        let mut client = connect(dir.path());
        let outcome = merge(&mut client, &kept, &merged);
        if allowed {
            let Ok(Reply::Caller { card: Some(card) }) = outcome else {
                panic!("{roles:?}: {outcome:?}")
            };
            assert_eq!(card.requests.len(), 3, "{roles:?}");
            // the admin does not see contact data, even on the card merged
            assert_eq!(
                card.phones.is_empty(),
                roles == vec![Role::Admin],
                "{roles:?}"
            );
        } else {
            let error = outcome.expect_err("refused");
            assert_eq!(error.kind, FailureKind::Denied, "{roles:?}: {error}");
            assert!(error.message.contains("объединять"), "{roles:?}: {error}");
        }
        drop(client);
        drop(server);
    }
}

#[test]
fn after_a_merge_the_requests_follow_and_the_timeline_says_who_merged() {
    let dir = tempfile::tempdir().unwrap();
    let ids = prepared(dir.path(), &[Role::Head]);
    let (kept, merged) = petrova_cards(dir.path());
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    merge(&mut client, &kept, &merged).unwrap();
    // the email of the merged card now finds the kept one, with all three requests
    let card = find(&mut client, None, Some("anna.petrova@yandex.ru")).expect("known");
    assert_eq!(card.id, kept.id);
    assert_eq!(card.requests, vec![ids[0], ids[1], ids[3]]);
    let Reply::Detail { detail } = client.call(Command::OpenDetail { id: ids[3] }).unwrap() else {
        panic!("no detail")
    };
    assert_eq!(detail.earlier.len(), 2);
    assert!(detail.timeline.iter().any(|event| event.actor == me().login
        && event.action
            == AuditAction::CallersMerged {
                kept: kept.id,
                merged: merged.id
            }));
    // merging a card with itself, or one that is gone, is refused with a sentence
    let again = merge(&mut client, &kept, &merged).expect_err("gone");
    assert_eq!(again.kind, FailureKind::NoSuchCaller, "{again}");
    assert!(again.message.contains("не найдена"), "{again}");
    let same = merge(&mut client, &kept, &kept).expect_err("same");
    assert_eq!(same.kind, FailureKind::BadInput, "{same}");
    assert!(same.message.contains("одна и та же"), "{same}");
}

#[test]
fn looking_callers_up_is_for_those_who_log_calls() {
    for roles in [
        vec![Role::Ejournal],
        vec![Role::Director],
        vec![Role::Admin],
    ] {
        let mut run = running(&roles);
        let refused = run.client.call(Command::FindCaller {
            phone: Some("89123456789".into()),
            email: None,
        });
        let error = refused.expect_err("refused");
        assert_eq!(
            error.kind(),
            Some(FailureKind::Denied),
            "{roles:?}: {error}"
        );
    }
}

fn search(client: &mut Client, query: &str) -> Vec<RequestId> {
    match client.call(Command::Search {
        query: query.into(),
    }) {
        Ok(Reply::Found { found }) => found.hits.iter().map(|hit| hit.id).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn search_finds_open_and_closed_requests_by_number_name_phone_email_and_words() {
    let mut run = running(&[Role::Operator]);
    let ids = run.ids.clone();
    let client = &mut run.client;
    assert_eq!(search(client, &format!("№{}", ids[2].0))[0], ids[2]);
    // open before closed, newest first
    assert_eq!(search(client, "петрова"), vec![ids[3], ids[1], ids[0]]);
    assert_eq!(search(client, "912 345"), vec![ids[1], ids[0]]);
    assert_eq!(search(client, "yandex"), vec![ids[3]]);
    assert_eq!(search(client, "оценок"), vec![ids[3], ids[0]]);
    assert_eq!(search(client, "оценок четверть"), vec![ids[0]]);
    assert!(search(client, "нет такого слова").is_empty());
}

#[test]
fn search_keeps_up_with_changes_and_with_who_may_see_what() {
    let mut run = running(&[Role::Ejournal]);
    // the ejournal specialist finds the request of their queue, not the unrouted ones
    assert_eq!(search(&mut run.client, "петрова"), vec![run.ids[0]]);
    let dir = tempfile::tempdir().unwrap();
    let ids = prepared(dir.path(), &[Role::Operator]);
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    let before = SystemClock.now();
    let Ok(Reply::Logged { request }) = client.call(Command::LogCall {
        draft: CallDraft {
            answered_at: Some(Timestamp(before.0 - 1_000)),
            ..draft(
                "Зайцева Ольга",
                "89005554433",
                "",
                Category::Other,
                "Пропал звук",
            )
        },
        channel: Channel::Web,
    }) else {
        panic!("not logged")
    };
    assert_eq!(search(&mut client, "зайцева звук"), vec![request.id]);
    client
        .call(Command::Change {
            id: request.id,
            change: Change::Cancel {
                reason: "дубликат".into(),
            },
        })
        .unwrap();
    let Ok(Reply::Found { found }) = client.call(Command::Search {
        query: "зайцева".into(),
    }) else {
        panic!("no answer")
    };
    assert_eq!(found.hits[0].status, Status::Cancelled);
    assert_eq!(ids.len(), 4);
}
