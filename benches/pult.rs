//! pult's speed and memory targets, each measured as a ratio against a baseline in the same
//! run on the same machine (see the README for the figures):
//!
//! 1. durable commit of log + route, against a bare 600-byte append + fdatasync;
//! 2. board render with 100,000 open requests, against 1,000;
//! 3. start-up to the first frame with 1,000,000 stored (1,000 open), against a bare sled open;
//! 4. peak memory of the console with 1,000,000 stored, after start-up;
//! 5. search as you type over 100,000 and 1,000,000 stored requests: each keystroke within
//!    one frame (16 ms), as the server does it (match in its index, read the hits shown),
//!    and the index's memory (`PULT_BENCH_ONLY=search` runs just these).
//!
//! The 1,000,000-request stores are built once under `target/bench-data/` and reused.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod common;

use common::{bench_user, big_store, console, draft, operator_welcome, store_of, varied, Recorder};

use criterion::Criterion;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use pult::domain::change::Change;
use pult::domain::policy::{Policy, DEFAULT_POLICY_TOML};
use pult::domain::request::Channel;
use pult::domain::time::{Clock, ManualClock, SystemClock, Timestamp};
use pult::service::setup::open_service;
use pult::service::{Command, Reply, Service, Welcome};
use pult::store::CACHE_BYTES;
use pult::tui::app::App;
use pult::tui::view::view;

fn welcome_with(open: u64, now: Timestamp) -> Welcome {
    operator_welcome(
        Policy::parse(DEFAULT_POLICY_TOML).expect("policy"),
        open,
        now,
    )
}

fn app_for(welcome: Welcome, now: Timestamp) -> App {
    console(welcome, now)
}

/// What the console does from launch to its first frame, minus the real terminal.
fn start_console(dir: &Path) -> (Service, Terminal<TestBackend>) {
    let clock = SystemClock;
    let service = open_service(dir, Arc::new(clock), &bench_user()).expect("open");
    let me = service.identify("bench").expect("identify");
    let welcome = service.welcome(&me).expect("welcome");
    let app = app_for(welcome, clock.now());
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    terminal.draw(|frame| view(frame, &app)).expect("draw");
    (service, terminal)
}

fn print_commit(recorder: &Recorder) {
    let ms = |name: &str| recorder.median(name) / 1e6;
    let ratio = |a: &str, b: &str| recorder.median(a) / recorder.median(b);
    println!();
    println!("pult figures (medians, this machine, one run)");
    println!(
        "  bare 600-byte append + fdatasync        {:>9.3} ms",
        ms("bare_append_fdatasync")
    );
    println!(
        "  log call (one command, durable)         {:>9.3} ms  = {:.2}× bare (goal ≤ 1.3×)",
        ms("log_call"),
        ratio("log_call", "bare_append_fdatasync")
    );
    println!(
        "  log call + route (two commands)         {:>9.3} ms  = {:.2}× bare, {:.2}× two bare",
        ms("log_call_and_route"),
        ratio("log_call_and_route", "bare_append_fdatasync"),
        ratio("log_call_and_route", "bare_append_fdatasync") / 2.0
    );
}

fn durable_commit(c: &mut Criterion, recorder: &Recorder) {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&base).expect("bench dir");
    let dir = tempfile::tempdir_in(&base).expect("temp dir");
    let clock = ManualClock::new(SystemClock.now());
    let service = open_service(dir.path(), Arc::new(clock.clone()), &bench_user()).expect("open");
    let me = service.identify("bench").expect("identify");
    let mut log_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("bare.log"))
        .expect("bare file");
    let record = [b'x'; 600];

    let mut group = c.benchmark_group("durable_commit");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(6));
    group.bench_function("bare_append_fdatasync", |b| {
        b.iter_custom(|iters| {
            recorder.measure("bare_append_fdatasync", iters, || {
                log_file.write_all(&record).expect("append");
                log_file.sync_data().expect("fdatasync");
            })
        })
    });
    // a new call each time: a resent one (same answered-at) would not be written again
    let log_new_call = || {
        clock.advance_millis(1);
        let command = Command::LogCall {
            draft: draft(clock.now()),
            channel: Channel::Phone,
        };
        service.execute(&me, command).expect("log").0
    };
    group.bench_function("log_call", |b| {
        b.iter_custom(|iters| {
            recorder.measure("log_call", iters, || {
                let reply = log_new_call();
                std::hint::black_box(reply);
            })
        })
    });
    group.bench_function("log_call_and_route", |b| {
        b.iter_custom(|iters| {
            recorder.measure("log_call_and_route", iters, || {
                let reply = log_new_call();
                let Reply::Logged { request } = reply else {
                    return;
                };
                service
                    .execute(
                        &me,
                        Command::Change {
                            id: request.id,
                            change: Change::Route {
                                queue: "ejournal".into(),
                            },
                        },
                    )
                    .expect("route");
            })
        })
    });
    group.finish();
    // the same two, alternated in short rounds, so a change in the machine's load between
    // criterion's measurements does not make the ratio; and, for what the journal itself
    // costs, the same record written over a zeroed file (as the journal is written)
    let mut floor_file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(dir.path().join("floor.log"))
        .expect("floor file");
    floor_file
        .write_all(&vec![0; 4 << 20])
        .expect("zero the floor file");
    floor_file.sync_all().expect("sync the floor file");
    let mut floor_at = 0;
    let mut ratios = Vec::new();
    let mut floors = Vec::new();
    for _ in 0..12 {
        let started = std::time::Instant::now();
        for _ in 0..200 {
            log_file.write_all(&record).expect("append");
            log_file.sync_data().expect("fdatasync");
        }
        let bare = started.elapsed();
        let started = std::time::Instant::now();
        for _ in 0..200 {
            std::hint::black_box(log_new_call());
        }
        let calls = started.elapsed();
        let started = std::time::Instant::now();
        for _ in 0..200 {
            floor_file
                .write_all_at(&record, floor_at)
                .expect("write over zeros");
            floor_file.sync_data().expect("fdatasync");
            floor_at = (floor_at + record.len() as u64) % (4 << 20);
        }
        let floor = started.elapsed();
        ratios.push(calls.as_secs_f64() / bare.as_secs_f64());
        floors.push(calls.as_secs_f64() / floor.as_secs_f64());
    }
    let median = |ratios: &mut Vec<f64>| {
        ratios.sort_by(f64::total_cmp);
        ((ratios[5] + ratios[6]) / 2.0, ratios[0], ratios[11])
    };
    let (bare, low, high) = median(&mut ratios);
    println!(
        "durable commit, alternated rounds of 200: log call / bare = {bare:.2}× (median of 12; {low:.2}–{high:.2}×)"
    );
    let (floor, low, high) = median(&mut floors);
    println!(
        "  log call / the same record written over zeros + fdatasync (the journal's floor) = {floor:.2}× (median of 12; {low:.2}–{high:.2}×)"
    );
}

fn board_render(c: &mut Criterion, recorder: &Recorder) {
    let now = SystemClock.now();
    let mut group = c.benchmark_group("board_render");
    group.sample_size(50);
    for (name, open) in [("open_1000", 1_000u64), ("open_100000", 100_000)] {
        let app = app_for(welcome_with(open, now), now);
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

fn startup(c: &mut Criterion, recorder: &Recorder, dir: &Path) {
    let mut group = c.benchmark_group("startup_1m_stored");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("bare_sled_open", |b| {
        b.iter_custom(|iters| {
            recorder.measure("bare_sled_open", iters, || {
                let db = sled::Config::new()
                    .path(dir.join("db"))
                    .cache_capacity(CACHE_BYTES)
                    .open()
                    .expect("sled open");
                std::hint::black_box(&db);
            })
        })
    });
    group.bench_function("pult_first_frame", |b| {
        b.iter_custom(|iters| {
            recorder.measure("pult_first_frame", iters, || {
                std::hint::black_box(start_console(dir));
            })
        })
    });
    group.finish();
}

/// Resident memory of this process, in MiB.
fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

const TYPED: &str = "петрова анна 912";

/// One size of the search benchmark: its store and the names of its figures.
struct SearchSize {
    stored: u64,
    store: &'static str,
    group: &'static str,
    phrase: &'static str,
    slowest: &'static str,
}

const SEARCH_100K: SearchSize = SearchSize {
    stored: 100_000,
    store: "store-search-100k",
    group: "search_100k",
    phrase: "search_phrase",
    slowest: "search_slowest",
};

const SEARCH_1M: SearchSize = SearchSize {
    stored: 1_000_000,
    store: "store-search-1m",
    group: "search_1m",
    phrase: "search_phrase_1m",
    slowest: "search_slowest_1m",
};

/// Queries outside the phrase, timed once each (median of 7): single letters and digits
/// that match most of the archive, a number, phones as written.
const ODD_QUERIES: [&str; 9] = [
    "а",
    "9",
    "8",
    "8 91",
    "a",
    "43",
    "+7 912 777-12-34",
    "8 (910) 070",
    "дневник ошибка",
];

/// What the search benchmark of one size measured besides criterion's timings.
struct SearchFigures {
    /// Growth of this process's resident memory while the index was read.
    rss_mib: f64,
    /// The index's own arrays, counted from their capacities.
    heap_mib: f64,
    slowest: String,
    /// Median time of each keystroke of the phrase, in ms.
    keystrokes: Vec<(String, f64)>,
    odd: Vec<(&'static str, f64, usize)>,
}

/// Growth of resident memory of a fresh process while it reads the store on `dir` into the
/// search index, in MiB.
fn index_growth_in_child(dir: &Path) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let output = std::process::Command::new(exe)
        .env("PULT_BENCH_INDEX_CHILD", dir)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("INDEX_GROWTH_MIB:"))
        .and_then(|mib| mib.trim().parse().ok())
}

/// Child: reads the store on `dir` into the search index and prints the growth.
fn index_growth(dir: &Path) {
    let service = open_service(dir, Arc::new(SystemClock), &bench_user()).expect("open");
    let before = resident_mib();
    service.start_search_index();
    while !service.search_index().is_complete() {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("INDEX_GROWTH_MIB: {}", resident_mib() - before);
    drop(service);
}

/// The median of 7 runs of `routine`, in ms.
fn median_ms(mut routine: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..7)
        .map(|_| {
            let started = std::time::Instant::now();
            routine();
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[3]
}

/// Search as you type over `size.stored` requests: the index's memory, each keystroke's
/// time and criterion's figures for the whole phrase and for its slowest keystroke.
fn search_as_you_type(c: &mut Criterion, recorder: &Recorder, size: &SearchSize) -> SearchFigures {
    let now = SystemClock.now();
    let stored = size.stored;
    let dir = store_of(size.store, stored, |index| varied(index, stored, now));
    // in a fresh process, so that no memory freed by an earlier benchmark is reused
    let rss_mib = index_growth_in_child(&dir).unwrap_or(f64::NAN);
    let service = open_service(&dir, Arc::new(SystemClock), &bench_user()).expect("open");
    service.start_search_index();
    while !service.search_index().is_complete() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let heap_mib = service.search_index().heap_bytes() as f64 / (1024.0 * 1024.0);
    let me = service.identify("bench").expect("identify");
    let prefixes: Vec<String> = TYPED
        .char_indices()
        .map(|(at, c)| TYPED[..at + c.len_utf8()].to_string())
        .collect();
    let keystrokes: Vec<(String, f64)> = prefixes
        .iter()
        .map(|prefix| {
            let time = median_ms(|| {
                std::hint::black_box(service.found(&me, prefix).expect("search"));
            });
            (prefix.clone(), time)
        })
        .collect();
    let slowest = keystrokes
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(prefix, _)| prefix.clone())
        .unwrap_or_default();
    let odd = ODD_QUERIES
        .iter()
        .map(|query| {
            let total = service.found(&me, query).expect("search").total;
            let time = median_ms(|| {
                std::hint::black_box(service.found(&me, query).expect("search"));
            });
            (*query, time, total)
        })
        .collect();
    let mut group = c.benchmark_group(size.group);
    group.sample_size(if stored > 100_000 { 10 } else { 30 });
    group.bench_function("typing_the_phrase_per_keystroke", |b| {
        b.iter_custom(|iters| {
            let total = recorder.measure(size.phrase, iters, || {
                for prefix in &prefixes {
                    std::hint::black_box(service.found(&me, prefix).expect("search"));
                }
            });
            total / prefixes.len() as u32
        })
    });
    group.bench_function("slowest_keystroke", |b| {
        b.iter_custom(|iters| {
            recorder.measure(size.slowest, iters, || {
                std::hint::black_box(service.found(&me, &slowest).expect("search"));
            })
        })
    });
    group.finish();
    SearchFigures {
        rss_mib,
        heap_mib,
        slowest,
        keystrokes,
        odd,
    }
}

/// Times each of `queries` (split at `|`) over the 1,000,000-request search store.
fn probe_search(queries: &str) {
    let now = SystemClock.now();
    let stored = SEARCH_1M.stored;
    let dir = store_of(SEARCH_1M.store, stored, |index| varied(index, stored, now));
    let service = open_service(&dir, Arc::new(SystemClock), &bench_user()).expect("open");
    service.start_search_index();
    while !service.search_index().is_complete() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let me = service.identify("bench").expect("identify");
    let viewer = pult::domain::access::Viewer::new(
        &me,
        &Policy::parse(DEFAULT_POLICY_TOML).expect("policy"),
    );
    let rounds: usize = std::env::var("PULT_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(20);
    for query in queries.split('|') {
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(service.search_index().search(query, &viewer));
        }
        let index = started.elapsed().as_secs_f64() * 1e3 / rounds as f64;
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(service.found(&me, query).expect("search"));
        }
        let found = started.elapsed().as_secs_f64() * 1e3 / rounds as f64;
        println!("«{query}»: index {index:.2} ms, with the hits read {found:.2} ms");
    }
}

/// Prints one size's search figures.
fn print_search(recorder: &Recorder, size: &SearchSize, figures: &SearchFigures) {
    let ms = |name: &str| recorder.median(name) / 1e6;
    let stored = size.stored;
    let keystrokes = TYPED.chars().count() as f64;
    println!(
        "  search, {stored} stored, per keystroke {:>9.3} ms  (typing «{TYPED}», mean)",
        ms(size.phrase) / keystrokes
    );
    println!(
        "  search, {stored} stored, slowest keystroke «{}» {:.3} ms  (goal < 16 ms)",
        figures.slowest,
        ms(size.slowest),
    );
    let each: Vec<String> = figures
        .keystrokes
        .iter()
        .map(|(prefix, time)| format!("«{prefix}» {time:.2}"))
        .collect();
    println!("    each keystroke (median of 7, ms): {}", each.join(", "));
    for (query, time, total) in &figures.odd {
        println!("    «{query}»: {time:.2} ms ({total} found)");
    }
    println!(
        "  search index, {stored} requests: {:.1} MiB counted ({:.1} MiB resident growth while read)",
        figures.heap_mib, figures.rss_mib
    );
}

/// Peak resident memory of a fresh process that starts the console on `dir`, in MiB.
fn console_peak_memory(dir: &Path) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let output = std::process::Command::new(exe)
        .env("PULT_BENCH_CHILD", dir)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

fn main() {
    if let Some(dir) = std::env::var_os("PULT_BENCH_INDEX_CHILD") {
        index_growth(Path::new(&dir));
        return;
    }
    if let Some(dir) = std::env::var_os("PULT_BENCH_CHILD") {
        // child: start the console once, then report this process's peak memory
        let started = start_console(Path::new(&dir));
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        for line in status
            .lines()
            .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
        {
            println!("{line}");
        }
        drop(started);
        return;
    }
    let recorder = Recorder::default();
    let mut c = Criterion::default().configure_from_args();
    if let Ok(queries) = std::env::var("PULT_BENCH_SEARCH_PROBE") {
        // PULT_BENCH_SEARCH_PROBE="п|петрова анна": each query over the 1,000,000 store,
        // the index alone and with the hits read (for a profiler)
        probe_search(&queries);
        return;
    }
    if std::env::var("PULT_BENCH_ONLY").as_deref() == Ok("search") {
        let small = search_as_you_type(&mut c, &recorder, &SEARCH_100K);
        let big = search_as_you_type(&mut c, &recorder, &SEARCH_1M);
        c.final_summary();
        println!();
        println!("pult search figures (medians, this machine, one run)");
        print_search(&recorder, &SEARCH_100K, &small);
        print_search(&recorder, &SEARCH_1M, &big);
        return;
    }
    durable_commit(&mut c, &recorder);
    if std::env::var("PULT_BENCH_ONLY").as_deref() == Ok("commit") {
        c.final_summary();
        print_commit(&recorder);
        return;
    }
    board_render(&mut c, &recorder);
    let small = search_as_you_type(&mut c, &recorder, &SEARCH_100K);
    let search_big = search_as_you_type(&mut c, &recorder, &SEARCH_1M);
    let big = big_store();
    // a store built by an older pult gets its index once, here, not inside a measurement
    drop(open_service(&big, Arc::new(SystemClock), &bench_user()).expect("open"));
    startup(&mut c, &recorder, &big);
    c.final_summary();

    let ms = |name: &str| recorder.median(name) / 1e6;
    let ratio = |a: &str, b: &str| recorder.median(a) / recorder.median(b);
    print_commit(&recorder);
    println!(
        "  board render 160×48, 1,000 open         {:>9.3} ms",
        ms("open_1000")
    );
    println!(
        "  board render 160×48, 100,000 open       {:>9.3} ms  = {:.2}× (goal < 1.2×)",
        ms("open_100000"),
        ratio("open_100000", "open_1000")
    );
    println!(
        "  bare sled open, 1,000,000 stored        {:>9.3} ms",
        ms("bare_sled_open")
    );
    println!(
        "  pult start-up to first frame            {:>9.3} ms  = {:.2}× (goal < 1.3×)",
        ms("pult_first_frame"),
        ratio("pult_first_frame", "bare_sled_open")
    );
    print_search(&recorder, &SEARCH_100K, &small);
    print_search(&recorder, &SEARCH_1M, &search_big);
    match console_peak_memory(&big) {
        Some(mib) => {
            println!("  console peak memory, 1,000,000 stored   {mib:>9.1} MiB (goal < 150 MB)")
        }
        None => println!("  console peak memory: could not be measured"),
    }
}
