//! The answer reaches the caller (§3.2.3): a result closed "by email" goes through a real SMTP
//! server on loopback (aiosmtpd), read back with Python's own email parser; an SMTP server
//! that is down makes the message wait and arrive once; a 550 stops the retries and turns the
//! request into a call to make; `kill -9` of `pult server` between queueing and delivery loses
//! nothing; the settings refuse what would leak (a password readable by others, plain SMTP to
//! another machine).

mod common;

use std::path::Path;
use std::process::Command as Process;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pult::domain::audit::AuditAction;
use pult::domain::change::Change;
use pult::domain::mail::{MailKind, MailState, Outgoing};
use pult::domain::request::{Channel, Request, RequestId, ReturnChannel, Status};
use pult::domain::staff::Role;
use pult::domain::time::{ManualClock, Timestamp};
use pult::domain::website::website;
use pult::net::client::Client;
use pult::net::server::{start, ServerError, ServerHandle};
use pult::service::mail::MailSetup;
use pult::service::website::WebForm;
use pult::service::{Command, Reply};
use tempfile::TempDir;

use common::calls::{now_ms, valid_call};
use common::people::me;
use common::service::{connect, connect_when_up, open_as_me, set_my_roles, spawn_server};
use common::smtp::{available, free_port, write_mail_toml, SmtpServer};
use common::{POLL, PULT_BUILT, TIMEOUT};

/// Ends a test that needs a real SMTP server where there is none (saying why).
macro_rules! needs_smtp {
    () => {
        if let Err(why) = available() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

const RESULT: &str = "Пароль от электронного журнала сброшен, новый пришёл по СМС.";

/// A data directory with mail set up for the SMTP server on `port`, where the test's OS
/// user logs calls, works the e-journal queue and heads the service.
fn desk(port: u16, acknowledge: bool) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_mail_toml(dir.path(), port, acknowledge);
    let service = open_as_me(dir.path());
    set_my_roles(
        &service,
        &[Role::Operator, Role::Ejournal, Role::Head, Role::Admin],
    );
    dir
}

/// A desk whose server runs in this process on a clock the test moves, a client of it, and
/// the SMTP server on `port` (running from the start, or not yet).
struct Scene {
    dir: TempDir,
    port: u16,
    smtp: Option<SmtpServer>,
    clock: ManualClock,
    _server: ServerHandle,
    client: Client,
}

impl Scene {
    fn new(smtp_running: bool) -> Scene {
        Scene::with(smtp_running, false)
    }

    /// `acknowledge`: the school sends «обращение принято» (mail.toml's `acknowledge`).
    fn with(smtp_running: bool, acknowledge: bool) -> Scene {
        let port = free_port();
        let dir = desk(port, acknowledge);
        let smtp = smtp_running.then(|| SmtpServer::start(port, &dir.path().join("maildir")));
        let clock = ManualClock::new(Timestamp(now_ms()));
        let server = serve_at(dir.path(), &clock);
        let client = connect(dir.path());
        Scene {
            dir,
            port,
            smtp,
            clock,
            _server: server,
            client,
        }
    }
}

/// The server of `dir` in this process, on a clock the test moves.
fn serve_at(dir: &Path, clock: &ManualClock) -> ServerHandle {
    start(dir, Arc::new(clock.clone()), &me()).expect("server starts")
}

fn changed(client: &mut Client, id: RequestId, change: Change) -> Request {
    match client.call(Command::Change { id, change }) {
        Ok(Reply::Changed { request }) => request,
        other => panic!("not changed: {other:?}"),
    }
}

/// A call from `email` logged (asking for an acknowledgement or not).
fn logged(client: &mut Client, name: &str, email: &str, acknowledge: bool) -> Request {
    let mut draft = valid_call(name, pult::domain::request::Category::Ejournal, None);
    draft.email = email.into();
    draft.acknowledge = acknowledge;
    match client.call(Command::LogCall {
        draft,
        channel: Channel::Phone,
    }) {
        Ok(Reply::Logged { request }) => request,
        other => panic!("not logged: {other:?}"),
    }
}

/// A call from `email` logged, routed, taken and closed with the result by email.
fn closed_by_email(client: &mut Client, name: &str, email: &str) -> Request {
    let request = logged(client, name, email, false);
    close_by_email(client, request.id)
}

/// Request `id` routed, taken and closed with the result by email.
fn close_by_email(client: &mut Client, id: RequestId) -> Request {
    changed(
        client,
        id,
        Change::Route {
            queue: "ejournal".into(),
        },
    );
    changed(client, id, Change::Take);
    changed(
        client,
        id,
        Change::Resolve {
            text: RESULT.into(),
            returned_by: ReturnChannel::Email,
            message: None,
        },
    )
}

/// Request `id`, in work, closed with the result given by phone.
fn closed_by_phone(client: &mut Client, id: RequestId) -> Request {
    let change = Change::Resolve {
        text: RESULT.into(),
        returned_by: ReturnChannel::Phone,
        message: None,
    };
    changed(client, id, change)
}

fn outbox(client: &mut Client) -> Vec<Outgoing> {
    match client.call(Command::MailStatus) {
        Ok(Reply::Outbox { messages, set_up }) => {
            assert!(set_up);
            messages
        }
        other => panic!("no outbox: {other:?}"),
    }
}

/// The first message the outbox says was delivered, once it says so.
fn delivered(client: &mut Client) -> Outgoing {
    eventually("the outbox says delivered", || {
        outbox(client)
            .into_iter()
            .find(|message| matches!(message.state, MailState::Delivered { .. }))
    })
}

fn timeline(client: &mut Client, id: RequestId) -> Vec<AuditAction> {
    match client.call(Command::Timeline { id }) {
        Ok(Reply::History { events }) => events.into_iter().map(|event| event.action).collect(),
        other => panic!("no timeline: {other:?}"),
    }
}

/// Polls `probe` until it gives something, within `TIMEOUT`.
fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(started.elapsed() < TIMEOUT, "never: {what}");
        std::thread::sleep(POLL);
    }
}

fn request(client: &mut Client, id: RequestId) -> Request {
    match client.call(Command::ShowRequest { id }) {
        Ok(Reply::Request { request }) => request,
        other => panic!("no request: {other:?}"),
    }
}

#[test]
fn a_result_by_email_arrives_as_correct_threaded_utf8_mail() {
    needs_smtp!();
    let mut scene = Scene::new(true);
    let smtp = scene.smtp.take().expect("an SMTP server");
    let closed = closed_by_email(
        &mut scene.client,
        "Петрова Анна Ивановна",
        "petrova@mail.ru",
    );
    assert_eq!(closed.status, Status::Resolved);

    let messages = smtp.wait_for(1, TIMEOUT);
    assert_eq!(messages.len(), 1);
    let mail = &messages[0];
    let queued = delivered(&mut scene.client);
    let number = closed.id.0;
    assert_eq!(
        mail.header("Subject"),
        format!("Ответ по обращению №{number}")
    );
    assert_eq!(
        mail.header("From"),
        "Служба сопровождения <support@school167.ru>"
    );
    assert_eq!(mail.header("To"), "Петрова Анна Ивановна <petrova@mail.ru>");
    assert_eq!(mail.header("Reply-To"), "help@school167.ru");
    assert_eq!(
        mail.header("Message-ID"),
        format!("<{}>", queued.message_id)
    );
    let thread = mail.header("References");
    assert!(thread.starts_with(&format!("<pult.{number}.")), "{thread}");
    assert_eq!(mail.header("In-Reply-To"), thread);
    assert!(!mail.header("Date").is_empty());
    // Cyrillic travels encoded (RFC 2047), never as raw bytes in a header
    assert!(mail.raw_headers.is_ascii(), "{}", mail.raw_headers);
    assert!(
        mail.raw_headers.contains("Subject: =?utf-8?"),
        "{}",
        mail.raw_headers
    );
    assert_eq!(mail.content_type, "text/plain");
    assert_eq!(mail.charset.as_deref(), Some("utf-8"));
    assert!(mail.body.contains(RESULT), "{}", mail.body);
    assert!(mail.body.contains("Здравствуйте, Петрова Анна Ивановна!"));
    assert!(mail.body.contains(&format!("обращение №{number}")));
    // the specialist's name and the service's signature from the policy
    let me = scene.client.call(Command::ListStaff);
    let Ok(Reply::Staff { staff }) = me else {
        panic!("{me:?}")
    };
    assert!(mail.body.contains(&staff[0].name), "{}", mail.body);
    assert!(mail.body.contains("Служба сопровождения процесса обучения"));

    let said = timeline(&mut scene.client, closed.id);
    assert!(said.iter().any(|action| matches!(
        action,
        AuditAction::MailDelivered { kind: MailKind::Result, reply } if reply.starts_with("250")
    )));
    // the same from a shell
    let status = Process::new(PULT_BUILT)
        .env("PULT_LANG", "ru")
        .args(["mail", "status", "--data"])
        .arg(scene.dir.path())
        .output()
        .expect("pult mail status");
    let printed = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{printed}");
    assert!(printed.contains("принято почтовым сервером"), "{printed}");
    assert!(printed.contains("petrova@mail.ru"), "{printed}");
}

#[test]
fn a_message_waits_while_the_mail_server_is_down_and_arrives_once_it_is_back() {
    needs_smtp!();
    let mut scene = Scene::new(false);
    let closed = closed_by_email(
        &mut scene.client,
        "Петрова Анна Ивановна",
        "petrova@mail.ru",
    );
    // nobody listens: a temporary failure, with the next attempt planned
    let retry = eventually("a failed attempt in the timeline", || {
        timeline(&mut scene.client, closed.id)
            .into_iter()
            .find_map(|action| match action {
                AuditAction::MailFailed { retry_at, .. } => Some(retry_at),
                _ => None,
            })
    });
    let retry_at = retry.expect("a temporary failure is retried");
    assert_eq!(
        request(&mut scene.client, closed.id).status,
        Status::Resolved
    );
    assert!(request(&mut scene.client, closed.id).undelivered.is_none());

    let smtp = SmtpServer::start(scene.port, &scene.dir.path().join("maildir"));
    assert!(smtp.messages().is_empty());
    scene.clock.set(retry_at);
    let messages = smtp.wait_for(1, TIMEOUT);
    delivered(&mut scene.client);
    // a day later, still the one message
    scene.clock.advance_minutes(24 * 60);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(smtp.messages().len(), 1);
    assert!(messages[0].body.contains(RESULT));
}

#[test]
fn a_refused_address_stops_the_retries_and_the_request_becomes_a_call_to_make() {
    needs_smtp!();
    let mut scene = Scene::new(true);
    let smtp = scene.smtp.take().expect("an SMTP server");
    let closed = closed_by_email(&mut scene.client, "Петрова Анна Ивановна", "nobody@mail.ru");
    let back = eventually("the request is back in work", || {
        Some(request(&mut scene.client, closed.id)).filter(|request| request.undelivered.is_some())
    });
    assert_eq!(back.status, Status::InWork);
    let undelivered = back.undelivered.clone().expect("undelivered");
    assert!(undelivered.reason.contains("550"), "{}", undelivered.reason);
    assert_eq!(undelivered.to, "nobody@mail.ru");
    assert_eq!(back.result.as_ref().map(|r| r.text.as_str()), Some(RESULT));
    let failed = outbox(&mut scene.client);
    assert_eq!(failed.len(), 1);
    assert!(matches!(failed[0].state, MailState::Failed { .. }));
    assert_eq!(failed[0].attempts.len(), 1, "a 550 is not retried");
    // hours later: no second attempt
    scene.clock.advance_minutes(6 * 60);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(outbox(&mut scene.client)[0].attempts.len(), 1);
    assert!(smtp.messages().is_empty());
    assert!(timeline(&mut scene.client, closed.id)
        .iter()
        .any(|action| matches!(
            action,
            AuditAction::MailFailed { retry_at: None, reason, .. } if reason.contains("550")
        )));
    // the specialist phones and records it
    let phoned = closed_by_phone(&mut scene.client, closed.id);
    assert_eq!(phoned.status, Status::Resolved);
    assert!(phoned.undelivered.is_none());
    assert_eq!(
        outbox(&mut scene.client).len(),
        1,
        "a phone call sends nothing"
    );
}

#[test]
fn a_message_queued_before_kill_nine_is_delivered_after_the_restart_with_its_message_id() {
    needs_smtp!();
    let port = free_port();
    let dir = desk(port, false);
    let mut server = spawn_server(dir.path());
    let mut client = connect_when_up(dir.path(), TIMEOUT);
    closed_by_email(&mut client, "Петрова Анна Ивановна", "petrova@mail.ru");
    let waiting = eventually("an attempt failed and the message waits", || {
        outbox(&mut client)
            .into_iter()
            .find(|message| message.is_waiting() && !message.attempts.is_empty())
    });
    drop(client);
    server.kill().expect("kill -9");
    server.wait().expect("reaped");

    let smtp = SmtpServer::start(port, &dir.path().join("maildir"));
    let mut server = spawn_server(dir.path());
    let messages = smtp.wait_for(1, TIMEOUT);
    assert_eq!(
        messages[0].header("Message-ID"),
        format!("<{}>", waiting.message_id)
    );
    let mut client = connect_when_up(dir.path(), TIMEOUT);
    delivered(&mut client);
    assert_eq!(smtp.messages().len(), 1);
    drop(client);
    common::terminate(server.id() as i32);
    let _ = server.wait();
}

#[test]
fn pult_mail_test_prints_what_the_mail_server_said() {
    needs_smtp!();
    let port = free_port();
    let dir = desk(port, false);
    let smtp = SmtpServer::start(port, &dir.path().join("maildir"));
    let run = |address: &str| {
        Process::new(PULT_BUILT)
            .env("PULT_LANG", "ru")
            .args(["mail", "test", address, "--data"])
            .arg(dir.path())
            .output()
            .expect("pult mail test")
    };
    let sent = run("ivanova@school167.ru");
    let printed = String::from_utf8_lossy(&sent.stdout);
    assert!(
        sent.status.success(),
        "{printed} {}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(printed.contains("принял письмо: 250"), "{printed}");
    let messages = smtp.wait_for(1, TIMEOUT);
    assert_eq!(messages[0].header("Subject"), "Проверка почты pult");
    // a refused address: the server's words, and a failing exit
    let refused = run("nobody@school167.ru");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains("550"), "{said}");
    // not an address at all, or a header smuggled into one: refused before any SMTP
    let hostile = run("x@y.ru\r\nBcc: all@school167.ru");
    assert!(!hostile.status.success());
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn the_settings_refuse_a_password_others_can_read_and_plain_smtp_to_another_machine() {
    let dir = tempfile::tempdir().unwrap();
    open_as_me(dir.path());
    let clock = ManualClock::new(Timestamp(now_ms()));
    std::fs::write(
        dir.path().join("mail.toml"),
        "[smtp]\nhost = \"smtp.school167.ru\"\nport = 25\nsecurity = \"none\"\n\
         from = \"support@school167.ru\"\n",
    )
    .unwrap();
    let refused = start(dir.path(), Arc::new(clock.clone()), &me()).err();
    let Some(ServerError::Mail(error)) = refused else {
        panic!("started with plain SMTP to another machine: {refused:?}")
    };
    assert!(error.to_string().contains("starttls"), "{error}");
    // refused before anything said the server was up
    assert!(!dir.path().join("server.pid").exists());
    assert!(!dir.path().join("pult.sock").exists());

    let password = dir.path().join("smtp-password");
    std::fs::write(&password, "секрет\n").unwrap();
    common::set_mode(&password, 0o644);
    std::fs::write(
        dir.path().join("mail.toml"),
        "[smtp]\nhost = \"smtp.school167.ru\"\nsecurity = \"starttls\"\n\
         user = \"support@school167.ru\"\npassword_file = \"smtp-password\"\n\
         from = \"support@school167.ru\"\n",
    )
    .unwrap();
    let refused = start(dir.path(), Arc::new(clock.clone()), &me()).err();
    let Some(ServerError::Mail(error)) = refused else {
        panic!("started with a password others can read: {refused:?}")
    };
    let said = error.to_string();
    assert!(said.contains("chmod 600"), "{said}");
    assert!(!said.contains("секрет"), "{said}");
    common::set_mode(&password, 0o600);
    let server = start(dir.path(), Arc::new(clock), &me()).expect("starts once it is 0600");
    server.stop();
}

#[test]
fn a_call_that_asks_for_it_is_acknowledged_and_its_result_threads_under_it() {
    needs_smtp!();
    let mut scene = Scene::with(true, true);
    let smtp = scene.smtp.take().expect("an SMTP server");
    // a call that does not ask gets nothing until its result
    logged(&mut scene.client, "Сидоров Пётр", "sidorov@mail.ru", false);
    let asked = logged(
        &mut scene.client,
        "Петрова Анна Ивановна",
        "petrova@mail.ru",
        true,
    );
    let number = asked.id.0;
    let first = smtp.wait_for(1, TIMEOUT);
    assert_eq!(
        first[0].header("Subject"),
        format!("Ваше обращение №{number} принято")
    );
    assert_eq!(
        first[0].header("To"),
        "Петрова Анна Ивановна <petrova@mail.ru>"
    );
    assert!(first[0].body.contains("не позднее"), "{}", first[0].body);
    close_by_email(&mut scene.client, asked.id);
    let both = smtp.wait_for(2, TIMEOUT);
    assert_eq!(both.len(), 2, "the unasked call got no acknowledgement");
    let result = &both[1];
    assert_eq!(
        result.header("Subject"),
        format!("Ответ по обращению №{number}")
    );
    // one thread: both refer to the same root, each has its own Message-ID
    assert_eq!(result.header("References"), first[0].header("References"));
    assert_ne!(result.header("Message-ID"), first[0].header("Message-ID"));
}

#[test]
fn the_website_form_is_acknowledged_once_however_often_it_is_sent() {
    let port = free_port();
    let dir = desk(port, true);
    let service = open_as_me(dir.path());
    let setup = MailSetup::load(dir.path(), service.policy())
        .expect("mail.toml reads")
        .expect("mail is set up");
    let service = service.with_mail(Some(setup));
    let site = website();
    let Ok((Reply::WebInfo { info }, _)) = service.execute(&site, Command::WebInfo) else {
        panic!("no web info")
    };
    let form = WebForm {
        name: "Петрова Анна".into(),
        role: Some(pult::domain::request::CallerRole::Parent),
        class: "5А".into(),
        category: Some(pult::domain::request::Category::Ejournal),
        description: "Не открывается дневник".into(),
        phone: String::new(),
        email: "petrova@mail.ru".into(),
        consent_version: Some(info.consent.version.clone()),
        key: [3; 16],
    };
    for _ in 0..3 {
        let sent = service.execute(&site, Command::SubmitWeb { form: form.clone() });
        assert!(matches!(sent, Ok((Reply::Submitted { .. }, _))), "{sent:?}");
    }
    let queued = service.take_queued_mail();
    assert_eq!(
        queued.len(),
        1,
        "a form sent again is not acknowledged again"
    );
    assert_eq!(queued[0].kind, MailKind::Acknowledgement);
    assert_eq!(queued[0].to, "petrova@mail.ru");
    assert!(
        queued[0].subject.ends_with("принято"),
        "{}",
        queued[0].subject
    );
    // without an email there is nobody to acknowledge
    let by_phone = WebForm {
        email: String::new(),
        phone: "+79123456789".into(),
        key: [4; 16],
        ..form
    };
    let sent = service.execute(&site, Command::SubmitWeb { form: by_phone });
    assert!(sent.is_ok(), "{sent:?}");
    assert!(service.take_queued_mail().is_empty());
}

/// A hostile SMTP server on loopback: it greets, then answers every command with `answer`
/// (or says nothing at all after the greeting when `answer` is None).
fn hostile_smtp(answer: Option<&'static str>) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().expect("clone");
                let _ = writer.write_all(b"220 \x1b[2J\x1b]0;owned\x07 mail.evil ESMTP\r\n");
                let mut lines = BufReader::new(stream);
                let mut line = String::new();
                while lines.read_line(&mut line).is_ok_and(|read| read > 0) {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = match answer {
                        None => b"",
                        Some(_) if command.starts_with("EHLO") => b"250 mail.evil\r\n",
                        Some(answer) => answer.as_bytes(),
                    };
                    if writer.write_all(reply).is_err() {
                        return;
                    }
                    line.clear();
                }
            });
        }
    });
    port
}

#[test]
fn a_hostile_mail_server_neither_writes_to_a_terminal_nor_holds_up_the_service() {
    // every answer a refusal laced with escape sequences and a bell
    let port = hostile_smtp(Some("550 \x1b[31mno\x1b]0;pwned\x07 such \r\n"));
    let dir = desk(port, false);
    let clock = ManualClock::new(Timestamp(now_ms()));
    let _server = serve_at(dir.path(), &clock);
    let mut client = connect(dir.path());
    let closed = closed_by_email(&mut client, "Петрова Анна Ивановна", "petrova@mail.ru");
    let back = eventually("the refusal is recorded", || {
        Some(request(&mut client, closed.id)).filter(|request| request.undelivered.is_some())
    });
    let reason = back.undelivered.expect("undelivered").reason;
    assert!(reason.contains("550"), "{reason}");
    assert!(!reason.chars().any(char::is_control), "{reason:?}");
    let printed = Process::new(PULT_BUILT)
        .env("PULT_LANG", "ru")
        .args(["mail", "status", "--data"])
        .arg(dir.path())
        .output()
        .expect("pult mail status");
    assert!(printed.status.success());
    assert!(!printed.stdout.contains(&0x1b), "{:?}", printed.stdout);
    assert!(!printed.stdout.contains(&0x07));

    // a server that greets and then says nothing: the sender waits on it, nobody else does
    let mute = hostile_smtp(None);
    let dir = desk(mute, false);
    let _server = serve_at(dir.path(), &clock);
    let mut client = connect(dir.path());
    closed_by_email(&mut client, "Петрова Анна Ивановна", "petrova@mail.ru");
    let started = Instant::now();
    for n in 0..20 {
        closed_by_email(
            &mut client,
            &format!("Сидоров {}", common::calls::surname(n)),
            "s@mail.ru",
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "20 closes waited for the mail server: {:?}",
        started.elapsed()
    );
    let waiting = outbox(&mut client);
    assert_eq!(waiting.len(), 21);
    assert!(waiting.iter().all(Outgoing::is_waiting));
}

#[test]
fn a_result_mail_that_gives_up_after_the_request_was_phoned_puts_nothing_back_in_work() {
    needs_smtp!();
    let mut scene = Scene::new(false);
    let closed = closed_by_email(
        &mut scene.client,
        "Петрова Анна Ивановна",
        "petrova@mail.ru",
    );
    eventually("a failed attempt", || {
        outbox(&mut scene.client)
            .into_iter()
            .find(|message| !message.attempts.is_empty())
    });
    // the head reopens it and the specialist phones the result instead
    changed(
        &mut scene.client,
        closed.id,
        Change::Reopen {
            reason: "письмо не уходит".into(),
        },
    );
    let phoned = closed_by_phone(&mut scene.client, closed.id);
    assert_eq!(phoned.status, Status::Resolved);
    // a day later the old message gives up
    scene.clock.advance_minutes(25 * 60);
    eventually("the old message gave up", || {
        outbox(&mut scene.client)
            .into_iter()
            .find(|message| matches!(message.state, MailState::Failed { .. }))
    });
    let after = request(&mut scene.client, closed.id);
    assert_eq!(after.status, Status::Resolved, "{after:?}");
    assert!(after.undelivered.is_none());
}

#[test]
fn an_acknowledgement_sent_at_night_says_when_the_request_is_looked_at_and_whom_to_call() {
    needs_smtp!();
    let port = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    // the shipped policy, hours and the children's helpline included
    std::fs::write(
        dir.path().join("policy.toml"),
        pult::domain::policy::DEFAULT_POLICY_TOML,
    )
    .expect("policy");
    write_mail_toml(dir.path(), port, true);
    let service = open_as_me(dir.path());
    set_my_roles(&service, &[Role::Operator, Role::Head, Role::Admin]);
    drop(service);
    let smtp = SmtpServer::start(port, &dir.path().join("maildir"));
    // Saturday 21 November 2026, 21:30 in Moscow
    let clock = ManualClock::new(Timestamp(1_795_285_800_000));
    let _server = serve_at(dir.path(), &clock);
    let mut client = connect(dir.path());
    let mut draft = valid_call(
        "Петрова Анна Ивановна",
        pult::domain::request::Category::Psych,
        None,
    );
    draft.email = "petrova@mail.ru".into();
    draft.acknowledge = true;
    let logged = client.call(Command::LogCall {
        draft,
        channel: Channel::Phone,
    });
    assert!(matches!(logged, Ok(Reply::Logged { .. })), "{logged:?}");
    let message = smtp.wait_for(1, TIMEOUT);
    let body = &message[0].body;
    assert!(
        body.contains(
            "Служба сейчас не работает. Обращение рассмотрят, когда она откроется: понедельник, 23.11, 08:00."
        ),
        "{body}"
    );
    assert!(
        body.contains("Детский телефон доверия: 8-800-2000-122"),
        "{body}"
    );
    // the deadlines it gives are in the service's hours: routing by Monday 08:30
    assert!(body.contains("не позднее 23.11.2026 08:30"), "{body}");
}
