//! A console that attaches and never reads its events (a stuck terminal, a stopped process)
//! is dropped; nobody else waits on it.

use std::io::Read;
use std::time::Duration;

use pult::net::client::{connect, handshake, Launch};
use pult::net::protocol::Mode;

use super::support::{log_calls, percentile};
use crate::common::service::serve;

const CALLS: usize = 20_000;

#[test]
fn a_console_that_never_reads_is_dropped_and_every_call_is_acknowledged_in_time() {
    let _alone = crate::walls::support::one_at_a_time();
    let alone = tempfile::tempdir().unwrap();
    let baseline = {
        let _server = serve(alone.path());
        log_calls(alone.path(), CALLS)
    };

    let dir = tempfile::tempdir().unwrap();
    let _server = serve(dir.path());
    let mut stuck = connect(dir.path(), &Launch::Never).expect("connect");
    handshake(&mut stuck, Mode::Attach).expect("the stuck console attaches");
    // from here on it reads nothing while another console logs call after call
    let with_stuck = log_calls(dir.path(), CALLS);
    assert_eq!(with_stuck.len(), CALLS, "every call acknowledged");

    // the server let it go: what it had queued drains, then the connection ends
    stuck
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut sink = Vec::new();
    let ended = stuck.read_to_end(&mut sink);
    assert!(
        ended.is_ok(),
        "the stuck console was disconnected: {ended:?}"
    );

    let (p99_alone, p99_stuck) = (percentile(&baseline, 0.99), percentile(&with_stuck, 0.99));
    println!(
        "{CALLS} calls with a console that never reads: p99 {p99_stuck:?}, without it {p99_alone:?}"
    );
    // a console that stalled the loop would cost the others its send timeout (seconds); the
    // slack keeps a busy machine's scheduling from failing the comparison
    assert!(
        p99_stuck <= p99_alone * 2 + Duration::from_millis(20),
        "99th percentile of acknowledgements: {p99_stuck:?} with a stuck console, \
         {p99_alone:?} without"
    );
}
