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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use thiserror::Error;

use super::log::ServerLog;
use super::peer::peer_uid;
use super::place::ServerPlace;
use super::protocol::{
    program_version, read_client_msg, version_mismatch, write_frame, ClientMsg, FrameError, Mode,
    ServerMsg, PROTOCOL_VERSION,
};
use crate::domain::time::Clock;
use crate::service::identity::{os_user_by_uid, OsUser};
use crate::service::setup::open_service;
use crate::service::{Command, Event, Service, ServiceError};
use crate::store::StoreError;

/// Messages queued for one console before it counts as too slow and is dropped.
const OUTBOX: usize = 4_096;
/// Commands taken together under one flush.
const BATCH: usize = 512;
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
        outbox: SyncSender<ServerMsg>,
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
    let stop = Arc::new(AtomicBool::new(false));
    let service_log = log.clone();
    let service_thread = std::thread::Builder::new()
        .name("pult-service".into())
        .spawn(move || service_loop(service, job_queue, service_log))
        .map_err(socket_error)?;
    let accept_stop = Arc::clone(&stop);
    let accept_thread = std::thread::Builder::new()
        .name("pult-accept".into())
        .spawn(move || accept_loop(listener, jobs, accept_stop, log))
        .map_err(socket_error)?;
    Ok(ServerHandle {
        place,
        stop,
        accept: Some(accept_thread),
        service: Some(service_thread),
    })
}

fn accept_loop(listener: UnixListener, jobs: Sender<Job>, stop: Arc<AtomicBool>, log: ServerLog) {
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
                    .spawn(move || serve_connection(conn, stream, conn_jobs, conn_log));
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
fn serve_connection(conn: ConnId, stream: UnixStream, jobs: Sender<Job>, log: ServerLog) {
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
    let Ok(mut writer) = reader.try_clone() else {
        return;
    };
    let (outbox, outgoing) = mpsc::sync_channel::<ServerMsg>(OUTBOX);
    let writer_thread = std::thread::Builder::new()
        .name(format!("pult-conn-{conn}-out"))
        .spawn(move || {
            for message in outgoing {
                if write_frame(&mut writer, &message).is_err() {
                    break;
                }
            }
            // the service dropped us, or the peer is gone: end both directions
            let _ = writer.shutdown(std::net::Shutdown::Both);
        });
    if writer_thread.is_err() {
        return;
    }
    let pong = outbox.clone();
    if jobs
        .send(Job::Attach {
            conn,
            login,
            mode,
            outbox,
        })
        .is_err()
    {
        return;
    }
    loop {
        match read_client_msg(&mut reader) {
            Ok(ClientMsg::Command { id, command }) => {
                if jobs.send(Job::Command { conn, id, command }).is_err() {
                    break;
                }
            }
            Ok(ClientMsg::Ping { id }) => {
                let _ = pong.try_send(ServerMsg::Pong { id });
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
    mode: Mode,
    outbox: SyncSender<ServerMsg>,
}

/// The one thread that touches the store: commands in arrival order, one flush per batch.
fn service_loop(service: Service, jobs: Receiver<Job>, log: ServerLog) {
    let mut connections: HashMap<ConnId, Connection> = HashMap::new();
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
        // Replies wait for the flush; nothing is told before it is durable.
        let mut replies: Vec<(ConnId, ServerMsg)> = Vec::new();
        let mut events: Vec<Event> = Vec::new();
        let mut wrote = false;
        for job in batch {
            match job {
                Job::Attach {
                    conn,
                    login,
                    mode,
                    outbox,
                } => match attach(&service, &login, mode) {
                    Ok(welcome) => {
                        log.line(&format!(
                            "{login} подключился ({mode:?}), соединение {conn}"
                        ));
                        connections.insert(
                            conn,
                            Connection {
                                login,
                                mode,
                                outbox,
                            },
                        );
                        replies.push((conn, welcome));
                    }
                    Err(reason) => {
                        log.line(&format!("{login} не допущен: {reason}"));
                        let _ = outbox.try_send(ServerMsg::Refused { reason });
                    }
                },
                Job::Command { conn, id, command } => {
                    let Some(login) = connections.get(&conn).map(|c| c.login.clone()) else {
                        continue;
                    };
                    let read_only = command.is_read_only();
                    let result = service
                        .identify(&login)
                        .and_then(|actor| service.apply(&actor, command));
                    let result = match result {
                        Ok((reply, new_events)) => {
                            wrote |= !read_only;
                            events.extend(new_events);
                            Ok(reply)
                        }
                        Err(error) => Err(error.to_string()),
                    };
                    replies.push((conn, ServerMsg::Reply { id, result }));
                }
                Job::Detach { conn } => {
                    if let Some(gone) = connections.remove(&conn) {
                        log.line(&format!("{} отключился, соединение {conn}", gone.login));
                    }
                }
                Job::Shutdown => running = false,
            }
        }
        if wrote {
            if let Err(error) = service.store().flush() {
                // Not durable: nobody may be told it worked.
                log.line(&format!("сброс на диск не удался: {error}"));
                let sentence = format!("не сохранено: {error}");
                for (_, message) in &mut replies {
                    if let ServerMsg::Reply { result, .. } = message {
                        if result.is_ok() {
                            *result = Err(sentence.clone());
                        }
                    }
                }
                events.clear();
            }
        }
        for (conn, message) in replies {
            deliver(&mut connections, conn, message, &log);
        }
        for event in events {
            broadcast(&mut connections, &event, &log);
            if let Event::StaffChanged { staff } = &event {
                if staff.disabled {
                    disconnect_login(&mut connections, &staff.login, &log);
                }
            }
        }
    }
    let _ = service.store().flush();
    for (_, connection) in connections.drain() {
        let _ = connection.outbox.try_send(ServerMsg::Goodbye {
            reason: "сервер pult остановлен".into(),
            reconnect: true,
        });
    }
    log.line("сервер pult остановлен");
}

fn attach(service: &Service, login: &str, mode: Mode) -> Result<ServerMsg, String> {
    let me = service.identify(login).map_err(|error| error.to_string())?;
    let welcome = match mode {
        Mode::Attach => Some(Box::new(
            service.welcome(&me).map_err(|error| error.to_string())?,
        )),
        Mode::Commands => None,
    };
    Ok(ServerMsg::Welcome {
        program_version: program_version(),
        welcome,
    })
}

/// Queues a message for one connection; a full queue means a stuck console: drop it.
fn deliver(
    connections: &mut HashMap<ConnId, Connection>,
    conn: ConnId,
    message: ServerMsg,
    log: &ServerLog,
) {
    let Some(connection) = connections.get(&conn) else {
        return;
    };
    match connection.outbox.try_send(message) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            log.line(&format!(
                "{} не успевает получать изменения: соединение {conn} закрыто",
                connection.login
            ));
            connections.remove(&conn);
        }
        Err(TrySendError::Disconnected(_)) => {
            connections.remove(&conn);
        }
    }
}

fn broadcast(connections: &mut HashMap<ConnId, Connection>, event: &Event, log: &ServerLog) {
    let attached: Vec<ConnId> = connections
        .iter()
        .filter(|(_, connection)| connection.mode == Mode::Attach)
        .map(|(conn, _)| *conn)
        .collect();
    for conn in attached {
        deliver(
            connections,
            conn,
            ServerMsg::Event {
                event: event.clone(),
            },
            log,
        );
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
            let _ = connection.outbox.try_send(ServerMsg::Goodbye {
                reason: "учётная запись отключена администратором".into(),
                reconnect: false,
            });
            log.line(&format!(
                "{login}: учётная запись отключена, соединение {conn} закрыто"
            ));
        }
    }
}
