//! What the walls' tests share beyond `common`: calls logged one after another and timed.

use std::path::Path;
use std::time::{Duration, Instant};

use pult::domain::request::Channel;
use pult::net::client::Client;
use pult::service::{Command, Reply};

use crate::common::calls::{call_answered_at, now_ms};
use crate::common::service::connect;

pub fn log_call(client: &mut Client, answered_ms: i64) -> Reply {
    client
        .call(Command::LogCall {
            draft: call_answered_at("Петрова Анна", answered_ms),
            channel: Channel::Phone,
        })
        .expect("the call is logged")
}

/// Logs `count` calls one after another; the time each took to be acknowledged.
pub fn log_calls(dir: &Path, count: usize) -> Vec<Duration> {
    let mut client = connect(dir);
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
