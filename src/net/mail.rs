//! The mail sender: a thread of the server that hands queued messages to the school's SMTP
//! server (lettre), off the command path, and reports every attempt to the service thread,
//! which writes it down. It holds no store: it is given the messages waiting at start and
//! each message once the batch that queued it is durable.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::response::Response;
use lettre::{Address, Message, SmtpTransport, Transport};

use crate::domain::mail::{header_safe, Attempt, MailState, Outgoing};
use crate::domain::time::{Clock, Timestamp};
use crate::service::mail::{Delivery, MailSetup, Security};

/// How often the sender looks at its clock when nothing wakes it (a test's clock moves by
/// itself, not by the sender's wait).
const LOOK_EVERY: Duration = Duration::from_millis(200);
/// Longest wait for the SMTP server at each step of a conversation.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the server hands the sender new messages.
pub type MailQueue = mpsc::Sender<Vec<Outgoing>>;

/// Starts the sender with the messages waiting in the outbox; `report` takes each attempt's
/// outcome to the service thread and says false once the server is gone.
pub fn start_sender(
    setup: Arc<MailSetup>,
    waiting: Vec<Outgoing>,
    clock: Arc<dyn Clock>,
    report: impl Fn(Delivery) -> bool + Send + 'static,
) -> std::io::Result<MailQueue> {
    let (queue, notices) = mpsc::channel::<Vec<Outgoing>>();
    std::thread::Builder::new()
        .name("pult-mail".into())
        .spawn(move || {
            // after a restart everything waiting is due at once: the restart is a retry
            let mut outbox: BTreeMap<u64, (Timestamp, Outgoing)> = waiting
                .into_iter()
                .map(|message| (message.seq, (Timestamp(i64::MIN), message)))
                .collect();
            let mut transport = None;
            loop {
                let now = clock.now();
                let due: Vec<u64> = outbox
                    .iter()
                    .filter(|(_, (at, _))| *at <= now)
                    .map(|(seq, _)| *seq)
                    .collect();
                let mut due = due.into_iter();
                while let Some(seq) = due.next() {
                    let Some((_, message)) = outbox.remove(&seq) else {
                        continue;
                    };
                    let (attempt, server_down) =
                        send(&setup, &mut transport, &message, clock.now());
                    let next = message.after(attempt.clone(), setup.retry_for_ms);
                    if !report(Delivery { seq, attempt }) {
                        return;
                    }
                    if let MailState::Waiting { next_at } = next.state {
                        outbox.insert(seq, (next_at, next));
                        if server_down {
                            // the server, not this message, failed: the others due now wait
                            // with it instead of each paying for the same failure
                            for later in due.by_ref() {
                                if let Some(entry) = outbox.get_mut(&later) {
                                    entry.0 = next_at;
                                }
                            }
                        }
                    }
                    while let Ok(more) = notices.try_recv() {
                        add(&mut outbox, more);
                    }
                }
                match notices.recv_timeout(LOOK_EVERY) {
                    Ok(more) => add(&mut outbox, more),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })?;
    Ok(queue)
}

fn add(outbox: &mut BTreeMap<u64, (Timestamp, Outgoing)>, messages: Vec<Outgoing>) {
    for message in messages {
        if let MailState::Waiting { next_at } = message.state {
            outbox.entry(message.seq).or_insert((next_at, message));
        }
    }
}

/// The transport for the school's SMTP server (a pool: one connection serves many messages).
fn transport(setup: &MailSetup) -> Result<SmtpTransport, String> {
    let smtp = &setup.smtp;
    let builder = match smtp.security {
        Security::Starttls => SmtpTransport::starttls_relay(&smtp.host),
        Security::Tls => SmtpTransport::relay(&smtp.host),
        Security::None => Ok(SmtpTransport::builder_dangerous(&smtp.host)),
    }
    .map_err(|error| error.to_string())?;
    let mut builder = builder.port(smtp.port).timeout(Some(SMTP_TIMEOUT));
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// One attempt to hand `message` over, and whether it was the server that failed (no
/// connection, no answer) rather than the message (an SMTP reply about it).
fn send(
    setup: &MailSetup,
    transport_slot: &mut Option<SmtpTransport>,
    message: &Outgoing,
    now: Timestamp,
) -> (Attempt, bool) {
    let email = match build(setup, message) {
        Ok(email) => email,
        Err(reason) => return (Attempt::Permanent { at: now, reason }, false),
    };
    let transport = match transport_slot {
        Some(transport) => transport,
        None => match transport(setup) {
            Ok(made) => transport_slot.insert(made),
            Err(reason) => return (Attempt::Temporary { at: now, reason }, true),
        },
    };
    let sent = transport.send(&email);
    let server_down = sent.as_ref().is_err_and(|error| error.status().is_none());
    (outcome(sent, now), server_down)
}

fn outcome(sent: Result<Response, lettre::transport::smtp::Error>, at: Timestamp) -> Attempt {
    match sent {
        Ok(response) => Attempt::Accepted {
            at,
            reply: words(&response),
        },
        // the server's words reach the timeline and the consoles: one line, no control bytes
        Err(error) if error.is_permanent() => Attempt::Permanent {
            at,
            reason: header_safe(&error.to_string()),
        },
        Err(error) => Attempt::Temporary {
            at,
            reason: header_safe(&error.to_string()),
        },
    }
}

/// `250 2.0.0 Ok: queued as …`
fn words(response: &Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    header_safe(&format!("{} {}", response.code(), lines.join(" ")))
}

/// The message as it goes out: always the same bytes of header for the same outbox entry
/// (its `Date` is when it was queued), so a resend is recognisably the same message.
fn build(setup: &MailSetup, message: &Outgoing) -> Result<Message, String> {
    let from: Mailbox = setup.from.parse().map_err(|_| setup.from.clone())?;
    let address: Address = message
        .to
        .parse()
        .map_err(|error| format!("{}: {error}", message.to))?;
    let name = header_safe(&message.to_name);
    let to = Mailbox::new((!name.is_empty()).then_some(name), address);
    let date = SystemTime::UNIX_EPOCH + Duration::from_millis(message.queued_at.0.max(0) as u64);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(header_safe(&message.subject))
        .date(date)
        .message_id(Some(format!("<{}>", message.message_id)))
        .in_reply_to(format!("<{}>", message.thread))
        .references(format!("<{}>", message.thread))
        .header(ContentType::TEXT_PLAIN);
    if let Some(reply_to) = &setup.reply_to {
        builder = builder.reply_to(reply_to.parse().map_err(|_| reply_to.clone())?);
    }
    builder
        .body(message.body.clone())
        .map_err(|error| error.to_string())
}

/// `pult mail test ADDRESS`: one message to `to`, sent now; the SMTP server's words, or why
/// it did not take it.
pub fn send_test(setup: &MailSetup, to: &str, now: Timestamp) -> Result<String, String> {
    let outgoing = Outgoing {
        seq: 0,
        request: crate::domain::request::RequestId(0),
        kind: crate::domain::mail::MailKind::Result,
        to: to.trim().to_string(),
        to_name: String::new(),
        subject: tr!("mail.test.subject").to_string(),
        body: tr!("mail.test.body", host = setup.smtp.host).to_string() + "\n",
        message_id: format!("pult.test.{}@{}", now.0, setup.domain),
        thread: format!("pult.test.{}@{}", now.0, setup.domain),
        queued_at: now,
        queued_by: String::new(),
        state: MailState::Waiting { next_at: now },
        attempts: Vec::new(),
    };
    match send(setup, &mut None, &outgoing, now).0 {
        Attempt::Accepted { reply, .. } => Ok(reply),
        Attempt::Temporary { reason, .. } | Attempt::Permanent { reason, .. } => Err(reason),
    }
}
