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

fn local(at: crate::domain::time::Timestamp, format: &str) -> String {
    at.to_utc().with_timezone(&Local).format(format).to_string()
}

pub fn list(policy: &Policy, requests: &[Request]) -> io::Result<()> {
    if requests.is_empty() {
        say!("Обращений нет.")?;
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
    say!("Обращение {} · {}", request.id, request.status.label())?;
    say!(
        "Принято:          {}",
        local(request.received_at, "%d.%m.%Y %H:%M:%S %:z")
    )?;
    say!("ФИО:              {}", caller.name)?;
    say!("Роль:             {}", caller.role.label())?;
    say!(
        "Класс:            {}",
        caller.class.map(|c| c.to_string()).unwrap_or_else(dash)
    )?;
    say!(
        "Тип обращения:    {}",
        policy
            .category(request.category)
            .map(|c| c.label.as_str())
            .unwrap_or("")
    )?;
    say!(
        "Телефон:          {}",
        caller
            .phone
            .as_ref()
            .map(|p| p.display())
            .unwrap_or_else(dash)
    )?;
    say!(
        "Почта:            {}",
        caller
            .email
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_else(dash)
    )?;
    say!(
        "Очередь:          {}",
        request
            .queue
            .as_deref()
            .map(|q| policy.queue_short(q).to_string())
            .unwrap_or_else(dash)
    )?;
    say!(
        "Распределить до:  {}",
        local(request.deadlines.route_by, "%d.%m %H:%M")
    )?;
    if let Some(take_by) = request.deadlines.take_by {
        say!("Взять до:         {}", local(take_by, "%d.%m %H:%M"))?;
    }
    say!(
        "Закрыть до:       {}",
        local(request.deadlines.resolve_by, "%d.%m %H:%M")
    )?;
    say!("Описание проблемы:")?;
    for line in request.description.lines() {
        say!("  {line}")?;
    }
    Ok(())
}

/// `login  Фамилия Имя Отчество  roles [представитель] [отключена]`
pub fn staff_line(staff: &Staff) -> String {
    let roles: Vec<&str> = staff.roles.iter().map(|role| role.key()).collect();
    let mut line = format!("{:<12} {:<36} {}", staff.login, staff.name, roles.join(","));
    if staff.vendor_rep {
        line.push_str("  [представитель перед поставщиком]");
    }
    if staff.disabled {
        line.push_str("  [отключена]");
    }
    line
}

/// One line per audit event: local time, who, what.
pub fn history(events: &[AuditEvent]) -> io::Result<()> {
    if events.is_empty() {
        say!("Записей нет.")?;
    }
    for event in events {
        let what = crate::service::timeline::describe(&event.action, local_offset());
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
        say!("Обращений к поставщику не было.")?;
    }
    for request in requests {
        for case in &request.vendor {
            say!(
                "{} · заявка {} · отправил(а) {} {}",
                request.id,
                case.ticket,
                case.sent_by,
                local(case.sent_at, "%d.%m.%Y %H:%M")
            )?;
            say!("  для поставщика: {}", case.reformulated)?;
            match (&case.answer, case.answered_at) {
                (Some(answer), Some(at)) => {
                    say!("  ответ {}: {answer}", local(at, "%d.%m.%Y %H:%M"))?
                }
                _ => say!("  ответа ещё нет")?,
            }
        }
    }
    Ok(())
}
