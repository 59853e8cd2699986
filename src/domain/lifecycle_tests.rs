use proptest::prelude::*;

use super::deadline::{next_timer, DeadlinePolicy, TimerKind, Urgency};
use super::lifecycle::{self, Move, TransitionError};
use super::request::*;
use super::time::{Timestamp, HOUR_MS, MINUTE_MS};

const T0: Timestamp = Timestamp(1_790_000_000_000);

fn fresh() -> Request {
    lifecycle::receive(
        RequestId(1),
        lifecycle::Intake {
            channel: Channel::Phone,
            received_at: T0,
            logged_by: "op".into(),
            caller: Caller {
                name: "Петрова Анна".into(),
                role: CallerRole::Parent,
                class: None,
                phone: Some(crate::domain::validate::Phone::parse("89123456789").unwrap()),
                email: Some(crate::domain::validate::Email::parse("petrova@mail.ru").unwrap()),
            },
            category: Category::Ejournal,
            description: "дневник".into(),
            consent: None,
        },
        &DeadlinePolicy::default(),
    )
}

#[test]
fn receipt_starts_route_by_and_resolve_by() {
    let request = fresh();
    assert_eq!(request.deadlines.route_by, T0.plus_minutes(30));
    assert_eq!(request.deadlines.resolve_by, T0.plus_hours(24));
    assert_eq!(request.deadlines.take_by, None);
}

#[test]
fn routing_puts_it_in_a_queue_and_starts_take_by() {
    let policy = DeadlinePolicy::default();
    let routed = lifecycle::route(&fresh(), "ejournal", &policy, T0.plus_minutes(10)).unwrap();
    assert_eq!(routed.status, Status::Routed);
    assert_eq!(routed.queue.as_deref(), Some("ejournal"));
    assert_eq!(routed.deadlines.take_by, Some(T0.plus_minutes(40)));
    assert_eq!(routed.deadlines.resolve_by, T0.plus_hours(24));
}

#[test]
fn routing_twice_is_refused_with_a_sentence() {
    let policy = DeadlinePolicy::default();
    let routed = lifecycle::route(&fresh(), "tech", &policy, T0).unwrap();
    let error = lifecycle::route(&routed, "head", &policy, T0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "нельзя направить: обращение №1 уже направлено"
    );
}

#[test]
fn return_gives_a_fresh_route_by_but_keeps_resolve_by() {
    let policy = DeadlinePolicy::default();
    let routed = lifecycle::route(&fresh(), "tech", &policy, T0).unwrap();
    let back = lifecycle::return_to_dispatcher(&routed, &policy, T0.plus_hours(3)).unwrap();
    assert_eq!(back.status, Status::New);
    assert_eq!(back.queue, None);
    assert_eq!(back.deadlines.route_by, T0.plus_hours(3).plus_minutes(30));
    assert_eq!(back.deadlines.resolve_by, T0.plus_hours(24));
}

#[test]
fn cancel_needs_a_reason_and_an_open_request() {
    let request = fresh();
    assert_eq!(
        lifecycle::cancel(&request, "  ", T0),
        Err(TransitionError::ReasonRequired)
    );
    let cancelled = lifecycle::cancel(&request, "дубликат №0", T0).unwrap();
    assert!(!cancelled.status.is_open());
    assert!(lifecycle::cancel(&cancelled, "ещё раз", T0).is_err());
}

#[test]
fn next_timer_follows_the_status() {
    let policy = DeadlinePolicy::default();
    let request = fresh();
    let timer = next_timer(&request, &policy).unwrap();
    assert_eq!(
        (timer.kind, timer.due),
        (TimerKind::Route, T0.plus_minutes(30))
    );
    let routed = lifecycle::route(&request, "tech", &policy, T0.plus_minutes(5)).unwrap();
    assert_eq!(next_timer(&routed, &policy).unwrap().kind, TimerKind::Take);
    let taken = lifecycle::take(&routed, "kozlov", T0.plus_minutes(6)).unwrap();
    assert_eq!(
        next_timer(&taken, &policy).unwrap().kind,
        TimerKind::Resolve
    );
    let resolved = lifecycle::resolve(
        &taken,
        Resolution {
            text: "помогли".into(),
            returned_by: ReturnChannel::Phone,
            at: T0.plus_hours(1),
        },
    )
    .unwrap();
    assert_eq!(next_timer(&resolved, &policy), None);
}

#[test]
fn urgency_is_due_soon_in_the_last_fifth_and_overdue_after() {
    let policy = DeadlinePolicy::default();
    let timer = next_timer(&fresh(), &policy).unwrap();
    assert_eq!(timer.urgency(T0.plus_minutes(23), &policy), Urgency::Calm);
    assert_eq!(timer.urgency(T0.plus_minutes(24), &policy), Urgency::Calm);
    assert_eq!(
        timer.urgency(Timestamp(T0.plus_minutes(24).0 + 1), &policy),
        Urgency::DueSoon
    );
    assert_eq!(
        timer.urgency(T0.plus_minutes(30), &policy),
        Urgency::DueSoon
    );
    assert_eq!(
        timer.urgency(Timestamp(T0.plus_minutes(30).0 + 1), &policy),
        Urgency::Overdue
    );
}

#[derive(Debug, Clone)]
enum Step {
    Route(u8),
    Take,
    Resolve,
    Return,
    Escalate,
    VendorAnswer,
    Reopen,
    Cancel,
    Note,
    AskExtension(u16),
    Decide(bool),
    Reassign(u8, bool),
    Wait(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..4).prop_map(Step::Route),
        Just(Step::Take),
        Just(Step::Resolve),
        Just(Step::Return),
        Just(Step::Escalate),
        Just(Step::VendorAnswer),
        Just(Step::Reopen),
        Just(Step::Cancel),
        Just(Step::Note),
        (1u16..3000).prop_map(Step::AskExtension),
        any::<bool>().prop_map(Step::Decide),
        (0u8..4, any::<bool>()).prop_map(|(q, person)| Step::Reassign(q, person)),
        (1u16..600).prop_map(Step::Wait),
    ]
}

fn step_move(step: &Step) -> Option<Move> {
    Some(match step {
        Step::Route(_) => Move::Route,
        Step::Take => Move::Take,
        Step::Resolve => Move::Resolve,
        Step::Return => Move::Return,
        Step::Escalate => Move::Escalate,
        Step::VendorAnswer => Move::VendorAnswer,
        Step::Reopen => Move::Reopen,
        Step::Cancel => Move::Cancel,
        Step::Note => Move::Note,
        Step::AskExtension(_) => Move::AskExtension,
        Step::Decide(_) => Move::DecideExtension,
        Step::Reassign(..) => Move::Reassign,
        Step::Wait(_) => return None,
    })
}

proptest! {
    /// Whatever moves are tried in whatever order: allowed moves happen, refused ones change
    /// nothing, and the invariants of the status hold after every step.
    #[test]
    fn random_moves_keep_every_invariant(steps in proptest::collection::vec(step(), 0..40)) {
        let policy = DeadlinePolicy::default();
        let queues = ["ejournal", "tech", "psych", "head"];
        let mut request = fresh();
        let mut now = T0;
        let mut resolve_by = request.deadlines.resolve_by;
        for step in &steps {
            let before = request.clone();
            let outcome = match step {
                Step::Route(q) => lifecycle::route(&request, queues[*q as usize], &policy, now),
                Step::Take => lifecycle::take(&request, "kozlov", now),
                Step::Resolve => lifecycle::resolve(&request, Resolution {
                    text: "готово".into(), returned_by: ReturnChannel::Email, at: now }),
                Step::Return => lifecycle::return_to_dispatcher(&request, &policy, now),
                Step::Escalate => lifecycle::escalate(&request, "kozlov", "сбой входа", "VND-1", now),
                Step::VendorAnswer => lifecycle::vendor_answered(&request, "исправлено", now),
                Step::Reopen => lifecycle::reopen(&request),
                Step::Cancel => lifecycle::cancel(&request, "дубликат", now),
                Step::Note => lifecycle::add_note(&request, "orlova", NoteKind::NoAnswer, "", now),
                Step::AskExtension(minutes) => lifecycle::ask_extension(
                    &request, "kozlov", "ждём поставщика",
                    request.deadlines.resolve_by.plus_minutes(i64::from(*minutes)), now),
                Step::Decide(approve) => lifecycle::decide_extension(&request, "belova", *approve, "", now),
                Step::Reassign(q, person) => lifecycle::reassign(
                    &request, queues[*q as usize], person.then_some("kozlov"), &policy, now),
                Step::Wait(minutes) => { now = now.plus_minutes(i64::from(*minutes)); continue; }
            };
            let allowed = step_move(step).map(|m| m.allowed_from(before.status));
            match outcome {
                Ok(next) => { prop_assert_eq!(allowed, Some(true)); request = next; }
                // a move allowed from the status may still be refused by its own rule
                // (a pending extension, a date not later); refused moves change nothing
                Err(_) => { prop_assert_eq!(&request, &before); }
            }
            if allowed == Some(false) {
                prop_assert_eq!(&request, &before);
            }
            // resolve-by moves only when the head approves an extension, to the asked date
            if let (Step::Decide(true), Some(extension)) = (step, &request.extension) {
                if request != before {
                    resolve_by = extension.until;
                }
            }
            prop_assert_eq!(request.deadlines.resolve_by, resolve_by);
            match request.status {
                Status::New => {
                    prop_assert!(request.queue.is_none());
                    prop_assert!(request.deadlines.take_by.is_none());
                }
                Status::Routed => {
                    let routed_at = request.routed_at.unwrap();
                    prop_assert!(request.queue.is_some());
                    prop_assert_eq!(request.deadlines.take_by, Some(routed_at.plus_minutes(30)));
                }
                Status::InWork | Status::WaitingVendor => {
                    prop_assert!(request.queue.is_some() && request.assignee.is_some());
                }
                Status::Resolved => prop_assert!(request.result.is_some()),
                Status::Cancelled => prop_assert!(request.cancel_reason.is_some()),
            }
            prop_assert!(request.deadlines.route_by.0 - request.received_at.0 >= 30 * MINUTE_MS);
            prop_assert!(request.deadlines.resolve_by.0 - request.received_at.0 >= 24 * HOUR_MS);
        }
    }
}
