//! The website's pages, drawn from what a handler decided: the form (Appendix 1), the receipt,
//! the status page, the texts, and the refusals. Every value is escaped by the template
//! engine; no page has a script; every text comes from the catalogue.

use chrono::{Datelike, Local, TimeZone, Timelike};
use maud::{html, Markup, DOCTYPE};

use crate::domain::request::{CallerRole, ReturnChannel};
use crate::domain::time::Timestamp;
use crate::domain::website::{PublicStatus, Receipt};
use crate::service::website::WebInfo;

/// The form's fields as typed, kept to be shown again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typed {
    pub name: String,
    pub role: String,
    pub class: String,
    pub category: String,
    pub description: String,
    pub phone: String,
    pub email: String,
    pub consent: bool,
}

/// What the form page shows besides the values: the reason per field, a note above the form.
pub struct FormPage<'a> {
    pub info: &'a WebInfo,
    pub typed: &'a Typed,
    /// (field's HTML name, reason), in the form's order.
    pub errors: Vec<(&'static str, String)>,
    pub notice: Option<String>,
    pub token: String,
}

/// An instant in the school's time (`01.12.2026 09:30`): its zone when the policy names one,
/// else this machine's.
pub fn local_time(info: &WebInfo, at: Timestamp) -> String {
    fn shown<Z: TimeZone>(time: chrono::DateTime<Z>) -> String {
        format!(
            "{:02}.{:02}.{:04} {:02}:{:02}",
            time.day(),
            time.month(),
            time.year(),
            time.hour(),
            time.minute()
        )
    }
    let zone = info
        .zone
        .as_deref()
        .and_then(|zone| zone.parse::<chrono_tz::Tz>().ok());
    match zone {
        Some(zone) => zone.timestamp_millis_opt(at.0).single().map(shown),
        None => Local.timestamp_millis_opt(at.0).single().map(shown),
    }
    .unwrap_or_default()
}

/// The hotline as a `tel:` link: its digits, with the plus if it has one.
fn tel(hotline: &str) -> String {
    let digits: String = hotline
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}

fn layout(info: &WebInfo, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(crate::lang::current().code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (info.service.name) }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header {
                    p.service { (info.service.name) }
                }
                main { (body) }
                footer {
                    p {
                        (tr!("web.hotline")) " "
                        a href=(tel(&info.service.hotline)) { (info.service.hotline) }
                    }
                }
            }
        }
    }
}

fn hotline_line(info: &WebInfo) -> Markup {
    html! {
        p.hotline {
            (tr!("web.call_hotline")) " "
            a href=(tel(&info.service.hotline)) { (info.service.hotline) }
        }
    }
}

pub fn form(page: &FormPage) -> Markup {
    let typed = page.typed;
    let error = |field: &str| {
        page.errors
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, reason)| reason.as_str())
    };
    let first_bad = page.errors.first().map(|(name, _)| *name);
    let described = |field: &str| error(field).map(|_| format!("{field}-error"));
    let invalid = |field: &str| error(field).map(|_| "true");
    let reason = |field: &str| {
        html! {
            @if let Some(reason) = error(field) {
                p.error id=(format!("{field}-error")) { (reason) }
            }
        }
    };
    let role_chosen = typed.role.as_str();
    let body = html! {
        h1 { (tr!("web.form.title")) }
        p { (tr!("web.form.lead")) }
        (hotline_line(page.info))
        @if let Some(notice) = &page.notice {
            p.notice role="alert" { (notice) }
        }
        @if !page.errors.is_empty() {
            div.summary role="alert" aria-labelledby="summary-title" {
                h2 id="summary-title" { (tr!("web.form.fix")) }
                ul {
                    @for (field, reason) in &page.errors {
                        li { a href=(format!("#{field}")) { (reason) } }
                    }
                }
            }
        }
        form.appeal method="post" action="/" novalidate {
            input type="hidden" name="token" value=(page.token);
            div.field {
                label for="name" { (tr!("web.form.name")) }
                input type="text" id="name" name="name" value=(typed.name) maxlength="200"
                    autocomplete="name" required aria-required="true"
                    aria-invalid=[invalid("name")] aria-describedby=[described("name")]
                    autofocus[first_bad == Some("name")];
                (reason("name"))
            }
            fieldset.field id="role" aria-invalid=[invalid("role")] aria-describedby=[described("role")] {
                legend { (tr!("web.form.role")) }
                @for role in CallerRole::ALL {
                    @let key = role.key();
                    div.choice {
                        input type="radio" id=(format!("role-{key}")) name="role" value=(key)
                            checked[role_chosen == key]
                            autofocus[first_bad == Some("role") && role == CallerRole::Student];
                        label for=(format!("role-{key}")) { (role_word(role)) }
                    }
                }
                (reason("role"))
            }
            div.field.class-field {
                // both questions of Appendix 1 (3 and 4); the style shows the one for the
                // role chosen
                label for="class" {
                    span.for-student { (tr!("web.form.class_student")) }
                    " "
                    span.for-parent { (tr!("web.form.class_parent")) }
                }
                input type="text" id="class" name="class" value=(typed.class) maxlength="10"
                    inputmode="text" aria-invalid=[invalid("class")]
                    aria-describedby=[described("class")]
                    autofocus[first_bad == Some("class")];
                (reason("class"))
            }
            fieldset.field id="category" aria-invalid=[invalid("category")] aria-describedby=[described("category")] {
                legend { (tr!("web.form.category")) }
                @for (index, (category, label)) in page.info.categories.iter().enumerate() {
                    @let key = category.key();
                    div.choice {
                        input type="radio" id=(format!("category-{key}")) name="category"
                            value=(key) checked[typed.category == key]
                            autofocus[first_bad == Some("category") && index == 0];
                        label for=(format!("category-{key}")) { (label) }
                    }
                }
                (reason("category"))
            }
            div.field {
                label for="description" { (tr!("web.form.description")) }
                textarea id="description" name="description" rows="6" maxlength="4000"
                    required aria-required="true" aria-invalid=[invalid("description")]
                    aria-describedby=[described("description")]
                    autofocus[first_bad == Some("description")] { (typed.description) }
                (reason("description"))
            }
            p.hint id="contact-hint" { (tr!("web.form.contact_hint")) }
            div.field {
                label for="phone" { (tr!("web.form.phone")) }
                input type="tel" id="phone" name="phone" value=(typed.phone) maxlength="40"
                    autocomplete="tel" aria-invalid=[invalid("phone")]
                    aria-describedby=(described("phone").map_or("contact-hint".to_string(), |id| format!("{id} contact-hint")))
                    autofocus[first_bad == Some("phone")];
                (reason("phone"))
            }
            div.field {
                label for="email" { (tr!("web.form.email")) }
                input type="email" id="email" name="email" value=(typed.email) maxlength="254"
                    autocomplete="email" aria-invalid=[invalid("email")]
                    aria-describedby=(described("email").map_or("contact-hint".to_string(), |id| format!("{id} contact-hint")))
                    autofocus[first_bad == Some("email")];
                (reason("email"))
            }
            div.field.trap aria-hidden="true" {
                label for="website" { (tr!("web.form.trap")) }
                input type="text" id="website" name="website" value="" tabindex="-1" autocomplete="off";
            }
            div.field.consent {
                div.choice {
                    input type="checkbox" id="consent" name="consent" value="yes"
                        checked[typed.consent] required aria-required="true"
                        aria-invalid=[invalid("consent")] aria-describedby=[described("consent")]
                        autofocus[first_bad == Some("consent")];
                    label for="consent" { (tr!("web.form.consent")) }
                }
                p.links {
                    a href="/consent" { (tr!("web.consent.link")) }
                    " · "
                    a href="/privacy" { (tr!("web.privacy.link")) }
                }
                (reason("consent"))
            }
            button type="submit" { (tr!("web.form.send")) }
        }
        p { a href="/status" { (tr!("web.status.link")) } }
    };
    layout(page.info, tr!("web.form.title"), body)
}

fn role_word(role: CallerRole) -> &'static str {
    match role {
        CallerRole::Student => tr!("web.form.role.student"),
        CallerRole::Teacher => tr!("web.form.role.teacher"),
        CallerRole::Parent => tr!("web.form.role.parent"),
    }
}

fn answer_words(answer: ReturnChannel) -> &'static str {
    match answer {
        ReturnChannel::Email => tr!("web.answer.email"),
        ReturnChannel::Phone => tr!("web.answer.phone"),
    }
}

pub fn sent(info: &WebInfo, receipt: &Receipt) -> Markup {
    let number = receipt.id.0;
    let body = html! {
        h1 { (tr!("web.sent.title", id = receipt.id)) }
        p.number { (tr!("web.sent.number")) " " strong { (receipt.id) } }
        p { (tr!("web.sent.keep")) }
        @for line in &receipt.after_hours {
            p.after-hours { (line) }
        }
        h2 { (tr!("web.sent.next")) }
        ul {
            li { (tr!("web.sent.route_by", at = local_time(info, receipt.deadlines.route_by))) }
            li { (tr!("web.sent.resolve_by", at = local_time(info, receipt.deadlines.resolve_by))) }
            li { (answer_words(receipt.answer_by)) }
        }
        (hotline_line(info))
        p { a href=(format!("/status?number={number}")) { (tr!("web.status.link")) } }
    };
    layout(info, &tr!("web.sent.title", id = receipt.id), body)
}

pub fn status_form(info: &WebInfo, number: &str, notice: Option<&str>) -> Markup {
    let body = html! {
        h1 { (tr!("web.status.title")) }
        @if let Some(notice) = notice {
            p.notice role="alert" { (notice) }
        }
        form method="post" action="/status" {
            div.field {
                label for="number" { (tr!("web.status.number")) }
                input type="text" id="number" name="number" value=(number) inputmode="numeric"
                    maxlength="20" required;
            }
            div.field {
                label for="contact" { (tr!("web.status.contact")) }
                input type="text" id="contact" name="contact" maxlength="254" required
                    autocomplete="off";
            }
            button type="submit" { (tr!("web.status.show")) }
        }
        p { a href="/" { (tr!("web.form.again")) } }
    };
    layout(info, tr!("web.status.title"), body)
}

pub fn status(info: &WebInfo, status: &PublicStatus) -> Markup {
    let open = status.status.is_open();
    let body = html! {
        h1 { (tr!("web.status.of", id = status.id)) }
        p.state { (tr!("web.status.state")) " " strong { (status.status.label()) } }
        dl {
            dt { (tr!("web.status.received")) } dd { (local_time(info, status.received_at)) }
            @if let Some(at) = status.routed_at {
                dt { (tr!("web.status.routed")) } dd { (local_time(info, at)) }
            } @else if open {
                dt { (tr!("web.status.route_by")) } dd { (local_time(info, status.deadlines.route_by)) }
            }
            @if let Some(at) = status.taken_at {
                dt { (tr!("web.status.taken")) } dd { (local_time(info, at)) }
            }
            @if let Some(at) = status.closed_at {
                dt { (tr!("web.status.closed")) } dd { (local_time(info, at)) }
            } @else {
                dt { (tr!("web.status.resolve_by")) } dd { (local_time(info, status.deadlines.resolve_by)) }
            }
        }
        p { (answer_words(status.answer_by)) }
        (hotline_line(info))
        p { a href="/" { (tr!("web.form.again")) } }
    };
    layout(info, &tr!("web.status.of", id = status.id), body)
}

/// A school-edited text (consent, policy), paragraph by paragraph.
pub fn text(info: &WebInfo, title: &str, text: &str) -> Markup {
    let body = html! {
        article {
            @for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
                p { (paragraph) }
            }
        }
        p { a href="/" { (tr!("web.form.back")) } }
    };
    layout(info, title, body)
}

/// A refusal or a trouble: what happened, and the hotline.
pub fn trouble(info: &WebInfo, title: &str, what: &str) -> Markup {
    let body = html! {
        h1 { (title) }
        p { (what) }
        (hotline_line(info))
        p { a href="/" { (tr!("web.form.back")) } }
    };
    layout(info, title, body)
}

/// The button for the school's site (§3.1.1), with the hotline, linking to the form.
pub fn snippet(info: &WebInfo, form_url: &str) -> String {
    html! {
        div class="pult-support" style="display:inline-block;padding:12px 16px;border:2px solid #1a4d8f;border-radius:8px;font-family:sans-serif" {
            a href=(form_url) style="display:inline-block;padding:10px 18px;background:#1a4d8f;color:#fff;text-decoration:none;border-radius:6px;font-weight:bold" {
                (tr!("web.snippet.button"))
            }
            p style="margin:8px 0 0" {
                (tr!("web.hotline")) " "
                a href=(tel(&info.service.hotline)) { (info.service.hotline) }
            }
        }
    }
    .into_string()
}

pub const STYLE: &str = include_str!("../../assets/web/style.css");
