//! Reports through the real server: who may read the daily report and the weekly analysis,
//! the head's proposals kept with the week, and nothing personal in what the director reads.

mod common;

use std::path::Path;

use pult::domain::call_form::CallDraft;
use pult::domain::policy::{Policy, DEFAULT_POLICY_TOML};
use pult::domain::request::Category;
use pult::domain::staff::Role;
use pult::domain::time::{Clock, SystemClock, Timestamp};
use pult::net::client::Client;
use pult::report::markdown::weekly_markdown;
use pult::service::{Command, Failure, FailureKind, Reply};

use common::calls::{log_call, valid_call};
use common::people::{me, staff};
use common::service::{connect, open_as_me, serve, set_my_roles};

const MOSCOW: i32 = 3 * 3600;

/// Two calls logged today; the OS user running the test gets `roles`.
fn prepared(dir: &Path, roles: &[Role]) {
    let service = open_as_me(dir);
    let operator = staff("ivanova", "Иванова Анна Сергеевна", &[Role::Operator]);
    service.seed().put_staff(&operator).unwrap();
    // a minute apart: one operator's calls are told apart by when they were answered
    for (minutes_ago, name, phone, text) in [
        (
            2,
            "Петрова Анна",
            "89123456789",
            "Не видно оценок в дневнике",
        ),
        (
            1,
            "Орлов Игорь",
            "89001112233",
            "Ссылка на урок не открывается",
        ),
    ] {
        let draft = CallDraft {
            description: text.into(),
            phone: phone.into(),
            ..valid_call(name, Category::Ejournal, Some(answered_today(minutes_ago)))
        };
        log_call(&service, &operator, draft);
    }
    set_my_roles(&service, roles);
}

/// `minutes_ago` minutes ago, but never before today's Moscow midnight (a run just after
/// midnight must not put the calls on yesterday's report).
fn answered_today(minutes_ago: i64) -> Timestamp {
    let now = SystemClock.now();
    let moscow = chrono::FixedOffset::east_opt(MOSCOW).unwrap();
    let (midnight, _) = pult::report::day_bounds(now.in_offset(moscow).date_naive(), moscow);
    Timestamp((now.0 - minutes_ago * 60_000).max(midnight.0 + minutes_ago))
}

fn client_as(roles: &[Role]) -> (tempfile::TempDir, pult::net::server::ServerHandle, Client) {
    let dir = tempfile::tempdir().unwrap();
    prepared(dir.path(), roles);
    let server = serve(dir.path());
    let client = connect(dir.path());
    (dir, server, client)
}

fn daily(client: &mut Client) -> Result<Reply, Failure> {
    client
        .call(Command::DailyReport {
            date: None,
            offset_seconds: MOSCOW,
        })
        .map_err(|error| error.failure().cloned().expect("the server refused"))
}

fn weekly(client: &mut Client, week: Option<(i32, u32)>) -> Result<Reply, Failure> {
    client
        .call(Command::WeeklyReport {
            week,
            offset_seconds: MOSCOW,
        })
        .map_err(|error| error.failure().cloned().expect("the server refused"))
}

/// This week, as the server will count it.
fn this_week() -> (i32, u32) {
    use chrono::Datelike;
    let week = SystemClock
        .now()
        .in_offset(chrono::FixedOffset::east_opt(MOSCOW).unwrap())
        .iso_week();
    (week.year(), week.week())
}

#[test]
fn the_daily_report_is_for_the_dispatchers_who_send_it_and_the_head() {
    for (roles, allowed) in [
        (vec![Role::Operator], true),
        (vec![Role::SiteAdmin], true),
        (vec![Role::Head], true),
        (vec![Role::Ejournal], false),
        (vec![Role::Tech], false),
        (vec![Role::Psych], false),
        (vec![Role::Director], false),
        (vec![Role::Admin], false),
    ] {
        let (_dir, _server, mut client) = client_as(&roles);
        match daily(&mut client) {
            Ok(Reply::Daily { report }) => {
                assert!(allowed, "{roles:?} must not read it");
                assert_eq!(report.figures.received.total, 2, "{roles:?}");
                assert!(
                    report
                        .senders
                        .iter()
                        .any(|sender| sender.starts_with("Иванова Анна Сергеевна")),
                    "{:?}",
                    report.senders
                );
            }
            Ok(other) => panic!("{other:?}"),
            Err(error) => {
                assert!(!allowed, "{roles:?}: {error}");
                assert_eq!(error.kind, FailureKind::Denied, "{error}");
                assert!(error.message.contains("ежедневный отчёт"), "{error}");
            }
        }
    }
}

#[test]
fn the_weekly_analysis_is_for_the_head_and_the_director() {
    for (roles, allowed) in [
        (vec![Role::Head], true),
        (vec![Role::Director], true),
        (vec![Role::Operator], false),
        (vec![Role::SiteAdmin], false),
        (vec![Role::Psych], false),
        (vec![Role::Admin], false),
    ] {
        let (_dir, _server, mut client) = client_as(&roles);
        let outcome = weekly(&mut client, Some(this_week()));
        match outcome {
            Ok(_) => assert!(allowed, "{roles:?}"),
            Err(error) => {
                assert!(!allowed, "{roles:?}: {error}");
                assert_eq!(error.kind, FailureKind::Denied, "{roles:?}: {error}");
            }
        }
    }
}

#[test]
fn the_heads_proposals_are_kept_with_the_week_and_the_director_reads_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    prepared(dir.path(), &[Role::Head]);
    let week = this_week();
    {
        let _server = serve(dir.path());
        let mut client = connect(dir.path());
        client
            .call(Command::SaveProposals {
                year: week.0,
                week: week.1,
                text: "Провести для родителей 5-х классов занятие по входу в дневник.".into(),
            })
            .unwrap();
        let refused = client.call(Command::SaveProposals {
            year: 2026,
            week: 60,
            text: "x".into(),
        });
        let error = refused.expect_err("week 60 does not exist");
        assert_eq!(error.kind(), Some(FailureKind::BadInput), "{error}");
    }
    // the director, on the same store after a restart
    {
        let service = open_as_me(dir.path());
        let mut director = service.identify(&me().login).unwrap();
        director.roles = vec![Role::Director];
        service.seed().put_staff(&director).unwrap();
        service.seed().flush().unwrap();
    }
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    let Ok(Reply::Weekly { report }) = weekly(&mut client, Some(week)) else {
        panic!("the director reads the weekly analysis")
    };
    assert_eq!(report.totals.received.total, 2);
    let policy = Policy::parse(DEFAULT_POLICY_TOML).unwrap();
    let text = weekly_markdown(
        &report,
        &policy,
        chrono::FixedOffset::east_opt(MOSCOW).unwrap(),
    );
    assert!(text.contains("занятие по входу в дневник"), "{text}");
    for personal in [
        "Петрова",
        "Орлов",
        "912",
        "89001112233",
        "Не видно оценок",
        "Ссылка на урок",
        "ivanova",
        "Иванова",
    ] {
        assert!(!text.contains(personal), "«{personal}» in\n{text}");
    }
}
