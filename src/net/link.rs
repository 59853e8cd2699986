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
    /// Held by every sender from its frame's first byte sent (or queued) to its remainder
    /// queued, never across a wait on the socket: a frame queued by another thread (the
    /// reader's Pong) cannot land between a frame's sent part and its remainder.
    order: Arc<Mutex<()>>,
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
            order: Arc::new(Mutex::new(())),
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
        let Ok(_order) = self.order.lock() else {
            return false;
        };
        if self.queued.load(Ordering::SeqCst) == 0 {
            if let Ok(socket) = self.socket.try_lock() {
                // Still holding the lock while queueing a remainder keeps the bytes in order.
                return match send_now(&socket, &frame) {
                    Ok(sent) if sent == frame.len() => true,
                    Ok(sent) => self.queue_frame(Arc::new(frame[sent..].to_vec())),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        self.queue_frame(frame)
                    }
                    Err(_) => false,
                };
            }
        }
        self.queue_frame(frame)
    }

    /// Always through the writer thread (for a thread that must never block on the socket).
    pub fn enqueue(&self, frame: Arc<Vec<u8>>) -> bool {
        match self.order.lock() {
            Ok(_order) => self.queue_frame(frame),
            Err(_) => false,
        }
    }

    fn queue_frame(&self, frame: Arc<Vec<u8>>) -> bool {
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Frames of `size` bytes, each its length and then its number repeated.
    fn frame(number: u8, size: usize) -> Arc<Vec<u8>> {
        let mut frame = (size as u32).to_be_bytes().to_vec();
        frame.resize(4 + size, number);
        Arc::new(frame)
    }

    #[test]
    fn a_frame_queued_by_another_thread_never_lands_inside_one_sent_in_part() {
        let (ours, mut theirs) = UnixStream::pair().expect("a socket pair");
        let link = Link::open(ours, 1_000_000, "test-link".into()).expect("a link");
        let (large, small) = (300_000, 8);
        const FRAMES: usize = 600;
        let reader = std::thread::spawn(move || {
            let mut frames = 0usize;
            let mut prefix = [0u8; 4];
            // until the link is dropped
            while theirs.read_exact(&mut prefix).is_ok() {
                let mut body = vec![0u8; u32::from_be_bytes(prefix) as usize];
                theirs.read_exact(&mut body).expect("a whole frame");
                assert!(
                    body.len() == large || body.len() == small,
                    "a frame of {} bytes: frames mixed",
                    body.len()
                );
                assert!(body.iter().all(|byte| *byte == body[0]), "frames mixed");
                frames += 1;
            }
            frames
        });
        let sent = std::sync::atomic::AtomicBool::new(false);
        let queued = std::thread::scope(|scope| {
            // large frames that the socket takes in part, while the reader's thread queues
            // small ones (a Pong) all the time
            scope.spawn(|| {
                for n in 0..FRAMES {
                    assert!(link.send(frame((n % 250) as u8 + 1, large)));
                }
                sent.store(true, Ordering::SeqCst);
            });
            let pongs = scope.spawn(|| {
                let mut queued = 0;
                while !sent.load(Ordering::SeqCst) {
                    assert!(link.enqueue(frame(0, small)));
                    queued += 1;
                    std::thread::sleep(Duration::from_micros(20));
                }
                queued
            });
            pongs.join().expect("the pongs")
        });
        drop(link);
        assert_eq!(reader.join().expect("the reader"), FRAMES + queued);
    }
}
