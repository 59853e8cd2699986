//! Issue 14's targets, with the shipped hours (пн-пт 08:00-20:00, сб 09:00-15:00, Moscow, the
//! production calendar) against the clock:
//!
//! 1. the three deadlines of 100,000 open requests counted in service time, in memory;
//! 2. the start-up after the hours changed: `recount_deadlines` on a store of 100,000 open
//!    requests (each counted again and audited), timed once each way;
//! 3. the weekly analysis of a week of 5,000 requests, with the hours against without
//!    (goal ≤ 1.5×);
//! 4. the board with 1,000 open requests drawn while the service is closed (every timer
//!    paused), with the hours against without (goal: unchanged).

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::{bench_user, console, operator_welcome, synthetic, Recorder};

use chrono::FixedOffset;
use criterion::Criterion;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use pult::domain::policy::{Policy, DEFAULT_POLICY_TOML};
use pult::domain::request::Request;
use pult::domain::time::{ManualClock, Timestamp, MINUTE_MS};
use pult::service::setup::open_service;
use pult::tui::view::view;

/// Saturday 21 November 2026, 21:30 in Moscow: the service is closed.
const SATURDAY_NIGHT: Timestamp = Timestamp(1_795_285_800_000);
/// Monday 23 November 2026, 00:00 in Moscow: the start of week 48.
const WEEK_48: Timestamp = Timestamp(1_795_381_200_000);
const OPEN: u64 = 100_000;

fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("offset")
}

fn in_hours() -> Policy {
    let policy = Policy::parse(DEFAULT_POLICY_TOML).expect("the shipped policy");
    assert!(policy.hours.is_some(), "the shipped policy keeps hours");
    policy
}

fn on_the_clock() -> Policy {
    Policy {
        hours: None,
        ..in_hours()
    }
}

/// Request `index` of two weeks of 10,000 (from Monday of week 47): received every two
/// minutes, routed after 12, taken after 25, closed an hour or more later.
fn two_weeks(index: u64) -> Request {
    let received = Timestamp(WEEK_48.0 - 7 * 24 * 60 * MINUTE_MS + index as i64 * 2 * MINUTE_MS);
    let mut request = synthetic(index, 10_000, 0, received.plus_minutes(60));
    request.received_at = received;
    request.routed_at = Some(received.plus_minutes(12 + (index % 40) as i64));
    request.taken_at = Some(received.plus_minutes(25 + (index % 50) as i64));
    request.closed_at = Some(received.plus_minutes(60 + (index % 1_500) as i64));
    request
}

fn deadlines_in_memory(c: &mut Criterion, recorder: &Recorder) {
    let policy = in_hours();
    let hours = policy.service_hours().expect("hours");
    let spans = policy.deadlines;
    let starts: Vec<Timestamp> = (0..OPEN as i64)
        .map(|i| Timestamp(SATURDAY_NIGHT.0 - i * 7 * MINUTE_MS))
        .collect();
    let mut group = c.benchmark_group("deadlines_100k_open");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("in_service_time", |b| {
        b.iter_custom(|iters| {
            recorder.measure("in_service_time", iters, || {
                for start in &starts {
                    for minutes in [
                        spans.route_minutes,
                        spans.take_minutes,
                        spans.resolve_hours * 60,
                    ] {
                        std::hint::black_box(hours.add(*start, minutes));
                    }
                }
            })
        })
    });
    group.finish();
}

/// One recount of 100,000 open requests, from the clock to the hours and back.
fn recount_at_start() -> (f64, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy_file = dir.path().join("policy.toml");
    let clock_policy = DEFAULT_POLICY_TOML
        .split("\n[hours]")
        .next()
        .expect("the policy")
        .to_string();
    std::fs::write(&policy_file, &clock_policy).expect("policy");
    let clock = ManualClock::new(SATURDAY_NIGHT);
    {
        let service =
            open_service(dir.path(), Arc::new(clock.clone()), &bench_user()).expect("open");
        assert_eq!(service.recount_deadlines().expect("note the rules"), 0);
        let chunk = 20_000;
        let mut first = 0;
        while first < OPEN {
            let records: Vec<Request> = (first..(first + chunk).min(OPEN))
                .map(|index| synthetic(index, OPEN, OPEN, SATURDAY_NIGHT))
                .collect();
            service.seed().import_requests(&records).expect("import");
            first += chunk;
        }
        service.seed().flush().expect("flush");
    }
    let timed = |text: &str| {
        std::fs::write(&policy_file, text).expect("policy");
        let service =
            open_service(dir.path(), Arc::new(clock.clone()), &bench_user()).expect("open");
        let started = Instant::now();
        let moved = service.recount_deadlines().expect("recount");
        let took = started.elapsed().as_secs_f64();
        assert!(moved as u64 > OPEN / 2, "{moved} moved");
        took
    };
    let to_hours = timed(DEFAULT_POLICY_TOML);
    let back = timed(&clock_policy);
    (to_hours, back)
}

fn weekly_analysis(c: &mut Criterion, recorder: &Recorder) {
    let requests: Vec<Request> = (0..10_000).map(two_weeks).collect();
    let mut group = c.benchmark_group("weekly_analysis_5000");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for (name, policy) in [
        ("weekly_on_the_clock", on_the_clock()),
        ("weekly_in_hours", in_hours()),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                recorder.measure(name, iters, || {
                    let report =
                        pult::report::weekly(&requests, 2026, 47, moscow(), WEEK_48, &policy, None)
                            .expect("week 47");
                    std::hint::black_box(report);
                })
            })
        });
    }
    group.finish();
}

fn board(c: &mut Criterion, recorder: &Recorder) {
    let mut group = c.benchmark_group("board_closed_1000_open");
    group.sample_size(50);
    for (name, policy) in [
        ("board_on_the_clock", on_the_clock()),
        ("board_in_hours", in_hours()),
    ] {
        let app = console(
            operator_welcome(policy, 1_000, SATURDAY_NIGHT),
            SATURDAY_NIGHT,
        );
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                recorder.measure(name, iters, || {
                    terminal.draw(|frame| view(frame, &app)).expect("draw");
                })
            })
        });
    }
    group.finish();
}

fn main() {
    let recorder = Recorder::default();
    let mut c = Criterion::default().configure_from_args();
    deadlines_in_memory(&mut c, &recorder);
    weekly_analysis(&mut c, &recorder);
    board(&mut c, &recorder);
    c.final_summary();
    let (to_hours, back) = recount_at_start();
    let ms = |name: &str| recorder.median(name) / 1e6;
    let ratio = |a: &str, b: &str| recorder.median(a) / recorder.median(b);
    println!();
    println!("pult service-hours figures (medians, this machine, one run)");
    println!(
        "  300,000 deadlines of 100,000 open requests in service time   {:>9.2} ms",
        ms("in_service_time")
    );
    println!(
        "  start-up after the hours changed: 100,000 open counted again and audited  {to_hours:.2} s (back to the clock {back:.2} s)"
    );
    println!(
        "  weekly analysis of 5,000, on the clock  {:>9.2} ms; in hours {:>9.2} ms = {:.2}× (goal ≤ 1.5×)",
        ms("weekly_on_the_clock"),
        ms("weekly_in_hours"),
        ratio("weekly_in_hours", "weekly_on_the_clock")
    );
    println!(
        "  board, 1,000 open, service closed, on the clock {:>7.3} ms; in hours {:>7.3} ms = {:.2}×",
        ms("board_on_the_clock"),
        ms("board_in_hours"),
        ratio("board_in_hours", "board_on_the_clock")
    );
}
