//! The real `pult server` binary under signals: SIGTERM stops it cleanly, and kill -9 at any
//! moment loses no command it acknowledged.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pult::domain::call_form::CallDraft;
use pult::domain::request::{CallerRole, Category, Channel, RequestId};
use pult::domain::time::Timestamp;
use pult::net::client::{attach, Client, Incoming, Launch};
use pult::net::protocol::ServerMsg;
use pult::service::{Command, Reply};

use common::calls::surname;
use common::service::{connect_when_up, spawn_server};

const WAIT: Duration = Duration::from_secs(20);

fn call(number: u64) -> CallDraft {
    CallDraft {
        // a distinct answered-at per call: each is a different call, never a resend
        answered_at: Some(Timestamp(1_700_000_000_000 + number as i64)),
        name: format!("Абонент {}", surname(number)),
        role: Some(CallerRole::Teacher),
        class: String::new(),
        category: Some(Category::Technical),
        description: "Нет звука на уроке".into(),
        phone: "8 912 345-67-89".into(),
        email: String::new(),
        caller_card: None,
        acknowledge: false,
    }
}

#[test]
fn sigterm_finishes_says_goodbye_and_removes_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_server(dir.path());
    let mut client = connect_when_up(dir.path(), WAIT);
    let Reply::Logged { request } = client
        .call(Command::LogCall {
            draft: call(1),
            channel: Channel::Phone,
        })
        .unwrap()
    else {
        panic!("not logged")
    };
    let console = attach(dir.path(), &Launch::Never, None).unwrap();
    // SAFETY: kill has no memory preconditions; the pid is our child.
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    let goodbye = console.incoming.recv_timeout(WAIT).expect("a goodbye");
    assert!(
        matches!(
            goodbye,
            Incoming::Message(ref message) if matches!(**message, ServerMsg::Goodbye {
                reconnect: true,
                ..
            })
        ),
        "{goodbye:?}"
    );
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!dir.path().join("pult.sock").exists());
    assert!(!dir.path().join("server.pid").exists());

    let mut server = spawn_server(dir.path());
    let mut client = connect_when_up(dir.path(), WAIT);
    let shown = client
        .call(Command::ShowRequest { id: request.id })
        .unwrap();
    assert_eq!(shown, Reply::Request { request });
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn kill_9_at_any_moment_loses_no_acknowledged_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let mut server = spawn_server(&path);
    connect_when_up(&path, WAIT);

    let acknowledged: Arc<Mutex<Vec<(u64, RequestId)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let acknowledged = Arc::clone(&acknowledged);
        let stop = Arc::clone(&stop);
        let path = path.clone();
        std::thread::spawn(move || {
            let mut number = 0;
            while !stop.load(Ordering::SeqCst) {
                let Ok(mut client) = Client::connect(&path, &Launch::Never) else {
                    std::thread::yield_now();
                    continue;
                };
                while !stop.load(Ordering::SeqCst) {
                    number += 1;
                    let sent = client.call(Command::LogCall {
                        draft: call(number),
                        channel: Channel::Phone,
                    });
                    match sent {
                        Ok(Reply::Logged { request }) => {
                            acknowledged.lock().unwrap().push((number, request.id))
                        }
                        Ok(other) => panic!("{other:?}"),
                        Err(_) => break, // the server died under us: reconnect
                    }
                }
            }
        })
    };

    let acked = || acknowledged.lock().unwrap().len();
    // 5 in `cargo test`; PULT_KILL_ROUNDS=30 for the README's "Faults survived"
    let rounds: u64 = std::env::var("PULT_KILL_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(5);
    for round in 0..rounds {
        // let a varying number of commands through, then kill mid-stream
        let target = acked() + 15 + (round * 7) as usize;
        let deadline = Instant::now() + WAIT;
        while acked() < target {
            assert!(Instant::now() < deadline, "the writer made no progress");
            std::thread::yield_now();
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        server = spawn_server(&path);
    }
    let deadline = Instant::now() + WAIT;
    let settled = acked() + 5;
    while acked() < settled {
        assert!(
            Instant::now() < deadline,
            "the writer made no progress after restarts"
        );
        std::thread::yield_now();
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();

    let mut client = connect_when_up(&path, WAIT);
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= rounds as usize * 15);
    println!(
        "{rounds} kill -9 rounds: {} acknowledged calls, all kept",
        acknowledged.len()
    );
    for (number, id) in &acknowledged {
        let reply = client.call(Command::ShowRequest { id: *id });
        match reply {
            Ok(Reply::Request { request }) => {
                assert_eq!(request.caller.name, format!("Абонент {}", surname(*number)))
            }
            other => panic!("acknowledged {id} is gone after kill -9: {other:?}"),
        }
    }
    let _ = server.kill();
    let _ = server.wait();
}
