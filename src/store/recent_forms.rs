//! The website forms' keys the intake tree holds, the newest of them kept in memory, so a
//! new form (nearly every one) is known to be new without a lookup in sled.
//!
//! A form's key begins with the instant the door gave the form out (`web::token`), so the
//! tree holds the keys in that order. Every key of the tree given out at `since` or later is
//! in `keys`: a key from then on that `keys` lacks is not in the tree. An older key is looked
//! up in sled. Each key sled takes is added; once there are `full` of them, `since` moves
//! past the older half. The form keys arrive scattered across the tree (a form is sent
//! minutes after it is given out), and sled's lookup of one took 4.5 µs of the service
//! thread's 57 µs a submission, against 2 µs for a console's call (`perf`, `cargo bench
//! --bench web`, 2026-12-03).

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

use super::journal::Op;
use super::tx::T;

/// What every website key of the intake tree begins with (`IntakeKey::website`).
const WEB_PREFIX: &[u8] = b"\0web\0";

/// Keys kept at most, in the store (about 1.5 MB).
const FULL: usize = 1 << 16;

/// How many keys are kept when built: half of `full`, so that many forms are added before
/// the first pruning.
fn half(full: usize) -> usize {
    (full / 2).max(1)
}

pub(super) struct RecentForms {
    /// The first eight bytes of a key, read as sled orders them.
    since: u64,
    keys: HashSet<[u8; 16]>,
    full: usize,
}

fn given_out(form: &[u8; 16]) -> u64 {
    let mut instant = [0u8; 8];
    instant.copy_from_slice(&form[..8]);
    u64::from_be_bytes(instant)
}

/// The form key of an intake tree key, when it is a website form's.
pub(super) fn form_of(key: &[u8]) -> Option<[u8; 16]> {
    key.strip_prefix(WEB_PREFIX)
        .and_then(|form| <[u8; 16]>::try_from(form).ok())
}

impl RecentForms {
    /// From the website keys of the intake tree `intake`, read newest first: the newest
    /// half of `FULL` are kept.
    pub(super) fn read(intake: &sled::Tree) -> sled::Result<RecentForms> {
        let mut newest = Vec::new();
        let forms = intake
            .scan_prefix(WEB_PREFIX)
            .rev()
            .filter_map(|pair| pair.map(|(key, _)| form_of(&key)).transpose());
        for form in forms {
            newest.push(form?);
            // one past what is kept tells where the kept ones begin
            if newest.len() > half(FULL) {
                break;
            }
        }
        Ok(RecentForms::built(newest, FULL))
    }

    /// From the tree's website keys, newest first: the newest half of `full` are kept.
    fn built(newest_first: impl IntoIterator<Item = [u8; 16]>, full: usize) -> Self {
        let half = half(full);
        let mut keys = HashSet::with_capacity(half);
        let mut since = 0;
        for form in newest_first {
            if keys.len() == half {
                // the keys given out after this one's instant are all kept
                since = given_out(&form).saturating_add(1);
                break;
            }
            keys.insert(form);
        }
        let mut recent = RecentForms { since, keys, full };
        recent.keys.retain(|form| given_out(form) >= since);
        recent
    }

    /// Is `form` surely not in the tree (sled need not be asked)?
    pub(super) fn surely_new(&self, form: &[u8; 16]) -> bool {
        given_out(form) >= self.since && !self.keys.contains(form)
    }

    /// The tree took `form`.
    pub(super) fn taken(&mut self, form: [u8; 16]) {
        if given_out(&form) < self.since {
            return;
        }
        self.keys.insert(form);
        if self.keys.len() > self.full {
            let mut instants: Vec<u64> = self.keys.iter().map(given_out).collect();
            let middle = instants.len() / 2;
            let (_, median, _) = instants.select_nth_unstable(middle);
            self.since = median.saturating_add(1).max(self.since);
            let since = self.since;
            self.keys.retain(|form| given_out(form) >= since);
        }
    }

    /// The tree let `form` go.
    pub(super) fn let_go(&mut self, form: &[u8; 16]) {
        self.keys.remove(form);
    }
}

/// The store's kept keys, locked. After a panic while they were held they are let go, to be
/// built again from sled: what a half-done change left is never trusted.
pub(super) fn lock(kept: &Mutex<Option<RecentForms>>) -> MutexGuard<'_, Option<RecentForms>> {
    match kept.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            let mut guard = poisoned.into_inner();
            *guard = None;
            kept.clear_poison();
            guard
        }
    }
}

/// What a transaction sled took wrote to the intake tree, in the kept keys (when they are
/// built: else they are built from sled, which has it).
pub(super) fn note(kept: &Mutex<Option<RecentForms>>, ops: &[Op]) {
    let mut kept = lock(kept);
    let Some(recent) = kept.as_mut() else {
        return;
    };
    for op in ops.iter().filter(|op| op.tree == T::Intake as u8) {
        if let Some(form) = form_of(&op.key) {
            match op.value {
                Some(_) => recent.taken(form),
                None => recent.let_go(&form),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn form(instant: u64, tail: u8) -> [u8; 16] {
        let mut form = [tail; 16];
        form[..8].copy_from_slice(&instant.to_be_bytes());
        form
    }

    #[test]
    fn a_key_is_surely_new_only_when_it_is_recent_and_not_taken() {
        // the tree holds six keys; the newest three are kept
        let tree: Vec<_> = (1..=6).map(|at| form(at * 10, 0)).collect();
        let recent = RecentForms::built(tree.iter().rev().copied(), 6);
        assert!(!recent.surely_new(&form(60, 0)), "taken");
        assert!(recent.surely_new(&form(60, 1)), "recent, not taken");
        assert!(recent.surely_new(&form(35, 1)), "after the third newest");
        assert!(
            !recent.surely_new(&form(30, 1)),
            "as old as one left out: ask sled"
        );
        assert!(!recent.surely_new(&form(5, 1)), "older: ask sled");
        let empty = RecentForms::built(std::iter::empty(), 6);
        assert!(empty.surely_new(&form(0, 0)), "an empty tree has none");
    }

    #[test]
    fn only_a_website_key_of_the_right_length_names_a_form() {
        let mut key = WEB_PREFIX.to_vec();
        key.extend_from_slice(&form(7, 3));
        assert_eq!(form_of(&key), Some(form(7, 3)));
        assert_eq!(form_of(&key[..key.len() - 1]), None);
        assert_eq!(form_of(b"operator\0\0\0\0\0\0\0\0\x07"), None);
    }

    proptest! {
        /// Whatever the tree takes and lets go, in any order of instants, a key said to be
        /// surely new is not in it, and the keys kept never pass the bound.
        #[test]
        fn a_key_said_to_be_new_is_never_in_the_tree(
            before in proptest::collection::vec((0u64..64, 0u8..4), 0..40),
            steps in proptest::collection::vec((0u8..3, 0u64..64, 0u8..4), 0..200),
            full in 1usize..12,
        ) {
            let mut tree: BTreeSet<[u8; 16]> =
                before.iter().map(|&(at, tail)| form(at, tail)).collect();
            let mut recent = RecentForms::built(tree.iter().rev().copied(), full);
            for (step, at, tail) in steps {
                let key = form(at, tail);
                match step {
                    0 => {
                        tree.insert(key);
                        recent.taken(key);
                    }
                    1 => {
                        tree.remove(&key);
                        recent.let_go(&key);
                    }
                    _ => {}
                }
                prop_assert!(recent.keys.len() <= full);
                for at in 0..64 {
                    for tail in 0..4 {
                        let key = form(at, tail);
                        prop_assert!(!(recent.surely_new(&key) && tree.contains(&key)));
                    }
                }
            }
        }
    }
}
