//! Issue 5's target: the weekly analysis of one week of 5,000 requests with 1,000,000 stored,
//! against the same week with 10,000 stored (goal: under 1.5× — a report reads the week it
//! covers, not the whole history). Both stores hold the same two weeks (the analysed one and
//! the one before, 5,000 requests each); the big one has 990,000 older requests before them.
//! Stores are built once under `target/bench-data/`.

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::{bench_user, store_of, Recorder};

use chrono::{FixedOffset, NaiveDate, TimeZone};
use criterion::Criterion;

use pult::domain::deadline::DeadlinePolicy;
use pult::domain::lifecycle::{self, Intake};
use pult::domain::request::{
    Caller, CallerRole, Category, Channel, Request, RequestId, Resolution, ReturnChannel,
};
use pult::domain::time::{SystemClock, Timestamp, MINUTE_MS};
use pult::domain::validate::Phone;
use pult::service::setup::open_service;
use pult::service::{Command, Reply};

const WEEK: (i32, u32) = (2026, 46);
const PER_WEEK: u64 = 5_000;
const OPEN: u64 = 1_000;

fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("offset")
}

/// Monday 00:00 of the week before the analysed one, Moscow time.
fn previous_monday() -> Timestamp {
    let monday = NaiveDate::from_isoywd_opt(WEEK.0, WEEK.1 - 1, chrono::Weekday::Mon)
        .expect("week")
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    let at = moscow()
        .from_local_datetime(&monday)
        .single()
        .expect("unambiguous");
    Timestamp(at.timestamp_millis())
}

const CATEGORIES: [Category; 6] = Category::ALL;

/// Request `index` of `count`: the last 10,000 spread over the two weeks, the rest one
/// minute apart before them; the last `OPEN` are still open, the others resolved in an hour.
fn history(index: u64, count: u64) -> Request {
    let recent = count - 2 * PER_WEEK;
    let start = previous_monday();
    let two_weeks = 14 * 24 * 60 * MINUTE_MS;
    let received = if index >= recent {
        Timestamp(start.0 + (index - recent) as i64 * two_weeks / (2 * PER_WEEK) as i64)
    } else {
        Timestamp(start.0 - (recent - index) as i64 * MINUTE_MS)
    };
    let policy = DeadlinePolicy::default();
    let category = CATEGORIES[(index % 6) as usize];
    let request = lifecycle::receive(
        RequestId(index + 1),
        Intake {
            channel: if index % 4 == 0 {
                Channel::Web
            } else {
                Channel::Phone
            },
            received_at: received,
            logged_by: "bench".into(),
            caller: Caller {
                name: format!("Обратившийся {}", index % 3_000),
                role: CallerRole::ALL[(index % 3) as usize],
                class: None,
                phone: Phone::parse(&format!("8 9{:09}", 100_000_000 + index % 3_000)).ok(),
                email: None,
            },
            category,
            description: "Не открывается электронный дневник после обновления платформы.".into(),
            consent: None,
        },
        &policy,
    );
    let queue = match category {
        Category::Ejournal => "ejournal",
        Category::Psych => "psych",
        Category::Technical | Category::Equipment => "tech",
        _ => "head",
    };
    let routed =
        lifecycle::route(&request, queue, &policy, received.plus_minutes(12)).expect("route");
    if index >= count - OPEN {
        return routed;
    }
    let taken = lifecycle::take(&routed, "specialist", received.plus_minutes(25)).expect("take");
    lifecycle::resolve(
        &taken,
        Resolution {
            text: "Помогли.".into(),
            returned_by: ReturnChannel::Phone,
            at: received.plus_minutes(60 + (index % 1_500) as i64),
        },
    )
    .expect("resolve")
}

fn main() {
    let recorder = Recorder::default();
    let mut c = Criterion::default().configure_from_args();
    let stores = [
        ("weekly_10k_stored", 10_000u64),
        ("weekly_1m_stored", 1_000_000u64),
    ];
    let mut group = c.benchmark_group("weekly_analysis");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for (name, count) in stores {
        let dir = store_of(&format!("store-report-{count}"), count, |index| {
            history(index, count)
        });
        let service = open_service(&dir, Arc::new(SystemClock), &bench_user()).expect("open");
        let head = service.identify("bench").expect("identify");
        let command = Command::WeeklyReport {
            week: Some(WEEK),
            offset_seconds: moscow().local_minus_utc(),
        };
        match service.execute(&head, command.clone()) {
            Ok((Reply::Weekly { report }, _)) => {
                assert_eq!(u64::from(report.totals.received.total), PER_WEEK, "{name}");
            }
            other => panic!("{other:?}"),
        }
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                recorder.measure(name, iters, || {
                    std::hint::black_box(service.execute(&head, command.clone()).expect("report"));
                })
            })
        });
    }
    group.finish();
    c.final_summary();
    let ms = |name: &str| recorder.median(name) / 1e6;
    println!();
    println!("pult report figures (medians, this machine, one run)");
    println!(
        "  weekly analysis, 5,000 in the week, 10,000 stored     {:>9.2} ms",
        ms("weekly_10k_stored")
    );
    println!(
        "  weekly analysis, 5,000 in the week, 1,000,000 stored  {:>9.2} ms  = {:.2}× (goal < 1.5×)",
        ms("weekly_1m_stored"),
        recorder.median("weekly_1m_stored") / recorder.median("weekly_10k_stored")
    );
}
