//! `pult demo`: a realistic roster and about forty requests in every status, with deadlines
//! from fresh to overdue, so a new board has something to show at once.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use thiserror::Error;

use crate::domain::call_form::CallDraft;
use crate::domain::change::Change;
use crate::domain::request::{
    CallerRole, Category, Channel, NoteKind, RequestId, ReturnChannel, Status,
};
use crate::domain::staff::{Role, Staff};
use crate::domain::time::{Clock, ManualClock, SystemClock, Timestamp, MINUTE_MS};
use crate::os::OsUser;
use crate::service::setup::open_service;
use crate::service::{Command, Reply, Service, ServiceError};

pub const DEMO_TOML: &str = include_str!("../assets/demo.toml");

#[derive(Debug, Error)]
pub enum DemoError {
    #[error("{}", tr!("demo.asset", error = .0))]
    Asset(#[from] toml::de::Error),
    #[error("{}", tr!("demo.not_empty"))]
    NotEmpty,
    #[error("{0}")]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for DemoError {
    fn from(error: crate::store::StoreError) -> Self {
        DemoError::Service(ServiceError::from(error))
    }
}

#[derive(Debug, Deserialize)]
struct DemoStaff {
    login: String,
    name: String,
    roles: Vec<Role>,
    #[serde(default)]
    vendor_rep: bool,
}

#[derive(Debug, Deserialize)]
struct DemoCaller {
    name: String,
    role: CallerRole,
    #[serde(default)]
    class: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

#[derive(Debug, Deserialize)]
pub struct DemoData {
    staff: Vec<DemoStaff>,
    callers: Vec<DemoCaller>,
    problems: BTreeMap<Category, Vec<String>>,
}

impl DemoData {
    pub fn parse() -> Result<DemoData, DemoError> {
        Ok(toml::from_str(DEMO_TOML)?)
    }
}

/// One planned request: how long ago it came in and how far it got.
struct Plan {
    status: Status,
    minutes_ago: i64,
}

/// Statuses and ages: incoming from fresh to overdue, routed ones waiting to be taken,
/// work due today and overdue, and a closed history over the last days.
fn plans() -> Vec<Plan> {
    let mut plans = Vec::new();
    let mut add = |status, ages: &[i64]| {
        plans.extend(ages.iter().map(|&minutes_ago| Plan {
            status,
            minutes_ago,
        }))
    };
    add(Status::New, &[2, 6, 11, 19, 25, 27, 44, 95]);
    add(Status::Routed, &[16, 23, 31, 38, 52, 70, 140, 260]);
    add(
        Status::InWork,
        &[60, 110, 185, 300, 420, 640, 900, 1_250, 1_390, 1_700],
    );
    add(Status::WaitingVendor, &[240, 800, 1_500]);
    add(
        Status::Resolved,
        &[1_500, 1_900, 2_600, 2_900, 3_500, 4_100, 5_000],
    );
    add(Status::Cancelled, &[100, 700, 2_000, 3_000]);
    plans
}

const CATEGORIES: [Category; 6] = [
    Category::Ejournal,
    Category::Technical,
    Category::Psych,
    Category::LessonQuality,
    Category::Other,
    Category::Equipment,
];

/// Fills an empty store in `dir` with the demo; returns a summary line.
pub fn fill(dir: &Path, user: &OsUser) -> Result<String, DemoError> {
    let data = DemoData::parse()?;
    let now = SystemClock.now();
    let clock = ManualClock::new(now);
    let service = open_service(dir, Arc::new(clock.clone()), user)?;
    let me = service.identify(&user.login)?;
    let stored = service.execute(
        &me,
        Command::ListRequests {
            status: None,
            after: None,
        },
    )?;
    if matches!(stored, (Reply::Requests { ref requests, .. }, _) if !requests.is_empty()) {
        return Err(DemoError::NotEmpty);
    }
    // the demo's people are added as the system administrator adds them (the first user is one)
    for member in &data.staff {
        if member.login == user.login {
            continue;
        }
        let staff = Staff {
            login: member.login.clone(),
            name: member.name.clone(),
            roles: member.roles.clone(),
            vendor_rep: member.vendor_rep,
            disabled: false,
        };
        service.execute(&me, Command::AddStaff { staff })?;
    }
    let (Reply::Staff { staff }, _) = service.execute(&me, Command::ListStaff)? else {
        return Ok(String::new());
    };
    let mut plans = plans();
    // oldest first, so numbers grow with time as they would in real life
    plans.sort_by_key(|plan| -plan.minutes_ago);
    let count = plans.len();
    for (index, plan) in plans.iter().enumerate() {
        // seconds apart, so no two calls share an answered-at (that would be one call)
        let received = Timestamp(now.0 - plan.minutes_ago * MINUTE_MS - index as i64 * 1_000);
        seed_one(&service, &clock, &data, &staff, index, plan, received)?;
    }
    // all of sled's files written, the journal emptied: a finished demo is a settled store
    service.flush()?;
    Ok(format!(
        "Демонстрация готова: {} сотрудников, {count} обращений.",
        staff.len()
    ))
}

fn find_login(staff: &[Staff], role: Role) -> Option<&Staff> {
    staff.iter().find(|member| member.has(role))
}

fn seed_one(
    service: &Service,
    clock: &ManualClock,
    data: &DemoData,
    staff: &[Staff],
    index: usize,
    plan: &Plan,
    received: Timestamp,
) -> Result<(), DemoError> {
    // what waits for the platform's vendor is a technical problem: its representative works
    // in the technical queue and sees only that queue's requests
    let category = if plan.status == Status::WaitingVendor {
        Category::Technical
    } else {
        CATEGORIES[index % CATEGORIES.len()]
    };
    let caller = &data.callers[(index * 5) % data.callers.len()];
    let problems = data
        .problems
        .get(&category)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let description = problems
        .get(index % problems.len().max(1))
        .cloned()
        .unwrap_or_else(|| "Вопрос без описания.".to_string());
    // every fourth request came through the website form
    let (channel, intake_role) = if index % 4 == 3 {
        (Channel::Web, Role::SiteAdmin)
    } else {
        (Channel::Phone, Role::Operator)
    };
    let Some(logger) = find_login(staff, intake_role) else {
        return Ok(());
    };
    clock.set(received.plus_minutes(1).min(SystemClock.now()));
    let draft = CallDraft {
        answered_at: Some(received),
        name: caller.name.clone(),
        role: Some(caller.role),
        class: caller.class.clone(),
        category: Some(category),
        description,
        phone: caller.phone.clone(),
        email: caller.email.clone(),
        caller_card: None,
        acknowledge: false,
    };
    let (reply, _) = service.execute(logger, Command::LogCall { draft, channel })?;
    let Reply::Logged { request } = reply else {
        return Ok(());
    };
    if plan.status == Status::New {
        return Ok(());
    }
    let id = request.id;
    let route_after = 3 + (index as i64 * 7) % 20;
    let routed_at =
        Timestamp(received.0 + route_after.min(plan.minutes_ago - 1).max(1) * MINUTE_MS);
    clock.set(routed_at);
    let queue = service
        .policy()
        .suggested_queue(category)
        .map(|queue| (queue.key.clone(), queue.role));
    let Some((queue, queue_role)) = queue else {
        return Ok(());
    };
    if plan.status == Status::Cancelled {
        let reason = if index % 2 == 0 {
            "дубликат: тот же вопрос уже принят"
        } else {
            "ошибочный звонок"
        };
        let reason = reason.to_string();
        return act(
            service,
            clock,
            logger,
            id,
            routed_at,
            Change::Cancel { reason },
        );
    }
    act(
        service,
        clock,
        logger,
        id,
        routed_at,
        Change::Route { queue },
    )?;
    if plan.status == Status::Routed {
        return Ok(());
    }
    let Some(specialist) = find_login(staff, queue_role) else {
        return Ok(());
    };
    let taken_at = Timestamp(routed_at.0 + (5 + index as i64 % 20) * MINUTE_MS);
    act(service, clock, specialist, id, taken_at, Change::Take)?;
    // a contact attempt on most requests in work, as specialists do
    let noted_at = taken_at.plus_minutes(10);
    if index % 3 != 0 && noted_at.0 < SystemClock.now().0 {
        let kind = if index % 2 == 0 {
            NoteKind::NoAnswer
        } else {
            NoteKind::Phoned
        };
        let text = if kind == NoteKind::NoAnswer {
            "не берут трубку, перезвоню"
        } else {
            "уточнили детали, договорились перезвонить"
        };
        let text = text.to_string();
        act(
            service,
            clock,
            specialist,
            id,
            noted_at,
            Change::Note { kind, text },
        )?;
    }
    match plan.status {
        // some work asks the head for more time: pending, approved or denied
        Status::InWork if index % 4 == 1 => {
            let asked_at = taken_at.plus_minutes(20);
            let until = request.deadlines.resolve_by.plus_hours(24);
            let reason = "ждём ответа поставщика платформы".to_string();
            act(
                service,
                clock,
                specialist,
                id,
                asked_at,
                Change::AskExtension { reason, until },
            )?;
            let decision = index % 3;
            if decision != 0 {
                let approve = decision == 1;
                if let Some(head) = find_login(staff, Role::Head) {
                    let decided_at = asked_at.plus_minutes(15);
                    let note = if approve {
                        "согласовано"
                    } else {
                        "закройте в срок"
                    };
                    let decision = Change::DecideExtension {
                        approve,
                        note: note.to_string(),
                    };
                    act(service, clock, head, id, decided_at, decision)?;
                }
            }
        }
        Status::WaitingVendor => {
            let at = taken_at.plus_minutes(30);
            // only the designated representative files with the vendor
            let representative = staff
                .iter()
                .find(|member| member.vendor_rep)
                .unwrap_or(specialist);
            let escalation = Change::Escalate {
                reformulated:
                    "Пользователь не может войти: после ввода пароля возврат на страницу входа"
                        .to_string(),
                ticket: format!("VND-{}", 4000 + index),
            };
            act(service, clock, representative, id, at, escalation)?;
        }
        Status::Resolved => {
            let at = taken_at.plus_minutes(90 + index as i64 * 13 % 600);
            let returned_by = if request.caller.phone.is_some() {
                ReturnChannel::Phone
            } else {
                ReturnChannel::Email
            };
            let result = Change::Resolve {
                text: "Проблема решена, автору сообщили результат.".to_string(),
                returned_by,
                message: None,
            };
            act(service, clock, specialist, id, at, result)?;
        }
        _ => {}
    }
    Ok(())
}

/// A change of the later lifecycle made by `actor` at `at`, through the service's rules as
/// its author would have made it. A step the rules refuse (the vendor's representative does
/// not see another queue's request) is left out, as it would have been.
fn act(
    service: &Service,
    clock: &ManualClock,
    actor: &Staff,
    id: RequestId,
    at: Timestamp,
    change: Change,
) -> Result<(), DemoError> {
    clock.set(at.min(SystemClock.now()));
    match service.execute(actor, Command::Change { id, change }) {
        Ok(_) | Err(ServiceError::Denied(_) | ServiceError::Rule(_)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_assets_parse_with_a_person_for_every_role() {
        let data = DemoData::parse().expect("demo.toml");
        for role in Role::ALL {
            assert!(
                data.staff.iter().any(|member| member.roles.contains(&role)),
                "no {role:?} in the demo roster"
            );
        }
        for caller in &data.callers {
            let draft = CallDraft {
                answered_at: None,
                name: caller.name.clone(),
                role: Some(caller.role),
                class: caller.class.clone(),
                category: Some(Category::Other),
                description: "x".into(),
                phone: caller.phone.clone(),
                email: caller.email.clone(),
                caller_card: None,
                acknowledge: false,
            };
            assert!(
                draft.check().is_ok(),
                "{}: {:?}",
                caller.name,
                draft.check()
            );
        }
        for category in CATEGORIES {
            assert!(data.problems.get(&category).is_some_and(|p| !p.is_empty()));
        }
    }

    #[test]
    fn plans_cover_every_status_with_about_forty_requests() {
        let plans = plans();
        assert!((35..=45).contains(&plans.len()));
        for status in Status::ALL {
            assert!(plans.iter().any(|plan| plan.status == status), "{status:?}");
        }
    }
}
