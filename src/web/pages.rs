//! The website's pages, drawn from what a handler decided: the form (Appendix 1), the receipt,
//! the status page, the texts, and the refusals. Every value is escaped (by the template
//! engine, or by `Text` as it escapes), the frame around a page drawn once and kept; no page
//! has a script; every text comes from the catalogue.

use chrono::{Datelike, Local, TimeZone, Timelike};
use maud::{html, Markup, PreEscaped, DOCTYPE};

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
    // digits written as they are: `format!` with its paddings took half of a receipt's
    // 0.8 µs for its two times (`perf`, `cargo bench --bench web`)
    fn shown<Z: TimeZone>(time: chrono::DateTime<Z>) -> String {
        fn two(out: &mut String, value: u32) {
            out.push(char::from(b'0' + (value / 10 % 10) as u8));
            out.push(char::from(b'0' + (value % 10) as u8));
        }
        let mut out = String::with_capacity(16);
        two(&mut out, time.day());
        out.push('.');
        two(&mut out, time.month());
        out.push('.');
        match u32::try_from(time.year()) {
            Ok(year) if year < 10_000 => {
                two(&mut out, year / 100);
                two(&mut out, year % 100);
            }
            _ => out.push_str(&format!("{:04}", time.year())),
        }
        out.push(' ');
        two(&mut out, time.hour());
        out.push(':');
        two(&mut out, time.minute());
        out
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

/// Every page: its title and body inside the frame of `framed`, drawn once for a language,
/// service name and hotline and kept (the frame's escaping and texts were a third of the
/// receipt page's drawing).
fn layout(info: &WebInfo, title: &str, body: Markup) -> Markup {
    let Some(frame) = Frame::of(info) else {
        return framed(info, title, body);
    };
    let body = body.into_string();
    let mut page = String::with_capacity(frame.size() + title.len() + body.len());
    page.push_str(&frame.before_title);
    maud::Render::render_to(&Text(title), &mut page);
    page.push_str(&frame.before_body);
    page.push_str(&body);
    page.push_str(&frame.after_body);
    PreEscaped(page)
}

fn framed(info: &WebInfo, title: &str, body: Markup) -> Markup {
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

fn drawn_hotline_line(info: &WebInfo) -> Markup {
    html! {
        p.hotline {
            (tr!("web.call_hotline")) " "
            a href=(tel(&info.service.hotline)) { (info.service.hotline) }
        }
    }
}

fn hotline_line(info: &WebInfo) -> Markup {
    match Frame::of(info) {
        Some(frame) => PreEscaped(frame.hotline_line.clone()),
        None => drawn_hotline_line(info),
    }
}

/// Text escaped as maud escapes it (`&`, `<`, `>`, `"`), a run between them at a time rather
/// than a byte at a time: the receipt page, drawn for every submission, uses it.
struct Text<'a>(&'a str);

impl maud::Render for Text<'_> {
    fn render_to(&self, out: &mut String) {
        // the four are ASCII, so a byte of theirs is never inside a character: looking at
        // bytes takes 206 ns on the 300-byte after-hours notice, `str::find` with a set of
        // chars 363
        let mut rest = self.0;
        while let Some(at) = rest
            .bytes()
            .position(|byte| matches!(byte, b'&' | b'<' | b'>' | b'"'))
        {
            out.push_str(&rest[..at]);
            out.push_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                _ => "&quot;",
            });
            rest = &rest[at + 1..];
        }
        out.push_str(rest);
    }
}

/// `framed` drawn with marks for the title and the body, cut at them; and the hotline line.
struct Frame {
    lang: crate::lang::Lang,
    name: String,
    hotline: String,
    before_title: String,
    before_body: String,
    after_body: String,
    hotline_line: String,
}

thread_local! {
    static FRAME: std::cell::RefCell<Option<std::rc::Rc<Frame>>> =
        const { std::cell::RefCell::new(None) };
}

impl Frame {
    /// Characters of Unicode's private use area, which no text of the frame is expected to
    /// hold; where one does, the frame is not kept and each page is drawn whole.
    const TITLE: &'static str = "\u{e000}";
    const BODY: &'static str = "\u{e001}";

    fn of(info: &WebInfo) -> Option<std::rc::Rc<Frame>> {
        let lang = crate::lang::current();
        let fits = |frame: &Frame| {
            frame.lang == lang
                && frame.name == info.service.name
                && frame.hotline == info.service.hotline
        };
        FRAME.with(|kept| {
            let mut kept = kept.borrow_mut();
            if let Some(frame) = kept.as_ref().filter(|frame| fits(frame)) {
                return Some(std::rc::Rc::clone(frame));
            }
            let frame = std::rc::Rc::new(Frame::draw(lang, info)?);
            *kept = Some(std::rc::Rc::clone(&frame));
            Some(frame)
        })
    }

    fn draw(lang: crate::lang::Lang, info: &WebInfo) -> Option<Frame> {
        let page = framed(info, Frame::TITLE, PreEscaped(Frame::BODY.to_string())).into_string();
        let [before_title, between, after_body] = cut(&page)?;
        Some(Frame {
            lang,
            name: info.service.name.clone(),
            hotline: info.service.hotline.clone(),
            before_title: before_title.to_string(),
            before_body: between.to_string(),
            after_body: after_body.to_string(),
            hotline_line: drawn_hotline_line(info).into_string(),
        })
    }

    fn size(&self) -> usize {
        self.before_title.len() + self.before_body.len() + self.after_body.len()
    }
}

/// The page around its two marks, each there once and in order.
fn cut(page: &str) -> Option<[&str; 3]> {
    let marks = |mark: &str| page.matches(mark).count();
    if marks(Frame::TITLE) != 1 || marks(Frame::BODY) != 1 {
        return None;
    }
    let (before_title, rest) = page.split_once(Frame::TITLE)?;
    let (between, after_body) = rest.split_once(Frame::BODY)?;
    Some([before_title, between, after_body])
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
    let title = tr!("web.sent.title", id = receipt.id);
    let route_by = tr!(
        "web.sent.route_by",
        at = local_time(info, receipt.deadlines.route_by)
    );
    let resolve_by = tr!(
        "web.sent.resolve_by",
        at = local_time(info, receipt.deadlines.resolve_by)
    );
    let body = html! {
        h1 { (Text(&title)) }
        p.number { (Text(tr!("web.sent.number"))) " " strong { (receipt.id) } }
        p { (Text(tr!("web.sent.keep"))) }
        @for line in &receipt.after_hours {
            p.after-hours { (Text(line)) }
        }
        h2 { (Text(tr!("web.sent.next"))) }
        ul {
            li { (Text(&route_by)) }
            li { (Text(&resolve_by)) }
            li { (Text(answer_words(receipt.answer_by))) }
        }
        (hotline_line(info))
        p { a href=(format!("/status?number={number}")) { (Text(tr!("web.status.link"))) } }
    };
    layout(info, &title, body)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{speaking, Lang};

    fn info(name: &str, hotline: &str) -> WebInfo {
        let mut info = crate::web::fallback_info(std::path::Path::new("/nonexistent"));
        info.service.name = name.into();
        info.service.hotline = hotline.into();
        info
    }

    #[test]
    fn a_page_in_its_kept_frame_is_the_page_drawn_whole() {
        for lang in Lang::ALL {
            speaking(lang, || {
                for (name, hotline) in
                    [("Школа № 1 <&>", "+7 (343) 000-00-00"), ("Другая", "8 800")]
                {
                    let info = info(name, hotline);
                    let body =
                        || html! { h1 { "<Заявка> & \"ответ\"" } (drawn_hotline_line(&info)) };
                    for title in ["Обращение № 7", "<script>alert(1)</script>"] {
                        let whole = framed(&info, title, body()).into_string();
                        assert_eq!(layout(&info, title, body()).into_string(), whole);
                        let kept = Frame::of(&info).expect("kept");
                        // drawn again from the same frame
                        assert_eq!(layout(&info, title, body()).into_string(), whole);
                        let again = Frame::of(&info).expect("kept");
                        assert!(std::rc::Rc::ptr_eq(&kept, &again), "not drawn again");
                    }
                    assert_eq!(
                        hotline_line(&info).into_string(),
                        drawn_hotline_line(&info).into_string()
                    );
                }
            });
        }
    }

    proptest::proptest! {
        #[test]
        fn text_is_escaped_as_maud_escapes_it(text in "[<>&\"'a-zа-я \\PC]{0,40}") {
            let mut ours = String::new();
            maud::Render::render_to(&Text(&text), &mut ours);
            proptest::prop_assert_eq!(ours, html! { (text) }.into_string());
        }

        #[test]
        fn a_time_is_shown_as_its_pattern_says(at in -62_000_000_000_000i64..253_402_200_000_000) {
            let mut info = info("Школа", "+7 1");
            info.zone = Some("Europe/Moscow".into());
            let zone: chrono_tz::Tz = "Europe/Moscow".parse().expect("zone");
            let time = zone.timestamp_millis_opt(at).single().expect("an instant");
            let patterned = time.format("%d.%m.%Y %H:%M").to_string();
            proptest::prop_assert_eq!(local_time(&info, Timestamp(at)), patterned);
        }
    }

    #[test]
    fn a_service_name_holding_a_mark_is_drawn_whole_each_time() {
        let info = info("Школа \u{e001}", "+7 1");
        assert!(Frame::of(&info).is_none());
        let page = layout(&info, "Т", html! { p { "x" } }).into_string();
        assert_eq!(page, framed(&info, "Т", html! { p { "x" } }).into_string());
        assert!(page.contains("Школа \u{e001}"));
    }
}
