//! `pult server`: owns the store, listens on the data directory's Unix socket, applies every
//! command in order on one thread, flushes once for all the commands waiting, and pushes
//! each change to every attached console.
//!
//! Threads: the accept loop; one service thread that owns the `Service` and the list of
//! connections; per connection a reader (handshake, frames in) and a writer (frames out,
//! from a bounded queue: a console that cannot keep up is dropped, never waited for).

use std::io;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use thiserror::Error;

mod accept;
mod command_loop;

use accept::accept_loop;
use command_loop::service_loop;

use super::link::Link;
use super::log::ServerLog;
use super::mail::start_sender;
use super::protocol::{program_version, Mode};
use super::server_files::ServerFiles;
use crate::domain::time::Clock;
use crate::lang::Lang;
use crate::os::OsUser;
use crate::service::mail::{Delivery, MailConfigError, MailSetup};
use crate::service::setup::open_service;
use crate::service::{Command, ServiceError};
use crate::store::StoreError;

/// Messages queued for one console before it counts as too slow and is dropped.
const OUTBOX: usize = 4_096;
/// Commands taken together under one flush.
const BATCH: usize = 512;
/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("{}", tr!(
        "server.already_running",
        dir = .dir.display(),
        pid = .pid.map(|pid| tr!("server.pid", pid = pid)).unwrap_or_default()
    ))]
    AlreadyRunning { dir: PathBuf, pid: Option<u32> },
    #[error("{}", tr!("server.socket", path = .path.display(), source = .source))]
    Socket { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("{}", tr!("server.log", path = .path.display(), source = .source))]
    Log { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Mail(#[from] MailConfigError),
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
        /// The language the connection reads its answers in.
        lang: Lang,
    },
    Detach {
        conn: ConnId,
    },
    /// What the mail sender reports of one attempt.
    Mail {
        delivery: Delivery,
    },
    /// Destroy the personal data due under the policy's `[retention]`, as `login` (the
    /// server's own user), with the act (the school turned `apply_daily` on).
    Retention {
        login: String,
    },
    Shutdown,
}

/// A running server; stop it with `stop` (what SIGTERM does).
pub struct ServerHandle {
    files: ServerFiles,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    service: Option<JoinHandle<()>>,
}

impl ServerHandle {
    pub fn socket(&self) -> &Path {
        &self.files.socket
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
            let _ = UnixStream::connect(&self.files.socket);
        }
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        if let Some(service) = self.service.take() {
            let _ = service.join();
        }
        let _ = std::fs::remove_file(&self.files.socket);
        let _ = std::fs::remove_file(&self.files.pid_file);
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
    let files = ServerFiles::new(dir);
    crate::os::raise_descriptor_limit();
    if files.socket.exists() && answers(&files.socket) {
        return Err(ServerError::AlreadyRunning {
            dir: dir.to_path_buf(),
            pid: files.running_pid(),
        });
    }
    let service = match open_service(dir, Arc::clone(&clock), owner) {
        Err(ServiceError::Store(StoreError::Locked { .. })) => {
            return Err(ServerError::AlreadyRunning {
                dir: dir.to_path_buf(),
                pid: files.running_pid(),
            })
        }
        other => other?,
    };
    // a mistyped mail.toml stops the start before anything says the server is up
    let mail = MailSetup::load(dir, service.policy())?;
    let service = service.with_mail(mail);
    let log = ServerLog::open(&files.log).map_err(|source| ServerError::Log {
        path: files.log.clone(),
        source,
    })?;
    // Nothing answered: a socket file left here is stale.
    let _ = std::fs::remove_file(&files.socket);
    let socket_error = |source| ServerError::Socket {
        path: files.socket.clone(),
        source,
    };
    let listener = UnixListener::bind(&files.socket).map_err(socket_error)?;
    files.restrict_socket().map_err(socket_error)?;
    listener.set_nonblocking(true).map_err(socket_error)?;
    let _ = std::fs::write(&files.pid_file, format!("{}\n", std::process::id()));
    log.line(&format!(
        "сервер pult {} запущен, процесс {}, сокет {}",
        program_version(),
        std::process::id(),
        files.socket.display()
    ));
    crate::service::clear_partial_backups(dir);
    match service.recount_deadlines() {
        Ok(0) => {}
        Ok(moved) => log.line(&tr!("server.deadlines_recounted", count = moved)),
        Err(error) => log.line(&tr!("server.deadlines_not_recounted", error = error)),
    }
    if let Ok(unreadable) = service.unreadable_open_requests() {
        if !unreadable.is_empty() {
            let ids: Vec<String> = unreadable.iter().map(|id| id.to_string()).collect();
            log.line(&format!(
                "не читаются записи открытых обращений {}: хранилище повреждено, пульты их \
                 не показывают; восстановите хранилище из резервной копии",
                ids.join(", ")
            ));
        }
    }

    let (jobs, job_queue) = mpsc::channel();
    let mail_queue = match service.mail() {
        Some(setup) => {
            let (waiting, unreadable) = service.waiting_mail();
            if unreadable > 0 {
                log.line(&format!(
                    "не читаются записи исходящих писем: {unreadable}; они не отправляются,                      восстановите хранилище из резервной копии"
                ));
            }
            if !waiting.is_empty() {
                log.line(&format!(
                    "в исходящих ждут отправки писем: {}",
                    waiting.len()
                ));
            }
            let reports = jobs.clone();
            let report = move |delivery| reports.send(Job::Mail { delivery }).is_ok();
            let queue = start_sender(Arc::new(setup.clone()), waiting, clock, report)
                .map_err(socket_error)?;
            Some(queue)
        }
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let service_log = log.clone();
    let service_stop = Arc::clone(&stop);
    let apply_daily = service
        .policy()
        .retention
        .as_ref()
        .is_some_and(|retention| retention.apply_daily);
    let service_thread = std::thread::Builder::new()
        .name("pult-service".into())
        .spawn(move || service_loop(service, job_queue, mail_queue, service_stop, service_log))
        .map_err(socket_error)?;
    if apply_daily {
        daily_retention(jobs.clone(), owner.login.clone(), Arc::clone(&stop));
    }
    let accept_stop = Arc::clone(&stop);
    let accept_thread = std::thread::Builder::new()
        .name("pult-accept".into())
        .spawn(move || accept_loop(listener, jobs, accept_stop, log))
        .map_err(socket_error)?;
    Ok(ServerHandle {
        files,
        stop,
        accept: Some(accept_thread),
        service: Some(service_thread),
    })
}

/// How soon after the start the first daily retention runs, and how often after it.
const RETENTION_FIRST: Duration = Duration::from_secs(60);
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Asks the service thread once a day to destroy what `[retention]` has due, as `login`.
fn daily_retention(jobs: mpsc::Sender<Job>, login: String, stop: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("pult-retention".into())
        .spawn(move || {
            let mut next = Instant::now() + RETENTION_FIRST;
            while !stop.load(Ordering::SeqCst) {
                if Instant::now() >= next {
                    if jobs
                        .send(Job::Retention {
                            login: login.clone(),
                        })
                        .is_err()
                    {
                        return;
                    }
                    next = Instant::now() + RETENTION_EVERY;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
    // without the thread the school applies it by hand, as without apply_daily
    drop(spawned);
}
