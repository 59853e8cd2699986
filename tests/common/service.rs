//! A service opened in process on a test's temp directory, a server started on one (in this
//! process, or the real `pult server` binary) and clients of it.

// Every test binary compiles this module and each uses only some of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pult::domain::staff::{Role, Staff};
use pult::domain::time::{ManualClock, SystemClock};
use pult::net::client::{Client, Launch};
use pult::net::server::{start, ServerHandle};
use pult::service::setup::open_service;
use pult::service::Service;

use super::people::{first_os_user, me};
use super::PULT_BUILT;

/// The service on `dir` as the OS user running the test, on the system clock (on a fresh
/// directory that user becomes its first admin, operator and head).
pub fn open_as_me(dir: &Path) -> Service {
    super::on_the_clock(dir);
    open_service(dir, Arc::new(SystemClock), &me()).expect("open the service")
}

/// A fresh service on `dir` whose time is `clock`, and its first user `ivanova`'s account
/// (admin, operator and head).
pub fn open_as_first_user(dir: &Path, clock: &ManualClock) -> (Service, Staff) {
    super::on_the_clock(dir);
    let service = open_service(dir, Arc::new(clock.clone()), &first_os_user()).expect("open");
    let first = service
        .identify("ivanova")
        .expect("the first user has an account");
    (service, first)
}

/// The OS user running the test gets exactly `roles`; the store is flushed for a server to
/// open next.
pub fn set_my_roles(service: &Service, roles: &[Role]) {
    let mut account = service.identify(&me().login).expect("my account");
    account.roles = roles.to_vec();
    service
        .seed()
        .put_staff(&account)
        .expect("store my account");
    service.seed().flush().expect("flush");
}

/// A server on `dir`, in this process, as the OS user running the test; stops on drop.
pub fn serve(dir: &Path) -> ServerHandle {
    super::on_the_clock(dir);
    start(dir, Arc::new(SystemClock), &me()).expect("server starts")
}

/// A client of the server already running on `dir` (none is launched).
pub fn connect(dir: &Path) -> Client {
    Client::connect(dir, &Launch::Never).expect("connect")
}

/// The real `pult server` binary on `dir`, its output discarded; the test stops or kills it.
pub fn spawn_server(dir: &Path) -> Child {
    Command::new(PULT_BUILT)
        .env("PULT_LANG", "ru")
        .arg("server")
        .arg("--data")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pult server")
}

/// A client of the server starting on `dir`, retried until it answers; panics after `within`.
pub fn connect_when_up(dir: &Path, within: Duration) -> Client {
    let started = Instant::now();
    loop {
        match Client::connect(dir, &Launch::Never) {
            Ok(client) => return client,
            Err(error) if started.elapsed() > within => panic!("server never answered: {error}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}
