//! Search over every request, open or closed, by number, name, phone, email or words of the
//! description: an in-memory index the service keeps current with each change, so a keystroke
//! costs a look-up in memory, not a read of the store.
//!
//! A query is cut into words (`№124`, `#124` and `124` name request 124). A word is found in a
//! request whose number, name, phone digits (as stored, `7…`, and as dialled at home, `8…`) or
//! email contain it, or a word of whose description contains it, for those who may read the
//! description. Words that look like a phone number, `+7 912 777-12-34`, `8 (912) 777-12-34`,
//! `777-12-34`, are also looked for as their digits in the phone. Every word must be found.
//!
//! Names, emails and description words are kept once each, with the requests that hold them
//! (`dictionary`), so a million requests take about 160 MiB; `index` says how a query is
//! matched without going through every request's text.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::domain::access::Viewer;
use crate::domain::request::{Category, Request, RequestId, Status};
use crate::domain::time::Timestamp;

mod dictionary;
mod index;
mod query;

use index::Entries;
use query::Query;

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
        self.write().put(request, true);
    }

    /// Adds requests read from the store, unless the service has put a newer state there
    /// meanwhile (a request changed while the store was being read).
    pub fn fill(&self, requests: &[Request]) {
        let mut entries = self.write();
        for request in requests {
            entries.put(request, false);
        }
    }

    /// True for the one caller who is to fill the index.
    pub fn start(&self) -> bool {
        !self.started.swap(true, Ordering::AcqRel)
    }

    pub fn mark_complete(&self) {
        self.write().shrink_to_fit();
        crate::os::release_free_memory();
        self.complete.store(true, Ordering::Release);
    }

    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether request `id` is in the index.
    pub fn contains(&self, id: RequestId) -> bool {
        self.read().contains(id)
    }

    /// The bytes the index holds on the heap, counted from its arrays' capacities (for the
    /// benchmark's figure of its memory).
    pub fn heap_bytes(&self) -> usize {
        self.read().heap_bytes()
    }

    /// What `viewer` may find for `text`: the request with that number first, then open
    /// requests before closed ones, newest first.
    pub fn search(&self, text: &str, viewer: &Viewer) -> Matches {
        let query = Query::parse(text);
        let partial = !self.is_complete();
        let (ids, total) = self.read().search(&query, viewer, MAX_HITS);
        Matches {
            ids,
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
                consent: None,
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

    /// The search as it was when each entry was one folded text, `№{id} {name} {phone as
    /// 7…} {as 8…} {email}`, then the description, each word looked for in it (and phone-like
    /// runs looked for in the phone's digits as well).
    fn plain_search(requests: &[Request], text: &str, viewer: &Viewer) -> (Vec<u64>, usize) {
        use crate::domain::access::Sight;
        use query::{fold, Term};
        let query = Query::parse(text);
        if query.terms.is_empty() {
            return (Vec::new(), 0);
        }
        let mut found: Vec<&Request> = requests
            .iter()
            .filter(|request| {
                let sight = viewer.sight(request.category, request.queue.as_deref());
                if sight == Sight::Hidden {
                    return false;
                }
                let caller = &request.caller;
                let phones: Vec<String> = caller
                    .phone
                    .iter()
                    .flat_map(|phone| {
                        let digits = phone.e164().trim_start_matches('+').to_string();
                        let home = digits
                            .strip_prefix('7')
                            .map(|national| format!("8{national}"));
                        std::iter::once(digits).chain(home)
                    })
                    .collect();
                let mut searchable = fold(&format!(
                    "№{} {} {}",
                    request.id.0,
                    caller.name,
                    phones.join(" ")
                ));
                if let Some(email) = &caller.email {
                    searchable.push(' ');
                    searchable.push_str(&fold(email.as_str()));
                }
                if sight == Sight::Whole {
                    searchable.push('\n');
                    searchable.push_str(&fold(&request.description));
                }
                query.terms.iter().all(|term| match term {
                    Term::Word(word) => searchable.contains(&word.text),
                    Term::Phone { digits, words } => {
                        phones.iter().any(|phone| phone.contains(digits.as_str()))
                            || words.iter().all(|word| searchable.contains(&word.text))
                    }
                })
            })
            .collect();
        let total = found.len();
        found.sort_by_key(|request| {
            (
                query.number != Some(request.id.0),
                !request.status.is_open(),
                std::cmp::Reverse(request.id),
            )
        });
        found.truncate(MAX_HITS);
        (found.iter().map(|request| request.id.0).collect(), total)
    }

    /// A small random generator, so that one proptest seed makes a whole archive.
    struct Dice(u64);

    impl Dice {
        fn roll(&mut self, sides: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % sides as u64) as usize
        }

        fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
            of[self.roll(of.len())]
        }
    }

    const NAMES: [&str; 8] = [
        "Петрова Анна",
        "Пётр Орлов",
        "Иванова",
        "ANNA Smith",
        "Орлова-Петрова 5А",
        "Зайцев 12",
        "Анна",
        "Ёлкина",
    ];
    const TEXTS: [&str; 12] = [
        "не",
        "видно",
        "оценок",
        "урок",
        "12",
        "5а",
        "№3",
        "8912",
        "ошибка-502",
        "ёж",
        "Mail",
        "тревога",
    ];
    const QUERIES: [&str; 24] = [
        "а",
        "п",
        "пе",
        "ова",
        "анна",
        "петр",
        "1",
        "12",
        "3",
        "№3",
        "912",
        "8 912",
        "+7 912",
        "8 (9",
        "-1",
        "ма",
        "mail",
        "@",
        "5а",
        "ошибка-5",
        "е",
        "ё",
        "не видно",
        "(912) 3",
    ];

    fn archive(dice: &mut Dice, count: usize) -> Vec<Request> {
        let categories = [
            Category::Ejournal,
            Category::Technical,
            Category::Psych,
            Category::Other,
        ];
        let statuses = [
            Status::New,
            Status::Routed,
            Status::InWork,
            Status::Resolved,
            Status::Cancelled,
        ];
        let queues = [None, Some("ejournal"), Some("tech"), Some("psych")];
        (0..count)
            .map(|_| {
                let id = 1 + dice.roll(400) as u64;
                let phone = format!(
                    "8 9{:02} {:03}-{:02}-{:02}",
                    dice.roll(20),
                    dice.roll(1000),
                    dice.roll(100),
                    dice.roll(100)
                );
                let words: Vec<&str> = (0..dice.roll(6)).map(|_| dice.pick(&TEXTS)).collect();
                let mut made = request(
                    id,
                    dice.pick(&NAMES),
                    &phone,
                    categories[dice.roll(4)],
                    &words.join(" "),
                );
                if dice.roll(4) == 0 {
                    made.caller.phone = None;
                }
                made.caller.email = match dice.roll(3) {
                    0 => None,
                    1 => Email::parse(&format!("Anna{}@mail.ru", dice.roll(30))).ok(),
                    _ => Email::parse("Mama@School.ru").ok(),
                };
                made.status = statuses[dice.roll(5)];
                made.queue = queues[dice.roll(4)].map(str::to_string);
                made
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn the_index_finds_what_a_plain_search_of_each_text_finds(seed in proptest::prelude::any::<u64>()) {
            let mut dice = Dice(seed);
            let index = SearchIndex::default();
            index.start();
            // read from the store in slices, changed meanwhile: the latest state of each wins
            let mut latest: std::collections::BTreeMap<RequestId, Request> = Default::default();
            for _ in 0..4 {
                let read = archive(&mut dice, 40);
                index.fill(&read);
                for request in read {
                    latest.entry(request.id).or_insert(request);
                }
                for changed in archive(&mut dice, 10) {
                    index.upsert(&changed);
                    latest.insert(changed.id, changed);
                }
            }
            let requests: Vec<Request> = latest.into_values().collect();
            let viewers = [
                viewer(&[Role::Operator]),
                viewer(&[Role::Head]),
                viewer(&[Role::Tech]),
                viewer(&[Role::Psych]),
            ];
            let mut queries: Vec<String> = QUERIES.iter().map(|query| query.to_string()).collect();
            for _ in 0..10 {
                let words: Vec<&str> = (0..1 + dice.roll(3)).map(|_| dice.pick(&QUERIES)).collect();
                queries.push(words.join(" "));
            }
            queries.push(format!("№{}", requests[dice.roll(requests.len())].id.0));
            for viewer in &viewers {
                for query in &queries {
                    let found = index.search(query, viewer);
                    let (ids, total) = plain_search(&requests, query, viewer);
                    proptest::prop_assert_eq!(ids, found.ids.iter().map(|id| id.0).collect::<Vec<_>>(), "{}", query);
                    proptest::prop_assert_eq!(total, found.total, "{}", query);
                }
            }
        }
    }
}
