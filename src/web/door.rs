//! The website's one connection to `pult server` (`Mode::Web`): every page's command goes
//! over it, many at once (replies are matched by id), so the server takes concurrent
//! submissions together under one sync. A lost connection fails what was waiting on it and is
//! made again at the next command.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::net::client::{self, Launch};
use crate::net::protocol::{
    decode_server, encode_frame, ClientMsg, Mode, ServerMsg, MAX_SERVER_FRAME,
};
use crate::service::{Command, Failure, Reply};

/// The longest a page waits for the server's answer (a sync included).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Error)]
pub enum DoorError {
    /// No server answers, or it went away: nothing was stored by this command.
    #[error("{0}")]
    Unreachable(String),
    /// The server answered and refused.
    #[error("{0}")]
    Refused(Failure),
}

type Waiting = Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<Result<Reply, Failure>>>>>;

struct Connection {
    /// Frames for the writer task, which sends all that are waiting in one write.
    outgoing: mpsc::UnboundedSender<Vec<u8>>,
    waiting: Waiting,
    /// Set by the reader when the connection ended.
    closed: Arc<std::sync::atomic::AtomicBool>,
}

pub struct Door {
    dir: PathBuf,
    /// May this door start the server when none answers (only once, at start: see `run`)?
    launch: std::sync::Mutex<Launch>,
    connection: Mutex<Option<Connection>>,
    next_id: AtomicU64,
}

impl Door {
    pub fn new(dir: &Path, launch: Launch) -> Door {
        Door {
            dir: dir.to_path_buf(),
            launch: std::sync::Mutex::new(launch),
            connection: Mutex::new(None),
            next_id: AtomicU64::new(1),
        }
    }

    /// Sends `command` and waits for its reply.
    pub async fn call(&self, command: Command) -> Result<Reply, DoorError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let frame = encode_frame(&ClientMsg::Command { id, command })
            .map_err(|error| DoorError::Unreachable(error.to_string()))?;
        let (answer, answered) = oneshot::channel();
        {
            let mut connection = self.connection.lock().await;
            let alive = connection
                .as_ref()
                .is_some_and(|open| !open.closed.load(Ordering::SeqCst));
            if !alive {
                *connection = Some(self.open().await?);
            }
            let Some(open) = connection.as_mut() else {
                return Err(DoorError::Unreachable(tr!("web.door.lost").into()));
            };
            if let Ok(mut waiting) = open.waiting.lock() {
                waiting.insert(id, answer);
            }
            if open.outgoing.send(frame).is_err() {
                *connection = None;
                return Err(DoorError::Unreachable(tr!("web.door.lost").into()));
            }
        }
        match tokio::time::timeout(ANSWER_TIMEOUT, answered).await {
            Ok(Ok(Ok(reply))) => Ok(reply),
            Ok(Ok(Err(failure))) => Err(DoorError::Refused(failure)),
            Ok(Err(_)) => Err(DoorError::Unreachable(tr!("web.door.lost").into())),
            Err(_) => Err(DoorError::Unreachable(tr!("web.door.timeout").into())),
        }
    }

    async fn open(&self) -> Result<Connection, DoorError> {
        let dir = self.dir.clone();
        let launch = self
            .launch
            .lock()
            .map(|mut launch| std::mem::replace(&mut *launch, Launch::Never))
            .unwrap_or(Launch::Never);
        // finding (or starting) the server and the handshake are the console's own code
        let stream = tokio::task::spawn_blocking(move || {
            let mut stream = client::connect(&dir, &launch)?;
            stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
            client::handshake(&mut stream, Mode::Web)?;
            stream.set_read_timeout(None)?;
            stream.set_nonblocking(true)?;
            Ok::<_, client::ClientError>(stream)
        })
        .await
        .map_err(|error| DoorError::Unreachable(error.to_string()))?
        .map_err(|error| DoorError::Unreachable(error.to_string()))?;
        let stream = UnixStream::from_std(stream)
            .map_err(|error| DoorError::Unreachable(error.to_string()))?;
        let (reader, writer) = stream.into_split();
        let waiting: Waiting = Arc::default();
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (outgoing, frames) = mpsc::unbounded_channel();
        tokio::spawn(read_replies(
            reader,
            Arc::clone(&waiting),
            Arc::clone(&closed),
        ));
        tokio::spawn(write_frames(writer, frames, Arc::clone(&closed)));
        Ok(Connection {
            outgoing,
            waiting,
            closed,
        })
    }
}

/// Sends the frames of the pages' commands, every one waiting in a single write: pages that
/// post together cost the socket one system call (and the server one wake-up), as the server
/// answers them together. Before it looks, the writer lets every page that is ready to run
/// run first: without that, each page's frame went alone (41,213 writes for 41,216 posts
/// in `cargo bench --bench web`; 6,421 with it).
async fn write_frames(
    mut writer: OwnedWriteHalf,
    mut frames: mpsc::UnboundedReceiver<Vec<u8>>,
    closed: Arc<std::sync::atomic::AtomicBool>,
) {
    while let Some(mut batch) = frames.recv().await {
        tokio::task::yield_now().await;
        while let Ok(more) = frames.try_recv() {
            batch.extend_from_slice(&more);
        }
        if writer.write_all(&batch).await.is_err() {
            break;
        }
    }
    closed.store(true, Ordering::SeqCst);
}

/// Hands each reply to the page waiting for it, until the connection ends; then every page
/// still waiting hears that it was lost.
async fn read_replies(
    reader: OwnedReadHalf,
    waiting: Waiting,
    closed: Arc<std::sync::atomic::AtomicBool>,
) {
    // replies of a batch arrive together: one read takes many
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    loop {
        let mut prefix = [0u8; 4];
        if reader.read_exact(&mut prefix).await.is_err() {
            break;
        }
        let length = u32::from_be_bytes(prefix) as usize;
        if length > MAX_SERVER_FRAME {
            break;
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).await.is_err() {
            break;
        }
        match decode_server(&body) {
            Ok(ServerMsg::Reply { id, result }) => {
                let answer = waiting
                    .lock()
                    .ok()
                    .and_then(|mut waiting| waiting.remove(&id));
                if let Some(answer) = answer {
                    let _ = answer.send(result);
                }
            }
            Ok(ServerMsg::Goodbye { .. } | ServerMsg::Refused { .. }) | Err(_) => break,
            Ok(_) => {}
        }
    }
    closed.store(true, Ordering::SeqCst);
    if let Ok(mut waiting) = waiting.lock() {
        // dropping the senders tells each page its answer is lost
        waiting.clear();
    }
}
