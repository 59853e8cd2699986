//! `pult import`'s target, a ratio measured in one run (figures in the README): rows per second
//! of a 100,000-row journal (CSV, as a school's spreadsheet saves it) read, checked and logged
//! through the server — frame-sized commands, one transaction and one sync each — against the
//! same calls logged one by one through the protocol (`Command::LogCall`, one acknowledged
//! durable command each, as a script without `pult import` would). Goal: ≥ 5×.
//!
//! `PULT_IMPORT_ROWS` sets the journal's size (100,000 by default); criterion then times the
//! same two ways on 1,000 rows per iteration.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{Local, TimeZone};
use common::{draft, Recorder};
use criterion::Criterion;
use pult::cli::import::{batches, calls_of, send};
use pult::domain::policy::Policy;
use pult::domain::request::Channel;
use pult::domain::time::{Clock, SystemClock, Timestamp};
use pult::net::client::{Client, Launch};
use pult::net::server::{start, ServerHandle};
use pult::os::current_os_user;
use pult::service::{Command, Reply};

/// Rows of the small journals criterion times.
const SMALL: usize = 1_000;

/// A fresh directory under `target/bench-data/` (removed when dropped).
fn bench_dir() -> tempfile::TempDir {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&base).expect("bench dir");
    tempfile::tempdir_in(&base).expect("temp dir")
}

fn serve(dir: &Path) -> ServerHandle {
    let me = current_os_user().expect("os user");
    start(dir, Arc::new(SystemClock), &me).expect("server")
}

/// The received time of row `index` of a run whose rows start `base` seconds ago: a second
/// apart, whole seconds, so every row is another call.
fn received(base: i64, index: usize) -> Timestamp {
    // one "now" for the whole run, so two rows never fall on the same second
    static START: OnceLock<i64> = OnceLock::new();
    let now = *START.get_or_init(|| SystemClock.now().0 / 1000);
    Timestamp((now - base - index as i64) * 1000)
}

/// A journal of `rows` calls as Russian Excel saves it: the calls `common::draft` makes, one
/// second apart, in local time.
fn journal(base: i64, rows: usize) -> Vec<u8> {
    let sample = draft(Timestamp(0));
    let mut text = String::from(
        "Дата и время обращения;ФИО обратившегося;Роль обратившегося;Класс;Тип обращения;\
         Описание проблемы;Телефон для обратной связи;Адрес электронной почты\r\n",
    );
    for index in 0..rows {
        let at = Local
            .timestamp_millis_opt(received(base, index).0)
            .single()
            .expect("a local time");
        let _ = write!(
            text,
            "{};{};родитель;{};проблема с ЭЖД;\"{}\";{};{}\r\n",
            at.format("%d.%m.%Y %H:%M:%S"),
            sample.name,
            sample.class,
            sample.description,
            sample.phone,
            sample.email
        );
    }
    text.into_bytes()
}

/// Imports a journal the way `pult import` does; the rows imported.
fn import(client: &mut Client, policy: &Policy, bytes: &[u8]) -> usize {
    let (calls, unreadable) = calls_of(bytes, policy).expect("a journal");
    assert!(unreadable.is_empty(), "{unreadable:?}");
    let (batches, too_large) = batches(calls);
    assert!(too_large.is_empty());
    let mut outcomes = Vec::new();
    send(client, batches, &mut outcomes).expect("imported");
    outcomes
        .iter()
        .filter(|outcome| matches!(outcome, pult::domain::import::RowOutcome::Imported { .. }))
        .count()
}

/// Logs the same calls one command each; the calls logged.
fn one_by_one(client: &mut Client, base: i64, rows: usize) -> usize {
    (0..rows)
        .map(|index| {
            let command = Command::LogCall {
                draft: draft(received(base, index)),
                channel: Channel::Phone,
            };
            match client.call(command).expect("logged") {
                Reply::Logged { .. } => 1,
                other => panic!("not logged: {other:?}"),
            }
        })
        .sum()
}

fn policy_of(client: &mut Client) -> Policy {
    match client.call(Command::GetPolicy).expect("policy") {
        Reply::Policy { policy } => policy,
        other => panic!("no policy: {other:?}"),
    }
}

/// Rows per second both ways, each on a fresh server.
fn big_run(rows: usize) -> (f64, f64) {
    let base = 40 * 24 * 3600;
    let bytes = journal(base, rows);

    let dir = bench_dir();
    let server = serve(dir.path());
    let mut client = Client::connect(dir.path(), &Launch::Never).expect("client");
    let policy = policy_of(&mut client);
    let started = Instant::now();
    assert_eq!(import(&mut client, &policy, &bytes), rows);
    let imported = rows as f64 / started.elapsed().as_secs_f64();
    drop(client);
    server.stop();

    let dir = bench_dir();
    let server = serve(dir.path());
    let mut client = Client::connect(dir.path(), &Launch::Never).expect("client");
    let started = Instant::now();
    assert_eq!(one_by_one(&mut client, base, rows), rows);
    let logged = rows as f64 / started.elapsed().as_secs_f64();
    drop(client);
    server.stop();
    (imported, logged)
}

fn small_runs(c: &mut Criterion, recorder: &Recorder) {
    let dir = bench_dir();
    let _server = serve(dir.path());
    let mut client = Client::connect(dir.path(), &Launch::Never).expect("client");
    let policy = policy_of(&mut client);
    // every iteration's rows are new calls: earlier and earlier seconds
    let next = AtomicI64::new(400 * 24 * 3600);
    let mut group = c.benchmark_group("import_1000_rows");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("pult_import", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let base = next.fetch_add(SMALL as i64, Ordering::SeqCst);
                let bytes = journal(base, SMALL);
                let started = Instant::now();
                assert_eq!(import(&mut client, &policy, &bytes), SMALL);
                total += started.elapsed();
            }
            recorder.record("pult_import", total, iters);
            total
        })
    });
    group.bench_function("log_call_one_by_one", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let base = next.fetch_add(SMALL as i64, Ordering::SeqCst);
                let started = Instant::now();
                assert_eq!(one_by_one(&mut client, base, SMALL), SMALL);
                total += started.elapsed();
            }
            recorder.record("log_call_one_by_one", total, iters);
            total
        })
    });
    group.finish();
}

fn main() {
    let rows = std::env::var("PULT_IMPORT_ROWS")
        .ok()
        .and_then(|rows| rows.parse().ok())
        .unwrap_or(100_000);
    let recorder = Recorder::default();
    let mut c = Criterion::default().configure_from_args();
    small_runs(&mut c, &recorder);
    c.final_summary();
    let (imported, logged) = big_run(rows);

    let per_second = |name: &str| SMALL as f64 / (recorder.median(name) / 1e9);
    println!();
    println!("pult import figures (this machine, one run)");
    println!("  {rows} rows, pult import                rows/s {imported:>9.0}");
    println!(
        "  {rows} rows, one LogCall each           rows/s {logged:>9.0}  → {:.1}× (goal ≥ 5×)",
        imported / logged
    );
    println!(
        "  {SMALL} rows (criterion medians): import {:.0}/s, one by one {:.0}/s → {:.1}×",
        per_second("pult_import"),
        per_second("log_call_one_by_one"),
        per_second("pult_import") / per_second("log_call_one_by_one")
    );
}
