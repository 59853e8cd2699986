//! The command line's edges, with the built binary: a mistyped data directory makes no store,
//! and nothing staff typed reaches a terminal raw.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{is_pult, terminate, PULT_BUILT};

fn pult(dir: &Path, args: &[&str]) -> Output {
    Command::new(PULT_BUILT)
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("PULT_DATA")
        .output()
        .expect("run pult")
}

/// The pult processes whose command line names `dir` (a server started for it).
fn pults_for(dir: &Path) -> Vec<i32> {
    let needle = dir.as_os_str().as_encoded_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| is_pult(*pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|line| line.windows(needle.len()).any(|part| part == needle))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A typo does not make a store

/// Every command but the console, `server` and `demo`, on a directory without a store.
const READERS: [&[&str]; 8] = [
    &["list"],
    &["show", "1"],
    &["history", "1"],
    &["vendor"],
    &["search", "Петрова"],
    &["report", "daily"],
    &["staff", "list"],
    &["callers", "list"],
];

#[test]
fn a_mistyped_data_directory_is_named_and_nothing_is_created() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("nonexistent").join("dir");
    for args in READERS {
        let output = pult(&missing, args);
        // (stopped before any assertion, so a failure leaves nothing running)
        let left = pults_for(&missing);
        left.iter().for_each(|pid| terminate(*pid));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "pult {args:?} exited 0: {stderr}");
        assert!(
            stderr.contains(&missing.display().to_string()) && stderr.contains("pult server"),
            "pult {args:?} does not say which directory holds no store: {stderr}"
        );
        assert!(
            output.stdout.is_empty(),
            "pult {args:?} printed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(left.is_empty(), "pult {args:?} left a server running");
        assert!(!root.path().join("nonexistent").exists(), "pult {args:?}");
    }
}

#[test]
fn an_empty_directory_gets_no_store_either() {
    let root = tempfile::tempdir().unwrap();
    let output = pult(root.path(), &["list"]);
    let left = pults_for(root.path());
    left.iter().for_each(|pid| terminate(*pid));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("pult server"), "{stderr}");
    assert!(left.is_empty(), "a server was left running");
    let inside: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
    assert!(inside.is_empty(), "pult list wrote into the directory");
}

#[test]
fn a_store_whose_server_is_down_gets_its_server_started() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let created = pult(&dir, &["demo"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    pults_for(&dir).iter().for_each(|pid| terminate(*pid));
    assert!(pults_for(&dir).is_empty());
    let output = pult(&dir, &["list"]);
    let servers = pults_for(&dir);
    servers.iter().for_each(|pid| terminate(*pid));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(servers.len(), 1, "pult list started the store's server");
}
