//! A damaged store is a sentence, and one bad record is not the end of the list: the store's
//! log cut to a half and to a tenth or with a byte flipped, and one request's record
//! overwritten with garbage.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{path_str, terminate, PULT_BUILT};

fn pult(dir: &Path, args: &[&str]) -> Output {
    Command::new(PULT_BUILT)
        .env("PULT_LANG", "ru")
        .args(args)
        .args(["--data", path_str(dir)])
        .env("LANG", "C.UTF-8")
        .env_remove("PULT_DATA")
        .output()
        .expect("run pult")
}

/// `pult ARGS`, killed if it runs longer than `limit` (a server that opened a damaged store
/// would run on).
fn pult_within(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(PULT_BUILT)
        .env("PULT_LANG", "ru")
        .args(args)
        .args(["--data", path_str(dir)])
        .env("LANG", "C.UTF-8")
        .env_remove("PULT_DATA")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pult");
    let started = Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("pult's output")
}

fn demo(dir: &Path) {
    let made = pult(dir, &["demo"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
}

fn stop_server(dir: &Path) {
    if let Some(pid) = std::fs::read_to_string(dir.join("server.pid"))
        .ok()
        .and_then(|text| text.trim().parse().ok())
    {
        terminate(pid);
    }
}

/// How the store's log is damaged.
#[derive(Debug, Clone, Copy)]
enum Damage {
    CutTo(u64),
    /// one byte flipped at this share of the length
    FlipAt(u64),
}

#[test]
fn a_store_log_cut_short_or_flipped_is_a_sentence_not_a_panic() {
    for damage in [
        Damage::CutTo(2),
        Damage::CutTo(10),
        Damage::FlipAt(2),
        Damage::FlipAt(5),
    ] {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        demo(&dir);
        let log = dir.join("db").join("db");
        let mut bytes = std::fs::read(&log).unwrap();
        let length = bytes.len() as u64;
        match damage {
            Damage::CutTo(share) => bytes.truncate((length / share) as usize),
            Damage::FlipAt(share) => bytes[(length / share) as usize] ^= 0x55,
        }
        std::fs::write(&log, &bytes).unwrap();
        let share = format!("{damage:?}");
        for args in [&["server"][..], &["list"][..]] {
            let output = pult_within(&dir, args, Duration::from_secs(20));
            stop_server(&dir);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "pult {args:?} on a store {share}");
            assert!(
                stderr.contains("повреждено") && stderr.contains("резервной копии"),
                "pult {args:?}, {share}: {stderr}"
            );
            assert!(
                !stderr.contains("panicked") && !stderr.contains("segment.rs"),
                "pult {args:?}, {share}: {stderr}"
            );
        }
    }
}

#[test]
fn one_unreadable_record_is_named_and_the_others_are_listed() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    demo(&dir);
    {
        let db = sled::open(dir.join("db")).unwrap();
        let requests = db.open_tree("requests").unwrap();
        requests
            .insert(7u64.to_be_bytes(), &b"\xff\x13 not a request"[..])
            .unwrap();
        db.flush().unwrap();
    }
    let output = pult(&dir, &["list"]);
    stop_server(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "a damaged record is not a silent success"
    );
    assert!(
        stderr.contains("№7") && stderr.contains("повреждено"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Codec") && !stderr.contains("bincode"),
        "{stderr}"
    );
    for id in ["№1 ", "№6 ", "№8 ", "№40 "] {
        assert!(stdout.contains(id), "{id} is listed:\n{stdout}");
    }
}
