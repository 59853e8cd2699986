//! The client side of the socket: finding (or starting) the server, the handshake, commands
//! for scripts, and an attached connection whose messages arrive on a channel.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::protocol::{
    program_version, read_server_msg, write_frame, ClientMsg, FrameError, Mode, ServerMsg,
    PROTOCOL_VERSION,
};
use super::server_files::ServerFiles;
use crate::service::{Command, Failure, FailureKind, Reply, Welcome};

/// How long a started server may take before it answers.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Whether a client may start the server when none answers.
#[derive(Debug, Clone)]
pub enum Launch {
    Never,
    /// Start this `pult` binary as `pult server --data DIR`, detached.
    Exe(PathBuf),
}

#[derive(Debug, Clone, Error)]
pub enum ClientError {
    #[error("{}", tr!("client.not_running", dir = .dir.display()))]
    NotRunning { dir: PathBuf },
    #[error("{}", tr!("client.start_failed", dir = .dir.display(), detail = .detail))]
    StartFailed { dir: PathBuf, detail: String },
    #[error("{}", tr!("client.no_access", socket = .socket.display()))]
    NoAccess { socket: PathBuf },
    #[error("{}", tr!("client.refused", reason = .0))]
    Refused(String),
    /// The server refused the command: its kind and its sentence.
    #[error("{0}")]
    Rejected(Failure),
    /// The command never left this client (no connection).
    #[error("{}", tr!("client.not_sent", why = .0))]
    NotSent(String),
    #[error("{}", tr!("client.lost", error = .0))]
    Lost(String),
    #[error("{}", tr!("client.unexpected"))]
    Unexpected,
}

impl ClientError {
    /// What the server said went wrong, when it was the server that refused.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            ClientError::Rejected(failure) => Some(failure),
            ClientError::NotRunning { .. }
            | ClientError::StartFailed { .. }
            | ClientError::NoAccess { .. }
            | ClientError::Refused(_)
            | ClientError::NotSent(_)
            | ClientError::Lost(_)
            | ClientError::Unexpected => None,
        }
    }

    pub fn kind(&self) -> Option<FailureKind> {
        self.failure().map(|failure| failure.kind)
    }
}

impl From<FrameError> for ClientError {
    fn from(error: FrameError) -> Self {
        ClientError::Lost(error.to_string())
    }
}

impl From<io::Error> for ClientError {
    fn from(error: io::Error) -> Self {
        ClientError::Lost(error.to_string())
    }
}

/// Connects to the server of `dir`, starting it first when none answers and `launch` allows.
pub fn connect(dir: &Path, launch: &Launch) -> Result<UnixStream, ClientError> {
    let files = ServerFiles::new(dir);
    match UnixStream::connect(&files.socket) {
        Ok(stream) => return Ok(stream),
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            return Err(ClientError::NoAccess {
                socket: files.socket,
            })
        }
        Err(_) => {}
    }
    match launch {
        Launch::Never => Err(ClientError::NotRunning {
            dir: dir.to_path_buf(),
        }),
        Launch::Exe(exe) => start_server(&files, exe),
    }
}

/// Starts `pult server` in its own session and waits until it answers or fails.
fn start_server(files: &ServerFiles, exe: &Path) -> Result<UnixStream, ClientError> {
    let failed = |detail: String| ClientError::StartFailed {
        dir: files.dir.clone(),
        detail,
    };
    let mut child = {
        let mut process = Process::new(exe);
        process
            .arg("server")
            .arg("--data")
            .arg(&files.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: setsid is async-signal-safe; it detaches the server from our terminal so
        // closing this console does not end it.
        unsafe {
            process.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        process.spawn().map_err(|error| failed(error.to_string()))?
    };
    let started = Instant::now();
    loop {
        match UnixStream::connect(&files.socket) {
            Ok(stream) => return Ok(stream),
            Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
                return Err(ClientError::NoAccess {
                    socket: files.socket.clone(),
                })
            }
            Err(_) => {}
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut text = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut text);
            }
            // Another client may have started it first: then it answers now.
            if let Ok(stream) = UnixStream::connect(&files.socket) {
                return Ok(stream);
            }
            let text = text.trim().trim_start_matches("pult: ").to_string();
            return Err(failed(if text.is_empty() {
                tr!("client.exit_code", status = status)
            } else {
                text
            }));
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(failed(tr!(
                "client.no_answer",
                seconds = START_TIMEOUT.as_secs(),
                log = files.log.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Says hello; returns the welcome (for `Mode::Attach`) or refuses with the server's sentence.
pub fn handshake(stream: &mut UnixStream, mode: Mode) -> Result<Option<Welcome>, ClientError> {
    write_frame(
        stream,
        &ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            program_version: program_version(),
            mode,
        },
    )?;
    match read_server_msg(stream) {
        Ok(ServerMsg::Welcome { welcome, .. }) => {
            let code = crate::lang::current().code().to_string();
            write_frame(stream, &ClientMsg::Language { code })?;
            Ok(welcome.map(|welcome| *welcome))
        }
        Ok(ServerMsg::Refused { reason }) => Err(ClientError::Refused(reason)),
        Ok(_) => Err(ClientError::Unexpected),
        Err(FrameError::Malformed(_)) => Err(ClientError::Refused(
            "сервер говорит на другой версии протокола: обновите pult и перезапустите сервер"
                .into(),
        )),
        Err(error) => Err(error.into()),
    }
}

/// A script's connection: one command, one reply.
pub struct Client {
    stream: UnixStream,
    next_id: u64,
}

impl Client {
    pub fn connect(dir: &Path, launch: &Launch) -> Result<Client, ClientError> {
        let mut stream = connect(dir, launch)?;
        handshake(&mut stream, Mode::Commands)?;
        Ok(Client { stream, next_id: 1 })
    }

    /// Sends a command and waits for its reply; a refusal comes back as `Rejected`.
    pub fn call(&mut self, command: Command) -> Result<Reply, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        write_frame(&mut self.stream, &ClientMsg::Command { id, command })?;
        loop {
            match read_server_msg(&mut self.stream)? {
                ServerMsg::Reply { id: got, result } if got == id => {
                    return result.map_err(ClientError::Rejected)
                }
                ServerMsg::Goodbye { reason, .. } | ServerMsg::Refused { reason } => {
                    return Err(ClientError::Lost(reason))
                }
                _ => {}
            }
        }
    }

    /// One round trip with no work on the server's side.
    pub fn ping(&mut self) -> Result<Duration, ClientError> {
        let started = Instant::now();
        let id = self.next_id;
        self.next_id += 1;
        write_frame(&mut self.stream, &ClientMsg::Ping { id })?;
        loop {
            if let ServerMsg::Pong { id: got } = read_server_msg(&mut self.stream)? {
                if got == id {
                    return Ok(started.elapsed());
                }
            }
        }
    }
}

/// What the reader thread of an attached connection passes on.
#[derive(Debug)]
pub enum Incoming {
    Message(Box<ServerMsg>),
    /// The connection ended; the text says how.
    Closed(String),
}

/// A console's connection: commands go out on `writer`, everything the server says arrives
/// on `incoming`; `wake` (if given) gets a byte per message so a waiting loop wakes up.
pub struct Attached {
    pub writer: UnixStream,
    pub welcome: Welcome,
    pub incoming: Receiver<Incoming>,
}

pub fn attach(
    dir: &Path,
    launch: &Launch,
    wake: Option<UnixStream>,
) -> Result<Attached, ClientError> {
    let mut stream = connect(dir, launch)?;
    let welcome = handshake(&mut stream, Mode::Attach)?.ok_or(ClientError::Unexpected)?;
    let mut reader = stream.try_clone()?;
    let (sender, incoming) = mpsc::channel();
    std::thread::Builder::new()
        .name("pult-incoming".into())
        .spawn(move || {
            let mut wake = wake;
            let nudge = |wake: &mut Option<UnixStream>| {
                if let Some(socket) = wake {
                    let _ = socket.write_all(&[1]);
                }
            };
            loop {
                match read_server_msg(&mut reader) {
                    Ok(message) => {
                        if sender.send(Incoming::Message(Box::new(message))).is_err() {
                            return;
                        }
                        nudge(&mut wake);
                    }
                    Err(error) => {
                        let _ = sender.send(Incoming::Closed(error.to_string()));
                        nudge(&mut wake);
                        return;
                    }
                }
            }
        })?;
    Ok(Attached {
        writer: stream,
        welcome,
        incoming,
    })
}

impl Drop for Attached {
    /// Ends the connection for the reader thread too (it holds a handle of its own on the
    /// socket): a dropped console must not stay connected, holding one of its user's slots.
    fn drop(&mut self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
    }
}

impl Attached {
    pub fn send(&mut self, id: u64, command: Command) -> Result<(), ClientError> {
        write_frame(&mut self.writer, &ClientMsg::Command { id, command })?;
        Ok(())
    }
}
