//! The server's targets, each a ratio measured in one run (figures in the README):
//!
//! 1. from a command's acknowledgement to the 20th attached console having applied its
//!    event (each console a thread that reads and applies), against one console's ping
//!    round trip;
//! 2. acknowledged commands per second with 8 concurrent writers, against one writer;
//! 3. a console attaching to a server with 1,000,000 stored (1,000 open), against one with
//!    1,000 stored (all open);
//! 4. the server's peak memory with 1,000,000 stored.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{big_store, draft, store_with, Recorder};
use criterion::Criterion;
use pult::domain::request::{Channel, RequestId};
use pult::domain::time::{Clock, SystemClock, Timestamp};
use pult::net::client::{attach, connect, handshake, Client, Launch};
use pult::net::protocol::{read_server_msg, Mode, ServerMsg};
use pult::net::server::{start, ServerHandle};
use pult::os::current_os_user;
use pult::service::{Command, Event, Reply};
use pult::tui::open_requests::OpenRequests;

const CONSOLES: usize = 20;

fn serve(dir: &Path) -> ServerHandle {
    let me = current_os_user().expect("os user");
    start(dir, Arc::new(SystemClock), &me).expect("server")
}

/// Unique answered-at instants, so every logged call is a new call.
fn next_call(counter: &AtomicU64) -> Command {
    let n = counter.fetch_add(1, Ordering::SeqCst) as i64;
    Command::LogCall {
        draft: draft(Timestamp(SystemClock.now().0 - 3_600_000 - n)),
        channel: Channel::Phone,
    }
}

fn fan_out(c: &mut Criterion, recorder: &Recorder) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&base).expect("bench dir");
    let dir = tempfile::tempdir_in(&base).expect("temp dir");
    let _server = serve(dir.path());
    // 20 consoles, each applying events to its own copy and reporting each applied id
    let (applied_tx, applied) = mpsc::channel::<(RequestId, Instant)>();
    for _ in 0..CONSOLES {
        // a console: its copy of the open requests, changed as each event is read
        let mut stream = connect(dir.path(), &Launch::Never).expect("connect");
        let welcome = handshake(&mut stream, Mode::Attach)
            .expect("attach")
            .expect("welcome");
        let policy = welcome.policy.deadlines;
        let applied_tx = applied_tx.clone();
        std::thread::spawn(move || {
            let mut open = OpenRequests::new(welcome.open, &policy);
            while let Ok(message) = read_server_msg(&mut stream) {
                if let ServerMsg::Event {
                    event: Event::RequestChanged { request, .. },
                } = message
                {
                    let id = request.id;
                    open.upsert(request, &policy);
                    if applied_tx.send((id, Instant::now())).is_err() {
                        return;
                    }
                }
            }
        });
    }
    let mut commander = Client::connect(dir.path(), &Launch::Never).expect("commander");
    let counter = AtomicU64::new(0);

    let mut group = c.benchmark_group("fan_out_20_consoles");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("ping_round_trip", |b| {
        b.iter_custom(|iters| {
            recorder.measure("ping_round_trip", iters, || {
                commander.ping().expect("ping");
            })
        })
    });
    group.bench_function("ack_to_20th_console_applied", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let Reply::Logged { request } = commander.call(next_call(&counter)).expect("log")
                else {
                    panic!("not logged")
                };
                let acked = Instant::now();
                let mut last = acked;
                let mut seen = 0;
                while seen < CONSOLES {
                    let (id, at) = applied.recv().expect("applied");
                    if id == request.id {
                        seen += 1;
                        last = last.max(at);
                    }
                }
                total += last.saturating_duration_since(acked);
            }
            recorder.record("ack_to_20th_console_applied", total, iters);
            total
        })
    });
    group.finish();
}

/// Acknowledged commands per second with `writers` clients writing as fast as they can.
/// Which durable command the writers send.
#[derive(Debug, Clone, Copy)]
enum Write {
    /// A whole call: form check, request, audit event, intake key (six trees).
    LogCall,
    /// A console keeping its draft (one tree), the write every open form makes each second.
    SaveDraft,
}

fn throughput(dir: &Path, writers: usize, run_for: Duration, kind: Write) -> f64 {
    let counter = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..writers)
        .map(|_| {
            let dir = dir.to_path_buf();
            let (counter, done, acked) = (counter.clone(), done.clone(), acked.clone());
            std::thread::spawn(move || {
                let mut client = Client::connect(&dir, &Launch::Never).expect("writer");
                while !done.load(Ordering::SeqCst) {
                    let command = match kind {
                        Write::LogCall => next_call(&counter),
                        Write::SaveDraft => Command::SaveDraft {
                            draft: draft(Timestamp(counter.fetch_add(1, Ordering::SeqCst) as i64)),
                        },
                    };
                    client.call(command).expect("write");
                    acked.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(run_for);
    done.store(true, Ordering::SeqCst);
    let elapsed = started.elapsed();
    for thread in threads {
        thread.join().expect("writer");
    }
    acked.load(Ordering::SeqCst) as f64 / elapsed.as_secs_f64()
}

/// Acknowledged commands per second with one writer, then eight, each on a fresh server;
/// prints how many commands each flush served.
fn one_and_eight_writers(kind: Write) -> (f64, f64) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let run_for = Duration::from_secs(4);
    let mut rates = Vec::new();
    for writers in [1, 8] {
        let dir = tempfile::tempdir_in(&base).expect("temp dir");
        let server = serve(dir.path());
        rates.push(throughput(dir.path(), writers, run_for, kind));
        server.stop();
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        for line in log.lines().filter(|line| line.contains("сбросов")) {
            println!("  {kind:?}, {writers} writer(s): {line}");
        }
    }
    (rates[0], rates[1])
}

fn attach_time(c: &mut Criterion, recorder: &Recorder, name: &'static str, dir: &Path) {
    let server = serve(dir);
    let mut group = c.benchmark_group("attach");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(6));
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            recorder.measure(name, iters, || {
                let console = attach(dir, &Launch::Never, None).expect("attach");
                assert!(console.welcome.open.len() >= 1_000);
            })
        })
    });
    group.finish();
    server.stop();
}

/// Peak memory of the real `pult server` on `dir` after one console attached, in MiB.
fn server_peak_memory(dir: &Path) -> Option<f64> {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pult"))
        .arg("server")
        .arg("--data")
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let console = loop {
        if let Ok(console) = attach(dir, &Launch::Never, None) {
            break console;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::yield_now();
    };
    drop(console);
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok();
    // SAFETY: kill has no memory preconditions; the pid is our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    status?
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

fn main() {
    if std::env::var("PULT_BENCH_ONLY").as_deref() == Ok("throughput") {
        // for profiling: just the writers
        for kind in [Write::LogCall, Write::SaveDraft] {
            let (one, eight) = one_and_eight_writers(kind);
            println!(
                "{kind:?}: 1 writer {one:.0}/s, 8 writers {eight:.0}/s = {:.2}×",
                eight / one
            );
        }
        return;
    }
    let recorder = Recorder::default();
    let mut c = Criterion::default().configure_from_args();
    fan_out(&mut c, &recorder);
    if std::env::var("PULT_BENCH_ONLY").as_deref() == Ok("fan_out") {
        println!(
            "ack → 20th console applied {:.3} ms, ping {:.3} ms = {:.2}×",
            recorder.median("ack_to_20th_console_applied") / 1e6,
            recorder.median("ping_round_trip") / 1e6,
            recorder.median("ack_to_20th_console_applied") / recorder.median("ping_round_trip")
        );
        return;
    }

    let (one, eight) = one_and_eight_writers(Write::LogCall);
    let (draft_one, draft_eight) = one_and_eight_writers(Write::SaveDraft);

    let big = big_store();
    let small = store_with("store-1k-open", 1_000, 1_000);
    attach_time(&mut c, &recorder, "attach_1k_stored", &small);
    attach_time(&mut c, &recorder, "attach_1m_stored", &big);
    c.final_summary();
    let memory = server_peak_memory(&big);

    let ms = |name: &str| recorder.median(name) / 1e6;
    let ratio = |a: &str, b: &str| recorder.median(a) / recorder.median(b);
    println!();
    println!("pult server figures (medians, this machine, one run)");
    println!(
        "  ping round trip, one console             {:>9.3} ms",
        ms("ping_round_trip")
    );
    println!(
        "  ack → 20th console applied the event     {:>9.3} ms  = {:.2}× ping (goal < 3×)",
        ms("ack_to_20th_console_applied"),
        ratio("ack_to_20th_console_applied", "ping_round_trip")
    );
    println!("  logged calls/s acknowledged, 1 writer    {one:>9.0}");
    println!(
        "  logged calls/s acknowledged, 8 writers   {eight:>9.0}  = {:.2}× (goal ≥ 3×)",
        eight / one
    );
    println!("  drafts kept/s acknowledged, 1 writer     {draft_one:>9.0}");
    println!(
        "  drafts kept/s acknowledged, 8 writers    {draft_eight:>9.0}  = {:.2}× (goal ≥ 3×)",
        draft_eight / draft_one
    );
    println!(
        "  attach, 1,000 stored (1,000 open)        {:>9.3} ms",
        ms("attach_1k_stored")
    );
    println!(
        "  attach, 1,000,000 stored (1,000 open)    {:>9.3} ms  = {:.2}× (goal < 1.5×)",
        ms("attach_1m_stored"),
        ratio("attach_1m_stored", "attach_1k_stored")
    );
    match memory {
        Some(mib) => println!("  server peak memory, 1,000,000 stored     {mib:>9.1} MiB"),
        None => println!("  server peak memory: could not be measured"),
    }
}
