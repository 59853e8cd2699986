//! A real SMTP server on loopback for the mail tests: Debian's `python3-aiosmtpd` (for
//! `/usr/bin/python3`), keeping every message it accepts in a Maildir, with the handler in
//! `tests/fixtures/smtp/` that refuses `nobody@…` (550) and defers `busy@…` (451). Messages
//! are read back with Python's own email parser. Without aiosmtpd a test says why and skips.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{POLL, TIMEOUT};

const PYTHON: &str = "/usr/bin/python3";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smtp");

/// The running SMTP server; stopped on drop.
pub struct SmtpServer {
    child: Option<Child>,
    pub port: u16,
    pub maildir: PathBuf,
}

/// One message as the SMTP server stored it, parsed by Python's `email` package.
#[derive(Debug)]
pub struct Stored {
    pub file: PathBuf,
    /// Decoded header values (RFC 2047 undone), by name.
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// The header block as it travelled (ASCII), to check the encoding itself.
    pub raw_headers: String,
    pub content_type: String,
    pub charset: Option<String>,
    pub body: String,
}

impl Stored {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.as_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// Whether the tests can have a real SMTP server; when not, the reason (CI installs it, so
/// there a missing one fails the test instead of skipping it).
pub fn available() -> Result<(), String> {
    let found = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if found {
        return Ok(());
    }
    let why = "no SMTP server for the mail tests: /usr/bin/python3 has no aiosmtpd \
               (apt-get install python3-aiosmtpd)"
        .to_string();
    if std::env::var_os("CI").is_some() {
        panic!("{why}");
    }
    Err(why)
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

impl SmtpServer {
    /// An SMTP server on `port`, storing messages under `maildir`, once it accepts
    /// connections.
    pub fn start(port: u16, maildir: &Path) -> SmtpServer {
        // aiosmtpd's Maildir makes new/, cur/ and tmp/ only for a folder it creates itself
        if let Some(parent) = maildir.parent() {
            std::fs::create_dir_all(parent).expect("the maildir's parent");
        }
        let child = Command::new(PYTHON)
            .env("PYTHONPATH", FIXTURES)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "pult_test_smtp.Refusing"])
            .arg(maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let server = SmtpServer {
            child: Some(child),
            port,
            maildir: maildir.to_path_buf(),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < TIMEOUT, "aiosmtpd never listened");
            std::thread::sleep(POLL);
        }
        server
    }

    /// Stops the server (a message sent now finds nobody listening).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message stored so far, oldest first.
    pub fn messages(&self) -> Vec<Stored> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir.join(sub)).ok())
            .flatten()
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect();
        files.sort_by_key(|file| {
            std::fs::metadata(file)
                .and_then(|meta| meta.modified())
                .ok()
        });
        files.into_iter().map(|file| read(&file)).collect()
    }

    /// The messages once there are at least `count`, within `within`.
    pub fn wait_for(&self, count: usize, within: Duration) -> Vec<Stored> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                started.elapsed() < within,
                "{count} message(s) expected, {} arrived within {within:?}",
                messages.len()
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read(file: &Path) -> Stored {
    let output = Command::new(PYTHON)
        .arg(format!("{FIXTURES}/read_message.py"))
        .arg(file)
        .output()
        .expect("run the message reader");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_string();
    Stored {
        file: file.to_path_buf(),
        headers: value["headers"].as_object().cloned().unwrap_or_default(),
        raw_headers: text("raw_headers"),
        content_type: text("content_type"),
        charset: value["charset"].as_str().map(str::to_string),
        body: text("body"),
    }
}

/// A `mail.toml` for a plain SMTP server on this machine's `port`.
pub fn write_mail_toml(dir: &Path, port: u16, acknowledge: bool) {
    std::fs::create_dir_all(dir).expect("data dir");
    let text = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
         from = \"Служба сопровождения <support@school167.ru>\"\n\
         reply_to = \"help@school167.ru\"\n\n[delivery]\nretry_hours = 24\n\
         acknowledge = {acknowledge}\n"
    );
    std::fs::write(dir.join("mail.toml"), text).expect("mail.toml");
}
