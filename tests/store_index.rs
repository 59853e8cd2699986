//! The store's index: a request's events and the requests touching a period are read through
//! it, and a store written before the index existed gets it on opening.

use pult::domain::deadline::DeadlinePolicy;
use pult::domain::lifecycle::{self, Intake};
use pult::domain::request::{
    Caller, CallerRole, Category, Channel, Request, RequestId, Resolution, ReturnChannel,
};
use pult::domain::time::{Timestamp, HOUR_MS};
use pult::domain::validate::Phone;
use pult::store::{AuditAction, AuditEvent, Record, Store};

const DAY: i64 = 24 * HOUR_MS;
/// The period asked about: day 10 to day 17.
const FROM: Timestamp = Timestamp(10 * DAY);
const TO: Timestamp = Timestamp(17 * DAY);

fn received(id: u64, at_day: f64) -> Request {
    lifecycle::receive(
        RequestId(id),
        Intake {
            channel: Channel::Phone,
            received_at: Timestamp((at_day * DAY as f64) as i64),
            logged_by: "ivanova".into(),
            caller: Caller {
                name: format!("Звонивший {id}"),
                role: CallerRole::Parent,
                class: None,
                phone: Some(Phone::parse("89001112233").unwrap()),
                email: None,
            },
            category: Category::Other,
            description: "вопрос".into(),
            consent: None,
        },
        &DeadlinePolicy::default(),
    )
}

fn closed(request: Request, at_day: f64) -> Request {
    let policy = DeadlinePolicy::default();
    let at = Timestamp((at_day * DAY as f64) as i64);
    let routed = lifecycle::route(&request, "head", &policy, request.received_at).unwrap();
    let taken = lifecycle::take(&routed, "belova", request.received_at).unwrap();
    lifecycle::resolve(
        &taken,
        Resolution {
            text: "ответили".into(),
            returned_by: ReturnChannel::Phone,
            at,
        },
    )
    .unwrap()
}

fn stored() -> Vec<Request> {
    vec![
        closed(received(1, 2.0), 3.0),   // before the period: not touching
        closed(received(2, 8.0), 11.0),  // received before, closed inside: touching
        received(3, 9.0),                // received before, still open: touching
        closed(received(4, 12.0), 12.5), // inside: touching
        received(5, 16.9),               // inside, open: touching
        received(6, 17.0),               // at the end (not inside): not touching
        closed(received(7, 5.0), 30.0),  // open through the whole period, closed after it
    ]
}

fn ids(requests: &[Request]) -> Vec<u64> {
    requests.iter().map(|request| request.id.0).collect()
}

#[test]
fn the_requests_touching_a_period_are_read_through_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.import_requests(&stored()).unwrap();
    assert_eq!(ids(&store.touching(FROM, TO).unwrap()), vec![2, 3, 4, 5, 7]);
    assert_eq!(ids(&store.received_between(FROM, TO).unwrap()), vec![4, 5]);
}

#[test]
fn a_store_from_before_the_index_gets_it_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.import_requests(&stored()).unwrap();
        store
            .update_request(
                RequestId(3),
                "smirnova",
                Timestamp(9 * DAY + 1),
                AuditAction::Routed {
                    queue: "head".into(),
                },
                |request| {
                    lifecycle::route(
                        request,
                        "head",
                        &DeadlinePolicy::default(),
                        Timestamp(9 * DAY + 1),
                    )
                },
            )
            .unwrap();
        store.flush().unwrap();
    }
    // what an older pult left: schema 1, no index tree, events keyed by a number alone
    // (number 41 for request 3), the event counter at 42
    {
        let db = open_when_released(&dir.path().join("db"));
        db.drop_tree("index").unwrap();
        let events = db.open_tree("events").unwrap();
        events.clear().unwrap();
        let old = AuditEvent {
            at: Timestamp(9 * DAY),
            actor: "ivanova".into(),
            request: RequestId(3),
            action: AuditAction::Logged,
        };
        events
            .insert(41u64.to_be_bytes(), old.encode().unwrap())
            .unwrap();
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema_version", &1u64.to_be_bytes()).unwrap();
        meta.insert("next_event_seq", &42u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(ids(&store.touching(FROM, TO).unwrap()), vec![2, 3, 4, 5, 7]);
    // a new event comes after the old one
    store
        .update_request(
            RequestId(3),
            "belova",
            Timestamp(9 * DAY + 2),
            AuditAction::Taken,
            |request| lifecycle::take(request, "belova", Timestamp(9 * DAY + 2)),
        )
        .unwrap();
    let events = store.events_of(RequestId(3)).unwrap();
    let actors: Vec<&str> = events.iter().map(|event| event.actor.as_str()).collect();
    assert_eq!(actors, vec!["ivanova", "belova"]);
    assert_eq!(store.event_count().unwrap(), 2);
}

/// sled lets go of a closed store's lock only when its background threads do, a moment after
/// the last handle is dropped (`Store::open` waits for it the same way).
fn open_when_released(path: &std::path::Path) -> sled::Db {
    let started = std::time::Instant::now();
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(_) if started.elapsed() < std::time::Duration::from_secs(5) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(error) => panic!("the old store does not open: {error}"),
        }
    }
}
