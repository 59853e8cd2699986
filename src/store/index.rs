//! The `index` tree: secondary keys that let a read go straight to what it needs — the
//! requests received or closed in a period — instead of scanning history.
//!
//! Keys: `r` + received-at + request id (requests by the time they came in);
//! `c` + closed-at + request id (requests by the time they were resolved or cancelled; a
//! reopened request leaves its old key behind, so readers check the record). Values are empty.

use super::codec::{id_key, key_id};
use crate::domain::request::RequestId;
use crate::domain::time::Timestamp;

const RECEIVED: u8 = b'r';
const CLOSED: u8 = b'c';

/// Times before 1970 do not occur in a request's life; they sort first.
fn time_key(at: Timestamp) -> [u8; 8] {
    id_key(u64::try_from(at.0).unwrap_or(0))
}

pub fn received_key(at: Timestamp, request: RequestId) -> [u8; 17] {
    timed_key(RECEIVED, at, request)
}

pub fn closed_key(at: Timestamp, request: RequestId) -> [u8; 17] {
    timed_key(CLOSED, at, request)
}

fn timed_key(kind: u8, at: Timestamp, request: RequestId) -> [u8; 17] {
    let mut key = [0u8; 17];
    key[0] = kind;
    key[1..9].copy_from_slice(&time_key(at));
    key[9..].copy_from_slice(&id_key(request.0));
    key
}

/// The first possible key of requests received at `at` or later.
pub fn received_from(at: Timestamp) -> [u8; 9] {
    timed_from(RECEIVED, at)
}

/// The first possible key of requests closed at `at` or later.
pub fn closed_from(at: Timestamp) -> [u8; 9] {
    timed_from(CLOSED, at)
}

/// Past the last closed key.
pub fn closed_end() -> [u8; 1] {
    [CLOSED + 1]
}

fn timed_from(kind: u8, at: Timestamp) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = kind;
    key[1..].copy_from_slice(&time_key(at));
    key
}

/// The request id at the end of a received or closed key.
pub fn timed_id(key: &[u8]) -> Option<RequestId> {
    key.get(9..).and_then(key_id).map(RequestId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_keys_sort_by_time_then_number() {
        let early = received_key(Timestamp(1_000), RequestId(9));
        let late = received_key(Timestamp(2_000), RequestId(1));
        assert!(early < late);
        assert!(received_from(Timestamp(1_500)).as_slice() > early.as_slice());
        assert!(received_from(Timestamp(1_500)).as_slice() < late.as_slice());
        assert_eq!(timed_id(&late), Some(RequestId(1)));
        assert!(closed_key(Timestamp(5), RequestId(1)).as_slice() < closed_end().as_slice());
    }
}
