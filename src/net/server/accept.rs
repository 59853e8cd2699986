//! The connection side of the server: accepting, the handshake, reading frames into jobs.

use std::io;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use super::{ConnId, Job, HELLO_TIMEOUT, OUTBOX};
use crate::net::link::Link;
use crate::net::log::ServerLog;
use crate::net::peer::peer_uid;
use crate::net::protocol::{
    encode_frame, program_version, read_client_msg, version_mismatch, write_frame, ClientMsg,
    FrameError, ServerMsg, PROTOCOL_VERSION,
};
use crate::service::identity::os_user_by_uid;

pub(super) fn accept_loop(
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
pub(super) fn serve_connection(
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
