//! A full disk is a sentence, and the server recovers by itself: a real tmpfs of a few
//! megabytes that the test mounts (root only), filled while the server runs, then freed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use std::sync::mpsc::Receiver;
use std::time::Duration;

use pult::net::client::{attach, Client, ClientError, Incoming, Launch};
use pult::net::protocol::ServerMsg;
use pult::service::{Command as PultCommand, Event, FailureKind, Reply};

use crate::common::calls::{call_answered_at, now_ms};
use crate::common::service::{connect, serve};

struct Mounted(PathBuf);

impl Mounted {
    fn tmpfs(size: &str) -> Option<Mounted> {
        let dir = tempfile::tempdir().ok()?.keep();
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&dir)
            .status()
            .ok()?;
        status.success().then_some(Mounted(dir))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Writes until the disk holds no more.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0x5au8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
}

fn log(client: &mut Client, answered_ms: i64) -> Result<Reply, ClientError> {
    client.call(PultCommand::LogCall {
        draft: call_answered_at("Петрова Анна", answered_ms),
        channel: pult::domain::request::Channel::Phone,
    })
}

fn stored(client: &mut Client) -> Vec<u64> {
    let Ok(Reply::Requests { requests, .. }) = client.call(PultCommand::ListRequests {
        status: None,
        after: None,
    }) else {
        panic!("the list is read")
    };
    requests.iter().map(|request| request.id.0).collect()
}

/// The next word on the store's health an attached console hears.
fn store_state(incoming: &Receiver<Incoming>) -> Option<String> {
    loop {
        match incoming.recv_timeout(Duration::from_secs(10)) {
            Ok(Incoming::Message(message)) => {
                if let ServerMsg::Event {
                    event: Event::StoreState { trouble },
                } = *message
                {
                    return trouble;
                }
            }
            other => panic!("no word on the store: {other:?}"),
        }
    }
}

#[test]
fn a_full_disk_refuses_with_a_sentence_and_the_server_goes_on_once_space_is_free() {
    let _alone = crate::walls::support::one_at_a_time();
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        println!("walls::disk: skipped — mounting a small tmpfs needs root; CI runs as root");
        return;
    }
    let Some(disk) = Mounted::tmpfs("24m") else {
        println!("walls::disk: skipped — mount -t tmpfs failed here");
        return;
    };
    let dir = disk.0.join("data");
    let _server = serve(&dir);
    let mut client = connect(&dir);
    // the head's console, watching
    let head = attach(&dir, &Launch::Never, None).unwrap();
    let base = now_ms() - 60 * 60 * 1000;
    let mut acknowledged = Vec::new();
    for n in 0..5 {
        let Ok(Reply::Logged { request }) = log(&mut client, base + n) else {
            panic!("logged before the disk fills")
        };
        acknowledged.push(request.id.0);
    }

    let filler = disk.0.join("filler");
    fill(&filler);
    let mut refusal = None;
    // the journal's space is the server's own (zeroed when the store was made): calls go on
    // being saved there, durably, until sled's next full sync finds the disk full
    let started = std::time::Instant::now();
    for n in 5..200_000 {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
        match log(&mut client, base + n) {
            Ok(Reply::Logged { request }) => acknowledged.push(request.id.0),
            Ok(other) => panic!("{other:?}"),
            Err(error) => {
                refusal = Some(error);
                break;
            }
        }
    }
    let refusal = refusal.expect("a full disk refuses a call");
    println!("refused after {} calls: {refusal}", acknowledged.len());
    assert_eq!(refusal.kind(), Some(FailureKind::DiskFull), "{refusal}");
    let sentence = refusal.to_string();
    assert!(
        sentence.contains("диск сервера заполнен") && !sentence.contains("Os {"),
        "{sentence}"
    );
    // still full: still refused, in the same words
    let again = log(&mut client, base + 300_000).unwrap_err();
    assert_eq!(again.kind(), Some(FailureKind::DiskFull), "{again}");
    assert!(
        again.to_string().contains("диск сервера заполнен"),
        "{again}"
    );

    let told = store_state(&head.incoming);
    assert!(
        told.as_deref().is_some_and(|why| why.contains("диск")),
        "the consoles are told: {told:?}"
    );

    std::fs::remove_file(&filler).unwrap();
    let Ok(Reply::Logged { request }) = log(&mut client, base + 300_001) else {
        panic!("once space is free, the next call is saved without a restart")
    };
    acknowledged.push(request.id.0);
    assert_eq!(
        store_state(&head.incoming),
        None,
        "and told when it saves again"
    );
    let now_stored = stored(&mut client);
    for id in &acknowledged {
        assert!(
            now_stored.contains(id),
            "acknowledged №{id} is kept: {now_stored:?}"
        );
    }
    let log_text = std::fs::read_to_string(dir.join("server.log")).unwrap();
    assert_eq!(
        log_text.matches("запись в хранилище не удалась").count(),
        1,
        "{log_text}"
    );
    assert!(log_text.contains("хранилище открыто снова"), "{log_text}");
}
