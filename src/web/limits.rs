//! How often the public may post: a bucket per client address and one for everyone, each
//! refilled with time (the injectable clock's). Behind a reverse proxy the client's address is
//! the one the proxy names in `X-Forwarded-For`, believed only when the peer is a proxy the
//! school configured.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::domain::time::Timestamp;

/// How many posts a bucket holds and how long it takes to fill again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub per_ms: i64,
}

impl Rate {
    /// `count` posts per `minutes`, all of them at once if need be.
    pub fn per_minutes(count: u32, minutes: i64) -> Rate {
        Rate {
            burst: count.max(1),
            per_ms: minutes.max(1) * 60_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Posts left, in thousandths (refills are fractional).
    left_milli: i64,
    at: Timestamp,
}

impl Bucket {
    fn full(rate: Rate, now: Timestamp) -> Bucket {
        Bucket {
            left_milli: i64::from(rate.burst) * 1000,
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Timestamp) {
        let elapsed = now.0.saturating_sub(self.at.0).max(0);
        let capacity = i64::from(rate.burst) * 1000;
        // burst posts come back over per_ms
        let gained = elapsed.saturating_mul(capacity) / rate.per_ms.max(1);
        self.left_milli = (self.left_milli.saturating_add(gained)).min(capacity);
        self.at = now;
    }

    fn take(&mut self) -> bool {
        if self.left_milli >= 1000 {
            self.left_milli -= 1000;
            true
        } else {
            false
        }
    }
}

/// Addresses remembered at most; past it, the buckets that are full again are forgotten.
const MAX_ADDRESSES: usize = 100_000;

/// The limit for one kind of post (submissions, or status lookups).
pub struct Limiter {
    per_address: Rate,
    total: Rate,
    state: Mutex<(HashMap<IpAddr, Bucket>, Option<Bucket>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Address,
    Everyone,
}

impl Limiter {
    pub fn new(per_address: Rate, total: Rate) -> Limiter {
        Limiter {
            per_address,
            total,
            state: Mutex::new((HashMap::new(), None)),
        }
    }

    /// Takes one post for `address` at `now`, or says which limit it is over.
    pub fn take(&self, address: IpAddr, now: Timestamp) -> Result<(), Limited> {
        let Ok(mut state) = self.state.lock() else {
            return Err(Limited::Everyone);
        };
        let (addresses, everyone) = &mut *state;
        let total = everyone.get_or_insert_with(|| Bucket::full(self.total, now));
        total.refill(self.total, now);
        if addresses.len() >= MAX_ADDRESSES && !addresses.contains_key(&address) {
            let rate = self.per_address;
            addresses.retain(|_, bucket| {
                bucket.refill(rate, now);
                bucket.left_milli < i64::from(rate.burst) * 1000
            });
            if addresses.len() >= MAX_ADDRESSES {
                return Err(Limited::Everyone);
            }
        }
        let mine = addresses
            .entry(address)
            .or_insert_with(|| Bucket::full(self.per_address, now));
        mine.refill(self.per_address, now);
        if mine.left_milli < 1000 {
            return Err(Limited::Address);
        }
        if !total.take() {
            return Err(Limited::Everyone);
        }
        mine.take();
        Ok(())
    }
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the last address
/// in `X-Forwarded-For` that is not one of the trusted proxies.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    header
        .rsplit(',')
        .map(str::trim)
        .filter_map(|part| part.parse::<IpAddr>().ok())
        .find(|address| !trusted.contains(address))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn an_address_over_its_burst_waits_for_the_refill() {
        let limiter = Limiter::new(Rate::per_minutes(3, 10), Rate::per_minutes(1000, 1));
        let at = |ms: i64| Timestamp(1_000_000 + ms);
        for _ in 0..3 {
            assert_eq!(limiter.take(ip("10.0.0.1"), at(0)), Ok(()));
        }
        assert_eq!(limiter.take(ip("10.0.0.1"), at(0)), Err(Limited::Address));
        // another address is not held back
        assert_eq!(limiter.take(ip("10.0.0.2"), at(0)), Ok(()));
        // one post comes back every 10 / 3 minutes
        assert_eq!(
            limiter.take(ip("10.0.0.1"), at(3 * 60_000)),
            Err(Limited::Address)
        );
        assert_eq!(limiter.take(ip("10.0.0.1"), at(4 * 60_000)), Ok(()));
    }

    #[test]
    fn everyone_together_has_a_limit_too() {
        let limiter = Limiter::new(Rate::per_minutes(100, 1), Rate::per_minutes(5, 1));
        for n in 0..5 {
            assert_eq!(
                limiter.take(ip(&format!("10.0.1.{n}")), Timestamp(0)),
                Ok(())
            );
        }
        assert_eq!(
            limiter.take(ip("10.0.1.200"), Timestamp(0)),
            Err(Limited::Everyone)
        );
        assert_eq!(limiter.take(ip("10.0.1.200"), Timestamp(12_000)), Ok(()));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy = ip("127.0.0.1");
        let trusted = [proxy];
        let header = Some("203.0.113.9, 198.51.100.7");
        assert_eq!(client_address(proxy, header, &trusted), ip("198.51.100.7"));
        // a stranger who writes the header names only itself
        assert_eq!(
            client_address(ip("192.0.2.5"), header, &trusted),
            ip("192.0.2.5")
        );
        assert_eq!(client_address(proxy, Some("garbage"), &trusted), proxy);
        assert_eq!(client_address(proxy, None, &trusted), proxy);
    }
}
