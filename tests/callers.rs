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
        caller_card: None,
        acknowledge: false,
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
                "Петрова анна  ивановна",
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
                    message: None,
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

/// Everyone on the phone or email.
fn people(client: &mut Client, phone: Option<&str>, email: Option<&str>) -> Vec<CallerCard> {
    match client.call(Command::FindCaller {
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
    }) {
        Ok(Reply::People { cards }) => cards,
        other => panic!("{other:?}"),
    }
}

/// The one person on the phone or email, if any.
fn find(client: &mut Client, phone: Option<&str>, email: Option<&str>) -> Option<CallerCard> {
    let mut cards = people(client, phone, email);
    assert!(cards.len() <= 1, "several people: {cards:?}");
    cards.pop()
}

#[test]
fn one_card_per_phone_however_written_with_every_request_and_contact() {
    let mut run = running(&[Role::Operator]);
    let card = find(&mut run.client, Some("+7 (912) 345 67 89"), None).expect("known");
    assert_eq!(card.requests, vec![run.ids[0], run.ids[1]]);
    assert_eq!(
        card.name, "Петрова Анна Ивановна",
        "the same name, as last written"
    );
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
        .callers_by_key(&pult::domain::caller::ContactKey::phone(&phone))
        .unwrap()
        .remove(0);
    let second = records
        .callers_by_key(&pult::domain::caller::ContactKey::email(&email))
        .unwrap()
        .remove(0);
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

// ---------------------------------------------------------------------------------------------
// People, not phone numbers

/// The family on one phone: the mother calls, then her son from her phone; the operator did
/// not take her card for his call.
fn family(dir: &Path) -> (Service, Staff, RequestId, RequestId) {
    let service = open_as_me(dir);
    let operator = staff_member("ivanova", &[Role::Operator]);
    service.seed().put_staff(&operator).unwrap();
    let mother = log(
        &service,
        &operator,
        draft(
            "Петрова Светлана Юрьевна",
            "8 912 777-12-34",
            "petrova@mail.ru",
            Category::Ejournal,
            "Не видно оценок сына",
        ),
    );
    let son = log(
        &service,
        &operator,
        CallDraft {
            role: Some(CallerRole::Student),
            ..draft(
                "Петров Иван",
                "+7 912 777 12 34",
                "",
                Category::Technical,
                "Не открывается урок",
            )
        },
    );
    (service, operator, mother, son)
}

#[test]
fn a_second_person_on_a_known_phone_gets_a_card_of_their_own_and_renames_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let (service, _, mother, son) = family(dir.path());
    let phone = pult::domain::validate::Phone::parse("89127771234").unwrap();
    let cards = service
        .records()
        .callers_by_key(&pult::domain::caller::ContactKey::phone(&phone))
        .unwrap();
    let names: Vec<&str> = cards.iter().map(|card| card.name.as_str()).collect();
    assert_eq!(names, ["Петрова Светлана Юрьевна", "Петров Иван"]);
    assert_eq!(cards[0].requests, [mother]);
    assert_eq!(cards[1].requests, [son]);
    // her earlier request still shows her name, and his detail shows his card
    let head = service.identify(&me().login).unwrap();
    let Ok((Reply::Detail { detail }, _)) = service.execute(&head, Command::OpenDetail { id: son })
    else {
        panic!("detail");
    };
    assert_eq!(
        detail.caller.map(|card| card.name),
        Some("Петров Иван".into())
    );
    // the form's lookup lists both
    drop(service);
    let server = serve(dir.path());
    let mut client = connect(dir.path());
    let found = people(&mut client, Some("8 (912) 777-12-34"), None);
    assert_eq!(found.len(), 2, "{found:?}");
    drop(client);
    server.stop();
}

#[test]
fn a_card_taken_in_the_form_gets_the_call_and_may_be_renamed_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let (service, operator, mother, _) = family(dir.path());
    let phone = pult::domain::validate::Phone::parse("89127771234").unwrap();
    let key = pult::domain::caller::ContactKey::phone(&phone);
    let hers = service.records().callers_by_key(&key).unwrap()[0].id;
    // she calls again and gives her name in full this time; the operator took her card (F2)
    let again = log(
        &service,
        &operator,
        CallDraft {
            caller_card: Some(hers),
            acknowledge: false,
            ..draft(
                "Петрова-Соколова Светлана Юрьевна",
                "89127771234",
                "",
                Category::Ejournal,
                "Снова нет оценок",
            )
        },
    );
    let cards = service.records().callers_by_key(&key).unwrap();
    assert_eq!(cards.len(), 2, "no third card: {cards:?}");
    assert_eq!(cards[0].id, hers);
    assert_eq!(cards[0].name, "Петрова-Соколова Светлана Юрьевна");
    assert_eq!(cards[0].requests, [mother, again]);
}

#[test]
fn the_head_splits_a_card_from_the_command_line_and_the_timeline_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (service, operator, mother, _) = family(dir.path());
    // before cards were people: the son's later call landed on his mother's card
    let phone = pult::domain::validate::Phone::parse("89127771234").unwrap();
    let key = pult::domain::caller::ContactKey::phone(&phone);
    let hers = service.records().callers_by_key(&key).unwrap()[0].id;
    let his_again = log(
        &service,
        &operator,
        CallDraft {
            caller_card: Some(hers),
            acknowledge: false,
            role: Some(CallerRole::Student),
            ..draft(
                "Петров Иван",
                "89127771234",
                "",
                Category::Technical,
                "Снова урок",
            )
        },
    );
    assert_eq!(
        service.records().callers_by_key(&key).unwrap()[0].name,
        "Петров Иван",
        "the wrong card took the son's name"
    );
    service.seed().flush().unwrap();
    drop(service);
    let server = serve(dir.path());
    let split = |requests: &str| {
        std::process::Command::new(common::PULT_BUILT)
            .env("PULT_LANG", "ru")
            .arg("--data")
            .arg(dir.path())
            .args([
                "callers",
                "split",
                &hers.0.to_string(),
                "--requests",
                requests,
            ])
            .output()
            .unwrap()
    };
    let output = split(&his_again.0.to_string());
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("Новая карточка:") && said.contains("Петров Иван"),
        "{said}"
    );
    // a request that is not on the card is refused by name
    let refused = split("999");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("№999 не на карточке"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let mut client = connect(dir.path());
    let Ok(Reply::History { events }) = client.call(Command::History { id: his_again }) else {
        panic!("history");
    };
    assert!(
        events.iter().any(
            |event| matches!(event.action, AuditAction::CallerSplit { from, .. } if from == hers)
        ),
        "{events:?}"
    );
    drop(client);
    server.stop();
    // her card has her name back, from her own latest call; his requests are on his card
    let service = open_as_me(dir.path());
    let cards = service.records().callers_by_key(&key).unwrap();
    let hers_now = cards.iter().find(|card| card.id == hers).unwrap();
    assert_eq!(hers_now.name, "Петрова Светлана Юрьевна");
    assert_eq!(hers_now.requests, [mother]);
    assert!(cards
        .iter()
        .any(|card| card.name == "Петров Иван" && card.requests == [his_again]));
}
