//! Issue 15's backup figures on the store of 1,000,000 requests (`target/bench-data/store-1m`,
//! built once): the time of `pult backup` through a running server, the copy's size against
//! the store's, the longest wait of a command (a call logged) issued during it against the
//! longest without it, and the time of a restore. One run of each: these are minutes, not
//! microseconds. `PULT_BENCH_STORE=NAME` picks another store under `target/bench-data/`.
//! Then the retention applied to 100,000 requests closed two years ago (a store built in a
//! temporary directory each run: it is destroyed by the measurement).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::{big_store, draft};

use pult::domain::staff::Role;
use pult::domain::time::{Clock, SystemClock};
use pult::net::client::{Client, Launch};
use pult::service::setup::open_service;
use pult::service::{BackupState, Command, Reply};

fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| size_of(&entry.path()))
                .sum()
        })
        .unwrap_or(0)
}

/// Logs calls one after another until `stop`; the longest a call waited for its answer.
fn logging(dir: &Path, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(Duration, u64)> {
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let mut client = Client::connect(&dir, &Launch::Never).expect("connect");
        let (mut longest, mut calls) = (Duration::ZERO, 0u64);
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let reply = client.call(Command::LogCall {
                draft: draft(SystemClock.now()),
                channel: pult::domain::request::Channel::Phone,
            });
            assert!(matches!(reply, Ok(Reply::Logged { .. })), "{reply:?}");
            longest = longest.max(started.elapsed());
            calls += 1;
        }
        (longest, calls)
    })
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    if std::env::var("PULT_BENCH_ONLY").is_ok_and(|only| only == "retention") {
        let (destroyed, took, longest) = retention_of_100k();
        println!(
            "  retention applied to {destroyed} closed requests, run after run   {:.1} s (the longest run {:.0} ms)",
            took.as_secs_f64(),
            longest.as_secs_f64() * 1e3
        );
        return;
    }
    let dir = match std::env::var("PULT_BENCH_STORE") {
        Ok(name) => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/bench-data")
            .join(name),
        Err(_) => big_store(),
    };
    let me = pult::os::current_os_user().expect("an OS user");
    {
        // the one running the benchmark makes backups there
        let service =
            open_service(&dir, Arc::new(SystemClock), &common::bench_user()).expect("open");
        let mut account = service
            .identify(&me.login)
            .expect("the benchmark's account");
        if !account.has(Role::Admin) {
            account.roles.push(Role::Admin);
            service.seed().put_staff(&account).expect("admin");
        }
        service.seed().flush().expect("flush");
    }
    let store_bytes = size_of(&dir.join("db"));
    let server = pult::net::server::start(&dir, Arc::new(SystemClock), &me).expect("server");

    // the longest wait of a call with nothing else going on, for comparison
    let stop = Arc::new(AtomicBool::new(false));
    let quiet = logging(&dir, Arc::clone(&stop));
    std::thread::sleep(Duration::from_secs(5));
    stop.store(true, Ordering::Relaxed);
    let (quiet_longest, quiet_calls) = quiet.join().expect("logging");

    let stop = Arc::new(AtomicBool::new(false));
    let busy = logging(&dir, Arc::clone(&stop));
    let mut client = Client::connect(&dir, &Launch::Never).expect("connect");
    let started = Instant::now();
    let mut state = match client.call(Command::Backup {
        keep_daily: None,
        keep_weekly: None,
    }) {
        Ok(Reply::Backup { state }) => state,
        other => panic!("{other:?}"),
    };
    while let BackupState::Running { .. } = state {
        std::thread::sleep(Duration::from_millis(100));
        state = match client.call(Command::BackupStatus) {
            Ok(Reply::Backup { state }) => state,
            other => panic!("{other:?}"),
        };
    }
    let backup_took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (busy_longest, busy_calls) = busy.join().expect("logging");
    drop(client);
    drop(server);
    let BackupState::Done { file, summary, .. } = state else {
        panic!("no backup: {state:?}")
    };

    let restored = tempfile::tempdir().expect("temp dir");
    let target = restored.path().join("restored");
    let started = Instant::now();
    pult::store::backup::restore(&file, &target).expect("restore");
    let restore_took = started.elapsed();
    let _ = std::fs::remove_file(&file);

    let (destroyed, retention_took, longest_run) = retention_of_100k();

    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!("pult backup figures (this machine, one run)");
    println!(
        "  backup of {} requests through the running server   {:.1} s",
        summary.requests,
        backup_took.as_secs_f64()
    );
    println!(
        "  the copy {:.1} MiB, the store {:.1} MiB = {:.2}×  ({} writes caught while reading)",
        mib(summary.bytes),
        mib(store_bytes),
        summary.bytes as f64 / store_bytes.max(1) as f64,
        summary.writes
    );
    println!(
        "  longest wait of a call logged during it   {:.1} ms ({busy_calls} calls); without a backup {:.1} ms ({quiet_calls} calls)",
        busy_longest.as_secs_f64() * 1e3,
        quiet_longest.as_secs_f64() * 1e3
    );
    println!(
        "  restore into a new directory   {:.1} s",
        restore_took.as_secs_f64()
    );
    println!(
        "  retention applied to {destroyed} closed requests, run after run   {:.1} s (the longest run, the consoles' longest wait, {:.0} ms)",
        retention_took.as_secs_f64(),
        longest_run.as_secs_f64() * 1e3
    );
}

/// `pult retention --apply` through the service on 100,000 requests closed two years ago.
fn retention_of_100k() -> (u32, Duration, Duration) {
    const CLOSED: u64 = 100_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let service =
        open_service(dir.path(), Arc::new(SystemClock), &common::bench_user()).expect("open");
    let long_ago = pult::domain::time::Timestamp(SystemClock.now().0 - 800 * 24 * 3600 * 1000);
    let records: Vec<_> = (0..CLOSED)
        .map(|index| common::synthetic(index, CLOSED, 0, long_ago))
        .collect();
    for chunk in records.chunks(20_000) {
        service.seed().import_requests(chunk).expect("import");
    }
    let head = service.identify("bench").expect("the first user");
    // run after run, as an admin would (each run destroys at most AT_MOST_PER_RUN)
    let started = Instant::now();
    let (mut destroyed, mut longest) = (0, Duration::ZERO);
    loop {
        let run = Instant::now();
        let reply = service.execute(
            &head,
            Command::Retention {
                apply: true,
                offset_seconds: 3 * 3600,
            },
        );
        longest = longest.max(run.elapsed());
        match reply {
            Ok((Reply::Retention { act: Some(act), .. }, _)) => destroyed += act.destroyed,
            Ok((Reply::Retention { act: None, .. }, _)) => break,
            other => panic!("{other:?}"),
        }
    }
    (destroyed, started.elapsed(), longest)
}
