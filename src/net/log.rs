//! The server's log file: one line per thing worth knowing, never on a console's screen.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::Local;

#[derive(Clone)]
pub struct ServerLog {
    file: Arc<Mutex<File>>,
}

impl ServerLog {
    pub fn open(path: &Path) -> io::Result<ServerLog> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        Ok(ServerLog {
            file: Arc::new(Mutex::new(file)),
        })
    }

    pub fn line(&self, text: &str) {
        let stamp = Local::now().format("%Y-%m-%d %H:%M:%S%.3f %:z");
        if let Ok(mut file) = self.file.lock() {
            let _ = writeln!(file, "{stamp} {text}");
        }
    }
}
