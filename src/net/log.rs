//! The server's log file: one line per thing worth knowing, never on a console's screen.
//! What a client can make happen (a bad handshake, a refused connection) is logged at most
//! `PER_WINDOW` times a minute per kind, and every line is cleaned of control characters and
//! bounded, so no client can fill the disk or write escape sequences into the log.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Local;

use crate::domain::validate::sanitize;

/// Lines of one kind written per window; the rest are counted and the count written once.
const PER_WINDOW: u32 = 20;
const WINDOW: Duration = Duration::from_secs(60);
/// Characters of one line kept.
const LINE_CHARS: usize = 500;

#[derive(Clone)]
pub struct ServerLog {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    file: File,
    kinds: HashMap<&'static str, Window>,
}

struct Window {
    started: Instant,
    written: u32,
    dropped: u64,
}

impl ServerLog {
    pub fn open(path: &Path) -> io::Result<ServerLog> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        // a log left by an older pult may be open to others; it names callers
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(ServerLog {
            inner: Arc::new(Mutex::new(Inner {
                file,
                kinds: HashMap::new(),
            })),
        })
    }

    /// A line of the server's own (start, stop, failures of its own): always written.
    pub fn line(&self, text: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.write(text);
        }
    }

    /// A line a client's doing caused, of one `kind`: written while that kind is within
    /// its rate; past it, counted and summed up once the window is over.
    pub fn event(&self, kind: &'static str, text: &str) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let now = Instant::now();
        let window = inner.kinds.entry(kind).or_insert(Window {
            started: now,
            written: 0,
            dropped: 0,
        });
        let mut summary = None;
        if now.duration_since(window.started) >= WINDOW {
            if window.dropped > 0 {
                summary = Some(tr!(
                    "server_log.dropped",
                    count = window.dropped,
                    kind = kind
                ));
            }
            *window = Window {
                started: now,
                written: 0,
                dropped: 0,
            };
        }
        let allowed = window.written < PER_WINDOW;
        if allowed {
            window.written += 1;
        } else {
            window.dropped += 1;
        }
        if let Some(summary) = summary {
            inner.write(&summary);
        }
        if allowed {
            inner.write(text);
        }
    }
}

impl Inner {
    fn write(&mut self, text: &str) {
        let stamp = Local::now().format("%Y-%m-%d %H:%M:%S%.3f %:z");
        let mut clean = sanitize(text, false, LINE_CHARS);
        if text.chars().nth(LINE_CHARS).is_some() {
            clean.push('…');
        }
        // one write per line: lines of several threads never interleave
        let _ = self.file.write_all(format!("{stamp} {clean}\n").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(write: impl Fn(&ServerLog)) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.log");
        let log = ServerLog::open(&path).unwrap();
        write(&log);
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn a_line_is_bounded_and_holds_no_control_characters() {
        let text =
            logged(|log| log.line(&format!("a\u{1b}[31mb\nc\u{9b}d{}", "x".repeat(250_000))));
        assert_eq!(text.lines().count(), 1);
        assert!(text.len() < 2 * LINE_CHARS + 100, "{} bytes", text.len());
        assert!(!text.trim_end().chars().any(|c| c.is_control()), "{text:?}");
        assert!(text.contains("ab c"), "{text:?}");
    }

    #[test]
    fn a_kind_of_event_is_written_at_most_its_rate() {
        let text = logged(|log| {
            for n in 0..10_000 {
                log.event("handshake", &format!("connection {n}"));
            }
            log.event("other", "another kind still gets through");
        });
        assert_eq!(text.lines().count(), PER_WINDOW as usize + 1);
        assert!(text.contains("another kind"));
    }
}
