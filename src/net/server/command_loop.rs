//! The service side of the server: applying batches of commands, flushing once, answering
//! and pushing each change to the consoles allowed to see it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{ConnId, Job, BATCH};
use crate::domain::access::{redacted, sight, Denied, Sight};
use crate::domain::mail::Outgoing;
use crate::domain::policy::Policy;
use crate::domain::staff::Staff;
use crate::domain::website::website;
use crate::lang::{self, Lang};
use crate::net::link::Link;
use crate::net::log::ServerLog;
use crate::net::mail::MailQueue;
use crate::net::protocol::{encode_frame, program_version, Mode, ServerMsg};
use crate::service::{Command, Event, Service, ServiceError};
use crate::store::{Flusher, Pending};

pub(super) struct Connection {
    login: String,
    /// Who is at this console now: what its events may show depends on the roles.
    staff: Staff,
    mode: Mode,
    link: Link,
}

/// Free space the store's disk needs before a store that hit a full disk is opened again.
const ROOM_TO_RECOVER: u64 = 4 * 1024 * 1024;

/// What the service thread and the teller know of the store's health.
#[derive(Clone, Default)]
pub(super) struct Health {
    /// A write failed in a way sled keeps failing: the store must be opened again.
    troubled: Arc<AtomicBool>,
    /// Why, for the consoles.
    why: Arc<std::sync::Mutex<String>>,
    /// Batches the teller has finished with (and so let go of their flushers).
    told: Arc<AtomicU64>,
    /// What the mail sender holds may be behind the outbox (a batch that queued mail was
    /// not made durable, an attempt's outcome was not written, the store was opened again):
    /// the service thread hands it every waiting message again.
    rescan_mail: Arc<AtomicBool>,
}

impl Health {
    /// Why the store takes no writes, as the consoles are told.
    fn why(&self) -> String {
        self.why.lock().map(|why| why.clone()).unwrap_or_default()
    }
}

/// One applied batch, on its way to be made durable and told.
pub(super) struct Applied {
    /// The store's flusher and what the batch wrote, when it wrote (the teller holds no
    /// store of its own, so the service can open the store again after a full disk).
    flusher: Option<(Flusher, Pending)>,
    /// Commands taken from clients in this batch (answered, or dropped with their connection).
    commands: usize,
    attached: Vec<(ConnId, Connection, ServerMsg)>,
    detached: Vec<ConnId>,
    /// Each reply with the language its connection reads.
    replies: Vec<(ConnId, Lang, ServerMsg)>,
    events: Vec<Event>,
    last: bool,
    /// Messages this batch put in the outbox: handed to the mail sender once durable.
    mail: Vec<Outgoing>,
}

/// The one thread that touches the store: commands in arrival order. It does not wait for
/// the disk: while the teller flushes one batch, the next one is being applied.
pub(super) fn service_loop(
    service: Service,
    jobs: Receiver<Job>,
    mail: Option<MailQueue>,
    stop: Arc<AtomicBool>,
    log: ServerLog,
) {
    let (batches, teller_queue) = mpsc::channel::<Applied>();
    let policy = service.policy().clone();
    let teller_log = log.clone();
    let health = Health::default();
    let teller_health = health.clone();
    let mail_again = mail.clone();
    let teller = std::thread::Builder::new()
        .name("pult-teller".into())
        .spawn(move || teller_loop(teller_queue, policy, mail, teller_health, teller_log));
    let Ok(teller) = teller else {
        log.line(tr!("server_log.no_teller"));
        return;
    };
    // who is behind each connection, and what it is, for identifying its commands
    let mut logins: HashMap<ConnId, (String, Mode)> = HashMap::new();
    let mut running = true;
    let mut sent = 0u64;
    let mut current = Some(service);
    while running {
        let Ok(first) = jobs.recv() else { break };
        if health.troubled.load(Ordering::SeqCst) {
            current = current.and_then(|service| recover(service, &health, sent, &log));
        }
        if let (Some(service), Some(queue)) = (current.as_ref(), mail_again.as_ref()) {
            if health.rescan_mail.swap(false, Ordering::SeqCst) {
                // the sender keeps what it already holds; the rest is due now
                let _ = queue.send(service.waiting_mail().0);
            }
        }
        let Some(service) = current.as_ref() else {
            // the store could not be opened again: stop, so a fresh start can
            stop.store(true, Ordering::SeqCst);
            break;
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut applied = Applied {
            flusher: None,
            commands: 0,
            attached: Vec::new(),
            detached: Vec::new(),
            replies: Vec::new(),
            events: Vec::new(),
            last: false,
            mail: Vec::new(),
        };
        // Commands run together (one transaction) up to the next attach, detach or stop,
        // so a welcome's snapshot includes every command received before it.
        let mut pending: Vec<(ConnId, u64, Command, Lang)> = Vec::new();
        for job in batch {
            if let Job::Command {
                conn,
                id,
                command,
                lang,
            } = job
            {
                applied.commands += 1;
                pending.push((conn, id, command, lang));
                continue;
            }
            run_commands(
                service,
                &logins,
                std::mem::take(&mut pending),
                &mut applied,
                &health,
                &log,
            );
            match job {
                Job::Attach {
                    conn,
                    login,
                    mode,
                    link,
                } => match attach(service, &login, mode) {
                    Ok((staff, welcome)) => {
                        log.event(
                            "attach",
                            &format!("{login} подключился ({mode:?}), соединение {conn}"),
                        );
                        logins.insert(conn, (login.clone(), mode));
                        let connection = Connection {
                            login,
                            staff,
                            mode,
                            link,
                        };
                        applied.attached.push((conn, connection, welcome));
                    }
                    Err(reason) => {
                        log.event("attach", &format!("{login} не допущен: {reason}"));
                        link.send_message(&ServerMsg::Refused { reason });
                        link.close();
                    }
                },
                Job::Detach { conn } => {
                    logins.remove(&conn);
                    applied.detached.push(conn);
                }
                Job::Mail { delivery } => match service.record_delivery(&delivery) {
                    Ok(events) => applied.events.extend(events),
                    Err(error) => {
                        if error.poisons_the_store() {
                            troubled(&health, &error.to_string(), &log);
                        }
                        // the store still says waiting: the message is tried again
                        health.rescan_mail.store(true, Ordering::SeqCst);
                        log.line(&format!("не записан исход отправки письма: {error}"));
                    }
                },
                Job::Retention { login } => match service.apply_retention_as(&login) {
                    Ok((None, events)) => applied.events.extend(events),
                    Ok((Some(act), events)) => {
                        log.line(&tr!(
                            "server.retention_applied",
                            count = act.destroyed,
                            act = act.markdown.display()
                        ));
                        applied.events.extend(events);
                    }
                    Err(error) => log.line(&tr!("server.retention_failed", error = error)),
                },
                Job::Shutdown => running = false,
                Job::Command { .. } => {}
            }
        }
        run_commands(service, &logins, pending, &mut applied, &health, &log);
        applied.mail = service.take_queued_mail();
        let pending = service.take_pending();
        if !pending.is_empty() {
            applied.flusher = Some((service.flusher(), pending));
        }
        applied.last = !running;
        if batches.send(applied).is_err() {
            break;
        }
        sent += 1;
    }
    drop(batches);
    let _ = teller.join();
    if let Some(service) = current {
        let _ = service.flush();
    }
    log.line(tr!("server_log.stopped"));
}

/// After a write failed for lack of space: once the disk has room again and the teller has
/// let go of every flusher, opens the store again (sled fails every write of a store that
/// once failed one). None when it cannot be opened: the server then stops.
fn recover(service: Service, health: &Health, sent: u64, log: &ServerLog) -> Option<Service> {
    if service
        .free_bytes()
        .is_some_and(|free| free < ROOM_TO_RECOVER)
    {
        return Some(service);
    }
    let waited = Instant::now();
    while health.told.load(Ordering::SeqCst) < sent && waited.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    match service.reopen_store() {
        Ok(service) => {
            health.troubled.store(false, Ordering::SeqCst);
            health.rescan_mail.store(true, Ordering::SeqCst);
            log.line(tr!("server_log.recovered"));
            Some(service)
        }
        Err(error) => {
            log.line(&format!(
                "хранилище не открывается после сбоя записи: {error}; сервер остановлен"
            ));
            None
        }
    }
}

/// Notes, once, that the store refused a write it will keep refusing.
fn troubled(health: &Health, why: &str, log: &ServerLog) {
    if !health.troubled.swap(true, Ordering::SeqCst) {
        if let Ok(mut said) = health.why.lock() {
            *said = why.to_string();
        }
        log.line(&format!(
            "запись в хранилище не удалась: {why}. Изменения не принимаются, пока не \
             освободится место; затем сервер продолжит сам"
        ));
    }
}

/// Makes applied batches durable (one flush for all that are waiting) and only then tells:
/// replies to their connections, events to every console.
pub(super) fn teller_loop(
    batches: Receiver<Applied>,
    policy: Policy,
    mail: Option<MailQueue>,
    health: Health,
    log: ServerLog,
) {
    let mut connections: HashMap<ConnId, Connection> = HashMap::new();
    let mut last = false;
    // what the consoles were last told of the store's health
    let mut told_trouble = false;
    let (mut commands_told, mut flushes) = (0u64, 0u64);
    while !last {
        let Ok(first) = batches.recv() else { break };
        let mut waiting = vec![first];
        while let Ok(more) = batches.try_recv() {
            waiting.push(more);
        }
        // Group commit: every batch applied while the last flush ran joins this one. It
        // waits for nothing more: a flush is one sync of the journal, and waiting for the
        // commands still being applied kept the service thread idle during each flush and
        // the teller idle during each application (8 writers: 8,532–9,136/s with a 2 ms wait
        // for them, 10,910–13,030/s without; `cargo bench --bench server`).
        commands_told += commands_in(&waiting) as u64;
        // one commit for every batch waiting: their journal entries in order, one sync
        let mut to_commit: Option<(Flusher, Pending)> = None;
        for batch in &mut waiting {
            if let Some((flusher, pending)) = batch.flusher.take() {
                match &mut to_commit {
                    Some((_, all)) => all.absorb(pending),
                    None => to_commit = Some((flusher, pending)),
                }
            }
        }
        let durable = match to_commit {
            Some((flusher, pending)) => {
                flushes += 1;
                flusher.commit(pending)
            }
            None => Ok(()),
        };
        if let Err(error) = &durable {
            if error.poisons_the_store() {
                troubled(&health, &error.to_string(), &log);
            } else {
                log.line(&format!("сброс на диск не удался: {error}"));
            }
        }
        let batches_here = waiting.len() as u64;
        for mut batch in waiting {
            last |= batch.last;
            if let Err(error) = &durable {
                // Not durable: nobody may be told it worked.
                fail_all(&mut batch, &ServiceError::not_durable(error));
            } else if let (Some(queue), false) = (&mail, batch.mail.is_empty()) {
                let _ = queue.send(std::mem::take(&mut batch.mail));
            }
            if durable.is_err() && !batch.mail.is_empty() {
                // sled may yet keep what it was not made to: the outbox is read again later
                health.rescan_mail.store(true, Ordering::SeqCst);
            }
            for (conn, connection, welcome) in batch.attached {
                let attached = connection.mode == Mode::Attach;
                connections.insert(conn, connection);
                deliver(&mut connections, conn, &welcome, &log);
                if told_trouble && attached {
                    let trouble = Some(health.why());
                    let state = ServerMsg::Event {
                        event: Event::StoreState { trouble },
                    };
                    deliver(&mut connections, conn, &state, &log);
                }
            }
            // the change first, to every console; then the answers to those who asked: every
            // console hears of it as soon as its author does
            for event in batch.events {
                if let Event::StaffChanged { staff } = &event {
                    for connection in connections.values_mut() {
                        if connection.login == staff.login {
                            connection.staff = staff.clone();
                        }
                    }
                }
                broadcast(&mut connections, &event, &policy, &log);
                if let Event::StaffChanged { staff } = &event {
                    if staff.disabled {
                        disconnect_login(&mut connections, &staff.login, &log);
                    }
                }
            }
            deliver_replies(&mut connections, batch.replies, &log);
            for conn in std::mem::take(&mut batch.detached) {
                if let Some(gone) = connections.remove(&conn) {
                    gone.link.close();
                    log.event(
                        "attach",
                        &format!("{} отключился, соединение {conn}", gone.login),
                    );
                }
            }
        }
        health.told.fetch_add(batches_here, Ordering::SeqCst);
        let troubled = health.troubled.load(Ordering::SeqCst);
        if troubled != told_trouble {
            told_trouble = troubled;
            let trouble = troubled.then(|| health.why());
            broadcast(
                &mut connections,
                &Event::StoreState { trouble },
                &policy,
                &log,
            );
        }
    }
    log.line(&format!(
        "за время работы: команд {commands_told}, сбросов на диск {flushes}"
    ));
    for (_, connection) in connections.drain() {
        connection.link.send_message(&ServerMsg::Goodbye {
            reason: tr!("server_log.stopped").into(),
            reconnect: true,
        });
    }
}

/// Applies received commands in order, as their senders, into `applied`.
pub(super) fn run_commands(
    service: &Service,
    logins: &HashMap<ConnId, (String, Mode)>,
    pending: Vec<(ConnId, u64, Command, Lang)>,
    applied: &mut Applied,
    health: &Health,
    log: &ServerLog,
) {
    if pending.is_empty() {
        return;
    }
    let mut work = Vec::with_capacity(pending.len());
    let mut addressed = Vec::with_capacity(pending.len());
    for (conn, id, command, lang) in pending {
        // a command whose connection is already gone is dropped with it
        let Some((login, mode)) = logins.get(&conn) else {
            continue;
        };
        let actor = match (mode, command.is_website()) {
            (Mode::Web, true) => Ok(website()),
            (Mode::Web, false) => Err(ServiceError::Denied(Denied::WebsiteDoor)),
            (Mode::Attach | Mode::Commands, true) => Err(ServiceError::Denied(Denied::WebsiteOnly)),
            (Mode::Attach | Mode::Commands, false) => service.identify(login),
        };
        match actor {
            Ok(actor) => {
                work.push((actor, command));
                addressed.push((conn, id, lang));
            }
            Err(error) => applied.replies.push((
                conn,
                lang,
                ServerMsg::Reply {
                    id,
                    result: Err(lang::speaking(lang, || error.failure())),
                },
            )),
        }
    }
    for ((conn, id, lang), outcome) in addressed.into_iter().zip(service.apply_batch(work)) {
        let result = match outcome {
            Ok((reply, events)) => {
                applied.events.extend(events);
                Ok(reply)
            }
            Err(error) => {
                if error.poisons_the_store() {
                    troubled(health, &error.to_string(), log);
                }
                Err(lang::speaking(lang, || error.failure()))
            }
        };
        applied
            .replies
            .push((conn, lang, ServerMsg::Reply { id, result }));
    }
}

pub(super) fn commands_in(batches: &[Applied]) -> usize {
    batches.iter().map(|batch| batch.commands).sum()
}

/// Every reply of a batch that did not reach the disk says so, in its reader's language.
pub(super) fn fail_all(batch: &mut Applied, error: &ServiceError) {
    for (_, lang, message) in &mut batch.replies {
        if let ServerMsg::Reply { result, .. } = message {
            if result.is_ok() {
                *result = Err(lang::speaking(*lang, || error.failure()));
            }
        }
    }
    batch.events.clear();
}

/// Sends a message to one connection; one that cannot take it (gone, or too slow to keep
/// up) is dropped.
pub(super) fn deliver(
    connections: &mut HashMap<ConnId, Connection>,
    conn: ConnId,
    message: &ServerMsg,
    log: &ServerLog,
) {
    if let Some(frame) = encoded(message, log) {
        deliver_frame(connections, conn, Arc::new(frame), log);
    }
}

/// A message's frame; one that cannot be encoded is logged and sent to nobody.
fn encoded(message: &ServerMsg, log: &ServerLog) -> Option<Vec<u8>> {
    encode_frame(message)
        .map_err(|error| log.line(&format!("ответ не закодирован: {error}")))
        .ok()
}

/// Sends a batch's replies, each connection's together in one write (the website's one
/// connection carries many of a batch: one system call, and one wake-up of its reader,
/// instead of one a reply), each connection's in their order; which connection goes first
/// does not matter.
fn deliver_replies(
    connections: &mut HashMap<ConnId, Connection>,
    replies: Vec<(ConnId, Lang, ServerMsg)>,
    log: &ServerLog,
) {
    let mut together: HashMap<ConnId, Vec<u8>> = HashMap::new();
    for (conn, _, message) in replies {
        if let Some(frame) = encoded(&message, log) {
            together.entry(conn).or_default().extend_from_slice(&frame);
        }
    }
    for (conn, frames) in together {
        deliver_frame(connections, conn, Arc::new(frames), log);
    }
}

pub(super) fn deliver_frame(
    connections: &mut HashMap<ConnId, Connection>,
    conn: ConnId,
    frame: Arc<Vec<u8>>,
    log: &ServerLog,
) {
    let Some(connection) = connections.get(&conn) else {
        return;
    };
    if !connection.link.send(frame) {
        log.event(
            "slow",
            &format!(
                "{}: соединение {conn} не принимает сообщения и закрыто",
                connection.login
            ),
        );
        connection.link.close();
        connections.remove(&conn);
    }
}

/// Sends an event to every attached console as its viewer may see it: the same frame for all
/// who see the whole request (encoded once), their own version for the others, and
/// `RequestGone` to those who may not see it (any more).
pub(super) fn broadcast(
    connections: &mut HashMap<ConnId, Connection>,
    event: &Event,
    policy: &Policy,
    log: &ServerLog,
) {
    let attached: Vec<ConnId> = connections
        .iter()
        .filter(|(_, connection)| connection.mode == Mode::Attach)
        .map(|(conn, _)| *conn)
        .collect();
    if attached.is_empty() {
        return;
    }
    let encode = |event: Event| match encode_frame(&ServerMsg::Event { event }) {
        Ok(frame) => Some(Arc::new(frame)),
        Err(error) => {
            log.line(&format!("событие не закодировано: {error}"));
            None
        }
    };
    let Some(whole) = encode(event.clone()) else {
        return;
    };
    let Event::RequestChanged { request, by } = event else {
        for conn in attached {
            deliver_frame(connections, conn, Arc::clone(&whole), log);
        }
        return;
    };
    let mut gone = None;
    for conn in attached {
        let Some(seen) = connections
            .get(&conn)
            .map(|connection| sight(request, &connection.staff, policy))
        else {
            continue;
        };
        let frame = match seen {
            Sight::Whole => Some(Arc::clone(&whole)),
            Sight::Redacted => encode(Event::RequestChanged {
                request: redacted(request),
                by: by.clone(),
            }),
            Sight::Hidden => gone
                .get_or_insert_with(|| {
                    encode(Event::RequestGone {
                        id: request.id,
                        by: by.clone(),
                    })
                })
                .clone(),
        };
        if let Some(frame) = frame {
            deliver_frame(connections, conn, frame, log);
        }
    }
}

pub(super) fn disconnect_login(
    connections: &mut HashMap<ConnId, Connection>,
    login: &str,
    log: &ServerLog,
) {
    let theirs: Vec<ConnId> = connections
        .iter()
        .filter(|(_, connection)| connection.login == login)
        .map(|(conn, _)| *conn)
        .collect();
    for conn in theirs {
        if let Some(connection) = connections.remove(&conn) {
            connection.link.send_message(&ServerMsg::Goodbye {
                reason: tr!("server.account_disabled").into(),
                reconnect: false,
            });
            connection.link.close();
            log.line(&format!(
                "{login}: учётная запись отключена, соединение {conn} закрыто"
            ));
        }
    }
}

pub(super) fn attach(
    service: &Service,
    login: &str,
    mode: Mode,
) -> Result<(Staff, ServerMsg), String> {
    // The website door acts as the website whoever runs it: reaching the socket is the
    // permission, and its connection may send nothing else (`run_commands`).
    let me = match mode {
        Mode::Web => website(),
        Mode::Attach | Mode::Commands => {
            service.identify(login).map_err(|error| error.to_string())?
        }
    };
    let welcome = match mode {
        Mode::Attach => Some(Box::new(
            service.welcome(&me).map_err(|error| error.to_string())?,
        )),
        Mode::Commands | Mode::Web => None,
    };
    Ok((
        me,
        ServerMsg::Welcome {
            program_version: program_version(),
            welcome,
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixStream;

    use super::*;
    use crate::net::protocol::read_server_msg;
    use crate::service::Reply;

    fn connection(login: &str) -> (Connection, UnixStream) {
        let (ours, theirs) = UnixStream::pair().expect("a socket pair");
        let link = Link::open(ours, 16, format!("test-{login}")).expect("a link");
        let staff = Staff {
            login: login.into(),
            name: login.into(),
            roles: Vec::new(),
            vendor_rep: false,
            disabled: false,
        };
        let connection = Connection {
            login: login.into(),
            staff,
            mode: Mode::Web,
            link,
        };
        (connection, theirs)
    }

    fn reply(id: u64) -> ServerMsg {
        ServerMsg::Reply {
            id,
            result: Ok(Reply::Done),
        }
    }

    #[test]
    fn a_batch_s_replies_reach_each_connection_all_and_in_their_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = ServerLog::open(&dir.path().join("server.log")).expect("log");
        let (web, mut web_end) = connection("web");
        let (console, mut console_end) = connection("console");
        let mut connections = HashMap::from([(1, web), (2, console)]);
        let lang = crate::lang::current();
        let replies = [(1, 10), (2, 20), (1, 11), (1, 12), (2, 21)]
            .map(|(conn, id)| (conn, lang, reply(id)))
            .to_vec();
        deliver_replies(&mut connections, replies, &log);
        let ids = |end: &mut UnixStream, count: usize| -> Vec<u64> {
            (0..count)
                .map(|_| match read_server_msg(end).expect("a reply") {
                    ServerMsg::Reply { id, .. } => id,
                    other => panic!("not a reply: {other:?}"),
                })
                .collect()
        };
        assert_eq!(ids(&mut web_end, 3), [10, 11, 12]);
        assert_eq!(ids(&mut console_end, 2), [20, 21]);
    }
}
