//! The website door's targets, each a ratio measured in one run (figures in the README):
//!
//! 1. submissions per second through the whole path (HTTP → `pult web` → server → on the
//!    disk) with 32 concurrent HTTP clients on keep-alive connections, against 32 protocol
//!    clients logging the same calls straight to the server (`Command::LogCall`);
//! 2. the 99th-percentile latency of a web submission against a protocol client's;
//! 3. a bare axum handler answering a page of the form's size on loopback, 32 clients, for
//!    scale;
//! 4. the resident memory of the real `pult web` with 1,000 idle connections open to it.
//!
//! The HTTP client is a small HTTP/1.1 one over `std::net::TcpStream` (one keep-alive
//! connection per client thread); every client runs on the same two cores as the servers,
//! so what the client spends is taken from the door. It encodes the form's fixed pairs
//! once and makes each request in a buffer it keeps: `form_urlencoded`'s serializer, run
//! for every post, cost the clients 5 µs a submission of their 26 (`perf`, 2026-12-03).
//! `PULT_BENCH_ONLY=submissions` runs 1 and 2 alone, with what each side's request cost in
//! CPU (the server's service thread apart) and how many of the cores each side kept busy;
//! `PULT_BENCH_ROUNDS=1` also prints each round's two rates and CPU figures.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use pult::domain::call_form::CallDraft;
use pult::domain::request::{CallerRole, Category, Channel};
use pult::domain::time::{Clock, ManualClock, SystemClock, Timestamp};
use pult::net::client::{Client, Launch};
use pult::net::server::{start, ServerHandle};
use pult::os::current_os_user;
use pult::service::{Command, Reply};
use pult::web::limits::Rate;
use pult::web::WebConfig;

/// Concurrent clients on each side.
const CLIENTS: usize = 32;
/// Rounds, the two sides in turn, each as often first as second (so a load beside the
/// benchmark that comes and goes, or a sync the other side left, falls on both), and
/// measured submissions per client in each: 40,960 per side in all, about 3 s of each side.
/// (Until 2026-12-02, 4 × 16: 0.2 s a side, so whether one of sled's 2 s checkpoints fell
/// in a side's time moved the ratio by a tenth.)
const ROUNDS: usize = 8;
const PER_ROUND: usize = 160;
/// Submissions per client before the measured ones of each round (not counted).
const WARM: usize = 1;
/// Requests per client to the bare axum handler.
const BARE_PER_CLIENT: usize = 500;
/// Idle connections held open to the real `pult web`.
const IDLE: usize = 1_000;

const NAME: &str = "Петрова Анна";
const CLASS: &str = "5А";
const PHONE: &str = "+7 912 345-67-89";
const DESCRIPTION: &str = "Не открывается электронный дневник: после ввода пароля снова \
    появляется страница входа, в другом браузере то же самое. Ребёнок не видит домашнее \
    задание на завтра по трём предметам, просим помочь сегодня.";

fn bench_dir() -> tempfile::TempDir {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&base).expect("bench dir");
    tempfile::tempdir_in(&base).expect("temp dir")
}

fn serve(dir: &Path) -> ServerHandle {
    let me = current_os_user().expect("os user");
    start(dir, Arc::new(SystemClock), &me).expect("server")
}

// ---------------------------------------------------------------------------------------
// A plain HTTP/1.1 client: one keep-alive connection, one request at a time.

struct Http {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
    /// The last request's buffer, for the next.
    request: Vec<u8>,
}

struct Response {
    status: u16,
    body: Vec<u8>,
}

impl Response {
    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 page")
    }
}

impl Http {
    fn connect(addr: SocketAddr) -> Http {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        Http {
            reader: BufReader::new(stream.try_clone().expect("clone")),
            writer: stream,
            host: addr.to_string(),
            request: Vec::with_capacity(2048),
        }
    }

    fn get(&mut self, path: &str) -> Response {
        let head = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.send(head.into_bytes())
    }

    /// Posts a form body of `token=…` and then `rest` (the pairs after it, encoded already):
    /// the request is made in one buffer kept from post to post, as a browser's stack
    /// would, so the client's own work weighs little in the door's figure.
    fn post_form(&mut self, path: &str, token: &str, rest: &str) -> Response {
        let mut request = std::mem::take(&mut self.request);
        request.clear();
        let length = "token=".len() + token.len() + rest.len();
        write!(
            request,
            "POST {path} HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n\
             token={token}{rest}",
            self.host,
        )
        .expect("a request in memory");
        self.writer.write_all(&request).expect("send");
        self.request = request;
        self.read_response()
    }

    fn send(&mut self, request: Vec<u8>) -> Response {
        self.writer.write_all(&request).expect("send");
        self.read_response()
    }

    /// The next line of the response into `line` (its end included), as ASCII.
    fn line<'a>(&mut self, line: &'a mut Vec<u8>) -> &'a str {
        line.clear();
        self.reader.read_until(b'\n', line).expect("read");
        assert!(line.ends_with(b"\n"), "the connection ended mid-response");
        std::str::from_utf8(line).expect("ascii head")
    }

    fn read_response(&mut self) -> Response {
        let mut line = Vec::with_capacity(256);
        let status_line = self.line(&mut line);
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
        let mut length = None;
        let mut chunked = false;
        loop {
            let header = self.line(&mut line).trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').expect("a header");
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().expect("length"));
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                assert!(
                    !value.eq_ignore_ascii_case("close"),
                    "the server closed a keep-alive connection"
                );
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let size = self.line(&mut line).trim_end();
                let size = size.split(';').next().unwrap_or("0");
                let size = usize::from_str_radix(size, 16).expect("chunk size");
                if size == 0 {
                    while !self.line(&mut line).trim_end().is_empty() {}
                    break;
                }
                let at = body.len();
                body.resize(at + size, 0);
                self.reader.read_exact(&mut body[at..]).expect("chunk");
                self.line(&mut line);
            }
        } else {
            body.resize(length.expect("a length or chunks"), 0);
            self.reader.read_exact(&mut body).expect("body");
        }
        Response { status, body }
    }
}

// ---------------------------------------------------------------------------------------
// Clients: each a thread with its own connection, all starting together.

struct Run<T> {
    /// From the moment all clients were ready to the last one's last measured answer.
    elapsed: Duration,
    /// How long the clients took to get ready (connect, and for the web fetch their forms).
    setup: Duration,
    latencies: Vec<Duration>,
    /// CPU time in the measured part: the client threads' own, and the other threads'
    /// of this process by name (the server's, the door's).
    cpu: Cpu,
    states: Vec<T>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Cpu {
    clients: Duration,
    door: Duration,
    /// The server's, its service thread's included.
    server: Duration,
    service: Duration,
}

const CLIENT_THREAD: &str = "bench-client";

/// Time on CPU of one thread of this process (`/proc/.../schedstat`, nanoseconds).
fn cpu_of(task: &Path) -> Option<Duration> {
    let text = std::fs::read_to_string(task.join("schedstat")).ok()?;
    let ns = text.split_whitespace().next()?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(ns))
}

fn own_cpu() -> Duration {
    cpu_of(Path::new("/proc/thread-self")).unwrap_or_default()
}

/// Whose a thread of the servers' is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Door,
    /// The server's one thread that applies every command in turn.
    Service,
    Server,
}

/// Each thread of this process but the clients and the main one: its id, whose it is, its
/// time on CPU.
fn threads_cpu() -> Vec<(String, Part, Duration)> {
    let main = std::fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            if comm == main || comm.trim() == CLIENT_THREAD {
                return None;
            }
            let part = if comm.starts_with("pult-web") {
                Part::Door
            } else if comm.trim() == "pult-service" {
                Part::Service
            } else {
                Part::Server
            };
            Some((
                task.file_name().to_string_lossy().into_owned(),
                part,
                cpu_of(&task.path())?,
            ))
        })
        .collect()
}

/// The door's and the server's CPU between two `threads_cpu`.
fn cpu_between(before: &[(String, Part, Duration)], after: &[(String, Part, Duration)]) -> Cpu {
    let mut cpu = Cpu::default();
    for (tid, part, now) in after {
        let then = before
            .iter()
            .find(|(id, _, _)| id == tid)
            .map_or(Duration::ZERO, |(_, _, then)| *then);
        let spent = now.saturating_sub(then);
        match part {
            Part::Door => cpu.door += spent,
            Part::Service => {
                cpu.service += spent;
                cpu.server += spent;
            }
            Part::Server => cpu.server += spent,
        }
    }
    cpu
}

/// `clients` threads: each makes its state with `setup`, then (after `between` has run on
/// this thread) calls `step` `warm` times unmeasured and `per` times measured.
fn run_clients<T: Send>(
    clients: usize,
    warm: usize,
    per: usize,
    setup: impl Fn() -> T + Sync,
    between: impl FnOnce(),
    step: impl Fn(&mut T, usize) + Sync,
) -> Run<T> {
    let ready = Barrier::new(clients + 1);
    let go = Barrier::new(clients + 1);
    let warmed = Barrier::new(clients + 1);
    let measure = Barrier::new(clients + 1);
    std::thread::scope(|scope| {
        let began = Instant::now();
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let (setup, step) = (&setup, &step);
                let (ready, go, warmed, measure) = (&ready, &go, &warmed, &measure);
                let client = std::thread::Builder::new().name(CLIENT_THREAD.into());
                client
                    .spawn_scoped(scope, move || {
                        let mut state = setup();
                        ready.wait();
                        go.wait();
                        for k in 0..warm {
                            step(&mut state, k);
                        }
                        warmed.wait();
                        measure.wait();
                        let cpu = own_cpu();
                        let mut latencies = Vec::with_capacity(per);
                        for k in warm..warm + per {
                            let sent = Instant::now();
                            step(&mut state, k);
                            latencies.push(sent.elapsed());
                        }
                        let ended = Instant::now();
                        (state, latencies, ended, own_cpu().saturating_sub(cpu))
                    })
                    .expect("client thread")
            })
            .collect();
        ready.wait();
        let setup = began.elapsed();
        between();
        go.wait();
        warmed.wait();
        let before = threads_cpu();
        let started = Instant::now();
        measure.wait();
        let mut run = Run {
            elapsed: Duration::ZERO,
            setup,
            latencies: Vec::with_capacity(clients * per),
            cpu: Cpu::default(),
            states: Vec::with_capacity(clients),
        };
        let mut clients_cpu = Duration::ZERO;
        for handle in handles {
            let (state, latencies, ended, cpu) = handle.join().expect("client");
            run.elapsed = run.elapsed.max(ended.saturating_duration_since(started));
            run.latencies.extend(latencies);
            run.states.push(state);
            clients_cpu += cpu;
        }
        run.cpu = cpu_between(&before, &threads_cpu());
        run.cpu.clients = clients_cpu;
        run
    })
}

impl<T> Run<T> {
    /// The figures alone: the clients' connections closed.
    fn without_states(self) -> Run<()> {
        Run {
            elapsed: self.elapsed,
            setup: self.setup,
            latencies: self.latencies,
            cpu: self.cpu,
            states: Vec::new(),
        }
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU per measured request, in microseconds: clients, door, server, the server's
    /// service thread.
    fn cpu_each(&self) -> (f64, f64, f64, f64) {
        let each = |spent: Duration| spent.as_secs_f64() * 1e6 / self.latencies.len() as f64;
        (
            each(self.cpu.clients),
            each(self.cpu.door),
            each(self.cpu.server),
            each(self.cpu.service),
        )
    }

    /// How many cores the threads kept busy on average over the run. The other side's
    /// server, idle meanwhile, counts too: its sled thread and what it writes out.
    fn cores_used(&self) -> f64 {
        let spent = self.cpu.clients + self.cpu.door + self.cpu.server;
        spent.as_secs_f64() / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

// ---------------------------------------------------------------------------------------
// 1 and 2: the whole path against protocol clients.

/// The same call as the website's form sends, answered at its own instant.
fn call_draft(answered_at: Timestamp) -> CallDraft {
    CallDraft {
        answered_at: Some(answered_at),
        name: NAME.into(),
        role: Some(CallerRole::Parent),
        class: CLASS.into(),
        category: Some(Category::Ejournal),
        description: DESCRIPTION.into(),
        phone: PHONE.into(),
        email: String::new(),
        caller_card: None,
        acknowledge: false,
    }
}

/// 32 protocol clients logging calls straight to a server of their own fresh store.
struct ProtocolSide {
    dir: tempfile::TempDir,
    server: ServerHandle,
    counter: AtomicI64,
    base: i64,
}

impl ProtocolSide {
    fn new() -> ProtocolSide {
        let dir = bench_dir();
        let server = serve(dir.path());
        ProtocolSide {
            dir,
            server,
            counter: AtomicI64::new(0),
            // unique answered-at instants, so every logged call is a new call
            base: SystemClock.now().0 - 3_600_000,
        }
    }

    /// One round: each client connects, logs `WARM` calls unmeasured, then `per` measured.
    fn round(&self, per: usize) -> Run<()> {
        run_clients(
            CLIENTS,
            WARM,
            per,
            || Client::connect(self.dir.path(), &Launch::Never).expect("client"),
            || {},
            |client: &mut Client, _| {
                let n = self.counter.fetch_add(1, Ordering::SeqCst);
                let command = Command::LogCall {
                    draft: call_draft(Timestamp(self.base - n)),
                    channel: Channel::Phone,
                };
                match client.call(command).expect("log") {
                    Reply::Logged { .. } => {}
                    other => panic!("not logged: {other:?}"),
                }
            },
        )
        .without_states()
    }

    fn stop(self) {
        self.server.stop();
    }
}

fn token_of(page: &str) -> String {
    let marker = "name=\"token\" value=\"";
    let at = page.find(marker).expect("the form's token") + marker.len();
    page[at..]
        .split('"')
        .next()
        .expect("token's end")
        .to_string()
}

/// The form's pairs after its token, encoded, with the `&` before them: the same for every
/// form a client sends.
fn form_rest() -> String {
    let mut rest = String::with_capacity(2048);
    rest.push('&');
    form_urlencoded::Serializer::for_suffix(rest, 1)
        .append_pair("name", NAME)
        .append_pair("role", "parent")
        .append_pair("class", CLASS)
        .append_pair("category", "ejournal")
        .append_pair("description", DESCRIPTION)
        .append_pair("phone", PHONE)
        .append_pair("consent", "yes")
        .finish()
}

/// A token as a form's value (the door's tokens need no escaping; this keeps a changed
/// alphabet from breaking the benchmark quietly).
fn form_value(token: &str) -> String {
    form_urlencoded::byte_serialize(token.as_bytes()).collect()
}

struct WebClient {
    http: Http,
    /// Each form's token, as a form's value.
    tokens: Vec<String>,
    /// The pairs after the token.
    rest: String,
    receipts: Vec<u64>,
    page_size: usize,
}

/// 32 HTTP clients posting the form to `pult web` (in this process, on an injectable clock),
/// a client of a server of its own fresh store.
struct WebSide {
    _dir: tempfile::TempDir,
    server: ServerHandle,
    web: pult::web::WebHandle,
    clock: ManualClock,
    receipts: Mutex<HashSet<u64>>,
    page_size: AtomicUsize,
}

impl WebSide {
    fn new() -> WebSide {
        let dir = bench_dir();
        let server = serve(dir.path());
        let clock = ManualClock::new(SystemClock.now());
        let mut config = WebConfig::new("127.0.0.1:0".parse().expect("address"), dir.path());
        config.per_address = Rate::per_minutes(1_000_000, 1);
        config.total = Rate::per_minutes(1_000_000, 1);
        let web = pult::web::start(config, Arc::new(clock.clone()), false).expect("web");
        WebSide {
            _dir: dir,
            server,
            web,
            clock,
            receipts: Mutex::new(HashSet::new()),
            page_size: AtomicUsize::new(0),
        }
    }

    /// One round: each client opens a keep-alive connection and fetches its forms (a token
    /// each, unmeasured); the door's clock is moved past the fill time; then each posts
    /// `WARM` forms unmeasured and `per` measured.
    fn round(&self, per: usize) -> Run<()> {
        let addr = self.web.addr;
        let run = run_clients(
            CLIENTS,
            WARM,
            per,
            || {
                let mut http = Http::connect(addr);
                let mut page_size = 0;
                let tokens = (0..WARM + per)
                    .map(|_| {
                        let page = http.get("/");
                        // the door's clock moves as a real one does: forms are given out
                        // over time, not all in one instant (their keys, which the server
                        // looks up, begin with it)
                        self.clock.advance_millis(1);
                        assert_eq!(page.status, 200, "{}", page.text());
                        page_size = page.body.len();
                        form_value(&token_of(page.text()))
                    })
                    .collect();
                WebClient {
                    http,
                    tokens,
                    rest: form_rest(),
                    receipts: Vec::with_capacity(WARM + per),
                    page_size,
                }
            },
            // no person fills the form in under 3 s: the door's clock says they took 3.1 s
            || self.clock.advance_millis(3_100),
            |client: &mut WebClient, k| {
                let answer = client.http.post_form("/", &client.tokens[k], &client.rest);
                // the page is looked at as bytes: its receipt's words and number
                let accepted = memchr::memmem::find(&answer.body, "принято".as_bytes());
                assert!(
                    answer.status == 200 && accepted.is_some(),
                    "not accepted ({}): {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                let marker = b"/status?number=";
                let at = memchr::memmem::find(&answer.body, marker).expect("the receipt's number")
                    + marker.len();
                let digits = answer.body[at..]
                    .iter()
                    .take_while(|byte| byte.is_ascii_digit())
                    .count();
                let number = std::str::from_utf8(&answer.body[at..at + digits]).expect("digits");
                client.receipts.push(number.parse().expect("a number"));
            },
        );
        if let Ok(mut receipts) = self.receipts.lock() {
            receipts.extend(run.states.iter().flat_map(|c| c.receipts.iter().copied()));
        }
        self.page_size
            .store(run.states[0].page_size, Ordering::SeqCst);
        run.without_states()
    }

    /// Stops both; says how many distinct requests the posts made, and the form's size.
    fn stop(self) -> (usize, usize) {
        let made = self.receipts.lock().map(|r| r.len()).unwrap_or(0);
        let page_size = self.page_size.load(Ordering::SeqCst);
        self.web.stop();
        self.server.stop();
        (made, page_size)
    }
}

/// The rounds of one side as one run: their measured times and requests added up.
fn merged(runs: Vec<Run<()>>) -> Run<()> {
    let mut all = Run {
        elapsed: Duration::ZERO,
        setup: Duration::ZERO,
        latencies: Vec::new(),
        cpu: Cpu::default(),
        states: Vec::new(),
    };
    for run in runs {
        all.elapsed += run.elapsed;
        all.setup += run.setup;
        all.latencies.extend(run.latencies);
        all.cpu.clients += run.cpu.clients;
        all.cpu.door += run.cpu.door;
        all.cpu.server += run.cpu.server;
        all.cpu.service += run.cpu.service;
    }
    all
}

// ---------------------------------------------------------------------------------------
// 3: a bare axum handler, for scale.

fn bare_axum(page_size: usize) -> Run<()> {
    let page: &'static str = Box::leak(
        format!(
            "<!DOCTYPE html><html><body>{}</body></html>",
            "x".repeat(page_size.saturating_sub(41))
        )
        .into_boxed_str(),
    );
    assert_eq!(page.len(), page_size.max(41));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(page) }),
    );
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let run = run_clients(
        CLIENTS,
        WARM,
        BARE_PER_CLIENT,
        || Http::connect(addr),
        || {},
        |http: &mut Http, _| {
            let answer = http.get("/");
            assert_eq!(answer.status, 200);
            assert_eq!(answer.body.len(), page.len());
        },
    )
    .without_states();
    runtime.shutdown_timeout(Duration::from_secs(1));
    run
}

// ---------------------------------------------------------------------------------------
// 4: the real `pult web` holding 1,000 idle connections.

/// VmRSS and VmHWM of `pid`, in MiB.
fn memory_of(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn sockets_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| {
                    std::fs::read_link(entry.path())
                        .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

struct Idle {
    before: (f64, f64),
    after: (f64, f64),
    sockets_before: usize,
    sockets_after: usize,
    /// From the first connection opened to the last.
    opening: Duration,
    /// From the first connection opened to the memory read.
    held_for: Duration,
}

fn idle_connections() -> Idle {
    pult::os::raise_descriptor_limit();
    let dir = bench_dir();
    let server = serve(dir.path());
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_pult"));
    let mut child = std::process::Command::new(&binary)
        .args(["--lang", "ru", "web", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("pult web");
    let pid = child.id();
    // its first line names the address; the pipe stays open until the end
    let mut said = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    said.read_line(&mut line).expect("pult web's address");
    let addr: SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    // a few pages, so the door to the server is open and the pages drawn once
    {
        let mut http = Http::connect(addr);
        for _ in 0..5 {
            assert_eq!(http.get("/").status, 200);
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let before = memory_of(pid);
    let sockets_before = sockets_of(pid);
    let opened = Instant::now();
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).expect("idle connection");
            // half a request: the connection waits in its headers
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .expect("half a request");
            stream
        })
        .collect();
    let opening = opened.elapsed();
    // let the door accept and read them all
    std::thread::sleep(Duration::from_secs(1));
    let after = memory_of(pid);
    let sockets_after = sockets_of(pid);
    let held_for = opened.elapsed();
    if held_for >= pult::web::HEADER_TIMEOUT {
        eprintln!(
            "note: the memory was read {held_for:?} after the first idle connection, past the \
             door's header timeout: some may have been closed (see the socket count)"
        );
    }
    // still answering beside them
    assert_eq!(Http::connect(addr).get("/").status, 200);
    drop(idle);
    // SAFETY: kill has no memory preconditions; the pid is our child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let _ = child.wait();
    drop(said);
    server.stop();
    Idle {
        before,
        after,
        sockets_before,
        sockets_after,
        opening,
        held_for,
    }
}

/// The form's own check (names, class, the phone parsed by libphonenumber…), which the server
/// runs on every submission (the door again only on a form refused): microseconds.
fn form_check_cost() -> f64 {
    let draft = call_draft(SystemClock.now());
    let rounds = 5_000;
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(std::hint::black_box(&draft).check().is_ok());
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
}

fn main() {
    pult::lang::set(pult::lang::Lang::Ru);
    eprintln!(
        "{ROUNDS} rounds, each of {CLIENTS} protocol clients × {PER_ROUND} calls and \
         {CLIENTS} HTTP clients × {PER_ROUND} submissions…"
    );
    let protocol_side = ProtocolSide::new();
    let web_side = WebSide::new();
    let mut protocol_rounds = Vec::new();
    let mut web_rounds = Vec::new();
    // ABBA: each side as often first as second
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            protocol_rounds.push(protocol_side.round(PER_ROUND));
            web_rounds.push(web_side.round(PER_ROUND));
        } else {
            web_rounds.push(web_side.round(PER_ROUND));
            protocol_rounds.push(protocol_side.round(PER_ROUND));
        }
    }
    protocol_side.stop();
    let (made, page_size) = web_side.stop();
    assert_eq!(
        made,
        ROUNDS * CLIENTS * (WARM + PER_ROUND),
        "every submission a request of its own"
    );
    if std::env::var_os("PULT_BENCH_ROUNDS").is_some() {
        for (p, w) in protocol_rounds.iter().zip(&web_rounds) {
            eprintln!(
                "round: protocol {:.0}/s, web {:.0}/s = {:.2}×; µs a request (clients, door, \
                 server, service thread): protocol {:.0?}, web {:.0?}",
                p.rate(),
                w.rate(),
                w.rate() / p.rate(),
                p.cpu_each(),
                w.cpu_each()
            );
        }
    }
    let protocol = merged(protocol_rounds);
    let web = merged(web_rounds);
    if std::env::var("PULT_BENCH_ONLY").as_deref() == Ok("submissions") {
        print_submissions(&protocol, &web);
        return;
    }
    eprintln!("bare axum: {CLIENTS} × {BARE_PER_CLIENT} pages of {page_size} bytes…");
    let bare = bare_axum(page_size);
    eprintln!(
        "pult web ({}) with {IDLE} idle connections…",
        env!("CARGO_BIN_EXE_pult")
    );
    let idle = idle_connections();
    let check = form_check_cost();

    let forms = (ROUNDS * CLIENTS * (WARM + PER_ROUND)) as f64;
    let web_p99 = web.percentile(0.99);
    let protocol_p99 = protocol.percentile(0.99);
    print_submissions(&protocol, &web);
    println!("  the form's check alone (the server's; the door checks again only a form refused): {check:.0} µs");
    println!(
        "  form pages (GET /) served by pult web, {CLIENTS} clients {:>9.0}/s (fetching the tokens: {forms:.0} pages in {:.2} s)",
        forms / web.setup.as_secs_f64(),
        web.setup.as_secs_f64()
    );
    println!(
        "  bare axum, a {page_size}-byte page, {CLIENTS} clients        {:>9.0}/s   ({:.2} s; p99 {:.2} ms)  (for scale)",
        bare.rate(),
        bare.elapsed.as_secs_f64(),
        ms(bare.percentile(0.99))
    );
    println!(
        "  pult web resident, idle                            {:>9.1} MiB (VmHWM {:.1} MiB, {} sockets)",
        idle.before.0, idle.before.1, idle.sockets_before
    );
    println!(
        "  pult web resident, {IDLE} idle connections          {:>9.1} MiB (VmHWM {:.1} MiB, {} sockets; opened in {:.1} s, read {:.1} s after the first)  (goal < 50 MB)",
        idle.after.0,
        idle.after.1,
        idle.sockets_after,
        idle.opening.as_secs_f64(),
        idle.held_for.as_secs_f64()
    );
    println!();
    println!("| figure | result | goal |");
    println!("|---|---|---|");
    println!(
        "| web submissions/s against protocol calls/s, {CLIENTS} clients | {:.0}/s vs {:.0}/s = {:.2}× | ≥ 0.8× |",
        web.rate(),
        protocol.rate(),
        web.rate() / protocol.rate()
    );
    println!(
        "| p99 latency, web against protocol | {:.2} ms vs {:.2} ms = {:.2}× | ≤ 2× |",
        ms(web_p99),
        ms(protocol_p99),
        web_p99.as_secs_f64() / protocol_p99.as_secs_f64()
    );
    println!(
        "| bare axum, {page_size}-byte page, {CLIENTS} clients | {:.0} req/s | — |",
        bare.rate()
    );
    println!(
        "| pult web RSS with {IDLE} idle connections | {:.1} MiB (idle {:.1} MiB) | < 50 MB |",
        idle.after.0, idle.before.0
    );
}

/// Figures 1 and 2, and what each side's request cost in CPU.
fn print_submissions(protocol: &Run<()>, web: &Run<()>) {
    let total = ROUNDS * CLIENTS * PER_ROUND;
    let web_p99 = web.percentile(0.99);
    let protocol_p99 = protocol.percentile(0.99);
    println!();
    println!(
        "pult web figures (this machine, one run; {CLIENTS} clients a side, {total} measured \
         submissions a side in {ROUNDS} alternating rounds)"
    );
    println!(
        "  calls logged/s, {CLIENTS} protocol clients (LogCall)    {:>9.0}   ({:.2} s)",
        protocol.rate(),
        protocol.elapsed.as_secs_f64()
    );
    println!(
        "  web submissions/s, {CLIENTS} HTTP clients (POST /)      {:>9.0}   ({:.2} s)  = {:.2}× (goal ≥ 0.8×)",
        web.rate(),
        web.elapsed.as_secs_f64(),
        web.rate() / protocol.rate()
    );
    println!(
        "  p50 latency: protocol {:.2} ms, web {:.2} ms",
        ms(protocol.percentile(0.5)),
        ms(web.percentile(0.5))
    );
    println!(
        "  p99 latency, protocol call                         {:>9.2} ms",
        ms(protocol_p99)
    );
    println!(
        "  p99 latency, web submission                        {:>9.2} ms  = {:.2}× (goal ≤ 2×)",
        ms(web_p99),
        web_p99.as_secs_f64() / protocol_p99.as_secs_f64()
    );
    let (web_clients, web_door, web_server, web_service) = web.cpu_each();
    let (protocol_clients, _, protocol_server, protocol_service) = protocol.cpu_each();
    println!(
        "  CPU per submission: server {web_server:.0} µs (its service thread {web_service:.0}) + door {web_door:.0} µs + HTTP clients {web_clients:.0} µs, {:.2} cores busy; \
         per protocol call: server {protocol_server:.0} µs (its service thread {protocol_service:.0}) + clients {protocol_clients:.0} µs, {:.2} cores busy",
        web.cores_used(),
        protocol.cores_used()
    );
}
