//! `pult server`: owns the store, listens on the data directory's Unix socket, applies every
//! command in order on one thread, flushes once for all the commands waiting, and pushes
//! each change to every attached console.
//!
//! Threads: the accept loop; one service thread that owns the `Service` and the list of
//! connections; per connection a reader (handshake, frames in) and a writer (frames out,
//! from a bounded queue: a console that cannot keep up is dropped, never waited for).

use std::collections::HashMap;
use std::io;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use thiserror::Error;

use super::link::Link;
use super::log::ServerLog;
use super::peer::peer_uid;
use super::place::ServerPlace;
use super::protocol::{
    encode_frame, program_version, read_client_msg, version_mismatch, write_frame, ClientMsg,
    FrameError, Mode, ServerMsg, PROTOCOL_VERSION,
};
use crate::domain::access::{redacted, sight, Sight};
use crate::domain::policy::Policy;
use crate::domain::staff::Staff;
use crate::domain::time::Clock;
use crate::service::identity::{os_user_by_uid, OsUser};
use crate::service::setup::open_service;
use crate::service::{Command, Event, Service, ServiceError};
use crate::store::{Flusher, StoreError};

/// Messages queued for one console before it counts as too slow and is dropped.
const OUTBOX: usize = 4_096;
/// Commands taken together under one flush.
const BATCH: usize = 512;
/// Longest wait for commands already received to join a flush (see `teller_loop`).
const COMMIT_WINDOW: Duration = Duration::from_millis(2);
/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum ServerError {
    #[error(
        "сервер pult для {dir} уже работает{pid}. Остановите его (kill -TERM) или \
         подключайтесь к нему: pult --data {dir}",
        pid = .pid.map(|pid| format!(" (процесс {pid})")).unwrap_or_default()
    )]
    AlreadyRunning { dir: PathBuf, pid: Option<u32> },
    #[error("сокет {path} не создаётся: {source}")]
    Socket { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("журнал сервера {path} не открывается: {source}")]
    Log { path: PathBuf, source: io::Error },
}

type ConnId = u64;

/// Work for the service thread, in arrival order.
enum Job {
    Attach {
        conn: ConnId,
        login: String,
        mode: Mode,
        link: Link,
    },
    Command {
        conn: ConnId,
        id: u64,
        command: Command,
    },
    Detach {
        conn: ConnId,
    },
    Shutdown,
}

/// A running server; stop it with `stop` (what SIGTERM does).
pub struct ServerHandle {
    place: ServerPlace,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    service: Option<JoinHandle<()>>,
}

impl ServerHandle {
    pub fn socket(&self) -> &Path {
        &self.place.socket
    }

    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Stops accepting, lets queued commands finish, flushes, removes the socket.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.join_threads();
    }

    /// Waits until the server stops (its stop flag was set, e.g. by a signal).
    pub fn wait(mut self) {
        self.join_threads();
    }

    fn join_threads(&mut self) {
        if self.stop.load(Ordering::SeqCst) {
            // wake the accept loop from its wait at once
            let _ = UnixStream::connect(&self.place.socket);
        }
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        if let Some(service) = self.service.take() {
            let _ = service.join();
        }
        let _ = std::fs::remove_file(&self.place.socket);
        let _ = std::fs::remove_file(&self.place.pid_file);
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.join_threads();
    }
}

/// Is a server answering on this socket?
pub fn answers(socket: &Path) -> bool {
    UnixStream::connect(socket).is_ok()
}

/// Starts the server of `dir`; the OS user `owner` becomes the first admin of a new store.
pub fn start(
    dir: &Path,
    clock: Arc<dyn Clock>,
    owner: &OsUser,
) -> Result<ServerHandle, ServerError> {
    let place = ServerPlace::new(dir);
    if place.socket.exists() && answers(&place.socket) {
        return Err(ServerError::AlreadyRunning {
            dir: dir.to_path_buf(),
            pid: place.running_pid(),
        });
    }
    let service = match open_service(dir, clock, owner) {
        Err(ServiceError::Store(StoreError::Locked { .. })) => {
            return Err(ServerError::AlreadyRunning {
                dir: dir.to_path_buf(),
                pid: place.running_pid(),
            })
        }
        other => other?,
    };
    service.start_search_index();
    let log = ServerLog::open(&place.log).map_err(|source| ServerError::Log {
        path: place.log.clone(),
        source,
    })?;
    // Nothing answered: a socket file left here is stale.
    let _ = std::fs::remove_file(&place.socket);
    let socket_error = |source| ServerError::Socket {
        path: place.socket.clone(),
        source,
    };
    let listener = UnixListener::bind(&place.socket).map_err(socket_error)?;
    place.restrict_socket().map_err(socket_error)?;
    listener.set_nonblocking(true).map_err(socket_error)?;
    let _ = std::fs::write(&place.pid_file, format!("{}\n", std::process::id()));
    log.line(&format!(
        "сервер pult {} запущен, процесс {}, сокет {}",
        program_version(),
        std::process::id(),
        place.socket.display()
    ));

    let (jobs, job_queue) = mpsc::channel();
    // commands received from clients and not answered yet
    let in_flight = Arc::new(AtomicUsize::new(0));
    let service_in_flight = Arc::clone(&in_flight);
    let stop = Arc::new(AtomicBool::new(false));
    let service_log = log.clone();
    let service_thread = std::thread::Builder::new()
        .name("pult-service".into())
        .spawn(move || service_loop(service, job_queue, service_in_flight, service_log))
        .map_err(socket_error)?;
    let accept_stop = Arc::clone(&stop);
    let accept_thread = std::thread::Builder::new()
        .name("pult-accept".into())
        .spawn(move || accept_loop(listener, jobs, in_flight, accept_stop, log))
        .map_err(socket_error)?;
    Ok(ServerHandle {
        place,
        stop,
        accept: Some(accept_thread),
        service: Some(service_thread),
    })
}

fn accept_loop(
    listener: UnixListener,
    jobs: Sender<Job>,
    in_flight: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    log: ServerLog,
) {
    let next_conn = AtomicU64::new(1);
    while !stop.load(Ordering::SeqCst) {
        let mut poll = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd that lives across the call.
        let ready = unsafe { libc::poll(&mut poll, 1, 200) };
        if ready <= 0 {
            continue;
        }
        match listener.accept() {
            Ok((stream, _)) => {
                let conn = next_conn.fetch_add(1, Ordering::SeqCst);
                let conn_jobs = jobs.clone();
                let conn_log = log.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("pult-conn-{conn}"))
                    .spawn({
                        let in_flight = Arc::clone(&in_flight);
                        move || serve_connection(conn, stream, conn_jobs, in_flight, conn_log)
                    });
                if let Err(error) = spawned {
                    log.line(&format!("поток соединения {conn} не создан: {error}"));
                }
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => log.line(&format!("accept: {error}")),
        }
    }
    // Commands read before this point still run; then the service thread stops.
    let _ = jobs.send(Job::Shutdown);
}

/// The reader side of one connection: handshake, then frames in until it ends.
fn serve_connection(
    conn: ConnId,
    stream: UnixStream,
    jobs: Sender<Job>,
    in_flight: Arc<AtomicUsize>,
    log: ServerLog,
) {
    let mut reader = stream;
    let _ = reader.set_nonblocking(false);
    let _ = reader.set_read_timeout(Some(HELLO_TIMEOUT));
    let refuse = |stream: &mut UnixStream, reason: String| {
        let _ = write_frame(stream, &ServerMsg::Refused { reason });
        let _ = stream.shutdown(std::net::Shutdown::Both);
    };
    let (version, client_program, mode) = match read_client_msg(&mut reader) {
        Ok(ClientMsg::Hello {
            protocol_version,
            program_version,
            mode,
        }) => (protocol_version, program_version, mode),
        Ok(_) => return refuse(&mut reader, "ожидалось приветствие (Hello)".into()),
        Err(error) => {
            log.line(&format!("соединение {conn}: без приветствия: {error}"));
            return refuse(&mut reader, format!("ожидалось приветствие: {error}"));
        }
    };
    if version != PROTOCOL_VERSION {
        let reason = version_mismatch(version, &client_program, &program_version());
        log.line(&format!("соединение {conn}: {reason}"));
        return refuse(&mut reader, reason);
    }
    let login = match peer_uid(&reader).ok().and_then(os_user_by_uid) {
        Some(user) => user.login,
        None => {
            return refuse(
                &mut reader,
                "пользователь ОС по ту сторону сокета не определён".into(),
            )
        }
    };
    let _ = reader.set_read_timeout(None);
    let link = match reader
        .try_clone()
        .and_then(|writer| Link::open(writer, OUTBOX, format!("pult-conn-{conn}-out")))
    {
        Ok(link) => link,
        Err(error) => {
            log.line(&format!("соединение {conn}: {error}"));
            return;
        }
    };
    let pong = link.clone();
    if jobs
        .send(Job::Attach {
            conn,
            login,
            mode,
            link,
        })
        .is_err()
    {
        return;
    }
    loop {
        match read_client_msg(&mut reader) {
            Ok(ClientMsg::Command { id, command }) => {
                in_flight.fetch_add(1, Ordering::SeqCst);
                if jobs.send(Job::Command { conn, id, command }).is_err() {
                    break;
                }
            }
            Ok(ClientMsg::Ping { id }) => {
                // the reader never blocks on the socket: the writer thread answers
                if let Ok(frame) = encode_frame(&ServerMsg::Pong { id }) {
                    pong.enqueue(Arc::new(frame));
                }
            }
            Ok(ClientMsg::Hello { .. }) => {
                log.line(&format!("соединение {conn}: второе приветствие, закрыто"));
                break;
            }
            Err(FrameError::Closed) => break,
            Err(error) => {
                log.line(&format!("соединение {conn}: {error}; закрыто"));
                break;
            }
        }
    }
    let _ = reader.shutdown(std::net::Shutdown::Both);
    let _ = jobs.send(Job::Detach { conn });
}

struct Connection {
    login: String,
    /// Who is at this console now: what its events may show depends on the roles.
    staff: Staff,
    mode: Mode,
    link: Link,
}

/// One applied batch, on its way to be made durable and told.
struct Applied {
    wrote: bool,
    /// Commands taken from clients in this batch (answered, or dropped with their connection).
    commands: usize,
    attached: Vec<(ConnId, Connection, ServerMsg)>,
    detached: Vec<ConnId>,
    replies: Vec<(ConnId, ServerMsg)>,
    events: Vec<Event>,
    last: bool,
}

/// The one thread that touches the store: commands in arrival order. It does not wait for
/// the disk: while the teller flushes one batch, the next one is being applied.
fn service_loop(
    service: Service,
    jobs: Receiver<Job>,
    in_flight: Arc<AtomicUsize>,
    log: ServerLog,
) {
    let (batches, teller_queue) = mpsc::channel::<Applied>();
    let flusher = service.store().flusher();
    let policy = service.policy().clone();
    let teller_log = log.clone();
    let teller = std::thread::Builder::new()
        .name("pult-teller".into())
        .spawn(move || teller_loop(flusher, teller_queue, in_flight, policy, teller_log));
    let Ok(teller) = teller else {
        log.line("поток подтверждений не создан");
        return;
    };
    // who is behind each connection, for identifying its commands
    let mut logins: HashMap<ConnId, String> = HashMap::new();
    let mut running = true;
    while running {
        let Ok(first) = jobs.recv() else { break };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut applied = Applied {
            wrote: false,
            commands: 0,
            attached: Vec::new(),
            detached: Vec::new(),
            replies: Vec::new(),
            events: Vec::new(),
            last: false,
        };
        // Commands run together (one transaction) up to the next attach, detach or stop,
        // so a welcome's snapshot includes every command received before it.
        let mut pending: Vec<(ConnId, u64, Command)> = Vec::new();
        for job in batch {
            if let Job::Command { conn, id, command } = job {
                applied.commands += 1;
                pending.push((conn, id, command));
                continue;
            }
            run_commands(
                &service,
                &logins,
                std::mem::take(&mut pending),
                &mut applied,
            );
            match job {
                Job::Attach {
                    conn,
                    login,
                    mode,
                    link,
                } => match attach(&service, &login, mode) {
                    Ok((staff, welcome)) => {
                        log.line(&format!(
                            "{login} подключился ({mode:?}), соединение {conn}"
                        ));
                        logins.insert(conn, login.clone());
                        let connection = Connection {
                            login,
                            staff,
                            mode,
                            link,
                        };
                        applied.attached.push((conn, connection, welcome));
                    }
                    Err(reason) => {
                        log.line(&format!("{login} не допущен: {reason}"));
                        link.send_message(&ServerMsg::Refused { reason });
                        link.close();
                    }
                },
                Job::Detach { conn } => {
                    logins.remove(&conn);
                    applied.detached.push(conn);
                }
                Job::Shutdown => running = false,
                Job::Command { .. } => {}
            }
        }
        run_commands(&service, &logins, pending, &mut applied);
        applied.last = !running;
        if batches.send(applied).is_err() {
            break;
        }
    }
    drop(batches);
    let _ = teller.join();
    let _ = service.store().flush();
    log.line("сервер pult остановлен");
}

/// Makes applied batches durable (one flush for all that are waiting) and only then tells:
/// replies to their connections, events to every console.
fn teller_loop(
    flusher: Flusher,
    batches: Receiver<Applied>,
    in_flight: Arc<AtomicUsize>,
    policy: Policy,
    log: ServerLog,
) {
    let mut connections: HashMap<ConnId, Connection> = HashMap::new();
    let mut last = false;
    let (mut commands_told, mut flushes) = (0u64, 0u64);
    while !last {
        let Ok(first) = batches.recv() else { break };
        let mut waiting = vec![first];
        while let Ok(more) = batches.try_recv() {
            waiting.push(more);
        }
        // Group commit: commands that have already reached the server join this flush
        // (the service is applying them now). Nobody waits for a command not yet sent, so a
        // lone writer never waits; a short window bounds the wait.
        let window = Instant::now() + COMMIT_WINDOW;
        while commands_in(&waiting) < in_flight.load(Ordering::SeqCst)
            && !waiting.iter().any(|batch| batch.last)
        {
            let left = window.saturating_duration_since(Instant::now());
            match batches.recv_timeout(left) {
                Ok(more) => waiting.push(more),
                Err(_) => break,
            }
        }
        in_flight.fetch_sub(commands_in(&waiting), Ordering::SeqCst);
        commands_told += commands_in(&waiting) as u64;
        let durable = if waiting.iter().any(|batch| batch.wrote) {
            flushes += 1;
            flusher.flush()
        } else {
            Ok(())
        };
        for mut batch in waiting {
            last |= batch.last;
            if let Err(error) = &durable {
                // Not durable: nobody may be told it worked.
                log.line(&format!("сброс на диск не удался: {error}"));
                fail_all(&mut batch, &format!("не сохранено: {error}"));
            }
            for (conn, connection, welcome) in batch.attached {
                connections.insert(conn, connection);
                deliver(&mut connections, conn, &welcome, &log);
            }
            for (conn, message) in batch.replies {
                deliver(&mut connections, conn, &message, &log);
            }
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
            for conn in batch.detached {
                if let Some(gone) = connections.remove(&conn) {
                    gone.link.close();
                    log.line(&format!("{} отключился, соединение {conn}", gone.login));
                }
            }
        }
    }
    log.line(&format!(
        "за время работы: команд {commands_told}, сбросов на диск {flushes}"
    ));
    for (_, connection) in connections.drain() {
        connection.link.send_message(&ServerMsg::Goodbye {
            reason: "сервер pult остановлен".into(),
            reconnect: true,
        });
    }
}

/// Applies received commands in order, as their senders, into `applied`.
fn run_commands(
    service: &Service,
    logins: &HashMap<ConnId, String>,
    pending: Vec<(ConnId, u64, Command)>,
    applied: &mut Applied,
) {
    if pending.is_empty() {
        return;
    }
    let mut work = Vec::with_capacity(pending.len());
    let mut addressed = Vec::with_capacity(pending.len());
    for (conn, id, command) in pending {
        // a command whose connection is already gone is dropped with it
        let Some(login) = logins.get(&conn) else {
            continue;
        };
        match service.identify(login) {
            Ok(actor) => {
                applied.wrote |= !command.is_read_only();
                work.push((actor, command));
                addressed.push((conn, id));
            }
            Err(error) => applied.replies.push((
                conn,
                ServerMsg::Reply {
                    id,
                    result: Err(error.to_string()),
                },
            )),
        }
    }
    for ((conn, id), outcome) in addressed.into_iter().zip(service.apply_batch(work)) {
        let result = match outcome {
            Ok((reply, events)) => {
                applied.events.extend(events);
                Ok(reply)
            }
            Err(error) => Err(error.to_string()),
        };
        applied
            .replies
            .push((conn, ServerMsg::Reply { id, result }));
    }
}

fn commands_in(batches: &[Applied]) -> usize {
    batches.iter().map(|batch| batch.commands).sum()
}

fn fail_all(batch: &mut Applied, sentence: &str) {
    for (_, message) in &mut batch.replies {
        if let ServerMsg::Reply { result, .. } = message {
            if result.is_ok() {
                *result = Err(sentence.to_string());
            }
        }
    }
    batch.events.clear();
}

fn attach(service: &Service, login: &str, mode: Mode) -> Result<(Staff, ServerMsg), String> {
    let me = service.identify(login).map_err(|error| error.to_string())?;
    let welcome = match mode {
        Mode::Attach => Some(Box::new(
            service.welcome(&me).map_err(|error| error.to_string())?,
        )),
        Mode::Commands => None,
    };
    Ok((
        me,
        ServerMsg::Welcome {
            program_version: program_version(),
            welcome,
        },
    ))
}

/// Sends a message to one connection; one that cannot take it (gone, or too slow to keep
/// up) is dropped.
fn deliver(
    connections: &mut HashMap<ConnId, Connection>,
    conn: ConnId,
    message: &ServerMsg,
    log: &ServerLog,
) {
    match encode_frame(message) {
        Ok(frame) => deliver_frame(connections, conn, Arc::new(frame), log),
        Err(error) => log.line(&format!("ответ не закодирован: {error}")),
    }
}

fn deliver_frame(
    connections: &mut HashMap<ConnId, Connection>,
    conn: ConnId,
    frame: Arc<Vec<u8>>,
    log: &ServerLog,
) {
    let Some(connection) = connections.get(&conn) else {
        return;
    };
    if !connection.link.send(frame) {
        log.line(&format!(
            "{}: соединение {conn} не принимает сообщения и закрыто",
            connection.login
        ));
        connection.link.close();
        connections.remove(&conn);
    }
}

/// Sends an event to every attached console as its viewer may see it: the same frame for all
/// who see the whole request (encoded once), their own version for the others, and
/// `RequestGone` to those who may not see it (any more).
fn broadcast(
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
    let Event::RequestChanged { request } = event else {
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
            }),
            Sight::Hidden => gone
                .get_or_insert_with(|| encode(Event::RequestGone { id: request.id }))
                .clone(),
        };
        if let Some(frame) = frame {
            deliver_frame(connections, conn, frame, log);
        }
    }
}

fn disconnect_login(connections: &mut HashMap<ConnId, Connection>, login: &str, log: &ServerLog) {
    let theirs: Vec<ConnId> = connections
        .iter()
        .filter(|(_, connection)| connection.login == login)
        .map(|(conn, _)| *conn)
        .collect();
    for conn in theirs {
        if let Some(connection) = connections.remove(&conn) {
            connection.link.send_message(&ServerMsg::Goodbye {
                reason: "учётная запись отключена администратором".into(),
                reconnect: false,
            });
            connection.link.close();
            log.line(&format!(
                "{login}: учётная запись отключена, соединение {conn} закрыто"
            ));
        }
    }
}
