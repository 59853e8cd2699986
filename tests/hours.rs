//! Deadlines in service time: a service with hours in its policy (`[hours]`) counts the route-by,
//! take-by and resolve-by of a request in the hours it keeps, with the Russian production
//! calendar; without hours, the clock, as before.

mod common;

use chrono::NaiveDate;

use pult::domain::change::Change;
use pult::domain::hours::instant_in;
use pult::domain::policy::DEFAULT_POLICY_TOML;
use pult::domain::request::{Category, Channel, Request};
use pult::domain::time::{ManualClock, Timestamp};
use pult::service::{Command, Reply, Service};

use common::calls::valid_call;
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
        format!("{DEFAULT_POLICY_TOML}{policy_extra}"),
    )
    .expect("policy");
    let clock = ManualClock::new(now);
    let (service, _) = open_as_first_user(dir.path(), &clock);
    (dir, service, clock)
}

fn logged(service: &Service) -> Request {
    let first = service.identify("ivanova").expect("first user");
    match service.execute(
        &first,
        Command::LogCall {
            draft: valid_call("Петрова Анна", Category::Ejournal, None),
            channel: Channel::Phone,
        },
    ) {
        Ok((Reply::Logged { request }, _)) => request,
        other => panic!("not logged: {other:?}"),
    }
}

#[test]
fn a_call_on_friday_evening_is_due_for_routing_on_saturday_morning() {
    let friday = moscow(2026, 11, 20, 19, 55);
    let (_dir, service, clock) = service_with(HOURS, friday);
    let request = logged(&service);
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
    let request = logged(&service);
    // Friday 25 December, 10 minutes left that day; the winter holidays from the 28th, then
    // the public ones: Saturday 26th 09:00 + 20 minutes
    assert_eq!(request.deadlines.route_by, moscow(2026, 12, 26, 9, 20));
    let (_dir, service, _) = service_with(HOURS, moscow(2026, 12, 26, 14, 50));
    let request = logged(&service);
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
    let request = logged(&service);
    assert_eq!(request.deadlines.route_by, friday.plus_minutes(30));
    assert_eq!(request.deadlines.resolve_by, friday.plus_hours(24));
    let (_dir, service, _) = service_with("", friday);
    assert!(service.policy().service_hours().is_none());
    let request = logged(&service);
    assert_eq!(request.deadlines.route_by, friday.plus_minutes(30));
}

#[test]
fn hours_that_do_not_parse_refuse_the_policy_with_a_sentence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = HOURS.replace("Europe/Moscow", "Europe/Moskva");
    std::fs::write(
        dir.path().join("policy.toml"),
        format!("{DEFAULT_POLICY_TOML}{broken}"),
    )
    .expect("policy");
    let error = pult::service::setup::load_policy(dir.path()).expect_err("refused");
    assert!(error.to_string().contains("Europe/Moskva"), "{error}");
}

#[test]
fn the_daily_report_counts_the_steps_in_the_same_hours_and_says_which() {
    let friday = moscow(2026, 11, 20, 19, 55);
    let (_dir, service, clock) = service_with(HOURS, friday);
    let request = logged(&service);
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
