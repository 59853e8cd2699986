//! The mail targets, each a ratio measured in one run (figures in the README):
//!
//! 1. closing a request with the result by email (the message queued in the same
//!    transaction, then sent by the server's sender to a local SMTP server) against closing
//!    one by phone: the acknowledged round trip of one client, alternating rounds;
//! 2. delivering 1,000 queued messages to the local SMTP server (a `pult server` started on
//!    a store whose outbox holds them, until the 1,000th is in the SMTP server's Maildir)
//!    against a bare lettre loop sending the same 1,000 messages over one connection.
//!
//! The SMTP server is Debian's aiosmtpd (`python3-aiosmtpd`) on loopback, with the tests'
//! handler; without it the benchmark says so and stops.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::{SmtpTransport, Transport};

use pult::domain::change::Change;
use pult::domain::request::{CallerRole, Category, Channel, Request, RequestId, ReturnChannel};
use pult::domain::staff::Role;
use pult::domain::time::{Clock, SystemClock, Timestamp};
use pult::net::client::{Client, Launch};
use pult::net::server::{start, ServerHandle};
use pult::os::current_os_user;
use pult::service::setup::open_service;
use pult::service::{Command, Reply};

/// Closes per round and kind; rounds alternate which kind goes first.
const CLOSES: usize = 200;
const ROUNDS: usize = 4;
/// Messages delivered by each side.
const MESSAGES: usize = 1_000;

const PYTHON: &str = "/usr/bin/python3";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smtp");
const RESULT: &str = "Пароль от электронного журнала сброшен, новый пароль пришёл по СМС. \
    Если вход снова не удастся, позвоните, и мы проверим учётную запись ещё раз.";

fn bench_dir() -> tempfile::TempDir {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&base).expect("bench dir");
    tempfile::tempdir_in(&base).expect("temp dir")
}

/// aiosmtpd on a free loopback port, storing into `maildir`; killed on drop.
struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Smtp {
    fn start(maildir: PathBuf) -> Smtp {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Process::new(PYTHON)
            .env("PYTHONPATH", FIXTURES)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "pult_test_smtp.Refusing"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd never listened"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Smtp {
            child,
            port,
            maildir,
        }
    }

    fn stored(&self) -> usize {
        std::fs::read_dir(self.maildir.join("new")).map_or(0, |entries| entries.count())
    }

    /// Waits until `count` messages are stored; the instant the last one was seen.
    fn wait_for(&self, count: usize) -> Instant {
        let started = Instant::now();
        loop {
            if self.stored() >= count {
                return Instant::now();
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "{} of {count} messages arrived",
                self.stored()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mail_toml(dir: &Path, port: u16) {
    let text = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
         from = \"Служба сопровождения <support@school167.ru>\"\n"
    );
    std::fs::write(dir.join("mail.toml"), text).expect("mail.toml");
}

/// A store where the benchmark's OS user logs calls and works the e-journal queue.
fn desk(dir: &Path, port: u16) {
    mail_toml(dir, port);
    let me = current_os_user().expect("os user");
    let service = open_service(dir, Arc::new(SystemClock), &me).expect("service");
    let mut account = service.identify(&me.login).expect("my account");
    account.roles = vec![Role::Operator, Role::Ejournal, Role::Head, Role::Admin];
    service.seed().put_staff(&account).expect("roles");
    service.seed().flush().expect("flush");
}

fn serve(dir: &Path) -> ServerHandle {
    let me = current_os_user().expect("os user");
    start(dir, Arc::new(SystemClock), &me).expect("server")
}

fn call(client: &mut Client, command: Command) -> Request {
    match client.call(command) {
        Ok(Reply::Logged { request } | Reply::Changed { request }) => request,
        other => panic!("refused: {other:?}"),
    }
}

/// `count` requests with an email, in work in the e-journal queue.
fn in_work(client: &mut Client, count: usize, serial: &mut i64) -> Vec<RequestId> {
    (0..count)
        .map(|_| {
            *serial += 1;
            let draft = pult::domain::call_form::CallDraft {
                // distinct instants an hour ago: each call is a call of its own
                answered_at: Some(Timestamp(BASE.0 - *serial)),
                name: "Петрова Анна Ивановна".into(),
                role: Some(CallerRole::Parent),
                class: "5А".into(),
                category: Some(Category::Ejournal),
                description: "Не открывается электронный дневник после смены пароля.".into(),
                phone: "8 912 345-67-89".into(),
                email: "petrova@mail.ru".into(),
                caller_card: None,
                acknowledge: false,
            };
            let id = call(
                client,
                Command::LogCall {
                    draft,
                    channel: Channel::Phone,
                },
            )
            .id;
            let route = Change::Route {
                queue: "ejournal".into(),
            };
            call(client, Command::Change { id, change: route });
            call(
                client,
                Command::Change {
                    id,
                    change: Change::Take,
                },
            );
            id
        })
        .collect()
}

/// Before every call the benchmark logs.
static BASE: std::sync::LazyLock<Timestamp> =
    std::sync::LazyLock::new(|| Timestamp(SystemClock.now().0 - 3_600_000));

fn resolve(id: RequestId, returned_by: ReturnChannel) -> Command {
    Command::Change {
        id,
        change: Change::Resolve {
            text: RESULT.into(),
            returned_by,
            message: None,
        },
    }
}

/// Milliseconds of one acknowledged close.
fn close_one(client: &mut Client, id: RequestId, returned_by: ReturnChannel) -> f64 {
    let started = Instant::now();
    call(client, resolve(id, returned_by));
    started.elapsed().as_secs_f64() * 1e3
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

/// (by phone, by email): the median ms of one close, the two kinds taken in turn (so a
/// drift of the machine falls on both), each round alternating which goes first.
fn closing() -> (f64, f64) {
    let dir = bench_dir();
    let smtp = Smtp::start(dir.path().join("maildir"));
    desk(dir.path(), smtp.port);
    let _server = serve(dir.path());
    let mut client = Client::connect(dir.path(), &Launch::Never).expect("connect");
    let mut serial = 0;
    let (mut phone, mut email) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let by_phone = in_work(&mut client, CLOSES, &mut serial);
        let by_email = in_work(&mut client, CLOSES, &mut serial);
        for (one, other) in by_phone.into_iter().zip(by_email) {
            if round % 2 == 0 {
                phone.push(close_one(&mut client, one, ReturnChannel::Phone));
                email.push(close_one(&mut client, other, ReturnChannel::Email));
            } else {
                email.push(close_one(&mut client, other, ReturnChannel::Email));
                phone.push(close_one(&mut client, one, ReturnChannel::Phone));
            }
        }
    }
    smtp.wait_for(ROUNDS * CLOSES);
    (median(phone), median(email))
}

/// Seconds from starting `pult server` on a store with `MESSAGES` waiting until the SMTP
/// server holds them all, and the messages as they went out (for the bare loop).
fn pult_delivery() -> (f64, Vec<Vec<u8>>) {
    let dir = bench_dir();
    // queued while no SMTP server listens: every message waits in the outbox
    let nobody = TcpListener::bind("127.0.0.1:0").expect("port");
    let port = nobody.local_addr().expect("addr").port();
    drop(nobody);
    desk(dir.path(), port);
    {
        let _server = serve(dir.path());
        let mut client = Client::connect(dir.path(), &Launch::Never).expect("connect");
        let mut serial = 0;
        for id in in_work(&mut client, MESSAGES, &mut serial) {
            call(&mut client, resolve(id, ReturnChannel::Email));
        }
    }
    let smtp = Smtp::start(dir.path().join("maildir"));
    mail_toml(dir.path(), smtp.port);
    let started = Instant::now();
    let _server = serve(dir.path());
    let done = smtp.wait_for(MESSAGES);
    let seconds = done.duration_since(started).as_secs_f64();
    let sent = std::fs::read_dir(smtp.maildir.join("new"))
        .expect("maildir")
        .map(|entry| std::fs::read(entry.expect("entry").path()).expect("message"))
        .map(|stored| crlf(&stored))
        .collect();
    (seconds, sent)
}

/// The Maildir keeps lines ending in LF; SMTP carries them ending in CRLF.
fn crlf(stored: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stored.len() + stored.len() / 40);
    for (at, byte) in stored.iter().enumerate() {
        if *byte == b'\n' && (at == 0 || stored[at - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*byte);
    }
    out
}

/// Seconds for a bare lettre loop to hand `messages` (the bytes pult's messages arrived as)
/// to a fresh SMTP server, over one connection.
fn bare_delivery(messages: &[Vec<u8>]) -> f64 {
    let dir = bench_dir();
    let smtp = Smtp::start(dir.path().join("maildir"));
    let transport = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(smtp.port)
        .build();
    let envelope = Envelope::new(
        Some("support@school167.ru".parse().expect("from")),
        vec!["petrova@mail.ru".parse().expect("to")],
    )
    .expect("envelope");
    let started = Instant::now();
    for message in messages {
        transport.send_raw(&envelope, message).expect("sent");
    }
    let done = smtp.wait_for(messages.len());
    done.duration_since(started).as_secs_f64()
}

fn main() {
    let found = Process::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        println!(
            "no SMTP server: /usr/bin/python3 has no aiosmtpd (apt-get install python3-aiosmtpd)"
        );
        return;
    }
    // `cargo bench` passes --bench; nothing else is read
    let (phone, email) = closing();
    if std::env::var("PULT_BENCH_ONLY").as_deref() == Ok("closing") {
        println!(
            "close by phone {phone:.3} ms, by email {email:.3} ms = {:.2}×",
            email / phone
        );
        return;
    }
    let (pult_seconds, messages) = pult_delivery();
    let bare_seconds = bare_delivery(&messages);
    let per_second = |seconds: f64| MESSAGES as f64 / seconds;
    println!();
    println!("pult mail figures (medians, this machine, one run)");
    println!("  close by phone, acknowledged              {phone:>9.3} ms");
    println!(
        "  close by email (queued, sent alongside)   {email:>9.3} ms  = {:.2}× (goal ≤ 1.2×)",
        email / phone
    );
    println!(
        "  1,000 queued messages delivered by pult   {:>9.0} /s",
        per_second(pult_seconds)
    );
    println!(
        "  1,000 messages by a bare lettre loop      {:>9.0} /s",
        per_second(bare_seconds)
    );
    println!(
        "  pult's sender against the bare loop       {:>9.2}×     (goal ≥ 0.5×)",
        bare_seconds / pult_seconds
    );
}
