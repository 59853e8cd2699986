//! Search over every request, open or closed, by number, name, phone, email or words of the
//! description: an in-memory index the service keeps current with each change, so a keystroke
//! costs one pass over memory, not a read of the store.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::domain::access::{Sight, Viewer};
use crate::domain::request::{Category, Request, RequestId, Status};
use crate::domain::time::Timestamp;

/// Most hits one answer carries (the console shows a screenful; the count says how many).
pub const MAX_HITS: usize = 50;

/// Characters of the description a hit carries, to recognise the request by.
const SNIPPET_CHARS: usize = 80;

/// One request found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub id: RequestId,
    pub status: Status,
    pub category: Category,
    pub queue: Option<String>,
    pub received_at: Timestamp,
    pub name: String,
    /// The start of the description, or the confidential placeholder.
    pub snippet: String,
}

/// What a search found: the best `MAX_HITS` and how many matched in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub hits: Vec<Hit>,
    pub total: usize,
    /// The index is still being read from the store: older requests may be missing.
    pub partial: bool,
}

/// What the index keeps of one request: enough to decide who may find it and to match
/// words; the hit itself is read from the store for the few shown.
struct Entry {
    id: RequestId,
    status: Status,
    category: Category,
    /// Shared with every entry of the same queue (a handful of queues, many requests).
    queue: Option<Arc<str>>,
    /// Folded number, name, phone digits and email, then the folded description.
    text: Box<str>,
    /// Where the description starts in `text` (it is searched only for those who see it).
    description_at: u32,
}

/// Lower case, `ё` as `е`: how both the index and the query are compared.
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// The entries and the queue names they share.
#[derive(Default)]
struct Entries {
    list: Vec<Entry>,
    queues: Vec<Arc<str>>,
}

impl Entries {
    fn queue(&mut self, key: &str) -> Arc<str> {
        match self.queues.iter().find(|known| &***known == key) {
            Some(known) => Arc::clone(known),
            None => {
                let new: Arc<str> = Arc::from(key);
                self.queues.push(Arc::clone(&new));
                new
            }
        }
    }
}

impl Entry {
    fn of(request: &Request, entries: &mut Entries) -> Entry {
        let caller = &request.caller;
        let mut contact = format!("№{} {}", request.id.0, caller.name);
        if let Some(phone) = &caller.phone {
            // as stored (+7…) and as people dial it at home (8…)
            let digits = phone.e164().trim_start_matches('+');
            contact.push_str(&format!(" {digits}"));
            if let Some(national) = digits.strip_prefix('7') {
                contact.push_str(&format!(" 8{national}"));
            }
        }
        if let Some(email) = &caller.email {
            contact.push_str(&format!(" {email}"));
        }
        let mut text = fold(&contact);
        // a separator no word contains, so no match spans contact and description
        text.push('\n');
        let description_at = u32::try_from(text.len()).unwrap_or(u32::MAX);
        text.push_str(&fold(&request.description));
        Entry {
            id: request.id,
            status: request.status,
            category: request.category,
            queue: request.queue.as_deref().map(|key| entries.queue(key)),
            text: text.into(),
            description_at,
        }
    }

    /// The part of the text `sight` may search.
    fn searchable(&self, sight: Sight) -> &str {
        match sight {
            Sight::Whole => &self.text,
            _ => self
                .text
                .get(..self.description_at as usize)
                .unwrap_or(&self.text),
        }
    }
}

impl Hit {
    /// A request as a hit, for one who sees it as given (already redacted if need be).
    pub fn of(request: &Request) -> Hit {
        Hit {
            id: request.id,
            status: request.status,
            category: request.category,
            queue: request.queue.clone(),
            received_at: request.received_at,
            name: request.caller.name.clone(),
            snippet: request
                .description
                .chars()
                .take(SNIPPET_CHARS)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        }
    }
}

/// What matched a query: the best `MAX_HITS` ids in order, and how many matched in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matches {
    pub ids: Vec<RequestId>,
    pub total: usize,
    pub partial: bool,
}

/// A query cut into folded words; `№124`, `#124` and `124` all name request 124.
struct Query {
    words: Vec<String>,
    number: Option<u64>,
}

impl Query {
    fn parse(text: &str) -> Query {
        let words: Vec<String> = fold(text)
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .map(|word| word.trim_start_matches(['№', '#']))
            .filter(|word| !word.is_empty())
            .map(str::to_string)
            .collect();
        let number = match words.as_slice() {
            [only] => only.parse().ok(),
            _ => None,
        };
        Query { words, number }
    }

    fn matches(&self, entry: &Entry, sight: Sight) -> bool {
        let text = entry.searchable(sight);
        self.words.iter().all(|word| text.contains(word.as_str()))
    }
}

/// Reads every stored request into `index` in slices (the service goes on meanwhile), then
/// marks it complete. A record that cannot be read is left out of the search, not fatal.
pub fn fill_from(index: &SearchIndex, reader: &crate::store::RequestReader) {
    const SLICE: usize = 4_096;
    let mut slice = Vec::with_capacity(SLICE);
    for request in reader.all().flatten() {
        slice.push(request);
        if slice.len() == SLICE {
            index.fill(&slice);
            slice.clear();
        }
    }
    index.fill(&slice);
    index.mark_complete();
}

/// Every stored request in a form quick to search, kept in id order.
#[derive(Default)]
pub struct SearchIndex {
    entries: RwLock<Entries>,
    /// Someone has begun reading the store into the index.
    started: AtomicBool,
    /// False while a background reading of the store is still filling the index.
    complete: AtomicBool,
}

impl SearchIndex {
    /// An index that will be filled by `fill` (see `Service::new`).
    pub fn empty() -> Arc<SearchIndex> {
        Arc::new(SearchIndex::default())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        // a panic while holding the lock leaves the entries as they were: usable
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The request as it is now (after a change the service made). Before anyone searched
    /// there is nothing to keep current: the first search reads the store, change included.
    pub fn upsert(&self, request: &Request) {
        if !self.started.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.write();
        let entry = Entry::of(request, &mut entries);
        match entries
            .list
            .binary_search_by_key(&request.id, |entry| entry.id)
        {
            Ok(position) => entries.list[position] = entry,
            Err(position) => entries.list.insert(position, entry),
        }
    }

    /// Adds requests read from the store, unless the service has put a newer state there
    /// meanwhile (a request changed while the store was being read).
    pub fn fill(&self, requests: &[Request]) {
        let mut entries = self.write();
        for request in requests {
            if let Err(position) = entries
                .list
                .binary_search_by_key(&request.id, |known| known.id)
            {
                let entry = Entry::of(request, &mut entries);
                entries.list.insert(position, entry);
            }
        }
    }

    /// True for the one caller who is to fill the index.
    pub fn start(&self) -> bool {
        !self.started.swap(true, Ordering::AcqRel)
    }

    pub fn mark_complete(&self) {
        self.write().list.shrink_to_fit();
        self.complete.store(true, Ordering::Release);
    }

    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    pub fn len(&self) -> usize {
        self.read().list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What `viewer` may find for `text`: the request with that number first, then open
    /// requests before closed ones, newest first.
    pub fn search(&self, text: &str, viewer: &Viewer) -> Matches {
        let query = Query::parse(text);
        let partial = !self.is_complete();
        if query.words.is_empty() {
            return Matches {
                ids: Vec::new(),
                total: 0,
                partial,
            };
        }
        let entries = self.read();
        let mut found: Vec<&Entry> = entries
            .list
            .iter()
            .filter(|entry| {
                let sight = viewer.sight(entry.category, entry.queue.as_deref());
                sight != Sight::Hidden && query.matches(entry, sight)
            })
            .collect();
        let total = found.len();
        let rank = |entry: &&Entry| {
            (
                query.number != Some(entry.id.0),
                !entry.status.is_open(),
                std::cmp::Reverse(entry.id),
            )
        };
        if found.len() > MAX_HITS {
            found.select_nth_unstable_by_key(MAX_HITS, rank);
            found.truncate(MAX_HITS);
        }
        found.sort_by_key(rank);
        Matches {
            ids: found.iter().map(|entry| entry.id).collect(),
            total,
            partial,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::DeadlinePolicy;
    use crate::domain::lifecycle::{receive, Intake};
    use crate::domain::policy::{Policy, DEFAULT_POLICY_TOML};
    use crate::domain::request::{Caller, CallerRole, Channel};
    use crate::domain::staff::{Role, Staff};
    use crate::domain::validate::{Email, Phone};

    fn request(id: u64, name: &str, phone: &str, category: Category, text: &str) -> Request {
        receive(
            RequestId(id),
            Intake {
                channel: Channel::Phone,
                received_at: Timestamp(id as i64),
                logged_by: "op".into(),
                caller: Caller {
                    name: name.into(),
                    role: CallerRole::Parent,
                    class: None,
                    phone: Some(Phone::parse(phone).unwrap()),
                    email: Some(Email::parse("Mama@School.ru").unwrap()),
                },
                category,
                description: text.into(),
            },
            &DeadlinePolicy::default(),
        )
    }

    fn viewer(roles: &[Role]) -> Viewer {
        let staff = Staff {
            login: "x".into(),
            name: "X".into(),
            roles: roles.to_vec(),
            vendor_rep: false,
            disabled: false,
        };
        Viewer::new(&staff, &Policy::parse(DEFAULT_POLICY_TOML).unwrap())
    }

    fn index() -> SearchIndex {
        let index = SearchIndex::default();
        assert!(index.start());
        index.fill(&[
            request(
                1,
                "Петрова Алёна",
                "89123456789",
                Category::Ejournal,
                "Не видно оценок",
            ),
            request(
                2,
                "Сидоров Пётр",
                "+7 900 111-22-33",
                Category::Psych,
                "Тревога перед уроками",
            ),
            request(
                124,
                "Орлова Ольга",
                "89001234567",
                Category::Technical,
                "Ссылка на урок 12",
            ),
        ]);
        index
    }

    fn ids(found: &Matches) -> Vec<u64> {
        found.ids.iter().map(|id| id.0).collect()
    }

    #[test]
    fn finds_by_name_in_any_case_and_with_e_for_yo() {
        let found = index().search("алена петр", &viewer(&[Role::Operator]));
        assert_eq!(ids(&found), vec![1]);
    }

    #[test]
    fn finds_by_phone_as_dialled_and_by_email() {
        let operator = viewer(&[Role::Operator]);
        assert_eq!(ids(&index().search("8912345", &operator)), vec![1]);
        assert_eq!(ids(&index().search("900 111", &operator)), vec![2]);
        assert_eq!(index().search("mama@school", &operator).total, 3);
    }

    #[test]
    fn the_number_comes_first() {
        let found = index().search("№124", &viewer(&[Role::Operator]));
        assert_eq!(ids(&found)[0], 124);
        // "12" is also in request 124's description; the search by 1 finds the others too
        assert_eq!(ids(&index().search("1", &viewer(&[Role::Operator])))[0], 1);
    }

    #[test]
    fn confidential_words_are_found_only_by_those_who_may_read_them() {
        let index = index();
        assert_eq!(index.search("тревога", &viewer(&[Role::Operator])).total, 0);
        let found = index.search("тревога", &viewer(&[Role::Head]));
        assert_eq!(ids(&found), vec![2]);
        // the operator finds the psych request by name
        let found = index.search("сидоров", &viewer(&[Role::Operator]));
        assert_eq!(ids(&found), vec![2]);
    }

    #[test]
    fn others_queues_and_unrouted_requests_are_not_found_by_specialists() {
        let index = index();
        assert_eq!(index.search("урок", &viewer(&[Role::Tech])).total, 0);
        assert_eq!(index.search("урок", &viewer(&[Role::Director])).total, 0);
    }

    #[test]
    fn before_anyone_searched_changes_are_left_to_the_first_reading() {
        let index = SearchIndex::default();
        index.upsert(&request(
            1,
            "Петрова",
            "89123456789",
            Category::Ejournal,
            "x",
        ));
        assert!(index.is_empty());
    }

    #[test]
    fn a_change_replaces_the_entry_and_the_store_reading_does_not_undo_it() {
        let index = index();
        let mut changed = request(1, "Петрова Алёна", "89123456789", Category::Ejournal, "x");
        changed.status = Status::Cancelled;
        index.upsert(&changed);
        index.fill(&[request(
            1,
            "Петрова Алёна",
            "89123456789",
            Category::Ejournal,
            "y",
        )]);
        // the cancelled state stays: found by its new text, not by the text read late
        assert_eq!(index.search("x", &viewer(&[Role::Operator])).total, 1);
        assert_eq!(index.search("y", &viewer(&[Role::Operator])).total, 0);
        assert_eq!(index.len(), 3);
    }
}
