//! The console's backend over the server's socket: commands out, replies and events in,
//! and a new connection (with a fresh welcome) when the server comes back.

use std::collections::VecDeque;
use std::io::Read;
use std::os::unix::io::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use super::app::Msg;
use super::run::Backend;
use crate::net::client::{attach, Attached, ClientError, Incoming, Launch};
use crate::net::protocol::ServerMsg;
use crate::service::{Command, Welcome};

/// How often a console without its server tries to reach it again.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

pub struct NetBackend {
    dir: PathBuf,
    launch: Launch,
    link: Option<Attached>,
    /// Readable when the connection's reader thread has passed something on.
    wake: UnixStream,
    wake_sender: UnixStream,
    inbox: VecDeque<Msg>,
    last_attempt: Instant,
    /// The server said goodbye for good (account disabled): do not come back.
    finished: bool,
}

impl NetBackend {
    /// Connects (starting the server if allowed) and returns the first welcome.
    pub fn connect(dir: &Path, launch: Launch) -> Result<(NetBackend, Welcome), ClientError> {
        let (wake, wake_sender) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        let attached = attach(dir, &launch, Some(wake_sender.try_clone()?))?;
        let welcome = attached.welcome.clone();
        Ok((
            NetBackend {
                dir: dir.to_path_buf(),
                launch,
                link: Some(attached),
                wake,
                wake_sender,
                inbox: VecDeque::new(),
                last_attempt: Instant::now(),
                finished: false,
            },
            welcome,
        ))
    }

    fn lose(&mut self, reason: String) {
        if self.link.take().is_some() {
            self.last_attempt = Instant::now();
            self.inbox.push_back(Msg::Disconnected {
                reason,
                permanent: false,
            });
        }
    }

    fn try_reconnect(&mut self) {
        if self.finished || self.link.is_some() || self.last_attempt.elapsed() < RECONNECT_EVERY {
            return;
        }
        self.last_attempt = Instant::now();
        let Ok(wake) = self.wake_sender.try_clone() else {
            return;
        };
        match attach(&self.dir, &self.launch, Some(wake)) {
            Ok(attached) => {
                let welcome = attached.welcome.clone();
                self.link = Some(attached);
                self.inbox.push_back(Msg::Reconnected(Box::new(welcome)));
            }
            Err(ClientError::Refused(reason)) => {
                self.finished = true;
                self.inbox.push_back(Msg::Disconnected {
                    reason,
                    permanent: true,
                });
            }
            Err(_) => {}
        }
    }
}

impl Backend for NetBackend {
    fn send(&mut self, token: u64, command: Command) {
        let sent = match &mut self.link {
            Some(link) => link.send(token, command).map_err(|error| error.to_string()),
            None => Err(tr!("status.no_server").to_string()),
        };
        if let Err(reason) = sent {
            self.inbox.push_back(Msg::Reply {
                token,
                result: Err(ClientError::NotSent(reason.clone())),
            });
            self.lose(reason);
        }
    }

    fn drain(&mut self) -> Vec<Msg> {
        let mut bytes = [0u8; 256];
        while matches!(self.wake.read(&mut bytes), Ok(n) if n > 0) {}
        while let Some(link) = &self.link {
            let message = match link.incoming.try_recv() {
                Ok(Incoming::Message(message)) => *message,
                Ok(Incoming::Closed(reason)) => {
                    self.lose(reason);
                    break;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.lose(tr!("status.connection_closed").into());
                    break;
                }
            };
            match message {
                ServerMsg::Reply { id, result } => self.inbox.push_back(Msg::Reply {
                    token: id,
                    result: result.map_err(ClientError::Rejected),
                }),
                ServerMsg::Event { event } => self.inbox.push_back(Msg::Event(event)),
                ServerMsg::Goodbye { reason, reconnect } => {
                    self.finished = !reconnect;
                    self.link = None;
                    self.last_attempt = Instant::now();
                    self.inbox.push_back(Msg::Disconnected {
                        reason,
                        permanent: !reconnect,
                    });
                }
                ServerMsg::Refused { reason } => {
                    let permanent = true;
                    self.finished = permanent;
                    self.link = None;
                    self.last_attempt = Instant::now();
                    self.inbox
                        .push_back(Msg::Disconnected { reason, permanent });
                }
                ServerMsg::Welcome { .. } | ServerMsg::Pong { .. } => {}
            }
        }
        self.try_reconnect();
        self.inbox.drain(..).collect()
    }

    fn wake_fd(&self) -> Option<RawFd> {
        Some(self.wake.as_raw_fd())
    }
}
