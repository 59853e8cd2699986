//! Acknowledged means on the disk: the server's system calls, traced with strace, show that
//! no reply to a command leaves before an `fdatasync`/`fsync` of the store's journal (or of
//! sled's log) that began after the command was read. (A power cut loses what is only in the page cache;
//! sled's own flush is `sync_file_range`, which does not reach the drive's cache.)

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::calls::now_ms;
use crate::common::service::{connect_when_up, spawn_server};
use crate::common::{path_str, terminate};
use crate::walls::support::log_call;

const COMMANDS: usize = 30;

/// One traced system call: who, what, on which descriptor (as strace -y names it), result.
#[derive(Debug, Clone)]
struct Call {
    name: String,
    target: String,
    result: Option<i64>,
}

/// Reads strace -f -y output, joining `<unfinished ...>` with its `resumed` line: a call
/// counts where it ended (reads, syncs) or where it began (sends): `(began, ended)`.
fn calls(trace: &str) -> Vec<(bool, Call)> {
    let mut open: HashMap<String, Call> = HashMap::new();
    let mut out = Vec::new();
    for line in trace.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        let result = rest
            .rsplit_once(" = ")
            .and_then(|(_, r)| r.split_whitespace().next())
            .and_then(|r| r.parse::<i64>().ok());
        if let Some(resumed) = rest.strip_prefix("<... ") {
            let name = resumed.split_whitespace().next().unwrap_or("").to_string();
            if let Some(mut call) = open.remove(pid) {
                if call.name == name {
                    call.result = result;
                    out.push((false, call));
                }
            }
            continue;
        }
        let Some((name, args)) = rest.split_once('(') else {
            continue;
        };
        // `7<socket:[100681]>`: the socket or file, whichever descriptor names it
        let target = args
            .split_once('<')
            .and_then(|(_, named)| named.split_once('>'))
            .map(|(named, _)| named.to_string())
            .unwrap_or_default();
        let call = Call {
            name: name.to_string(),
            target,
            result,
        };
        if rest.ends_with("<unfinished ...>") {
            out.push((true, call.clone()));
            open.insert(pid.to_string(), call);
        } else {
            out.push((true, call.clone()));
            out.push((false, call));
        }
    }
    out
}

fn strace() -> Option<std::path::PathBuf> {
    ["/usr/bin/strace", "/bin/strace"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|path| path.exists())
}

#[test]
fn no_acknowledgement_leaves_before_the_store_is_synced() {
    let _alone = crate::walls::support::one_at_a_time();
    let Some(strace) = strace() else {
        println!("walls::power: skipped — strace is not installed (.ci/run installs it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let trace_file = dir.path().join("trace");
    let data = dir.path().join("data");
    let mut traced = Command::new(strace)
        .env("PULT_LANG", "ru")
        .args(["-f", "-y", "-qq", "-s", "0", "-o"])
        .arg(&trace_file)
        .args([
            "-e",
            "trace=read,recvfrom,recvmsg,write,sendto,sendmsg,fdatasync,fsync,sync_file_range",
        ])
        .arg(crate::common::PULT_BUILT)
        .args(["server", "--data", path_str(&data)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pult server under strace");
    let mut client = connect_when_up(&data, Duration::from_secs(30));
    let base = now_ms() - 60_000;
    for n in 0..COMMANDS {
        log_call(&mut client, base + n as i64);
    }
    drop(client);
    let pid: i32 = std::fs::read_to_string(data.join("server.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    terminate(pid);
    let _ = traced.wait();
    let trace = std::fs::read_to_string(&trace_file).unwrap();
    // a batch is made durable by pult's journal, or (every few seconds) by sled's own log
    check(
        &trace,
        &[
            data.join("db").join("pult.journal"),
            data.join("db").join("db"),
        ],
    );
}

fn check(trace: &str, logs: &[std::path::PathBuf]) {
    let logs: Vec<String> = logs.iter().map(|log| log.display().to_string()).collect();
    let is_socket = |target: &str| target.starts_with("UNIX") || target.starts_with("socket:");
    // per client socket: a command read and not answered yet, and whether a sync has ended
    // since it was read
    let mut waiting: HashMap<String, bool> = HashMap::new();
    let mut replies = 0;
    let mut unsynced = Vec::new();
    for (began, call) in calls(trace) {
        let reads = matches!(call.name.as_str(), "read" | "recvfrom" | "recvmsg");
        let sends = matches!(call.name.as_str(), "write" | "sendto" | "sendmsg");
        let syncs = matches!(call.name.as_str(), "fdatasync" | "fsync");
        if reads && !began && is_socket(&call.target) && call.result.unwrap_or(0) > 0 {
            waiting.insert(call.target.clone(), false);
        } else if syncs && !began && logs.contains(&call.target) && call.result == Some(0) {
            for synced in waiting.values_mut() {
                *synced = true;
            }
        } else if sends && began && is_socket(&call.target) {
            if let Some(synced) = waiting.remove(&call.target) {
                replies += 1;
                if !synced {
                    unsynced.push(replies);
                }
            }
        }
    }
    // the welcome answers the hello, which writes nothing; every other reply follows a write
    assert!(replies > COMMANDS, "{replies} replies traced");
    assert!(
        unsynced.iter().all(|&reply| reply == 1),
        "replies sent before the store's log was synced: {unsynced:?} of {replies}"
    );
}

/// Calls acknowledged through the journal alone (sled has not synced them yet) are there
/// after a kill -9: the start replays them.
#[test]
fn calls_acknowledged_through_the_journal_survive_kill_9() {
    use pult::service::Reply;
    let _alone = crate::walls::support::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let spawn = || spawn_server(&data);
    let connect = || connect_when_up(&data, Duration::from_secs(30));
    let mut server = spawn();
    let mut client = connect();
    let base = now_ms() - 60_000;
    let mut acknowledged = Vec::new();
    for n in 0..20 {
        let Reply::Logged { request } = log_call(&mut client, base + n) else {
            panic!("logged")
        };
        acknowledged.push(request.id);
    }
    let journal = std::fs::metadata(data.join("db").join("pult.journal"))
        .map(|meta| meta.len())
        .unwrap_or(0);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(journal > 0, "the calls went through the journal");
    let mut server = spawn();
    let mut client = connect();
    for id in &acknowledged {
        let shown = client.call(pult::service::Command::ShowRequest { id: *id });
        assert!(
            matches!(shown, Ok(Reply::Request { .. })),
            "acknowledged {id} is kept: {shown:?}"
        );
    }
    server.kill().unwrap();
    let _ = server.wait();
}
