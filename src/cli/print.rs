//! Plain-text listings for people at a shell.

use std::io;

use chrono::Local;

use super::out::say;

use crate::domain::deadline::next_timer;
use crate::domain::policy::Policy;
use crate::domain::request::Request;
use crate::domain::staff::{short_name, Staff};
use crate::domain::time::{format_countdown, Clock, SystemClock};
use crate::store::AuditEvent;

fn local_offset() -> chrono::FixedOffset {
    *Local::now().offset()
}

pub(super) fn local(at: crate::domain::time::Timestamp, format: &str) -> String {
    at.to_utc().with_timezone(&Local).format(format).to_string()
}

pub fn list(policy: &Policy, requests: &[Request]) -> io::Result<()> {
    if requests.is_empty() {
        say!("{}", tr!("print.no_requests"))?;
        return Ok(());
    }
    let now = SystemClock.now();
    for request in requests {
        let timer = next_timer(request, &policy.deadlines)
            .map(|timer| {
                format!(
                    "{} {}",
                    timer.kind.label(),
                    format_countdown(timer.remaining(now))
                )
            })
            .unwrap_or_default();
        let queue = request
            .queue
            .as_deref()
            .map(|key| policy.queue_short(key))
            .unwrap_or("—");
        say!(
            "{:<7} {:<16} {}  {:<22} {:<8} → {:<8} {timer}",
            request.id.to_string(),
            request.status.label(),
            local(request.received_at, "%d.%m %H:%M"),
            short_name(&request.caller.name),
            policy.category_short(request.category),
            queue,
        )?;
    }
    Ok(())
}

pub fn show(policy: &Policy, request: &Request) -> io::Result<()> {
    let caller = &request.caller;
    let dash = || "—".to_string();
    say!(
        "{}",
        tr!(
            "print.request",
            id = request.id,
            status = request.status.label()
        )
    )?;
    let fields = [
        (
            tr!("print.received"),
            local(request.received_at, "%d.%m.%Y %H:%M:%S %:z"),
        ),
        (
            tr!("print.channel"),
            crate::report::format::channel_label(request.channel).to_string(),
        ),
        (tr!("print.name"), caller.name.clone()),
        (tr!("print.role"), caller.role.label().to_string()),
        (
            tr!("print.class"),
            caller.class.map(|c| c.to_string()).unwrap_or_else(dash),
        ),
        (
            tr!("print.type"),
            policy.category_label(request.category).to_string(),
        ),
        (
            tr!("print.phone"),
            caller
                .phone
                .as_ref()
                .map(|p| p.display())
                .unwrap_or_else(dash),
        ),
        (
            tr!("print.email"),
            caller
                .email
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(dash),
        ),
        (
            tr!("print.queue"),
            request
                .queue
                .as_deref()
                .map(|q| policy.queue_short(q).to_string())
                .unwrap_or_else(dash),
        ),
        (
            tr!("print.route_by"),
            local(request.deadlines.route_by, "%d.%m %H:%M"),
        ),
    ];
    let take_by = request
        .deadlines
        .take_by
        .map(|take_by| (tr!("print.take_by"), local(take_by, "%d.%m %H:%M")));
    let resolve_by = (
        tr!("print.resolve_by"),
        local(request.deadlines.resolve_by, "%d.%m %H:%M"),
    );
    let consent = request.consent.as_ref().map(|consent| {
        (
            tr!("print.consent"),
            tr!(
                "print.consent_given",
                at = local(consent.given_at, "%d.%m.%Y %H:%M:%S %:z"),
                version = consent.text_version
            ),
        )
    });
    let all: Vec<(&str, String)> = fields
        .into_iter()
        .chain(take_by)
        .chain([resolve_by])
        .chain(consent)
        .collect();
    // the values in one column, whatever the language's labels
    let width = all
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    for (label, value) in &all {
        say!("{label:<width$}{value}")?;
    }
    say!("{}", tr!("print.description"))?;
    for line in crate::domain::access::shown(&request.description).lines() {
        say!("  {line}")?;
    }
    Ok(())
}

/// `login  Фамилия Имя Отчество  roles [представитель] [отключена]`
pub fn staff_line(staff: &Staff) -> String {
    let roles: Vec<&str> = staff.roles.iter().map(|role| role.key()).collect();
    let mut line = format!("{:<12} {:<36} {}", staff.login, staff.name, roles.join(","));
    if staff.vendor_rep {
        line.push_str(tr!("print.vendor_rep"));
    }
    if staff.disabled {
        line.push_str(tr!("print.disabled"));
    }
    line
}

/// One line per audit event: local time, who, what.
pub fn history(policy: &Policy, events: &[AuditEvent]) -> io::Result<()> {
    if events.is_empty() {
        say!("{}", tr!("print.no_events"))?;
    }
    for event in events {
        let what = crate::domain::audit::describe(&event.action, policy, local_offset());
        say!(
            "{}  {:<12} {what}",
            local(event.at, "%d.%m.%Y %H:%M:%S"),
            event.actor
        )?;
    }
    Ok(())
}

/// Every escalation to the vendor, oldest request first, with its outcome.
pub fn vendor_history(requests: &[Request]) -> io::Result<()> {
    if requests.is_empty() {
        say!("{}", tr!("print.no_vendor_cases"))?;
    }
    for request in requests {
        for case in &request.vendor {
            say!(
                "{}",
                tr!(
                    "print.vendor_case",
                    id = request.id,
                    ticket = case.ticket,
                    by = case.sent_by,
                    at = local(case.sent_at, "%d.%m.%Y %H:%M")
                )
            )?;
            say!("{}", tr!("print.for_vendor", text = case.reformulated))?;
            match (&case.answer, case.answered_at) {
                (Some(answer), Some(at)) => say!(
                    "{}",
                    tr!(
                        "print.vendor_answer",
                        at = local(at, "%d.%m.%Y %H:%M"),
                        answer = answer
                    )
                )?,
                _ => say!("{}", tr!("print.no_answer_yet"))?,
            }
        }
    }
    Ok(())
}
