//! The service on a real sled store in a temp directory: commands are durable, refused
//! commands change nothing, and random command sequences keep every invariant.

mod common;

use std::sync::Arc;

use proptest::prelude::*;

use pult::domain::access::Denied;
use pult::domain::call_form::CallDraft;
use pult::domain::change::Change;
use pult::domain::request::{Category, Channel, RequestId, Status};
use pult::domain::staff::{Role, Staff};
use pult::domain::time::{ManualClock, Timestamp, HOUR_MS, MINUTE_MS};
use pult::service::setup::open_service;
use pult::service::{Command, Event, FailureKind, Reply, Service, ServiceError};
use pult::store::{Store, StoreError};

use common::calls::valid_call;
use common::people::{first_os_user, staff};
use common::service::open_as_first_user;

const T0: Timestamp = Timestamp(1_795_000_000_000);

/// Class and phone written the way people type them, for the service to normalise.
fn call(name: &str, category: Category, answered_at: Timestamp) -> CallDraft {
    CallDraft {
        class: "7 в".into(),
        phone: "+7 (912) 345 67 89".into(),
        ..valid_call(name, category, Some(answered_at))
    }
}

fn log(service: &Service, me: &Staff, draft: CallDraft) -> pult::domain::request::Request {
    match service.execute(
        me,
        Command::LogCall {
            draft,
            channel: Channel::Phone,
        },
    ) {
        Ok((Reply::Logged { request }, events)) => {
            assert_eq!(
                events,
                vec![Event::RequestChanged {
                    request: request.clone(),
                    by: me.login.clone(),
                }]
            );
            request
        }
        other => panic!("log_call: {other:?}"),
    }
}

#[test]
fn the_first_user_becomes_admin_operator_and_head() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (_, me) = open_as_first_user(dir.path(), &clock);
    assert_eq!(me.roles, vec![Role::Admin, Role::Operator, Role::Head]);
    assert_eq!(me.name, "Иванова Анна Сергеевна");
    assert!(dir.path().join("policy.toml").is_file());
}

#[test]
fn a_logged_call_counts_from_when_it_was_answered_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let answered = T0;
    clock.advance_minutes(4); // the operator took four minutes to fill the form
    let request = {
        let (service, me) = open_as_first_user(dir.path(), &clock);
        log(
            &service,
            &me,
            call("Петрова Анна", Category::Ejournal, answered),
        )
    };
    assert_eq!(request.id, RequestId(1));
    assert_eq!(request.received_at, answered);
    assert_eq!(request.deadlines.route_by, answered.plus_minutes(30));
    assert_eq!(
        request.caller.class.map(|c| c.to_string()),
        Some("7В".into())
    );

    let (service, _) = open_as_first_user(dir.path(), &clock);
    assert_eq!(
        service.records().request(RequestId(1)).unwrap(),
        Some(request.clone())
    );
    assert_eq!(service.records().open_requests().unwrap(), vec![request]);
    assert_eq!(service.records().event_count().unwrap(), 1);
}

#[test]
fn an_answered_time_in_the_future_is_clamped_to_now() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let request = log(
        &service,
        &me,
        call("Петрова", Category::Other, T0.plus_hours(5)),
    );
    assert_eq!(request.received_at, T0);
}

#[test]
fn routing_moves_it_to_a_queue_starts_take_by_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let request = log(&service, &me, call("Петрова", Category::Technical, T0));
    clock.advance_minutes(7);
    let (reply, _) = service
        .execute(
            &me,
            Command::Change {
                id: request.id,
                change: Change::Route {
                    queue: "tech".into(),
                },
            },
        )
        .unwrap();
    let Reply::Changed { request: routed } = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(routed.status, Status::Routed);
    assert_eq!(routed.deadlines.take_by, Some(T0.plus_minutes(37)));
    assert_eq!(routed.deadlines.resolve_by, T0.plus_hours(24));
    let events = service.records().events_of(request.id).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].actor, "ivanova");
}

#[test]
fn routing_twice_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let request = log(&service, &me, call("Петрова", Category::Technical, T0));
    service
        .execute(
            &me,
            Command::Change {
                id: request.id,
                change: Change::Route {
                    queue: "tech".into(),
                },
            },
        )
        .unwrap();
    let before = service.records().request(request.id).unwrap();
    let error = service
        .execute(
            &me,
            Command::Change {
                id: request.id,
                change: Change::Route {
                    queue: "head".into(),
                },
            },
        )
        .unwrap_err();
    assert_eq!(error.kind(), FailureKind::Rule);
    assert_eq!(
        error.to_string(),
        "нельзя направить: обращение №1 уже направлено"
    );
    assert_eq!(service.records().request(request.id).unwrap(), before);
    assert_eq!(service.records().event_count().unwrap(), 2);
}

#[test]
fn an_unknown_queue_or_request_is_refused_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let request = log(&service, &me, call("Петрова", Category::Technical, T0));
    let error = service
        .execute(
            &me,
            Command::Change {
                id: request.id,
                change: Change::Route {
                    queue: "nurse".into(),
                },
            },
        )
        .unwrap_err();
    assert_eq!(error.kind(), FailureKind::UnknownQueue);
    assert!(error.to_string().contains("nurse"), "{error}");
    let error = service
        .execute(
            &me,
            Command::Change {
                id: RequestId(99),
                change: Change::Route {
                    queue: "tech".into(),
                },
            },
        )
        .unwrap_err();
    assert_eq!(error.kind(), FailureKind::NoSuchRequest);
    assert_eq!(error.to_string(), "обращения №99 нет");
}

#[test]
fn an_incomplete_form_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let mut draft = call("Петрова", Category::Technical, T0);
    draft.phone = "12-34".into();
    let error = service
        .execute(
            &me,
            Command::LogCall {
                draft,
                channel: Channel::Phone,
            },
        )
        .unwrap_err();
    assert!(matches!(error, ServiceError::Form(_)));
    assert_eq!(error.kind(), FailureKind::Form);
    assert!(
        error.to_string().contains("Телефон для обратной связи"),
        "{error}"
    );
    assert_eq!(service.records().event_count().unwrap(), 0);
    assert!(service.records().open_requests().unwrap().is_empty());
}

#[test]
fn only_dispatchers_log_and_route() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let tech = staff("kozlov", "Козлов Андрей", &[Role::Tech]);
    service.seed().put_staff(&tech).unwrap();
    let draft = call("Петрова", Category::Technical, T0);
    let error = service
        .execute(
            &tech,
            Command::LogCall {
                draft: draft.clone(),
                channel: Channel::Phone,
            },
        )
        .unwrap_err();
    assert!(matches!(error, ServiceError::Denied(Denied::NotDispatcher)));
    assert_eq!(error.kind(), FailureKind::Denied);
    let request = log(&service, &me, draft);
    let error = service
        .execute(
            &tech,
            Command::Change {
                id: request.id,
                change: Change::Route {
                    queue: "tech".into(),
                },
            },
        )
        .unwrap_err();
    assert!(matches!(error, ServiceError::Denied(Denied::NotDispatcher)));
}

#[test]
fn an_os_user_without_an_account_is_told_what_to_ask_for() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, _) = open_as_first_user(dir.path(), &clock);
    let error = service.identify("petrov").unwrap_err();
    assert_eq!(error.kind(), FailureKind::NoAccount);
    assert!(
        error.to_string().contains("pult staff add petrov"),
        "{error}"
    );
}

#[test]
fn the_draft_is_kept_and_ends_when_the_call_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let draft = call("Сидоров Пётр", Category::Psych, T0);
    {
        let (service, me) = open_as_first_user(dir.path(), &clock);
        service
            .execute(
                &me,
                Command::SaveDraft {
                    draft: draft.clone(),
                },
            )
            .unwrap();
    }
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let welcome = service.welcome(&me).unwrap();
    assert_eq!(welcome.draft, Some(draft.clone()));
    log(&service, &me, draft);
    assert_eq!(service.welcome(&me).unwrap().draft, None);
}

#[test]
fn a_second_opener_gets_a_sentence_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let _held = Store::open(dir.path()).unwrap();
    let error = match Store::open(dir.path()) {
        Err(error) => error,
        Ok(_) => panic!("sled allowed a second open"),
    };
    assert!(matches!(error, StoreError::Locked { .. }), "{error:?}");
    assert!(error.to_string().contains("занято"), "{error}");
}

#[test]
fn a_store_from_a_newer_pult_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path().join("db")).unwrap();
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema_version", &7u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let error = match Store::open(dir.path()) {
        Err(error) => error,
        Ok(_) => panic!("opened a newer store"),
    };
    assert!(error.to_string().contains("Обновите pult"), "{error}");
}

#[test]
fn a_broken_policy_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.toml"),
        "[deadlines]\nroute_minutes = \"soon\"\n",
    )
    .unwrap();
    let clock = ManualClock::new(T0);
    let error = match open_service(dir.path(), Arc::new(clock), &first_os_user()) {
        Err(error) => error,
        Ok(_) => panic!("opened with a broken policy"),
    };
    assert!(error.to_string().contains("policy.toml"), "{error}");
}

#[derive(Debug, Clone)]
enum Step {
    Log { category: usize, minutes_late: u8 },
    Route { pick: usize, queue: usize },
    RouteUnknown { pick: usize },
    Wait { minutes: u16 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..6, 0u8..10).prop_map(|(category, minutes_late)| Step::Log {
            category,
            minutes_late
        }),
        (any::<usize>(), 0usize..4).prop_map(|(pick, queue)| Step::Route { pick, queue }),
        any::<usize>().prop_map(|pick| Step::RouteUnknown { pick }),
        (1u16..90).prop_map(|minutes| Step::Wait { minutes }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random logs, routes (good and refused) and waits: every open request is in exactly
    /// one place (Входящие or one queue), the open index matches the records, deadlines sit
    /// where the rules put them, and each accepted command left exactly one audit event.
    #[test]
    fn random_commands_keep_every_invariant(steps in proptest::collection::vec(step(), 1..24)) {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(T0);
        let (service, me) = open_as_first_user(dir.path(), &clock);
                let queues = ["ejournal", "tech", "psych", "head"];
        let mut accepted = 0u64;
        let mut logged: Vec<RequestId> = Vec::new();
        for step in steps {
            let result = match step {
                Step::Log { category, minutes_late } => {
                    // a millisecond apart per call: two calls are never one answered-at
                    let answered = Timestamp(clock.now_minus(i64::from(minutes_late)).0 - logged.len() as i64);
                    let result = service.execute(&me, Command::LogCall {
                        draft: call("Петрова", Category::ALL[category], answered),
                        channel: Channel::Phone,
                    });
                    if let Ok((Reply::Logged { request }, _)) = &result {
                        logged.push(request.id);
                    }
                    result.map(|_| ())
                }
                Step::Route { pick, queue } if !logged.is_empty() => service
                    .execute(&me, Command::Change { id: logged[pick % logged.len()], change: Change::Route { queue: queues[queue].into() } })
                    .map(|_| ()),
                Step::RouteUnknown { pick } if !logged.is_empty() => service
                    .execute(&me, Command::Change { id: logged[pick % logged.len()], change: Change::Route { queue: "nowhere".into() } })
                    .map(|_| ()),
                Step::Wait { minutes } => { clock.advance_minutes(i64::from(minutes)); continue; }
                _ => continue,
            };
            if result.is_ok() { accepted += 1; }
            prop_assert_eq!(service.records().event_count().unwrap(), accepted);

            let all: Vec<_> = service.records().all_requests(None).collect::<Result<_, _>>().unwrap();
            let open_ids = service.records().open_ids().unwrap();
            let open_records: Vec<RequestId> = all.iter().filter(|r| r.status.is_open()).map(|r| r.id).collect();
            prop_assert_eq!(open_ids, open_records);
            for request in &all {
                prop_assert_eq!(request.deadlines.route_by, request.received_at.plus_minutes(30));
                prop_assert_eq!(request.deadlines.resolve_by.0 - request.received_at.0, 24 * HOUR_MS);
                match request.status {
                    Status::New => {
                        prop_assert!(request.queue.is_none());
                        prop_assert!(request.deadlines.take_by.is_none());
                    }
                    Status::Routed => {
                        let queue = request.queue.as_deref().unwrap_or("");
                        prop_assert!(queues.contains(&queue));
                        let routed_at = request.routed_at.unwrap();
                        prop_assert_eq!(request.deadlines.take_by, Some(Timestamp(routed_at.0 + 30 * MINUTE_MS)));
                    }
                    other => prop_assert!(false, "unexpected status {other:?}"),
                }
            }
        }
    }
}

trait ClockExt {
    fn now_minus(&self, minutes: i64) -> Timestamp;
}

impl ClockExt for ManualClock {
    fn now_minus(&self, minutes: i64) -> Timestamp {
        use pult::domain::time::Clock;
        Timestamp(self.now().0 - minutes * MINUTE_MS)
    }
}

#[test]
fn imported_history_keeps_the_open_index_and_the_numbering() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let open = log(&service, &me, call("Петрова", Category::Technical, T0));
    let mut closed = open.clone();
    closed.id = RequestId(50);
    closed.status = Status::Cancelled;
    closed.cancel_reason = Some("дубликат".into());
    let mut still_open = open.clone();
    still_open.id = RequestId(51);
    service
        .seed()
        .import_requests(&[closed, still_open])
        .unwrap();
    let ids: Vec<RequestId> = service
        .records()
        .open_requests()
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, vec![RequestId(1), RequestId(51)]);
    let next = log(
        &service,
        &me,
        call("Сидоров", Category::Other, T0.plus_minutes(-1)),
    );
    assert_eq!(next.id, RequestId(52));
}

#[test]
fn a_refused_command_in_a_batch_writes_nothing_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, me) = open_as_first_user(dir.path(), &clock);
    let first = log(&service, &me, call("Петрова", Category::Technical, T0));
    let outcomes = service.apply_batch(vec![
        (
            me.clone(),
            Command::Change {
                id: first.id,
                change: Change::Route {
                    queue: "tech".into(),
                },
            },
        ),
        (
            me.clone(),
            Command::Change {
                id: first.id,
                change: Change::Route {
                    queue: "head".into(),
                },
            },
        ),
        (
            me.clone(),
            Command::LogCall {
                draft: call("Сидоров", Category::Other, T0.plus_minutes(-1)),
                channel: Channel::Phone,
            },
        ),
        (me.clone(), Command::ListStaff),
        (
            me.clone(),
            Command::Change {
                id: RequestId(2),
                change: Change::Route {
                    queue: "head".into(),
                },
            },
        ),
    ]);
    let ok: Vec<bool> = outcomes.iter().map(Result::is_ok).collect();
    assert_eq!(ok, [true, false, true, true, true]);
    service.seed().flush().unwrap();
    // logged twice, routed twice: four audit events, the refused route none
    assert_eq!(service.records().event_count().unwrap(), 4);
    let routed = service.records().request(first.id).unwrap().unwrap();
    assert_eq!(routed.queue.as_deref(), Some("tech"));
}

fn change(
    service: &Service,
    actor: &Staff,
    id: RequestId,
    change: Change,
) -> Result<Reply, ServiceError> {
    service
        .execute(actor, Command::Change { id, change })
        .map(|(reply, _)| reply)
}

#[test]
fn a_call_logged_under_the_wrong_type_is_retyped_audited_and_counted_by_its_new_type() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, head) = open_as_first_user(dir.path(), &clock);
    let operator = staff("petrova", "Петрова Ольга Ивановна", &[Role::Operator]);
    let tech = staff("sidorov", "Сидоров Пётр Ильич", &[Role::Tech]);
    for member in [&operator, &tech] {
        service
            .execute(
                &head,
                Command::AddStaff {
                    staff: member.clone(),
                },
            )
            .unwrap();
    }
    let request = log(
        &service,
        &operator,
        call("Лебедева", Category::Ejournal, T0),
    );
    let retype = |category| Change::ChangeType { category };

    // a specialist does not reclassify; the type it already has is no change
    assert!(matches!(
        change(&service, &tech, request.id, retype(Category::Technical)),
        Err(ServiceError::Denied(Denied::NotDispatcher))
    ));
    assert!(matches!(
        change(&service, &operator, request.id, retype(Category::Ejournal)),
        Err(ServiceError::Rule(_))
    ));

    clock.advance_millis(MINUTE_MS);
    let Ok(Reply::Changed { request: retyped }) =
        change(&service, &operator, request.id, retype(Category::Technical))
    else {
        panic!("the operator retypes the call she logged");
    };
    assert_eq!(retyped.category, Category::Technical);
    assert_eq!(
        retyped.status,
        Status::New,
        "still in Входящие, to be routed"
    );
    assert_eq!(
        service
            .policy()
            .suggested_queue(retyped.category)
            .unwrap()
            .key,
        "tech",
        "the suggested queue follows the new type"
    );
    let Ok((Reply::History { events }, _)) =
        service.execute(&head, Command::Timeline { id: request.id })
    else {
        panic!("timeline");
    };
    let last = events.last().unwrap();
    assert_eq!(last.actor, "petrova");
    assert_eq!(
        last.action,
        pult::store::AuditAction::TypeChanged {
            from: Category::Ejournal,
            to: Category::Technical
        }
    );
    let said = pult::domain::audit::describe(
        &last.action,
        service.policy(),
        chrono::FixedOffset::east_opt(0).unwrap(),
    );
    assert!(said.contains("изменил(а) тип"), "{said}");

    let Ok((Reply::Daily { report }, _)) = service.execute(
        &head,
        Command::DailyReport {
            date: None,
            offset_seconds: 0,
        },
    ) else {
        panic!("daily report");
    };
    let counted = |category| {
        report
            .figures
            .received
            .by_category
            .iter()
            .find(|tally| tally.key == category)
            .map_or(0, |tally| tally.count)
    };
    assert_eq!(counted(Category::Technical), 1);
    assert_eq!(counted(Category::Ejournal), 0);

    // into the psychologist's type: from then on only those who read it whole retype it
    let Ok(Reply::Changed { .. }) =
        change(&service, &operator, request.id, retype(Category::Psych))
    else {
        panic!("an operator may make a request confidential");
    };
    assert!(matches!(
        change(&service, &operator, request.id, retype(Category::Other)),
        Err(ServiceError::Denied(Denied::Confidential { .. }))
    ));
    let Ok(Reply::Changed { request: back }) =
        change(&service, &head, request.id, retype(Category::Other))
    else {
        panic!("the head retypes a confidential request");
    };
    assert_eq!(back.category, Category::Other);

    // a closed request keeps the type it was closed with
    change(
        &service,
        &head,
        request.id,
        Change::Cancel {
            reason: "дубликат".into(),
        },
    )
    .unwrap();
    assert!(matches!(
        change(&service, &head, request.id, retype(Category::Technical)),
        Err(ServiceError::Rule(_))
    ));
}

#[test]
fn a_disabled_account_is_enabled_again_by_the_admin_only() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (service, admin) = open_as_first_user(dir.path(), &clock);
    let operator = staff("petrova", "Петрова Ольга Ивановна", &[Role::Operator]);
    let rep = Staff {
        vendor_rep: true,
        ..staff("kozlov", "Козлов Андрей", &[Role::Tech])
    };
    for member in [&operator, &rep] {
        service
            .execute(
                &admin,
                Command::AddStaff {
                    staff: member.clone(),
                },
            )
            .unwrap();
    }
    let disable = |login: &str| Command::DisableStaff {
        login: login.into(),
    };
    let enable = |login: &str| Command::EnableStaff {
        login: login.into(),
    };
    service.execute(&admin, disable("petrova")).unwrap();
    assert!(matches!(
        service.identify("petrova"),
        Err(ServiceError::Disabled { .. })
    ));

    // the same right as disabling: an operator may not, nor may the account itself
    let refused = service.execute(&operator, enable("petrova"));
    assert_eq!(refused.unwrap_err().kind(), FailureKind::Denied);
    let unknown = service.execute(&admin, enable("nobody"));
    assert_eq!(unknown.unwrap_err().kind(), FailureKind::NoAccount);

    let Ok((Reply::Staff { staff: enabled }, events)) = service.execute(&admin, enable("petrova"))
    else {
        panic!("the admin enables the account");
    };
    assert!(!enabled[0].disabled);
    assert_eq!(
        events,
        vec![Event::StaffChanged {
            staff: enabled[0].clone()
        }],
        "every console hears of it"
    );
    let back = service.identify("petrova").expect("may connect again");
    assert_eq!(back.roles, [Role::Operator]);
    // enabling an enabled account changes nothing and is no error
    service.execute(&admin, enable("petrova")).unwrap();

    // a representative disabled and replaced is not enabled beside the new one
    service.execute(&admin, disable("kozlov")).unwrap();
    let new_rep = Staff {
        vendor_rep: true,
        ..staff("orlov", "Орлов Игорь", &[Role::Tech])
    };
    service
        .execute(&admin, Command::AddStaff { staff: new_rep })
        .unwrap();
    let two = service.execute(&admin, enable("kozlov")).unwrap_err();
    assert_eq!(two.kind(), FailureKind::BadInput);
    assert!(two.to_string().contains("Орлов"), "{two}");
}
