//! The server on a temp directory with real clients over its socket: live updates, one
//! winner per conflict, refusals in sentences, hostile bytes costing one connection only,
//! clean stops, and no acknowledged command lost to kill -9.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use pult::domain::change::Change;
use pult::domain::request::{Channel, RequestId, Status};
use pult::domain::time::SystemClock;
use pult::net::client::{attach, Attached, Client, ClientError, Incoming, Launch};
use pult::net::protocol::{
    encode_frame, read_server_msg, ClientMsg, Mode, ServerMsg, PROTOCOL_VERSION,
};
use pult::net::server::{start, ServerError};
use pult::os::OsUser;
use pult::service::setup::open_service;
use pult::service::{Command, Event, Failure, FailureKind, Reply};

use common::calls::{call_answered_at, now_ms};
use common::people::me;
use common::service::{connect, open_as_me, serve};

const WAIT: Duration = Duration::from_secs(10);

/// The next message from the server that `pick` accepts, within `WAIT`.
fn next<T>(incoming: &Receiver<Incoming>, mut pick: impl FnMut(ServerMsg) -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match incoming.recv_timeout(left) {
            Ok(Incoming::Message(message)) => {
                if let Some(found) = pick(*message) {
                    return found;
                }
            }
            Ok(Incoming::Closed(reason)) => panic!("connection closed: {reason}"),
            Err(_) => panic!("nothing arrived within {WAIT:?}"),
        }
    }
}

fn reply_to(id: u64) -> impl Fn(ServerMsg) -> Option<Result<Reply, Failure>> {
    move |message| match message {
        ServerMsg::Reply { id: got, result } if got == id => Some(result),
        _ => None,
    }
}

fn console(dir: &Path) -> Attached {
    attach(dir, &Launch::Never, None).expect("attach")
}

#[test]
fn a_call_logged_at_one_console_appears_at_the_other_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let _server = serve(dir.path());
    let mut operator = console(dir.path());
    let head = console(dir.path());
    operator
        .send(
            1,
            Command::LogCall {
                draft: call_answered_at("Петрова Анна", now_ms()),
                channel: Channel::Phone,
            },
        )
        .unwrap();
    let logged = next(&operator.incoming, reply_to(1)).expect("logged");
    let Reply::Logged { request } = logged else {
        panic!("{logged:?}")
    };
    let seen = next(&head.incoming, |message| match message {
        ServerMsg::Event {
            event: Event::RequestChanged { request, .. },
        } => Some(request),
        _ => None,
    });
    assert_eq!(seen, request);
}

#[test]
fn two_consoles_routing_the_same_request_one_wins_and_both_see_it() {
    let dir = tempfile::tempdir().unwrap();
    let _server = serve(dir.path());
    let mut first = console(dir.path());
    let mut second = console(dir.path());
    first
        .send(
            1,
            Command::LogCall {
                draft: call_answered_at("Сидоров Пётр", now_ms()),
                channel: Channel::Phone,
            },
        )
        .unwrap();
    let Ok(Reply::Logged { request }) = next(&first.incoming, reply_to(1)) else {
        panic!("not logged")
    };
    let id = request.id;
    first
        .send(
            2,
            Command::Change {
                id,
                change: Change::Route {
                    queue: "ejournal".into(),
                },
            },
        )
        .unwrap();
    second
        .send(
            2,
            Command::Change {
                id,
                change: Change::Route {
                    queue: "head".into(),
                },
            },
        )
        .unwrap();
    // the second console gets its answer and the winner's state, in whichever order
    let mut second_reply = None;
    let mut second_saw = None;
    while second_reply.is_none() || second_saw.is_none() {
        next(&second.incoming, |message| {
            match message {
                ServerMsg::Reply { id: 2, result } => second_reply = Some(result),
                ServerMsg::Event {
                    event: Event::RequestChanged { request, .. },
                } if request.status == Status::Routed => second_saw = Some(request),
                _ => return None,
            }
            Some(())
        });
    }
    let results = [next(&first.incoming, reply_to(2)), second_reply.unwrap()];
    let wins = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(loser.kind, FailureKind::Rule, "{loser}");
    assert!(loser.message.contains("уже направлено"), "{loser}");
    assert_eq!(second_saw.map(|request| request.id), Some(id));
}

#[test]
fn a_resent_call_is_not_a_second_request() {
    let dir = tempfile::tempdir().unwrap();
    let _server = serve(dir.path());
    let mut client = connect(dir.path());
    let draft = call_answered_at("Петрова Анна", now_ms());
    let send = |client: &mut Client| {
        client
            .call(Command::LogCall {
                draft: draft.clone(),
                channel: Channel::Phone,
            })
            .unwrap()
    };
    let (Reply::Logged { request: a }, Reply::Logged { request: b }) =
        (send(&mut client), send(&mut client))
    else {
        panic!("not logged")
    };
    assert_eq!(a.id, b.id);
    let Reply::Requests { requests, .. } = client
        .call(Command::ListRequests {
            status: None,
            after: None,
        })
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(requests.len(), 1);
}

#[test]
fn the_draft_is_kept_by_the_server_across_connections() {
    let dir = tempfile::tempdir().unwrap();
    let _server = serve(dir.path());
    let draft = call_answered_at("Орлов Игорь", now_ms());
    {
        let mut client = connect(dir.path());
        client
            .call(Command::SaveDraft {
                draft: draft.clone(),
            })
            .unwrap();
    }
    assert_eq!(console(dir.path()).welcome.draft, Some(draft));
}

#[test]
fn a_client_of_another_version_is_told_which_versions_differ() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let mut stream = UnixStream::connect(server.socket()).unwrap();
    let hello = ClientMsg::Hello {
        protocol_version: 99,
        program_version: "9.9.9".into(),
        mode: Mode::Attach,
    };
    stream.write_all(&encode_frame(&hello).unwrap()).unwrap();
    match read_server_msg(&mut stream).unwrap() {
        ServerMsg::Refused { reason } => {
            assert!(reason.contains("протокол 99"), "{reason}");
            assert!(
                reason.contains(&format!("протокол {PROTOCOL_VERSION}")),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_os_user_without_an_account_is_refused_with_what_to_ask_the_admin() {
    let dir = tempfile::tempdir().unwrap();
    let someone_else = OsUser {
        uid: 4242,
        login: "belova".into(),
        full_name: "Белова Ольга Николаевна".into(),
    };
    drop(open_service(dir.path(), Arc::new(SystemClock), &someone_else).unwrap());
    let _server = start(dir.path(), Arc::new(SystemClock), &someone_else).unwrap();
    let error = match Client::connect(dir.path(), &Launch::Never) {
        Err(error) => error,
        Ok(_) => panic!("a user without an account got in"),
    };
    let ClientError::Refused(reason) = error else {
        panic!("{error:?}")
    };
    assert!(
        reason.contains(&format!("pult staff add {}", me().login)),
        "{reason}"
    );
}

#[test]
fn a_stale_socket_is_replaced_and_a_second_server_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // a socket file left by a crash: nothing listens on it
    drop(UnixListener::bind(dir.path().join("pult.sock")).unwrap());
    let first = serve(dir.path());
    assert!(Client::connect(dir.path(), &Launch::Never).is_ok());
    let error = match start(dir.path(), Arc::new(SystemClock), &me()) {
        Err(error) => error,
        Ok(_) => panic!("two servers on one directory"),
    };
    assert!(matches!(error, ServerError::AlreadyRunning { .. }));
    assert!(
        error.to_string().contains(&std::process::id().to_string()),
        "{error}"
    );
    drop(first);
}

#[test]
fn stopping_finishes_flushes_says_goodbye_and_removes_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let socket = server.socket().to_path_buf();
    let mut operator = console(dir.path());
    operator
        .send(
            1,
            Command::LogCall {
                draft: call_answered_at("Петрова Анна", now_ms()),
                channel: Channel::Phone,
            },
        )
        .unwrap();
    assert!(next(&operator.incoming, reply_to(1)).is_ok());
    server.stop();
    let reconnect = next(&operator.incoming, |message| match message {
        ServerMsg::Goodbye { reconnect, .. } => Some(reconnect),
        _ => None,
    });
    assert!(
        reconnect,
        "a stopped server asks consoles to come back later"
    );
    assert!(!socket.exists());
    let service = open_as_me(dir.path());
    assert!(service.records().request(RequestId(1)).unwrap().is_some());
}

fn still_serves(dir: &Path) {
    let mut client = connect(dir);
    client.ping().expect("and is answered");
}

/// Sends `bytes` raw on a fresh connection and waits until the server closes it or answers.
fn throw_at(socket: &Path, bytes: &[u8]) {
    let mut stream = UnixStream::connect(socket).unwrap();
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
}

#[test]
fn an_oversized_or_malformed_frame_closes_only_that_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let mut watcher = console(dir.path());
    throw_at(server.socket(), &[0xff, 0xff, 0xff, 0xff, 0, 0]);
    throw_at(server.socket(), &[0, 0, 0, 3, 9, 9, 9]);
    // a valid frame of the wrong type as the first message
    throw_at(
        server.socket(),
        &encode_frame(&ServerMsg::Pong { id: 1 }).unwrap(),
    );
    still_serves(dir.path());
    watcher.send(1, Command::ListStaff).unwrap();
    assert!(next(&watcher.incoming, reply_to(1)).is_ok());
}

fn hostile() -> impl Strategy<Value = Vec<u8>> {
    let hello = encode_frame(&ClientMsg::Hello {
        protocol_version: PROTOCOL_VERSION,
        program_version: "x".into(),
        mode: Mode::Commands,
    })
    .unwrap();
    let good = encode_frame(&ClientMsg::Ping { id: 1 }).unwrap();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        (0usize..good.len()).prop_map(move |cut| good[..cut].to_vec()),
        (any::<u32>(), proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(n, tail)| {
            let mut bytes = n.max(1 << 20).to_be_bytes().to_vec();
            bytes.extend(tail);
            bytes
        }),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(move |tail| {
            let mut bytes = hello.clone();
            let frame = [&(tail.len() as u32).to_be_bytes()[..], &tail].concat();
            bytes.extend(frame);
            bytes
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random bytes, truncated frames, huge length prefixes, and garbage after a good hello:
    /// the server answers or drops that connection, and a well-behaved client is served.
    #[test]
    fn hostile_bytes_never_stop_the_server(cases in proptest::collection::vec(hostile(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let server = serve(dir.path());
        for bytes in &cases {
            throw_at(server.socket(), bytes);
        }
        still_serves(dir.path());
    }

    #[test]
    fn decoding_any_bytes_gives_a_message_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = pult::net::protocol::decode_client(&bytes);
        let _ = pult::net::protocol::decode_server(&bytes);
    }
}

#[test]
fn each_client_reads_the_servers_refusals_in_its_own_language() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let missing = Command::ShowRequest { id: RequestId(999) };
    // the server speaks Russian; a client that reads English says so after its hello
    let mut english = pult::lang::speaking(pult::lang::Lang::En, || connect(dir.path()));
    let mut russian = connect(dir.path());
    let refusal = |client: &mut Client| match client.call(missing.clone()) {
        Err(ClientError::Rejected(failure)) => failure,
        other => panic!("not refused: {other:?}"),
    };
    let in_english = refusal(&mut english);
    let in_russian = refusal(&mut russian);
    assert_eq!(in_english.kind, FailureKind::NoSuchRequest);
    assert_eq!(in_english.message, "there is no request №999");
    assert_eq!(in_russian.kind, FailureKind::NoSuchRequest);
    assert_eq!(in_russian.message, "обращения №999 нет");
    server.stop();
}
