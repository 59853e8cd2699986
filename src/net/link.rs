//! The way out to one connection. Frames are written straight from the caller's thread when
//! nothing is waiting (no thread hand-off per reply or event); otherwise, or when the socket
//! is full, they queue for the connection's writer thread. A queue that fills up, or a socket
//! that does not drain within `DRAIN_TIMEOUT`, means a console that cannot keep up: it is
//! dropped instead of waited for. No caller ever blocks on a connection's socket.

use std::io::{self, Write};
use std::os::unix::io::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::protocol::{encode_frame, ServerMsg};

/// How long the writer thread waits for a console to read before dropping it.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Link {
    /// Held while writing, so frames never interleave.
    socket: Arc<Mutex<UnixStream>>,
    /// The socket's descriptor, to end it without waiting for a writer that is blocked on
    /// a full socket (and holds `socket`); valid while `socket` lives, which every clone of
    /// this link keeps alive.
    raw: RawFd,
    queue: SyncSender<Arc<Vec<u8>>>,
    queued: Arc<AtomicUsize>,
}

impl Link {
    /// Starts the writer thread of `stream`; `capacity` frames may wait for it.
    pub fn open(stream: UnixStream, capacity: usize, name: String) -> io::Result<Link> {
        stream.set_write_timeout(Some(DRAIN_TIMEOUT))?;
        let raw = stream.as_raw_fd();
        let socket = Arc::new(Mutex::new(stream));
        let (queue, waiting) = mpsc::sync_channel::<Arc<Vec<u8>>>(capacity);
        let queued = Arc::new(AtomicUsize::new(0));
        let writer_socket = Arc::clone(&socket);
        let writer_queued = Arc::clone(&queued);
        std::thread::Builder::new().name(name).spawn(move || {
            for frame in waiting {
                // a write that times out (the console stopped reading) ends the connection
                let written = match writer_socket.lock() {
                    Ok(mut socket) => socket.write_all(&frame),
                    Err(_) => Err(io::Error::other("poisoned")),
                };
                writer_queued.fetch_sub(1, Ordering::SeqCst);
                if written.is_err() {
                    break;
                }
            }
            // every sender is gone, or the peer is: end both directions
            shutdown(raw);
        })?;
        Ok(Link {
            socket,
            raw,
            queue,
            queued,
        })
    }

    /// Sends one message; false when the connection is gone or too slow and must be dropped.
    pub fn send_message(&self, message: &ServerMsg) -> bool {
        match encode_frame(message) {
            Ok(frame) => self.send(Arc::new(frame)),
            Err(_) => false,
        }
    }

    /// Sends an encoded frame (shared between connections for an event).
    pub fn send(&self, frame: Arc<Vec<u8>>) -> bool {
        if self.queued.load(Ordering::SeqCst) == 0 {
            if let Ok(socket) = self.socket.try_lock() {
                // Still holding the lock while queueing a remainder keeps the bytes in order.
                return match send_now(&socket, &frame) {
                    Ok(sent) if sent == frame.len() => true,
                    Ok(sent) => self.enqueue(Arc::new(frame[sent..].to_vec())),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.enqueue(frame),
                    Err(_) => false,
                };
            }
        }
        self.enqueue(frame)
    }

    /// Always through the writer thread (for a thread that must never block on the socket).
    pub fn enqueue(&self, frame: Arc<Vec<u8>>) -> bool {
        self.queued.fetch_add(1, Ordering::SeqCst);
        if self.queue.try_send(frame).is_ok() {
            true
        } else {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            false
        }
    }

    /// Ends the connection in both directions (its reader sees the end too, and a writer
    /// blocked on the full socket wakes with an error). Never waits.
    pub fn close(&self) {
        shutdown(self.raw);
    }
}

fn shutdown(raw: RawFd) {
    // SAFETY: `raw` belongs to a socket kept open by the link (see `Link::raw`); shutdown
    // only changes the socket's state and cannot touch memory.
    unsafe {
        libc::shutdown(raw, libc::SHUT_RDWR);
    }
}

/// One non-blocking send: as much of `bytes` as the socket takes now.
fn send_now(socket: &UnixStream, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: the fd is a live socket and `bytes` is valid for its length during the call.
    let sent = unsafe {
        libc::send(
            socket.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if sent < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(sent as usize)
    }
}
