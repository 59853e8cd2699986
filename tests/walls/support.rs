//! What the walls' tests share: a server on a temp directory and calls to log.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pult::domain::call_form::CallDraft;
use pult::domain::request::{CallerRole, Category, Channel};
use pult::domain::time::{Clock, SystemClock, Timestamp};
use pult::net::client::{Client, Launch};
use pult::net::server::{start, ServerHandle};
use pult::service::identity::{current_os_user, OsUser};
use pult::service::{Command, Reply};

pub fn me() -> OsUser {
    current_os_user().expect("the tests run as some OS user")
}

pub fn server(dir: &Path) -> ServerHandle {
    start(dir, Arc::new(SystemClock), &me()).expect("server starts")
}

pub fn now_ms() -> i64 {
    SystemClock.now().0
}

/// A call answered at `answered_ms` (distinct times make distinct calls).
pub fn call(name: &str, answered_ms: i64) -> CallDraft {
    CallDraft {
        answered_at: Some(Timestamp(answered_ms)),
        name: name.into(),
        role: Some(CallerRole::Parent),
        class: "5А".into(),
        category: Some(Category::Ejournal),
        description: "Не открывается дневник".into(),
        phone: "8 912 345-67-89".into(),
        email: String::new(),
    }
}

pub fn log_call(client: &mut Client, answered_ms: i64) -> Reply {
    client
        .call(Command::LogCall {
            draft: call("Петрова Анна", answered_ms),
            channel: Channel::Phone,
        })
        .expect("the call is logged")
}

/// Logs `count` calls one after another; the time each took to be acknowledged.
pub fn log_calls(dir: &Path, count: usize) -> Vec<Duration> {
    let mut client = Client::connect(dir, &Launch::Never).expect("connect");
    let base = now_ms() - 10 * 60 * 1000;
    (0..count)
        .map(|n| {
            let started = Instant::now();
            log_call(&mut client, base + n as i64);
            started.elapsed()
        })
        .collect()
}

pub fn percentile(times: &[Duration], share: f64) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let at = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[at]
}

/// Held by the tests that time something or load the machine, so that they do not run at the
/// same time as each other (the test harness runs a binary's tests in parallel).
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
