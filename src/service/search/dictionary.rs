//! Distinct folded values (names, emails, words of descriptions) kept once each in one
//! arena, with the entries holding each: a million requests share a few thousand words.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use memchr::memmem::Finder;

/// An entry's number in the index (its place in `Entries::slots`).
pub(super) type Slot = u32;

/// No value, no entry.
pub(super) const NONE: u32 = u32::MAX;
/// The value's entries are in `Dictionary::many`.
const MANY: u32 = u32::MAX - 1;

/// Between values in the arena: no query word contains it, so no match spans two values.
const SEPARATOR: u8 = b'\n';

#[derive(Default)]
pub(super) struct Dictionary {
    /// Every value, each followed by `SEPARATOR`.
    bytes: Vec<u8>,
    /// Where each value starts in `bytes`.
    starts: Vec<u32>,
    /// The one entry holding each value, `NONE`, or `MANY` (then see `many`).
    first: Vec<Slot>,
    /// The entries of each value held by more than one, in slot order.
    many: HashMap<u32, Vec<Slot>>,
    /// Open addressing over value numbers + 1 (0 is empty), to find a value by its text.
    table: Vec<u32>,
    hasher: RandomState,
    /// Every value is ASCII: a word with other letters is found in none of them.
    non_ascii: bool,
}

impl Dictionary {
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn value(&self, id: u32) -> &[u8] {
        let at = id as usize;
        let start = self.starts.get(at).map_or(0, |start| *start as usize);
        let end = self
            .starts
            .get(at + 1)
            .map_or(self.bytes.len(), |next| *next as usize);
        self.bytes
            .get(start..end.saturating_sub(1).max(start))
            .unwrap_or_default()
    }

    fn hash(&self, text: &[u8]) -> usize {
        self.hasher.hash_one(text) as usize
    }

    /// The number of `text`, added if new; `None` only past 4 GiB of values.
    pub fn intern(&mut self, text: &str) -> Option<u32> {
        let text = text.as_bytes();
        if self.table.len() < (self.starts.len() + 1) * 4 / 3 + 1 {
            self.grow();
        }
        let mask = self.table.len() - 1;
        let mut at = self.hash(text) & mask;
        loop {
            match self.table[at] {
                0 => break,
                known if self.value(known - 1) == text => return Some(known - 1),
                _ => at = (at + 1) & mask,
            }
        }
        let id = u32::try_from(self.starts.len())
            .ok()
            .filter(|id| *id < MANY)?;
        let start = u32::try_from(self.bytes.len()).ok()?;
        u32::try_from(self.bytes.len() + text.len() + 1).ok()?;
        self.bytes.extend_from_slice(text);
        self.bytes.push(SEPARATOR);
        self.starts.push(start);
        self.first.push(NONE);
        self.non_ascii |= !text.is_ascii();
        self.table[at] = id + 1;
        Some(id)
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(64);
        let mut table = vec![0u32; size];
        for id in 0..self.starts.len() as u32 {
            let mut at = self.hash(self.value(id)) & (size - 1);
            while table[at] != 0 {
                at = (at + 1) & (size - 1);
            }
            table[at] = id + 1;
        }
        self.table = table;
    }

    /// `slot` holds value `id`.
    pub fn add(&mut self, id: u32, slot: Slot) {
        let Some(first) = self.first.get_mut(id as usize) else {
            return;
        };
        match *first {
            NONE => *first = slot,
            MANY => {
                let slots = self.many.entry(id).or_default();
                match slots.last() {
                    Some(last) if *last >= slot => {
                        if let Err(at) = slots.binary_search(&slot) {
                            slots.insert(at, slot);
                        }
                    }
                    _ => slots.push(slot),
                }
            }
            only if only == slot => {}
            only => {
                *first = MANY;
                self.many.insert(id, vec![only.min(slot), only.max(slot)]);
            }
        }
    }

    /// `slot` no longer holds value `id`.
    pub fn remove(&mut self, id: u32, slot: Slot) {
        let Some(first) = self.first.get_mut(id as usize) else {
            return;
        };
        match *first {
            MANY => {
                if let Some(slots) = self.many.get_mut(&id) {
                    if let Ok(at) = slots.binary_search(&slot) {
                        slots.remove(at);
                    }
                    if let [only] = slots.as_slice() {
                        *first = *only;
                        self.many.remove(&id);
                    }
                }
            }
            only if only == slot => *first = NONE,
            _ => {}
        }
    }

    /// Calls `each` for every entry holding value `id`.
    pub fn slots_of(&self, id: u32, mut each: impl FnMut(Slot)) {
        match self.first.get(id as usize) {
            None | Some(&NONE) => {}
            Some(&MANY) => self
                .many
                .get(&id)
                .into_iter()
                .flatten()
                .for_each(|slot| each(*slot)),
            Some(only) => each(*only),
        }
    }

    /// Whether some value may contain a word (of only ASCII or not).
    pub fn may_contain(&self, ascii: bool) -> bool {
        !self.starts.is_empty() && (ascii || self.non_ascii)
    }

    /// Calls `each` for every value containing `finder`'s word, in order, once each.
    pub fn matching(&self, finder: &Finder<'_>, ascii: bool, mut each: impl FnMut(u32)) {
        if !self.may_contain(ascii) {
            return;
        }
        let mut from = 0;
        let mut id = 0usize;
        while let Some(found) = self.bytes.get(from..).and_then(|rest| finder.find(rest)) {
            let at = from + found;
            id = value_at(&self.starts, id, at);
            each(id as u32);
            match self.starts.get(id + 1) {
                Some(next) => from = *next as usize,
                None => break,
            }
        }
    }

    /// Bytes held, counted as allocated.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.starts.capacity() * 4
            + self.first.capacity() * 4
            + self.table.capacity() * 4
            // a hash map's slot (key, vector) and its control byte
            + self.many.capacity() * (4 + 24 + 1)
            + self.many.values().map(|slots| slots.capacity() * 4).sum::<usize>()
    }

    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.first.shrink_to_fit();
        self.many.values_mut().for_each(Vec::shrink_to_fit);
    }
}

/// The value `at` falls in, looking on from value `from` (galloping: matches come in order,
/// often close together, sometimes far apart).
fn value_at(starts: &[u32], from: usize, at: usize) -> usize {
    let before = |id: usize| starts.get(id).is_some_and(|start| *start as usize <= at);
    let mut low = from;
    let mut step = 1;
    while before(low + step) {
        low += step;
        step *= 2;
    }
    // the value is in low..low + step
    let high = (low + step).min(starts.len());
    low + starts.get(low..high).map_or(1, |part| {
        part.partition_point(|start| *start as usize <= at)
    }) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_once_and_found_by_any_part() {
        let mut words = Dictionary::default();
        let ids: Vec<u32> = ["петрова", "анна", "петрова", "иванова", "а"]
            .iter()
            .map(|word| words.intern(word).unwrap())
            .collect();
        assert_eq!(ids, vec![0, 1, 0, 2, 3]);
        for _ in 0..200 {
            // grows the table
            words.intern(&format!("x{}", words.len())).unwrap();
        }
        assert_eq!(words.intern("иванова"), Some(2));
        let finder = Finder::new("ова".as_bytes());
        let mut found = Vec::new();
        words.matching(&finder, false, |id| found.push(id));
        assert_eq!(found, vec![0, 2]);
        let finder = Finder::new("а".as_bytes());
        let mut found = Vec::new();
        words.matching(&finder, false, |id| found.push(id));
        assert_eq!(found, vec![0, 1, 2, 3]);
        let finder = Finder::new(b"x19");
        let mut found = Vec::new();
        words.matching(&finder, true, |id| found.push(id));
        assert_eq!(found.len(), 11, "x19 and x190..x199");
    }

    #[test]
    fn entries_of_a_value_stay_in_order_as_they_come_and_go() {
        let mut names = Dictionary::default();
        let id = names.intern("петрова").unwrap();
        let slots = |names: &Dictionary| {
            let mut all = Vec::new();
            names.slots_of(id, |slot| all.push(slot));
            all
        };
        names.add(id, 5);
        assert_eq!(slots(&names), vec![5]);
        names.add(id, 2);
        names.add(id, 9);
        names.add(id, 7);
        names.add(id, 7);
        assert_eq!(slots(&names), vec![2, 5, 7, 9]);
        names.remove(id, 5);
        names.remove(id, 2);
        names.remove(id, 9);
        assert_eq!(slots(&names), vec![7]);
        names.remove(id, 7);
        assert!(slots(&names).is_empty());
    }
}
