//! The connection side of the server: accepting, the handshake, reading frames into jobs.
//! No client can exhaust it: connections are capped per OS user and in all, the handshake
//! has one deadline for the whole exchange, and errors of `accept` (out of descriptors)
//! back off instead of spinning.

use std::collections::HashMap;
use std::io::{self, Read};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{ConnId, Job, HELLO_TIMEOUT, OUTBOX};
use crate::lang::Lang;
use crate::net::link::{Link, DRAIN_TIMEOUT};
use crate::net::log::ServerLog;
use crate::net::peer::peer_uid;
use crate::net::protocol::{
    encode_frame, program_version, read_client_msg, version_mismatch, write_frame, ClientMsg,
    FrameError, ServerMsg, PROTOCOL_VERSION,
};
use crate::os::os_user_by_uid;

/// Connections one OS user may hold at once (consoles, scripts and handshakes).
pub const PER_USER: usize = 64;
/// Connections in all, whoever holds them (further bounded by the descriptors the process
/// may open: each connection holds two).
pub const TOTAL: usize = 512;
/// Descriptors kept free for the store, the log and the listener.
const SPARE_FDS: usize = 64;
/// The longest pause after a failed `accept`.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Who holds how many connections; a `Slot` is one of them, given back when dropped.
#[derive(Clone)]
pub(super) struct Slots {
    held: Arc<Mutex<Held>>,
    total: usize,
}

#[derive(Default)]
struct Held {
    by_user: HashMap<u32, usize>,
    all: usize,
}

pub(super) struct Slot {
    slots: Slots,
    uid: u32,
}

impl Slots {
    pub(super) fn new() -> Slots {
        Slots {
            held: Arc::new(Mutex::new(Held::default())),
            total: TOTAL
                .min(descriptor_limit().saturating_sub(SPARE_FDS) / 2)
                .max(1),
        }
    }

    /// A slot for a connection of `uid`, or the sentence its client prints.
    fn take(&self, uid: u32) -> Result<Slot, String> {
        let Ok(mut held) = self.held.lock() else {
            return Err(tr!("server_log.not_accepting").into());
        };
        if held.all >= self.total {
            return Err(tr!("server.busy", count = held.all));
        }
        let mine = held.by_user.entry(uid).or_insert(0);
        if *mine >= PER_USER {
            return Err(tr!("server.too_many_of_yours", count = PER_USER));
        }
        *mine += 1;
        held.all += 1;
        Ok(Slot {
            slots: self.clone(),
            uid,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut held) = self.slots.held.lock() {
            held.all = held.all.saturating_sub(1);
            if let Some(mine) = held.by_user.get_mut(&self.uid) {
                *mine = mine.saturating_sub(1);
                if *mine == 0 {
                    held.by_user.remove(&self.uid);
                }
            }
        }
    }
}

/// How many files this process may open (its soft limit).
fn descriptor_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit that outlives the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    } else {
        1024
    }
}

pub(super) fn accept_loop(
    listener: UnixListener,
    jobs: Sender<Job>,
    stop: Arc<AtomicBool>,
    log: ServerLog,
) {
    let next_conn = AtomicU64::new(1);
    let slots = Slots::new();
    let mut backoff = Duration::ZERO;
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
                backoff = Duration::ZERO;
                let conn = next_conn.fetch_add(1, Ordering::SeqCst);
                let uid = match peer_uid(&stream) {
                    Ok(uid) => uid,
                    Err(error) => {
                        log.event(
                            "peer",
                            &format!("соединение {conn}: кто подключился, не узнать: {error}"),
                        );
                        continue;
                    }
                };
                let slot = match slots.take(uid) {
                    Ok(slot) => slot,
                    Err(reason) => {
                        log.event(
                            "limit",
                            &format!("соединение {conn} (uid {uid}) не принято: {reason}"),
                        );
                        refuse_at_once(&stream, reason);
                        continue;
                    }
                };
                let conn_jobs = jobs.clone();
                let conn_log = log.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("pult-conn-{conn}"))
                    .spawn(move || {
                        serve_connection(conn, stream, conn_jobs, conn_log);
                        drop(slot);
                    });
                if let Err(error) = spawned {
                    log.event(
                        "thread",
                        &format!("поток соединения {conn} не создан: {error}"),
                    );
                }
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => {
                // out of descriptors or memory: what is pending stays pending, try later
                backoff = (backoff * 2).clamp(Duration::from_millis(10), MAX_BACKOFF);
                log.event("accept", &format!("accept: {error}; пауза {backoff:?}"));
                std::thread::sleep(backoff);
            }
        }
    }
    // Commands read before this point still run; then the service thread stops.
    let _ = jobs.send(Job::Shutdown);
}

/// Tells a connection over a limit why, without waiting for it to read.
fn refuse_at_once(stream: &UnixStream, reason: String) {
    let _ = stream.set_nonblocking(true);
    if let Ok(frame) = encode_frame(&ServerMsg::Refused { reason }) {
        let mut writer = stream;
        let _ = io::Write::write(&mut writer, &frame);
    }
}

/// Reads from a socket until one deadline: a client that trickles its bytes in gains nothing.
struct Until<'a> {
    stream: &'a UnixStream,
    deadline: Instant,
}

impl Read for Until<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "приветствие не пришло вовремя",
            ));
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut stream = self.stream;
        stream.read(buf)
    }
}

/// The client-supplied version text, as much of it as a log or a refusal needs.
fn bounded(text: &str) -> String {
    text.chars().take(40).collect()
}

/// The reader side of one connection: handshake, then frames in until it ends.
pub(super) fn serve_connection(
    conn: ConnId,
    stream: UnixStream,
    jobs: Sender<Job>,
    log: ServerLog,
) {
    let mut reader = stream;
    let _ = reader.set_nonblocking(false);
    let _ = reader.set_write_timeout(Some(DRAIN_TIMEOUT));
    let refuse = |stream: &mut UnixStream, reason: String| {
        let _ = write_frame(stream, &ServerMsg::Refused { reason });
        let _ = stream.shutdown(std::net::Shutdown::Both);
    };
    let hello = read_client_msg(&mut Until {
        stream: &reader,
        deadline: Instant::now() + HELLO_TIMEOUT,
    });
    let (version, client_program, mode) = match hello {
        Ok(ClientMsg::Hello {
            protocol_version,
            program_version,
            mode,
        }) => (protocol_version, program_version, mode),
        Ok(_) => return refuse(&mut reader, tr!("server.hello_first").into()),
        Err(error) => {
            log.event(
                "handshake",
                &format!("соединение {conn}: без приветствия: {error}"),
            );
            return refuse(&mut reader, tr!("server.no_hello", error = error));
        }
    };
    if version != PROTOCOL_VERSION {
        let reason = version_mismatch(version, &bounded(&client_program), &program_version());
        log.event("version", &format!("соединение {conn}: {reason}"));
        return refuse(&mut reader, reason);
    }
    let login = match peer_uid(&reader).ok().and_then(os_user_by_uid) {
        Some(user) => user.login,
        None => return refuse(&mut reader, tr!("server.unknown_peer").into()),
    };
    let _ = reader.set_read_timeout(None);
    let link = match reader
        .try_clone()
        .and_then(|writer| Link::open(writer, OUTBOX, format!("pult-conn-{conn}-out")))
    {
        Ok(link) => link,
        Err(error) => {
            log.event("link", &format!("соединение {conn}: {error}"));
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
    let mut lang = crate::lang::current();
    // a client that sends many commands at once (the website door) has them read in one go
    let mut frames = io::BufReader::with_capacity(64 * 1024, &reader);
    loop {
        match read_client_msg(&mut frames) {
            Ok(ClientMsg::Command { id, command }) => {
                let job = Job::Command {
                    conn,
                    id,
                    command,
                    lang,
                };
                if jobs.send(job).is_err() {
                    break;
                }
            }
            Ok(ClientMsg::Language { code }) => {
                if let Some(asked) = Lang::parse(&code) {
                    lang = asked;
                }
            }
            Ok(ClientMsg::Ping { id }) => {
                // the reader never blocks on the socket: the writer thread answers
                if let Ok(frame) = encode_frame(&ServerMsg::Pong { id }) {
                    pong.enqueue(Arc::new(frame));
                }
            }
            Ok(ClientMsg::Hello { .. }) => {
                log.event(
                    "frame",
                    &format!("соединение {conn}: второе приветствие, закрыто"),
                );
                break;
            }
            Err(FrameError::Closed) => break,
            Err(error) => {
                log.event("frame", &format!("соединение {conn}: {error}; закрыто"));
                break;
            }
        }
    }
    let _ = reader.shutdown(std::net::Shutdown::Both);
    let _ = jobs.send(Job::Detach { conn });
}
