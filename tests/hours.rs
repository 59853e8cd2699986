//! Deadlines in service time: a service with hours in its policy (`[hours]`) counts the route-by,
//! take-by and resolve-by of a request in the hours it keeps, with the Russian production
//! calendar; without hours, the clock, as before.

mod common;

use chrono::NaiveDate;

use pult::domain::change::Change;
use pult::domain::hours::instant_in;
use pult::domain::request::{Category, Channel, Request};
use pult::domain::time::{ManualClock, Timestamp};
use pult::service::{Command, Reply, Service};

use common::calls::{log_a_call, log_call, valid_call};
use common::service::open_as_first_user;

const HOURS: &str = r#"
[hours]
zone = "Europe/Moscow"
week = ["пн-пт 08:00-20:00", "сб 09:00-15:00"]
production_calendar = true
closed = ["2026-12-28..2027-01-08 зимние каникулы"]
"#;

/// Local Moscow time as an instant.
fn moscow(y: i32, m: u32, d: u32, h: u16, min: u16) -> Timestamp {
    let date = NaiveDate::from_ymd_opt(y, m, d).expect("a date");
    instant_in(chrono_tz::Europe::Moscow, date, h * 60 + min)
}

fn service_with(policy_extra: &str, now: Timestamp) -> (tempfile::TempDir, Service, ManualClock) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("policy.toml"),
        format!("{}{policy_extra}", common::clock_policy()),
    )
    .expect("policy");
    let clock = ManualClock::new(now);
    let (service, _) = open_as_first_user(dir.path(), &clock);
    (dir, service, clock)
}

#[test]
fn a_call_on_friday_evening_is_due_for_routing_on_saturday_morning() {
    let friday = moscow(2026, 11, 20, 19, 55);
    let (_dir, service, clock) = service_with(HOURS, friday);
    let request = log_a_call(&service);
    assert_eq!(request.deadlines.route_by, moscow(2026, 11, 21, 9, 25));
    let hours = service.policy().service_hours().expect("hours");
    assert_eq!(
        request.deadlines.resolve_by,
        hours.add(friday, 24 * 60).expect("open").value
    );
    // routed on Saturday at 14:50: ten minutes that day, twenty on Monday
    clock.set(moscow(2026, 11, 21, 14, 50));
    let first = service.identify("ivanova").expect("first user");
    let routed = match service.execute(
        &first,
        Command::Change {
            id: request.id,
            change: Change::Route {
                queue: "ejournal".into(),
            },
        },
    ) {
        Ok((Reply::Changed { request }, _)) => request,
        other => panic!("not routed: {other:?}"),
    };
    assert_eq!(routed.deadlines.take_by, Some(moscow(2026, 11, 23, 8, 20)));
    // the change did not move what it did not set
    assert_eq!(routed.deadlines.route_by, request.deadlines.route_by);
    assert_eq!(routed.deadlines.resolve_by, request.deadlines.resolve_by);
}

#[test]
fn the_schools_holidays_and_the_new_year_carry_a_deadline_past_them() {
    let (_dir, service, _) = service_with(HOURS, moscow(2026, 12, 25, 19, 50));
    let request = log_a_call(&service);
    // Friday 25 December, 10 minutes left that day; the winter holidays from the 28th, then
    // the public ones: Saturday 26th 09:00 + 20 minutes
    assert_eq!(request.deadlines.route_by, moscow(2026, 12, 26, 9, 20));
    let (_dir, service, _) = service_with(HOURS, moscow(2026, 12, 26, 14, 50));
    let request = log_a_call(&service);
    assert!(
        request.deadlines.route_by > moscow(2027, 1, 9, 0, 0),
        "{:?}",
        request.deadlines.route_by
    );
}

#[test]
fn deadlines_the_policy_keeps_on_the_clock_and_policies_without_hours_count_the_clock() {
    let friday = moscow(2026, 11, 20, 19, 55);
    let clock_only = format!("{HOURS}service_time = [\"take\"]\n");
    let (_dir, service, _) = service_with(&clock_only, friday);
    let request = log_a_call(&service);
    assert_eq!(request.deadlines.route_by, friday.plus_minutes(30));
    assert_eq!(request.deadlines.resolve_by, friday.plus_hours(24));
    let (_dir, service, _) = service_with("", friday);
    assert!(service.policy().service_hours().is_none());
    let request = log_a_call(&service);
    assert_eq!(request.deadlines.route_by, friday.plus_minutes(30));
}

#[test]
fn hours_that_do_not_parse_refuse_the_policy_with_a_sentence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = HOURS.replace("Europe/Moscow", "Europe/Moskva");
    std::fs::write(
        dir.path().join("policy.toml"),
        format!("{}{broken}", common::clock_policy()),
    )
    .expect("policy");
    let error = pult::service::setup::load_policy(dir.path()).expect_err("refused");
    assert!(error.to_string().contains("Europe/Moskva"), "{error}");
}

#[test]
fn the_daily_report_counts_the_steps_in_the_same_hours_and_says_which() {
    let friday = moscow(2026, 11, 20, 19, 55);
    let (_dir, service, clock) = service_with(HOURS, friday);
    let request = log_a_call(&service);
    // routed on Saturday at 09:20: 13 h 25 min on the clock, 25 minutes of service time
    clock.set(moscow(2026, 11, 21, 9, 20));
    let first = service.identify("ivanova").expect("first user");
    let routed = service.execute(
        &first,
        Command::Change {
            id: request.id,
            change: Change::Route {
                queue: "ejournal".into(),
            },
        },
    );
    assert!(routed.is_ok(), "{routed:?}");
    let date = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    let Ok((Reply::Daily { report }, _)) = service.execute(
        &first,
        Command::DailyReport {
            date: Some(date),
            offset_seconds: 3 * 3600,
        },
    ) else {
        panic!("no daily report")
    };
    let route = report.figures.steps.route.clone();
    assert_eq!((route.within, route.of), (1, 1), "{route:?}");
    assert_eq!(route.median_ms, Some(25 * 60_000));
    let offset = chrono::FixedOffset::east_opt(3 * 3600).expect("offset");
    let text = pult::report::markdown::daily_markdown(&report, service.policy(), offset);
    assert!(
        text.contains("считаются в часы работы Службы: пн-пт 08:00-20:00; сб 09:00-15:00"),
        "{text}"
    );
}

#[test]
fn new_hours_count_the_open_requests_deadlines_again_once_and_the_log_says_so() {
    let friday = moscow(2026, 11, 20, 19, 55);
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, common::clock_policy()).expect("policy");
    let clock = ManualClock::new(friday);
    let (service, _) = open_as_first_user(dir.path(), &clock);
    // a fresh store notes its rules: nothing to count again
    assert_eq!(service.recount_deadlines().expect("recount"), 0);
    let waiting = log_a_call(&service);
    let routed = log_a_call(&service);
    let first = service.identify("ivanova").expect("first user");
    let route = Command::Change {
        id: routed.id,
        change: Change::Route {
            queue: "ejournal".into(),
        },
    };
    assert!(service.execute(&first, route).is_ok());
    let closed = log_a_call(&service);
    let cancel = Command::Change {
        id: closed.id,
        change: Change::Cancel {
            reason: "дубль".into(),
        },
    };
    assert!(service.execute(&first, cancel).is_ok());
    assert_eq!(waiting.deadlines.route_by, friday.plus_minutes(30));
    drop(service);

    // the school puts its hours in; on the next start the open requests count them
    std::fs::write(&policy, format!("{}{HOURS}", common::clock_policy())).expect("policy");
    clock.set(friday.plus_minutes(10));
    let (service, _) = open_as_first_user(dir.path(), &clock);
    assert_eq!(service.recount_deadlines().expect("recount"), 2);
    let stored = |id| service.records().request(id).expect("read").expect("kept");
    let hours = service.policy().service_hours().expect("hours");
    let waiting_now = stored(waiting.id);
    assert_eq!(waiting_now.deadlines.route_by, moscow(2026, 11, 21, 9, 25));
    let in_hours = |minutes| hours.add(friday, minutes).expect("open").value;
    assert_eq!(waiting_now.deadlines.resolve_by, in_hours(24 * 60));
    let routed_now = stored(routed.id);
    assert_eq!(
        routed_now.deadlines.take_by,
        Some(moscow(2026, 11, 21, 9, 25))
    );
    // a cancelled request keeps what it had
    assert_eq!(stored(closed.id).deadlines, closed.deadlines);
    let events = service.records().events_of(waiting.id).expect("events");
    let recounted = events.last().expect("an event");
    assert_eq!(recounted.actor, pult::service::RECOUNT_LOGIN);
    assert_eq!(
        recounted.action,
        pult::domain::audit::AuditAction::DeadlinesRecounted {
            route_by: Some(moscow(2026, 11, 21, 9, 25)),
            take_by: None,
            resolve_by: Some(in_hours(24 * 60)),
        }
    );
    // the same rules again: nothing moves, nothing more is written
    assert_eq!(service.recount_deadlines().expect("recount"), 0);
    drop(service);
    let (service, _) = open_as_first_user(dir.path(), &clock);
    assert_eq!(service.recount_deadlines().expect("recount"), 0);
    let again = service.records().events_of(waiting.id).expect("events");
    assert_eq!(again.len(), events.len());

    // and back to the clock: counted again from the same starts
    drop(service);
    std::fs::write(&policy, common::clock_policy()).expect("policy");
    let (service, _) = open_as_first_user(dir.path(), &clock);
    assert_eq!(service.recount_deadlines().expect("recount"), 2);
    let back = service
        .records()
        .request(waiting.id)
        .expect("read")
        .expect("kept");
    assert_eq!(back.deadlines, waiting.deadlines);
}

#[test]
fn a_request_outside_the_hours_is_told_when_it_is_looked_at_and_the_psychologists_whom_to_call() {
    let hours = format!(
        "{HOURS}emergency = [\"Детский телефон доверия: 8-800-2000-122 (бесплатно, круглосуточно)\"]\n"
    );
    // Friday 20 November 2026, 21:10: the service opens on Saturday at 09:00
    let (_dir, service, clock) = service_with(&hours, moscow(2026, 11, 20, 21, 10));
    let request = log_a_call(&service);
    assert_eq!(
        service.after_hours(&request),
        ["Служба сейчас не работает. Обращение рассмотрят, когда она откроется: суббота, 21.11, 09:00."]
    );
    let first = service.identify("ivanova").expect("first user");
    let psych = log_call(
        &service,
        &first,
        valid_call("Петрова Анна", Category::Psych, None),
    );
    let told = service.after_hours(&psych);
    assert_eq!(told.len(), 3, "{told:?}");
    assert_eq!(told[1], "Если нужна срочная помощь, звоните:");
    assert_eq!(
        told[2],
        "— Детский телефон доверия: 8-800-2000-122 (бесплатно, круглосуточно)"
    );
    // in the hours nothing is said
    clock.set(moscow(2026, 11, 21, 10, 0));
    let in_hours = log_a_call(&service);
    assert!(service.after_hours(&in_hours).is_empty());
}

#[test]
fn the_shipped_policy_keeps_school_hours_with_the_production_calendar_and_a_new_directory_gets_them(
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = pult::service::setup::load_policy(dir.path()).expect("the shipped policy");
    let hours = policy.hours.as_ref().expect("[hours]");
    assert_eq!(hours.zone, "Europe/Moscow");
    assert!(hours.production_calendar);
    assert_eq!(hours.week, ["пн-пт 08:00-20:00", "сб 09:00-15:00"]);
    assert!(["route", "take", "resolve"]
        .iter()
        .all(|name| hours.counts(name)));
    assert!(hours
        .emergency
        .iter()
        .any(|line| line.contains("8-800-2000-122")));
    // the tests' clock policy is the shipped one without the hours, and nothing else
    let clock = pult::domain::policy::Policy::parse(&common::clock_policy()).expect("parses");
    assert!(clock.hours.is_none());
    assert_eq!(clock.queues, policy.queues);
    assert_eq!(clock.categories, policy.categories);
}

/// A request received at `received` (Moscow time, November 2026) with its steps done at the
/// times given, as the report reads them.
fn stepped(
    id: u64,
    received: Timestamp,
    routed: Option<Timestamp>,
    taken: Option<Timestamp>,
    resolved: Option<Timestamp>,
) -> Request {
    use pult::domain::request::Status;
    let draft = valid_call("Петрова Анна", Category::Ejournal, None);
    let call = draft.check().expect("a valid call");
    let mut request = pult::domain::lifecycle::receive(
        pult::domain::request::RequestId(id),
        pult::domain::lifecycle::Intake {
            channel: Channel::Phone,
            received_at: received,
            logged_by: "ivanova".into(),
            caller: call.caller,
            category: call.category,
            description: call.description,
            consent: None,
        },
        &pult::domain::deadline::DeadlinePolicy::default(),
    );
    request.routed_at = routed;
    request.queue = routed.map(|_| "ejournal".to_string());
    request.taken_at = taken;
    request.closed_at = resolved;
    request.status = match (routed, taken, resolved) {
        (_, _, Some(_)) => Status::Resolved,
        (_, Some(_), None) => Status::InWork,
        (Some(_), None, None) => Status::Routed,
        _ => Status::New,
    };
    request
}

#[test]
fn a_week_in_service_hours_has_the_hand_counted_figures() {
    use pult::domain::hours::{production_calendar, CalendarDay};
    // week 45 of 2026: Tuesday 3 November is shortened (to 19:00), Wednesday the 4th a holiday
    let date = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
    assert_eq!(production_calendar(date(4)).0, CalendarDay::DayOff);
    assert!(matches!(
        production_calendar(date(3)).0,
        CalendarDay::Working {
            shortened: true,
            ..
        }
    ));
    let m = |d, h, min| moscow(2026, 11, d, h, min);
    let requests = vec![
        // Monday in the hours: as on the clock, 20 / 20 min, closed in 5 h
        stepped(
            1,
            m(2, 10, 0),
            Some(m(2, 10, 20)),
            Some(m(2, 10, 40)),
            Some(m(2, 15, 0)),
        ),
        // Friday 19:50, routed Saturday 09:15: 10 + 15 = 25 min (13 h 25 min on the clock);
        // taken 09:40 (25 min); closed Monday 10:00: 10 min + 6 h + 2 h = 8 h 10 min
        stepped(
            2,
            m(6, 19, 50),
            Some(m(7, 9, 15)),
            Some(m(7, 9, 40)),
            Some(m(9, 10, 0)),
        ),
        // Tuesday 18:45 of the shortened day, the holiday, routed Thursday 08:20: 15 + 20 =
        // 35 min, late; taken 08:30 (10 min); closed 12:00: 15 min + 4 h = 4 h 15 min
        stepped(
            3,
            m(3, 18, 45),
            Some(m(5, 8, 20)),
            Some(m(5, 8, 30)),
            Some(m(5, 12, 0)),
        ),
        // Saturday 14:50, routed 14:58 (8 min), taken Monday 08:10: 2 + 10 = 12 min; open
        stepped(4, m(7, 14, 50), Some(m(7, 14, 58)), Some(m(9, 8, 10)), None),
        // Sunday, closed: routed and taken the same day in no service time; closed Monday
        // 09:00, an hour of it
        stepped(
            5,
            m(8, 12, 0),
            Some(m(8, 12, 30)),
            Some(m(8, 13, 0)),
            Some(m(9, 9, 0)),
        ),
        // on the holiday, from the website: waiting
        stepped(6, m(4, 11, 0), None, None, None),
    ];
    let policy = pult::domain::policy::Policy::parse(&format!("{}{HOURS}", common::clock_policy()))
        .expect("policy");
    let offset = chrono::FixedOffset::east_opt(3 * 3600).expect("offset");
    let week = |policy: &pult::domain::policy::Policy| {
        pult::report::weekly(&requests, 2026, 45, offset, m(10, 12, 0), policy, None)
            .expect("W45")
            .totals
            .steps
    };
    let minutes = |ms: Option<i64>| ms.map(|ms| ms as f64 / 60_000.0);
    let steps = week(&policy);
    let route = &steps.route;
    assert_eq!((route.of, route.done, route.within), (6, 5, 4));
    assert_eq!(minutes(route.median_ms), Some(20.0));
    assert_eq!(minutes(route.p90_ms), Some(35.0));
    let take = &steps.take;
    assert_eq!((take.of, take.done, take.within), (6, 5, 5));
    assert_eq!(minutes(take.median_ms), Some(12.0));
    assert_eq!(minutes(take.p90_ms), Some(25.0));
    let resolve = &steps.resolve;
    assert_eq!((resolve.of, resolve.done, resolve.within), (6, 4, 4));
    // the middle two are 4 h 15 min and 5 h
    assert_eq!(minutes(resolve.median_ms), Some(277.5));
    assert_eq!(minutes(resolve.p90_ms), Some(490.0));

    // the same week on the clock: Friday's and Tuesday's routing, Saturday's take and the
    // closes of Friday's and Tuesday's are late
    let clock = pult::domain::policy::Policy::parse(&common::clock_policy()).expect("policy");
    let steps = week(&clock);
    assert_eq!((steps.route.done, steps.route.within), (5, 3));
    assert_eq!((steps.take.done, steps.take.within), (5, 4));
    assert_eq!((steps.resolve.done, steps.resolve.within), (4, 2));
}

#[test]
fn counting_again_keeps_a_resolve_by_the_head_approved_even_after_a_second_ask() {
    let friday = moscow(2026, 11, 20, 12, 0);
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, common::clock_policy()).expect("policy");
    let clock = ManualClock::new(friday);
    let (service, mut first) = open_as_first_user(dir.path(), &clock);
    first.roles.push(pult::domain::staff::Role::Ejournal);
    service.seed().put_staff(&first).expect("roles");
    let request = log_a_call(&service);
    let change = |change: Change| {
        let done = service.execute(
            &first,
            Command::Change {
                id: request.id,
                change,
            },
        );
        assert!(done.is_ok(), "{done:?}");
    };
    change(Change::Route {
        queue: "ejournal".into(),
    });
    change(Change::Take);
    let approved_until = request.deadlines.resolve_by.plus_hours(48);
    change(Change::AskExtension {
        reason: "ждём поставщика".into(),
        until: approved_until,
    });
    change(Change::DecideExtension {
        approve: true,
        note: String::new(),
    });
    // asked again, still pending: the request's extension is now the second ask
    change(Change::AskExtension {
        reason: "поставщик молчит".into(),
        until: approved_until.plus_hours(24),
    });
    drop(service);
    std::fs::write(&policy, format!("{}{HOURS}", common::clock_policy())).expect("policy");
    let (service, _) = open_as_first_user(dir.path(), &clock);
    service.recount_deadlines().expect("recount");
    let kept = service
        .records()
        .request(request.id)
        .expect("read")
        .expect("kept");
    assert_eq!(kept.deadlines.resolve_by, approved_until);
}

/// Website forms sent together out of hours each get the notice of their own type: the
/// batch finds each type's notice once, and a psychologist's keeps its emergency lines.
#[test]
fn website_forms_sent_together_out_of_hours_each_get_their_types_notice() {
    let hours = format!(
        "{HOURS}emergency = [\"Детский телефон доверия: 8-800-2000-122 (бесплатно, круглосуточно)\"]\n"
    );
    let (_dir, service, _clock) = service_with(&hours, moscow(2026, 11, 20, 21, 10));
    let site = pult::domain::website::website();
    let Ok((Reply::WebInfo { info }, _)) = service.execute(&site, Command::WebInfo) else {
        panic!("no web info")
    };
    let form = |key: u8, category: Category| pult::service::website::WebForm {
        name: "Петрова Анна".into(),
        role: Some(pult::domain::request::CallerRole::Parent),
        class: "5А".into(),
        category: Some(category),
        description: "Не открывается дневник".into(),
        phone: "+7 912 345-67-89".into(),
        email: String::new(),
        consent_version: Some(info.consent.version.clone()),
        key: [key; 16],
    };
    let batch = [
        form(1, Category::Ejournal),
        form(2, Category::Psych),
        form(3, Category::Ejournal),
        form(4, Category::Psych),
    ]
    .into_iter()
    .map(|form| (site.clone(), Command::SubmitWeb { form }))
    .collect();
    let notices: Vec<Vec<String>> = service
        .apply_batch(batch)
        .into_iter()
        .map(|outcome| match outcome {
            Ok((Reply::Submitted { receipt }, _)) => receipt.after_hours,
            other => panic!("not submitted: {other:?}"),
        })
        .collect();
    let closed = "Служба сейчас не работает. Обращение рассмотрят, когда она откроется: \
                  суббота, 21.11, 09:00.";
    assert_eq!(notices[0], [closed]);
    assert_eq!(notices[2], notices[0]);
    assert_eq!(notices[1].len(), 3, "{:?}", notices[1]);
    assert_eq!(notices[1][0], closed);
    assert_eq!(notices[3], notices[1]);
}
