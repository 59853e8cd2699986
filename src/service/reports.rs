//! Reports through the service: who may read which, reading only the period's requests, and
//! the head's proposals kept with the week.

use chrono::{Duration, FixedOffset};

use super::{Service, ServiceError};
use crate::domain::access::{may_do, Operation};
use crate::domain::staff::{Role, Staff};
use crate::domain::time::Timestamp;
use crate::domain::validate::{bounded, sanitize, MAX_PROPOSALS};
use crate::report::{self, DailyReport, WeeklyReport};
use crate::store::Proposals;

fn offset(seconds: i32) -> Result<FixedOffset, ServiceError> {
    FixedOffset::east_opt(seconds).ok_or(ServiceError::BadOffset { seconds })
}

/// "Иванова Анна Сергеевна (специалист горячей линии)" for each active operator and site
/// administrator: the report is theirs to send (§3.3.2).
fn senders(staff: &[Staff]) -> Vec<String> {
    let mut names = Vec::new();
    for role in [Role::Operator, Role::SiteAdmin] {
        for member in staff
            .iter()
            .filter(|member| !member.disabled && member.has(role))
        {
            names.push(format!("{} ({})", member.name, role.label()));
        }
    }
    names
}

pub(super) fn daily(
    service: &Service,
    actor: &Staff,
    date: Option<chrono::NaiveDate>,
    offset_seconds: i32,
) -> Result<DailyReport, ServiceError> {
    may_do(actor, Operation::ReadDaily, service.policy())?;
    let offset = offset(offset_seconds)?;
    let now = service.now();
    let date = date.unwrap_or_else(|| now.in_offset(offset).date_naive());
    let (start, end) = report::day_bounds(date, offset);
    let requests = service.store.touching(start, end)?;
    let staff = service.store.all_staff()?;
    let mut daily = report::daily(
        &requests,
        date,
        offset,
        now,
        service.policy(),
        senders(&staff),
    );
    // the head reads who has the overdue request, not a login
    let named = |login: &mut Option<String>| {
        if let Some(member) = staff
            .iter()
            .find(|member| Some(&member.login) == login.as_ref())
        {
            *login = Some(member.short_name());
        }
    };
    for late in &mut daily.overdue {
        named(&mut late.assignee);
    }
    for waiting in &mut daily.undelivered {
        named(&mut waiting.assignee);
    }
    Ok(daily)
}

pub(super) fn weekly(
    service: &Service,
    actor: &Staff,
    week: Option<(i32, u32)>,
    offset_seconds: i32,
) -> Result<WeeklyReport, ServiceError> {
    may_do(actor, Operation::ReadWeekly, service.policy())?;
    let offset = offset(offset_seconds)?;
    let now = service.now();
    let (year, week) = week.unwrap_or_else(|| report::last_full_week(now, offset));
    let (start, end) = report::week_bounds(year, week, offset)?;
    let previous_start = Timestamp(start.0 - Duration::days(7).num_milliseconds());
    let requests = service.store.touching(previous_start, end)?;
    let proposals = service
        .store
        .proposals(year, week)?
        .map(|proposals| proposals.text);
    Ok(report::weekly(
        &requests,
        year,
        week,
        offset,
        now,
        service.policy(),
        proposals,
    )?)
}

pub(super) fn save_proposals(
    service: &Service,
    actor: &Staff,
    year: i32,
    week: u32,
    text: &str,
) -> Result<(), ServiceError> {
    may_do(actor, Operation::WriteProposals, service.policy())?;
    bounded(tr!("field.proposals"), text, MAX_PROPOSALS)?;
    // a week that does not exist is refused with its sentence
    report::week_bounds(year, week, offset(0)?)?;
    let proposals = Proposals {
        text: sanitize(text, true, MAX_PROPOSALS),
        by: actor.login.clone(),
        at: service.now(),
    };
    service.store.save_proposals(year, week, &proposals)?;
    Ok(())
}
