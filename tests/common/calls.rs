//! Calls to log: valid call forms (Appendix 2) and logging them, in process or through a
//! server.

// Every test binary compiles this module and each uses only some of it.
#![allow(dead_code)]

use pult::domain::call_form::CallDraft;
use pult::domain::request::{CallerRole, Category, Channel, Request};
use pult::domain::staff::Staff;
use pult::domain::time::{Clock, SystemClock, Timestamp};
use pult::net::client::Client;
use pult::service::{Command, Reply, Service};

/// The time now, in milliseconds (when a call answered "just now" was answered).
/// A surname of letters that is `n`'s own (a name has no digits): `Бабаб…` in base 20.
pub fn surname(n: u64) -> String {
    const LETTERS: [char; 20] = [
        'б', 'в', 'г', 'д', 'ж', 'з', 'к', 'л', 'м', 'н', 'п', 'р', 'с', 'т', 'ф', 'х', 'ц', 'ч',
        'ш', 'щ',
    ];
    let mut digits = Vec::new();
    let mut rest = n;
    loop {
        digits.push(LETTERS[(rest % 20) as usize]);
        rest /= 20;
        if rest == 0 {
            break;
        }
    }
    let mut name = String::from("А");
    for letter in digits.into_iter().rev() {
        name.push(letter);
        name.push('а');
    }
    name
}

pub fn now_ms() -> i64 {
    SystemClock.now().0
}

/// A parent of class 5А with a working phone who cannot open the e-journal: a form every
/// check accepts. `answered_at: None` lets the service stamp the time it is logged.
pub fn valid_call(name: &str, category: Category, answered_at: Option<Timestamp>) -> CallDraft {
    CallDraft {
        answered_at,
        name: name.into(),
        role: Some(CallerRole::Parent),
        class: "5А".into(),
        category: Some(category),
        description: "Не открывается дневник".into(),
        phone: "8 912 345-67-89".into(),
        email: String::new(),
        caller_card: None,
        acknowledge: false,
    }
}

/// An e-journal call answered at `answered_ms` (distinct times make distinct calls).
pub fn call_answered_at(name: &str, answered_ms: i64) -> CallDraft {
    valid_call(name, Category::Ejournal, Some(Timestamp(answered_ms)))
}

/// Logs `draft` as a phone call by `by`; the new request (panics if it is not logged).
pub fn log_call(service: &Service, by: &Staff, draft: CallDraft) -> Request {
    let command = Command::LogCall {
        draft,
        channel: Channel::Phone,
    };
    match service.execute(by, command) {
        Ok((Reply::Logged { request }, _)) => request,
        other => panic!("not logged: {other:?}"),
    }
}

/// An e-journal call by the fresh store's first user `ivanova` (see `open_as_first_user`).
pub fn log_a_call(service: &Service) -> Request {
    let first = service.identify("ivanova").expect("the first user");
    log_call(
        service,
        &first,
        valid_call("Петрова Анна", Category::Ejournal, None),
    )
}

/// Logs `draft` as a phone call through a server; the new request (panics if refused).
pub fn log_call_through(client: &mut Client, draft: CallDraft) -> Request {
    let command = Command::LogCall {
        draft,
        channel: Channel::Phone,
    };
    match client.call(command) {
        Ok(Reply::Logged { request }) => request,
        other => panic!("not logged: {other:?}"),
    }
}
