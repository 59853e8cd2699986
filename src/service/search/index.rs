//! The entries of the search index and how a query is matched against them.
//!
//! Each request is an entry of 32 bytes (`Entry`) plus 24 bytes of digits (its number and
//! phone at fixed places, so one scan of one array finds a number among a million) and the
//! list of the words of its description (numbers into `words`, a few bytes each). Names,
//! emails and words are each kept once (`Dictionary`) with the entries holding them.
//!
//! A query is matched in two steps: the term likely to match fewest requests (the longest)
//! is looked up in the dictionaries, giving the entries that hold a value containing it;
//! each of those is then checked against the other terms. A word is found in an entry when
//! its number, name, phone digits or email contain it, or, for those who may read it, a
//! word of its description: exactly as when each entry was one text searched for each word
//! (`tests::the_index_finds_what_a_plain_search_of_each_text_finds`).

use std::collections::BinaryHeap;

use memchr::memmem::Finder;

use super::dictionary::{Dictionary, Slot, NONE};
use super::query::{fold, Query, Term, Word};
use crate::domain::access::{Sight, Viewer};
use crate::domain::request::{Category, Request, RequestId, Status};

/// The number's digits, then `NUMBER_END`, at the start of each entry's digits.
const NUMBER_DIGITS: usize = 11;
/// Closes the number's place: `|7…` finds a phone that starts with 7.
const NUMBER_END: u8 = b'|';
/// The phone's digits (`7…`), then at least one space.
const PHONE_DIGITS: usize = 11;
const PHONE_AT: usize = NUMBER_DIGITS + 1;
const DIGITS: usize = PHONE_AT + PHONE_DIGITS + 1;
/// Categories there are (the sight of each is looked up once per query).
const CATEGORIES: usize = Category::ALL.len();

/// What the index keeps of one request.
#[derive(Debug, Clone, Copy)]
struct Entry {
    id: u64,
    /// Its caller's folded name in `names`, its email in `emails` (`NONE`: none).
    name: u32,
    email: u32,
    /// Where the numbers of its description's distinct words are in `Entries::words_of`.
    words_at: u32,
    words_len: u16,
    /// 0: not routed; else 1 + its place in `Entries::queues`.
    queue: u16,
    status: Status,
    category: Category,
}

/// The entries, in the order they came (a slot never moves), and what they share.
#[derive(Default)]
pub(super) struct Entries {
    entries: Vec<Entry>,
    /// Slots in the order of the requests' numbers.
    by_id: Vec<Slot>,
    /// `DIGITS` bytes for each slot: its number and its phone, space-padded.
    digits: Vec<u8>,
    /// Numbers and phones too long for their place, written out (never, in practice).
    long_digits: Vec<(Slot, String, String)>,
    /// The words of each entry's description, as LEB128 numbers into `words`.
    words_of: Vec<u8>,
    /// Bytes of `words_of` no entry refers to any more (descriptions changed).
    words_dropped: usize,
    names: Dictionary,
    emails: Dictionary,
    words: Dictionary,
    queues: Vec<Box<str>>,
}

/// What one request comes to in the index, before it is stored.
struct Folded {
    name: u32,
    email: u32,
    words: Vec<u32>,
    digits: [u8; DIGITS],
    long_digits: Option<(String, String)>,
}

fn push_varint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The numbers LEB128-written in `bytes`.
fn varints(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let mut value = 0u32;
        let mut shift = 0;
        loop {
            let byte = *bytes.get(at)?;
            at += 1;
            value |= u32::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
        }
    })
}

/// A set of slots.
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(64)])
    }

    fn set(&mut self, slot: Slot) {
        if let Some(word) = self.0.get_mut(slot as usize / 64) {
            *word |= 1 << (slot % 64);
        }
    }

    fn get(&self, slot: Slot) -> bool {
        self.0
            .get(slot as usize / 64)
            .is_some_and(|word| word & (1 << (slot % 64)) != 0)
    }

    /// Calls `each` for every slot in this set or in `other`, the last first (newest first,
    /// mostly: then the best hits are kept from the start and seldom replaced).
    fn each_of_either(&self, other: &Bits, mut each: impl FnMut(Slot)) {
        for (at, (word, more)) in self.0.iter().zip(&other.0).enumerate().rev() {
            let mut word = *word | *more;
            while word != 0 {
                let high = 63 - word.leading_zeros();
                each((at * 64) as u32 + high);
                word &= !(1 << high);
            }
        }
    }
}

/// Contains, for the short texts of one entry (a name, an email, a phone): the first byte
/// found by `memchr`, the rest compared; `finder` only for longer texts.
fn contains(text: &[u8], word: &[u8], finder: &Finder<'_>) -> bool {
    let Some((first, rest)) = word.split_first() else {
        return true;
    };
    if word.len() > text.len() {
        return false;
    }
    if text.len() > 64 {
        return finder.find(text).is_some();
    }
    short_contains(text, first, rest)
}

/// Contains, by the first byte found with `memchr` and the rest compared.
fn short_contains(text: &[u8], first: &u8, rest: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = text
        .get(from..)
        .and_then(|part| memchr::memchr(*first, part))
    {
        let start = from + at + 1;
        if text
            .get(start..)
            .is_some_and(|after| after.starts_with(rest))
        {
            return true;
        }
        from = start;
    }
    false
}

/// Whether a phone of `digits` (`7…`) contains `wanted` as stored (`7…`) or as dialled at
/// home (`8…`).
fn phone_contains(phone: &[u8], wanted: &[u8]) -> bool {
    let Some((first, rest)) = wanted.split_first() else {
        return !phone.is_empty();
    };
    match phone.split_first() {
        None => false,
        Some((b'7', national)) if *first == b'8' && national.starts_with(rest) => true,
        Some(_) => short_contains(phone, first, rest),
    }
}

/// One word of the query, ready to be looked for, with what was learnt of each value.
struct Looking<'q> {
    word: &'q Word,
    finder: Finder<'q>,
    /// `b"|7"` and the digits after a leading 8: a phone dialled as 8…, stored as 7….
    as_dialled: Option<Finder<'static>>,
    /// Per value of each dictionary: 0 not looked at yet, 1 contains the word, 2 does not.
    names: Vec<u8>,
    emails: Vec<u8>,
    /// The description words containing it, and whether there is any.
    words: Option<(Bits, bool)>,
}

impl<'q> Looking<'q> {
    fn new(word: &'q Word) -> Looking<'q> {
        let as_dialled = word
            .text
            .strip_prefix('8')
            .filter(|_| word.digits)
            .map(|rest| Finder::new(&[&[NUMBER_END, b'7'], rest.as_bytes()].concat()).into_owned());
        Looking {
            word,
            finder: Finder::new(word.text.as_bytes()),
            as_dialled,
            names: Vec::new(),
            emails: Vec::new(),
            words: None,
        }
    }
}

/// Whether value `id` of `dictionary` contains the word, remembered in `known`.
fn value_contains(
    dictionary: &Dictionary,
    known: &mut Vec<u8>,
    id: u32,
    look: &Finder<'_>,
    ascii: bool,
) -> bool {
    if id == NONE || !dictionary.may_contain(ascii) {
        return false;
    }
    if known.is_empty() {
        known.resize(dictionary.len(), 0);
    }
    match known.get(id as usize) {
        Some(1) => true,
        Some(2) => false,
        _ => {
            let found = contains(dictionary.value(id), look.needle(), look);
            if let Some(known) = known.get_mut(id as usize) {
                *known = if found { 1 } else { 2 };
            }
            found
        }
    }
}

/// The best hits kept while going through the matches: the highest rank is the worst.
type Rank = (bool, bool, std::cmp::Reverse<u64>);

impl Entries {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn slot_of(&self, id: u64) -> Result<usize, usize> {
        self.by_id.binary_search_by_key(&id, |slot| {
            self.entries
                .get(*slot as usize)
                .map_or(u64::MAX, |entry| entry.id)
        })
    }

    pub fn contains(&self, id: RequestId) -> bool {
        self.slot_of(id.0).is_ok()
    }

    fn queue(&mut self, key: &str) -> u16 {
        match self.queues.iter().position(|known| &**known == key) {
            Some(at) => u16::try_from(at + 1).unwrap_or(0),
            None => match u16::try_from(self.queues.len() + 1) {
                Ok(next) => {
                    self.queues.push(key.into());
                    next
                }
                // more than 65,534 queues: the rest are searched as unrouted
                Err(_) => 0,
            },
        }
    }

    fn fold_request(&mut self, request: &Request) -> Folded {
        let caller = &request.caller;
        let name = self.names.intern(&fold(&caller.name)).unwrap_or(NONE);
        let email = caller
            .email
            .as_ref()
            .and_then(|email| self.emails.intern(&fold(email.as_str())))
            .unwrap_or(NONE);
        let mut words: Vec<u32> = Vec::new();
        for word in fold(&request.description).split_whitespace() {
            if let Some(id) = self.words.intern(word) {
                if !words.contains(&id) {
                    words.push(id);
                }
            }
        }
        let number = request.id.0.to_string();
        let phone: String = caller
            .phone
            .as_ref()
            .map(|phone| phone.e164().chars().filter(char::is_ascii_digit).collect())
            .unwrap_or_default();
        let mut digits = [b' '; DIGITS];
        digits[NUMBER_DIGITS] = NUMBER_END;
        let long_digits = if number.len() > NUMBER_DIGITS || phone.len() > PHONE_DIGITS {
            Some((number, phone))
        } else {
            digits[..number.len()].copy_from_slice(number.as_bytes());
            digits[PHONE_AT..PHONE_AT + phone.len()].copy_from_slice(phone.as_bytes());
            None
        };
        Folded {
            name,
            email,
            words,
            digits,
            long_digits,
        }
    }

    /// Puts `request` in the index; one already there is replaced only if `replace`.
    pub fn put(&mut self, request: &Request, replace: bool) {
        let found = self.slot_of(request.id.0);
        if found.is_ok() && !replace {
            return;
        }
        let folded = self.fold_request(request);
        let queue = match request.queue.as_deref() {
            Some(key) => self.queue(key),
            None => 0,
        };
        let mut entry = Entry {
            id: request.id.0,
            name: folded.name,
            email: folded.email,
            words_at: 0,
            words_len: 0,
            queue,
            status: request.status,
            category: request.category,
        };
        let slot = match found {
            Ok(at) => self.by_id[at],
            Err(at) => {
                let Ok(slot) = Slot::try_from(self.entries.len()) else {
                    return;
                };
                if slot == NONE {
                    return;
                }
                self.entries.push(Entry {
                    name: NONE,
                    email: NONE,
                    ..entry
                });
                self.digits.extend_from_slice(&folded.digits);
                self.by_id.insert(at, slot);
                slot
            }
        };
        let old = self.entries[slot as usize];
        if old.name != entry.name {
            self.names.remove(old.name, slot);
            self.names.add(entry.name, slot);
        }
        if old.email != entry.email {
            self.emails.remove(old.email, slot);
            self.emails.add(entry.email, slot);
        }
        let old_words: Vec<u32> = self.words_of(&old).collect();
        if old_words == folded.words {
            (entry.words_at, entry.words_len) = (old.words_at, old.words_len);
        } else {
            old_words
                .iter()
                .for_each(|word| self.words.remove(*word, slot));
            folded
                .words
                .iter()
                .for_each(|word| self.words.add(*word, slot));
            self.words_dropped += old.words_len as usize;
            let mut written = Vec::new();
            for word in &folded.words {
                push_varint(&mut written, *word);
            }
            written.truncate(u16::MAX as usize);
            if let Ok(at) = u32::try_from(self.words_of.len()) {
                entry.words_at = at;
                entry.words_len = written.len() as u16;
                self.words_of.extend_from_slice(&written);
            }
        }
        let start = slot as usize * DIGITS;
        if let Some(place) = self.digits.get_mut(start..start + DIGITS) {
            place.copy_from_slice(&folded.digits);
        }
        self.long_digits.retain(|(known, ..)| *known != slot);
        if let Some((number, phone)) = folded.long_digits {
            self.long_digits.push((slot, number, phone));
        }
        self.entries[slot as usize] = entry;
        if self.words_dropped > self.words_of.len() / 2 + 4096 {
            self.compact_words();
        }
    }

    /// The numbers of `entry`'s description's words.
    fn words_of(&self, entry: &Entry) -> impl Iterator<Item = u32> + '_ {
        let start = entry.words_at as usize;
        let bytes = self
            .words_of
            .get(start..start + entry.words_len as usize)
            .unwrap_or_default();
        varints(bytes)
    }

    /// Writes the word lists again without those of changed descriptions.
    fn compact_words(&mut self) {
        let mut compact = Vec::with_capacity(self.words_of.len() - self.words_dropped);
        for entry in &mut self.entries {
            let start = entry.words_at as usize;
            let bytes = self
                .words_of
                .get(start..start + entry.words_len as usize)
                .unwrap_or_default();
            entry.words_at = u32::try_from(compact.len()).unwrap_or(0);
            compact.extend_from_slice(bytes);
        }
        self.words_of = compact;
        self.words_dropped = 0;
    }

    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        self.by_id.shrink_to_fit();
        self.digits.shrink_to_fit();
        self.words_of.shrink_to_fit();
        self.names.shrink_to_fit();
        self.emails.shrink_to_fit();
        self.words.shrink_to_fit();
    }

    /// Bytes held, counted as allocated.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.by_id.capacity() * 4
            + self.digits.capacity()
            + self.words_of.capacity()
            + self.names.heap_bytes()
            + self.emails.heap_bytes()
            + self.words.heap_bytes()
            + self
                .queues
                .iter()
                .map(|queue| queue.len() + 16)
                .sum::<usize>()
    }

    fn entry_digits(&self, slot: Slot) -> (&[u8], &[u8]) {
        let start = slot as usize * DIGITS;
        let digits = self.digits.get(start..start + DIGITS).unwrap_or_default();
        let trim =
            |part: &'_ [u8]| -> usize { part.iter().take_while(|b| b.is_ascii_digit()).count() };
        let number = digits.get(..NUMBER_DIGITS).unwrap_or_default();
        let phone = digits
            .get(PHONE_AT..PHONE_AT + PHONE_DIGITS)
            .unwrap_or_default();
        (&number[..trim(number)], &phone[..trim(phone)])
    }

    /// Whether the number or phone of `slot` contains the word's digits.
    fn digits_contain(&self, slot: Slot, look: &Looking<'_>) -> bool {
        let wanted = look.word.text.as_bytes();
        if let Some((_, number, phone)) = self.long_digits.iter().find(|(known, ..)| *known == slot)
        {
            return contains(number.as_bytes(), wanted, &look.finder)
                || phone_contains(phone.as_bytes(), wanted);
        }
        let (number, phone) = self.entry_digits(slot);
        contains(number, wanted, &look.finder) || phone_contains(phone, wanted)
    }

    /// Every slot whose number or phone contains the word's digits.
    fn digits_containing(&self, look: &Looking<'_>, found: &mut Bits) {
        let mut scan = |finder: &Finder<'_>| {
            let mut from = 0;
            while let Some(at) = self.digits.get(from..).and_then(|rest| finder.find(rest)) {
                let slot = (from + at) / DIGITS;
                found.set(slot as Slot);
                from = (slot + 1) * DIGITS;
            }
        };
        scan(&look.finder);
        if let Some(as_dialled) = &look.as_dialled {
            scan(as_dialled);
        }
        for (slot, ..) in &self.long_digits {
            if self.digits_contain(*slot, look) {
                found.set(*slot);
            }
        }
    }

    /// Every slot with a phone containing `digits`, as stored or as dialled.
    fn phones_containing(&self, digits: &str, found: &mut Bits) {
        let finder = Finder::new(digits.as_bytes());
        let as_dialled = digits
            .strip_prefix('8')
            .map(|rest| [&[NUMBER_END, b'7'], rest.as_bytes()].concat());
        let mut from = 0;
        while let Some(at) = self.digits.get(from..).and_then(|rest| finder.find(rest)) {
            let slot = (from + at) / DIGITS;
            // in the phone's place, not the number's
            if (from + at) % DIGITS >= PHONE_AT {
                found.set(slot as Slot);
            }
            from = if (from + at) % DIGITS >= PHONE_AT {
                (slot + 1) * DIGITS
            } else {
                from + at + 1
            };
        }
        if let Some(as_dialled) = as_dialled {
            let finder = Finder::new(&as_dialled);
            let mut from = 0;
            while let Some(at) = self.digits.get(from..).and_then(|rest| finder.find(rest)) {
                let slot = (from + at) / DIGITS;
                found.set(slot as Slot);
                from = (slot + 1) * DIGITS;
            }
        }
        for (slot, _, phone) in &self.long_digits {
            if phone_contains(phone.as_bytes(), digits.as_bytes()) {
                found.set(*slot);
            }
        }
    }

    fn phone_of_contains(&self, slot: Slot, digits: &str) -> bool {
        match self.long_digits.iter().find(|(known, ..)| *known == slot) {
            Some((_, _, phone)) => phone_contains(phone.as_bytes(), digits.as_bytes()),
            None => phone_contains(self.entry_digits(slot).1, digits.as_bytes()),
        }
    }

    /// Every slot holding the word somewhere: in `contact` by its number, name, phone or
    /// email, in `described` by a word of its description.
    fn holding(&self, look: &Looking<'_>, contact: &mut Bits, described: &mut Bits) {
        let ascii = look.word.ascii;
        self.names.matching(&look.finder, ascii, |id| {
            self.names.slots_of(id, |slot| contact.set(slot))
        });
        self.emails.matching(&look.finder, ascii, |id| {
            self.emails.slots_of(id, |slot| contact.set(slot))
        });
        self.words.matching(&look.finder, ascii, |id| {
            self.words.slots_of(id, |slot| described.set(slot))
        });
        if look.word.digits {
            self.digits_containing(look, contact);
        }
    }

    /// Whether `slot`, seen with `sight`, holds the word.
    fn holds(&self, slot: Slot, sight: Sight, look: &mut Looking<'_>) -> bool {
        let Some(entry) = self.entries.get(slot as usize) else {
            return false;
        };
        if look.word.digits && self.digits_contain(slot, look) {
            return true;
        }
        let ascii = look.word.ascii;
        if value_contains(
            &self.names,
            &mut look.names,
            entry.name,
            &look.finder,
            ascii,
        ) || value_contains(
            &self.emails,
            &mut look.emails,
            entry.email,
            &look.finder,
            ascii,
        ) {
            return true;
        }
        if sight != Sight::Whole || entry.words_len == 0 {
            return false;
        }
        let (words, any) = look.words.get_or_insert_with(|| {
            let mut words = Bits::new(self.words.len());
            let mut any = false;
            self.words.matching(&look.finder, look.word.ascii, |id| {
                words.set(id);
                any = true;
            });
            (words, any)
        });
        *any && self.words_of(entry).any(|word| words.get(word))
    }

    /// Whether `slot` matches `term`.
    fn matches(&self, slot: Slot, sight: Sight, term: &Term, looks: &mut [Looking<'_>]) -> bool {
        match term {
            Term::Word(_) => looks
                .first_mut()
                .is_some_and(|look| self.holds(slot, sight, look)),
            Term::Phone { digits, .. } => {
                self.phone_of_contains(slot, digits)
                    || looks.iter_mut().all(|look| self.holds(slot, sight, look))
            }
        }
    }

    /// The slots that may match `term` (a superset: what sight allows is checked after).
    fn candidates(&self, term: &Term, looks: &mut [Looking<'_>]) -> (Bits, Bits) {
        let mut contact = Bits::new(self.entries.len());
        let mut described = Bits::new(self.entries.len());
        match term {
            Term::Word(_) => {
                if let Some(look) = looks.first() {
                    self.holding(look, &mut contact, &mut described);
                }
            }
            Term::Phone { digits, .. } => {
                self.phones_containing(digits, &mut contact);
                // or every word found as a word: the longest one's holders, checked later
                if let Some(look) = looks
                    .iter()
                    .max_by_key(|look| look.word.text.chars().count())
                {
                    self.holding(look, &mut contact, &mut described);
                }
            }
        }
        (contact, described)
    }

    /// What `viewer` may find for `query`: the best `limit` slots' ids (the request with the
    /// query's number first, then open before closed, newest first), and how many in all.
    pub fn search(&self, query: &Query, viewer: &Viewer, limit: usize) -> (Vec<RequestId>, usize) {
        let Some(leading) = query
            .terms
            .iter()
            .enumerate()
            .max_by_key(|(at, term)| (term.length(), std::cmp::Reverse(*at)))
            .map(|(at, _)| at)
        else {
            return (Vec::new(), 0);
        };
        // how each viewer sees each category in each queue: one look-up per entry
        let queues = self.queues.len() + 1;
        let sights: Vec<[Sight; CATEGORIES]> = (0..queues)
            .map(|queue| {
                let name = queue
                    .checked_sub(1)
                    .and_then(|at| self.queues.get(at))
                    .map(|name| &**name);
                let mut sights = [Sight::Hidden; CATEGORIES];
                for category in Category::ALL {
                    if let Some(sight) = sights.get_mut(category as usize) {
                        *sight = viewer.sight(category, name);
                    }
                }
                sights
            })
            .collect();
        let sight_of = |entry: &Entry| {
            sights
                .get(entry.queue as usize)
                .and_then(|sights| sights.get(entry.category as usize))
                .copied()
                .unwrap_or(Sight::Hidden)
        };
        let words: Vec<Vec<&Word>> = query
            .terms
            .iter()
            .map(|term| match term {
                Term::Word(word) => vec![word],
                Term::Phone { words, .. } => words.iter().collect(),
            })
            .collect();
        let mut looks: Vec<Vec<Looking<'_>>> = words
            .iter()
            .map(|words| words.iter().map(|word| Looking::new(word)).collect())
            .collect();
        let (contact, described) = {
            let Some(first) = query.terms.get(leading) else {
                return (Vec::new(), 0);
            };
            self.candidates(first, &mut looks[leading])
        };
        let mut total = 0;
        let mut best: BinaryHeap<(Rank, Slot)> = BinaryHeap::with_capacity(limit + 1);
        contact.each_of_either(&described, |slot| {
            let Some(entry) = self.entries.get(slot as usize) else {
                return;
            };
            let sight = sight_of(entry);
            if sight == Sight::Hidden {
                return;
            }
            let matched =
                query
                    .terms
                    .iter()
                    .zip(looks.iter_mut())
                    .enumerate()
                    .all(|(at, (term, looks))| match term {
                        // found by its number, name, phone or email, or by words it may read
                        Term::Word(_) if at == leading => {
                            contact.get(slot) || sight == Sight::Whole
                        }
                        _ => self.matches(slot, sight, term, looks),
                    });
            if !matched {
                return;
            }
            total += 1;
            let rank = (
                query.number != Some(entry.id),
                !entry.status.is_open(),
                std::cmp::Reverse(entry.id),
            );
            if best.len() < limit {
                best.push((rank, slot));
            } else if best.peek().is_some_and(|(worst, _)| rank < *worst) {
                best.pop();
                best.push((rank, slot));
            }
        });
        let mut best = best.into_sorted_vec();
        best.truncate(limit);
        let ids = best
            .iter()
            .filter_map(|(_, slot)| self.entries.get(*slot as usize))
            .map(|entry| RequestId(entry.id))
            .collect();
        (ids, total)
    }
}
