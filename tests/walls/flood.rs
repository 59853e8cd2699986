//! Connections cannot exhaust the server: 1,100 clients that trickle their hello one byte a
//! second, against a server that may open 1,024 files, while a real console attaches. The
//! flood comes from another OS user in the staff group (root makes it; skipped otherwise).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pult::net::client::{attach, Launch};

use crate::common::{ensure_users, path_str, system_tool, Place};

const GROUP: &str = "pultflood";
/// In the group (the socket lets them in), without an account.
const FLOODER: &str = "pultflooder";
const CONNECTIONS: usize = 1_100;
const FD_LIMIT: u64 = 1_024;

/// Keeps `n` connections open to the socket for `seconds`, sending each a frame of hello one
/// byte a second (a length prefix announcing 64 bytes, then the body), reopening any closed.
const FLOODER_SCRIPT: &str = r#"
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
path, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
frame = b"\x00\x00\x00\x40" + b"\x00" * 64
def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:
        s.close()
        return None
    return [s, 0]
conns = [connect() for _ in range(n)]
print("open", sum(c is not None for c in conns), flush=True)
end = time.time() + seconds
while time.time() < end:
    for i, c in enumerate(conns):
        if c is None:
            conns[i] = connect()
            continue
        try:
            c[0].send(frame[c[1] % len(frame):c[1] % len(frame) + 1])
            c[1] += 1
        except BlockingIOError:
            pass
        except OSError:
            c[0].close()
            conns[i] = connect()
    time.sleep(1)
"#;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// User plus system time of a process, from /proc (clock ticks of 10 ms).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |at: usize| {
        fields
            .get(at)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15, i.e. 12 and 13 after the name
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

#[test]
fn a_flood_of_slow_hellos_at_the_descriptor_limit_leaves_the_server_serving() {
    let _alone = crate::walls::support::one_at_a_time();
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        println!("walls::flood: skipped — the flood comes from another OS user, which needs root");
        return;
    }
    ensure_users(GROUP, &[FLOODER]);
    let place = Place::new("flood", "root", GROUP);
    let dir = place.data();
    let mut server = Command::new(&place.pult);
    server
        .args(["server", "--data", path_str(&dir)])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe and touches only this (child) process.
    unsafe {
        server.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: FD_LIMIT,
                rlim_max: FD_LIMIT,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            Ok(())
        });
    }
    let server = Killed(server.spawn().expect("start pult server"));
    let socket = dir.join("pult.sock");
    let started = Instant::now();
    while attach(&dir, &Launch::Never, None).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the server starts"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = dir.join("server.log");
    let log_before = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);

    let mut flooder = Command::new(system_tool("runuser", "util-linux"));
    flooder
        .args([
            "-u",
            FLOODER,
            "--",
            "/usr/bin/python3",
            "-c",
            FLOODER_SCRIPT,
        ])
        .arg(path_str(&socket))
        .arg(CONNECTIONS.to_string())
        .arg("12")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut flooder = Killed(flooder.spawn().expect("start the flood"));
    let mut ready = String::new();
    if let Some(out) = flooder.0.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut ready);
    }
    assert!(ready.starts_with("open"), "the flood opened: {ready:?}");

    // let it press for a while, longer than a hello may take
    let cpu_before = cpu_time(server.0.id());
    let pressed = Instant::now();
    let mut slowest = Duration::ZERO;
    while pressed.elapsed() < Duration::from_secs(8) {
        let asked = Instant::now();
        let console = attach(&dir, &Launch::Never, None);
        let took = asked.elapsed();
        assert!(
            console.is_ok(),
            "a real console attaches: {:?}",
            console.err()
        );
        slowest = slowest.max(took);
        std::thread::sleep(Duration::from_millis(500));
    }
    let cpu = cpu_time(server.0.id()).saturating_sub(cpu_before);
    let wall = pressed.elapsed();
    let log_after = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    drop(flooder);

    assert!(
        slowest < Duration::from_secs(2),
        "slowest attach {slowest:?}"
    );
    assert!(
        cpu < wall / 4,
        "the server used {cpu:?} of CPU in {wall:?} of flood"
    );
    assert!(
        log_after - log_before < 1_000_000,
        "server.log grew by {} bytes",
        log_after - log_before
    );
    println!(
        "flood of {CONNECTIONS}: slowest attach {slowest:?}, server CPU {cpu:?} in {wall:?}, \
         log +{} bytes",
        log_after - log_before
    );
}

/// A client that sends its hello one byte at a time gets one deadline for all of it.
#[test]
fn a_hello_trickled_byte_by_byte_is_cut_off_at_one_deadline() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let _server = crate::common::service::serve(dir.path());
    let mut slow = std::os::unix::net::UnixStream::connect(dir.path().join("pult.sock")).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let frame = [0u8, 0, 0, 64];
    let connected = Instant::now();
    let mut sent = 0;
    let closed = loop {
        if slow.write_all(&frame[sent % 4..sent % 4 + 1]).is_err() {
            break connected.elapsed();
        }
        sent += 1;
        let mut buf = [0u8; 512];
        match slow.read(&mut buf) {
            Ok(_) => break connected.elapsed(),
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break connected.elapsed(),
        }
        assert!(
            connected.elapsed() < Duration::from_secs(12),
            "still connected after {sent} bytes"
        );
    };
    assert!(closed < Duration::from_secs(8), "closed after {closed:?}");
}

/// A wrong version announced with a 200,000-character program name full of escapes costs
/// the log one short clean line.
#[test]
fn a_hostile_hello_writes_one_short_clean_line_to_the_log() {
    use pult::net::protocol::{read_server_msg, write_frame, ClientMsg, Mode, ServerMsg};
    let dir = tempfile::tempdir().unwrap();
    let _server = crate::common::service::serve(dir.path());
    let log = dir.path().join("server.log");
    let before = std::fs::metadata(&log).unwrap().len();
    let name = format!(
        "\u{1b}]0;pwned\u{7}\u{1b}[2J{}\n\r\u{9b}",
        "x".repeat(200_000)
    );
    let mut stream = std::os::unix::net::UnixStream::connect(dir.path().join("pult.sock")).unwrap();
    write_frame(
        &mut stream,
        &ClientMsg::Hello {
            protocol_version: 999,
            program_version: name,
            mode: Mode::Attach,
        },
    )
    .unwrap();
    let ServerMsg::Refused { reason } = read_server_msg(&mut stream).unwrap() else {
        panic!("a wrong version is refused");
    };
    assert!(reason.len() < 1_000, "{} bytes of refusal", reason.len());
    let text = std::fs::read_to_string(&log).unwrap();
    let added = &text[before as usize..];
    assert!(added.len() < 2_000, "the log grew by {} bytes", added.len());
    assert!(
        !added
            .trim_end()
            .chars()
            .any(|c| c.is_control() && c != '\n'),
        "{added:?}"
    );
}
