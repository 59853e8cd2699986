//! Backups (issue 15): a copy made by the running server while calls keep being logged is the
//! store as it was at one moment, record by record, once restored; a copy cut short or with a
//! bit changed is refused, and so is a restore over a directory that is not empty; a server
//! killed in the middle of a backup leaves the copies made before it whole and no half a file.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pult::domain::deadline::DeadlinePolicy;
use pult::domain::lifecycle::{self, Intake};
use pult::domain::request::{Caller, CallerRole, Category, Channel, Request, RequestId};
use pult::domain::time::Timestamp;
use pult::domain::validate::Phone;
use pult::net::client::Client;
use pult::service::{BackupState, Command, Reply};
use pult::store::backup::{restore, verify, BackupError};

use common::calls::{now_ms, surname, valid_call};
use common::service::{connect, connect_when_up, open_as_me, serve, spawn_server};

const SEEDED: u64 = 30_000;

/// A request of a past week, to give the backup something to read for a while.
fn seeded(index: u64) -> Request {
    lifecycle::receive(
        RequestId(index + 1),
        Intake {
            channel: Channel::Phone,
            received_at: Timestamp(1_790_000_000_000 + index as i64 * 60_000),
            logged_by: "seed".into(),
            caller: Caller {
                name: surname(index),
                role: CallerRole::Parent,
                class: None,
                phone: Phone::parse(&format!("8 913 {:07}", index % 10_000_000)).ok(),
                email: None,
            },
            category: Category::Ejournal,
            description: "Не открывается электронный дневник после обновления.".into(),
            consent: None,
        },
        &DeadlinePolicy::default(),
    )
}

/// A data directory whose store holds `count` seeded requests, the test's user its admin.
fn seeded_dir(count: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = open_as_me(dir.path());
    let records: Vec<Request> = (0..count).map(seeded).collect();
    for chunk in records.chunks(10_000) {
        service.seed().import_requests(chunk).expect("seed");
    }
    service.seed().flush().expect("flush");
    dir
}

/// Asks the server for a backup and waits for it.
fn backed_up(client: &mut Client) -> BackupState {
    let started = client.call(Command::Backup {
        keep_daily: None,
        keep_weekly: None,
    });
    assert!(
        matches!(
            started,
            Ok(Reply::Backup {
                state: BackupState::Running { .. }
            })
        ),
        "{started:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match client.call(Command::BackupStatus) {
            Ok(Reply::Backup {
                state: BackupState::Running { .. },
            }) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(Reply::Backup { state }) => return state,
            other => panic!("backup status: {other:?}"),
        }
    }
}

/// A call of its own (a name and a phone no other call has) answered at `answered_ms`.
fn own_call(n: u64, answered_ms: i64) -> Command {
    let mut draft = valid_call(&surname(1_000_000 + n), Category::Technical, None);
    draft.answered_at = Some(Timestamp(answered_ms));
    draft.phone = format!("8 914 {:07}", n);
    Command::LogCall {
        draft,
        channel: Channel::Phone,
    }
}

#[test]
fn a_backup_under_write_load_restores_to_the_store_as_it_was_at_one_moment() {
    let dir = seeded_dir(SEEDED);
    let server = serve(dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2u64)
        .map(|writer| {
            let (stop, path) = (Arc::clone(&stop), dir.path().to_path_buf());
            std::thread::spawn(move || {
                let mut client = connect(&path);
                // answered in the past, each a millisecond after the last: faster than one
                // call a millisecond, a time from the future would be clamped to now
                let base = now_ms() - 3_600_000 + writer as i64 * 600_000;
                let mut logged = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let n = writer * 1_000_000 + logged;
                    let reply = client.call(own_call(n, base + logged as i64));
                    assert!(matches!(reply, Ok(Reply::Logged { .. })), "{reply:?}");
                    logged += 1;
                }
                logged
            })
        })
        .collect();
    // let the writers get going, then back up while they write
    std::thread::sleep(Duration::from_millis(200));
    let mut client = connect(dir.path());
    let state = backed_up(&mut client);
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let logged: u64 = writers
        .into_iter()
        .map(|writer| writer.join().expect("writer"))
        .sum();
    drop(client);
    drop(server);
    let BackupState::Done { file, summary, .. } = state else {
        panic!("no backup: {state:?}")
    };
    assert!(logged > 0);
    assert!(
        summary.writes > 0,
        "nothing was written while the copy read: {summary:?}"
    );
    // the copy is the server's user's alone
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&file).expect("the copy").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(verify(&file).expect("whole"), summary);

    let root = tempfile::tempdir().expect("temp dir");
    let target = root.path().join("restored");
    let restored_summary = restore(&file, &target).expect("restored");
    assert_eq!(restored_summary.requests, summary.requests);
    let original = open_as_me(dir.path());
    let restored = open_as_me(&target);
    let numbered = restored.records().requests_numbered().expect("numbered");
    assert!(numbered >= SEEDED, "{numbered}");
    assert!(
        numbered < SEEDED + logged,
        "the calls after the copy are not in it"
    );
    assert_eq!(numbered, summary.requests);
    // every request up to the moment, as it was, with its whole history; none after it
    for id in 1..=numbered {
        let id = RequestId(id);
        let kept = restored.records().request(id).expect("reads");
        assert_eq!(kept, original.records().request(id).expect("reads"), "{id}");
        assert!(kept.is_some(), "{id} is missing");
        assert_eq!(
            restored.records().events_of(id).expect("events"),
            original.records().events_of(id).expect("events"),
            "{id}"
        );
    }
    assert_eq!(
        restored
            .records()
            .request(RequestId(numbered + 1))
            .expect("reads"),
        None
    );
    let open_then: Vec<RequestId> = original
        .records()
        .open_ids()
        .expect("open")
        .into_iter()
        .filter(|id| id.0 <= numbered)
        .collect();
    assert_eq!(restored.records().open_ids().expect("open"), open_then);
    let me = common::people::me().login;
    assert_eq!(
        restored.records().staff_member(&me).expect("staff"),
        original.records().staff_member(&me).expect("staff")
    );
    // the caller cards of the calls logged while the copy read: each on its own phone, as
    // the original has it then
    let cards = |service: &pult::service::Service, phone: &str| {
        let actor = service.identify(&me).expect("me");
        match service.execute(
            &actor,
            Command::FindCaller {
                phone: Some(phone.into()),
                email: None,
            },
        ) {
            Ok((Reply::People { cards }, _)) => cards,
            other => panic!("{other:?}"),
        }
    };
    for id in SEEDED + 1..=numbered {
        let request = restored
            .records()
            .request(RequestId(id))
            .expect("reads")
            .expect("kept");
        let phone = request.caller.phone.expect("a phone").e164().to_string();
        let kept = cards(&restored, &phone);
        assert_eq!(kept.len(), 1, "№{id}");
        assert_eq!(kept[0].requests, vec![request.id], "№{id}");
        assert_eq!(kept, cards(&original, &phone), "№{id}");
    }
    // the same call sent again to the restored store is the request it holds (its intake
    // key came along), and a new one is numbered after the copy's last, its history too
    let actor = restored.identify(&me).expect("me");
    let last = restored
        .records()
        .request(RequestId(numbered))
        .expect("reads")
        .expect("kept");
    if last.logged_by == me {
        let again = restored.execute(
            &actor,
            Command::LogCall {
                draft: pult::domain::call_form::CallDraft {
                    answered_at: Some(last.received_at),
                    ..valid_call("Повторов Пётр", Category::Technical, None)
                },
                channel: Channel::Phone,
            },
        );
        assert!(
            matches!(&again, Ok((Reply::Logged { request }, _)) if request.id == last.id),
            "{again:?}"
        );
    }
    let fresh = restored.execute(
        &actor,
        Command::LogCall {
            draft: valid_call("Новикова Ольга", Category::Ejournal, None),
            channel: Channel::Phone,
        },
    );
    let Ok((Reply::Logged { request }, _)) = fresh else {
        panic!("{fresh:?}")
    };
    assert_eq!(request.id, RequestId(numbered + 1));
    assert_eq!(
        restored
            .records()
            .events_of(request.id)
            .expect("events")
            .len(),
        1
    );
    // the policy came along
    assert!(target.join("policy.toml").is_file());
}

#[test]
fn a_copy_cut_short_or_with_one_bit_changed_is_refused_and_restores_nothing() {
    let dir = seeded_dir(500);
    let server = serve(dir.path());
    let mut client = connect(dir.path());
    let BackupState::Done { file, .. } = backed_up(&mut client) else {
        panic!("no backup")
    };
    drop(client);
    drop(server);
    let bytes = std::fs::read(&file).expect("the copy");
    let root = tempfile::tempdir().expect("temp dir");
    let cut = root.path().join("cut.pultbak");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).expect("write");
    let flipped = root.path().join("flipped.pultbak");
    let mut changed = bytes.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 0x10;
    std::fs::write(&flipped, &changed).expect("write");
    let stranger = root.path().join("policy.pultbak");
    std::fs::write(&stranger, pult::domain::policy::DEFAULT_POLICY_TOML).expect("write");
    for bad in [&cut, &flipped, &stranger] {
        let refused = verify(bad).expect_err("refused");
        assert!(
            matches!(
                refused,
                BackupError::Checksum(_) | BackupError::NotABackup(_)
            ),
            "{refused:?}"
        );
        let target = root
            .path()
            .join(format!("from-{}", bad.display()).replace('/', "_"));
        assert!(restore(bad, &target).is_err());
        assert!(
            !target.exists(),
            "a refused restore left {}",
            target.display()
        );
        let leftovers: Vec<_> = std::fs::read_dir(root.path())
            .expect("list")
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().contains("restoring"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    // the CLI says so in a sentence, and refuses a directory that is not empty
    let output = common::pult_in(
        dir.path(),
        &["backup", "--verify", cut.to_str().expect("utf-8")],
    );
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("контрольная сумма не сходится"),
        "{output:?}"
    );
    let output = common::pult_in(dir.path(), &["restore", file.to_str().expect("utf-8")]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("не пуст"),
        "{output:?}"
    );
    let fresh = root.path().join("fresh");
    let output = common::pult_in(&fresh, &["restore", file.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("обращений 500"));
}

#[test]
fn a_server_killed_in_the_middle_of_a_backup_leaves_the_copies_before_whole_and_no_half_file() {
    let dir = seeded_dir(SEEDED);
    let mut server = spawn_server(dir.path());
    let mut client = connect_when_up(dir.path(), Duration::from_secs(15));
    let BackupState::Done { file: before, .. } = backed_up(&mut client) else {
        panic!("no first backup")
    };
    let started = client.call(Command::Backup {
        keep_daily: None,
        keep_weekly: None,
    });
    assert!(matches!(started, Ok(Reply::Backup { .. })), "{started:?}");
    // kill -9 while the second copy is being written
    let folder = dir.path().join("backups");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !partial_in(&folder) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill().expect("kill -9");
    let _ = server.wait();
    drop(client);
    let whole: Vec<_> = std::fs::read_dir(&folder)
        .expect("backups")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        })
        .collect();
    for copy in &whole {
        verify(copy).unwrap_or_else(|error| panic!("{}: {error}", copy.display()));
    }
    assert!(whole.contains(&before));
    // the next start clears what the killed one left half-written
    let mut server = spawn_server(dir.path());
    let client = connect_when_up(dir.path(), Duration::from_secs(15));
    assert!(
        !partial_in(&folder),
        "a half-written copy is left after the restart"
    );
    drop(client);
    let _ = server.kill();
    let _ = server.wait();
}

fn partial_in(folder: &Path) -> bool {
    std::fs::read_dir(folder).is_ok_and(|entries| {
        entries
            .filter_map(|entry| entry.ok())
            .any(|entry| entry.file_name().to_string_lossy().ends_with(".partial"))
    })
}

#[test]
fn only_the_system_admin_makes_backups() {
    let dir = seeded_dir(10);
    {
        let service = open_as_me(dir.path());
        common::service::set_my_roles(&service, &[pult::domain::staff::Role::Operator]);
    }
    let server = serve(dir.path());
    let mut client = connect(dir.path());
    let refused = client.call(Command::Backup {
        keep_daily: None,
        keep_weekly: None,
    });
    assert!(refused.is_err(), "{refused:?}");
    assert!(client.call(Command::BackupStatus).is_err());
    assert!(!dir.path().join("backups").exists());
    drop(server);
}

#[test]
fn the_copies_past_what_the_school_keeps_are_removed_and_others_left_alone() {
    let dir = seeded_dir(10);
    let folder = dir.path().join("backups");
    std::fs::create_dir(&folder).expect("backups");
    // copies of earlier nights, and a file of the admin's own
    let old: Vec<_> = [
        "pult-20260101-030000.pultbak",
        "pult-20260102-030000.pultbak",
    ]
    .iter()
    .map(|name| folder.join(name))
    .collect();
    for copy in &old {
        std::fs::write(copy, b"an older copy").expect("write");
    }
    std::fs::write(folder.join("notes.txt"), b"mine").expect("write");
    let server = serve(dir.path());
    let mut client = connect(dir.path());
    let started = client.call(Command::Backup {
        keep_daily: Some(2),
        keep_weekly: Some(0),
    });
    assert!(matches!(started, Ok(Reply::Backup { .. })), "{started:?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let state = loop {
        match client.call(Command::BackupStatus) {
            Ok(Reply::Backup {
                state: BackupState::Running { .. },
            }) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(Reply::Backup { state }) => break state,
            other => panic!("{other:?}"),
        }
    };
    drop(server);
    let BackupState::Done { file, removed, .. } = state else {
        panic!("{state:?}")
    };
    // two days kept: today's new copy and the newest before it
    assert_eq!(removed, vec![old[0].clone()]);
    assert!(file.is_file() && old[1].is_file() && !old[0].exists());
    assert!(folder.join("notes.txt").is_file());
}

#[test]
fn a_copy_sealed_with_a_passphrase_opens_with_it_alone_and_restores() {
    let dir = seeded_dir(200);
    let root = tempfile::tempdir().expect("temp dir");
    let phrase = root.path().join("pass");
    std::fs::write(&phrase, "верный пароль 2026\n").expect("write");
    common::set_mode(&phrase, 0o600);
    let wrong = root.path().join("wrong");
    std::fs::write(&wrong, "не тот пароль\n").expect("write");
    common::set_mode(&wrong, 0o600);
    let sealed = root.path().join("pult.pultbak.age");
    let server = serve(dir.path());
    let output = common::pult_in(
        dir.path(),
        &[
            "backup",
            "-o",
            sealed.to_str().expect("utf-8"),
            "--encrypt",
            "--passphrase-file",
            phrase.to_str().expect("utf-8"),
        ],
    );
    drop(server);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("зашифрована, положена и проверена"),
        "{output:?}"
    );
    let bytes = std::fs::read(&sealed).expect("sealed");
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    // nothing of a caller's readable in it
    assert!(!String::from_utf8_lossy(&bytes).contains("дневник"));
    // the plain format refuses it; the passphrase opens it
    assert!(verify(&sealed).is_err());
    let checked = |phrase: &Path| {
        common::pult_in(
            dir.path(),
            &[
                "backup",
                "--verify",
                sealed.to_str().expect("utf-8"),
                "--passphrase-file",
                phrase.to_str().expect("utf-8"),
            ],
        )
    };
    assert!(checked(&phrase).status.success());
    let refused = checked(&wrong);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("не открыть этим паролем"),
        "{refused:?}"
    );
    // a passphrase file others can read is refused before it is used
    common::set_mode(&phrase, 0o644);
    let open = checked(&phrase);
    assert!(
        String::from_utf8_lossy(&open.stderr).contains("chmod 600"),
        "{open:?}"
    );
    common::set_mode(&phrase, 0o600);
    let target = root.path().join("restored");
    let restored = common::pult_in(
        &target,
        &[
            "restore",
            sealed.to_str().expect("utf-8"),
            "--passphrase-file",
            phrase.to_str().expect("utf-8"),
        ],
    );
    assert!(restored.status.success(), "{restored:?}");
    assert!(String::from_utf8_lossy(&restored.stdout).contains("обращений 200"));
    // the opened copy does not stay behind
    let left: Vec<_> = std::fs::read_dir(root.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().contains("opened"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
