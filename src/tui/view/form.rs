//! The Appendix-2 call form: seven fields in the regulation's order, reasons beside them.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::common::{centered, fit, footer, hints, local_time, pad, width_of};
use crate::domain::call_form::Field;
use crate::domain::request::CallerRole;
use crate::domain::validate::{Email, Phone, MAX_DESCRIPTION};
use crate::tui::app::App;
use crate::tui::form::FormState;
use crate::tui::keymap::{Action, Context};
use crate::tui::line_input::LineInput;

const LABEL_WIDTH: u16 = 28;

pub fn draw(frame: &mut Frame, app: &App, form: &FormState, body: Rect, footer_area: Rect) {
    let theme = &app.theme;
    let kept = form
        .draft_kept_at
        .map(|at| tr!("form.draft_kept", time = local_time(app, at, "%H:%M:%S")))
        .unwrap_or_default();
    let title = tr!(
        "form.title",
        time = local_time(app, form.answered_at, "%H:%M:%S"),
        kept = kept
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border)
        .title(Span::styled(title, theme.focused_border));
    let inner = block.inner(body);
    frame.render_widget(block, body);

    // Full category list when there is room, a compact line otherwise.
    let roomy = inner.height >= 30;
    let category_rows: u16 = if roomy {
        app.policy.categories.len() as u16
    } else {
        2
    };
    let error_rows = |field| u16::from(form.shown_error(field).is_some());
    let mut rows = Vec::new();
    for field in Field::ALL {
        let height = match field {
            Field::Category => category_rows,
            Field::Description => 0, // takes what is left
            _ => 1,
        };
        rows.push((field, height, error_rows(field)));
    }
    // outside the service's hours the operator can tell the caller when it opens
    let category = form
        .category
        .unwrap_or(crate::domain::request::Category::Other);
    let after_hours = app
        .after_hours(category)
        .map(|notice| notice.lines())
        .unwrap_or_default();
    let after_rows = after_hours.len() as u16;
    // label of description, notice
    let fixed: u16 = rows.iter().map(|(_, h, e)| h + e).sum::<u16>() + 1 + 1 + after_rows;
    let description_height = inner.height.saturating_sub(fixed).clamp(1, 12);

    let mut constraints = Vec::new();
    for (field, height, errors) in &rows {
        if *field == Field::Description {
            constraints.push(Constraint::Length(1));
            constraints.push(Constraint::Length(description_height));
        } else {
            constraints.push(Constraint::Length(*height));
        }
        constraints.push(Constraint::Length(*errors));
    }
    constraints.push(Constraint::Length(after_rows));
    constraints.push(Constraint::Length(1));
    let areas = Layout::vertical(constraints).split(inner);

    let mut next = 0;
    for (field, _, _) in &rows {
        let field = *field;
        let label_style = if form.focus == field {
            theme.field_focused
        } else {
            theme.field_label
        };
        let marker = if form.focus == field { "▶" } else { " " };
        let label = Span::styled(
            pad(&format!("{marker}{}", field.label()), LABEL_WIDTH as usize),
            label_style,
        );
        let area = areas[next];
        next += 1;
        if field == Field::Description {
            let left = form
                .remaining(field)
                .map(|left| tr!("form.left_of", count = left, max = MAX_DESCRIPTION))
                .unwrap_or_default();
            frame.render_widget(
                Paragraph::new(Line::from(vec![label, Span::styled(left, theme.dim)])),
                area,
            );
            let text_area = areas[next];
            next += 1;
            let indented = Rect {
                x: text_area.x + 1,
                width: text_area.width.saturating_sub(1),
                ..text_area
            };
            frame.render_widget(&form.description, indented);
        } else {
            let [label_area, value_area] =
                Layout::horizontal([Constraint::Length(LABEL_WIDTH), Constraint::Min(0)])
                    .areas(area);
            frame.render_widget(Paragraph::new(label), label_area);
            draw_value(frame, app, form, field, value_area, roomy);
        }
        let error_area = areas[next];
        next += 1;
        if let Some(error) = form.shown_error(field) {
            let text = fit(&format!("  ✗ {error}"), error_area.width as usize);
            frame.render_widget(Paragraph::new(Span::styled(text, theme.error)), error_area);
        }
    }
    if let Some(area) = areas.get(next) {
        let lines: Vec<Line> = after_hours
            .iter()
            .map(|line| Line::styled(fit(&format!("  {line}"), area.width as usize), theme.dim))
            .collect();
        frame.render_widget(Paragraph::new(lines), *area);
    }
    next += 1;
    if let (Some(area), Some(text)) = (areas.get(next), known_callers_line(app, form)) {
        let style = if form.notice.is_some() {
            theme.error
        } else {
            theme.selected
        };
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&text, area.width as usize), style)),
            *area,
        );
    }

    if form.confirm_cancel {
        draw_confirm(frame, app, body);
    }
    let mut keys = hints(
        app,
        Context::Form,
        &[Action::NextField, Action::Save, Action::Cancel],
    );
    keys.push(("1-3".into(), tr!("form.role")));
    keys.push((
        format!("1-{}", app.policy.categories.len()),
        tr!("form.type"),
    ));
    footer(frame, app, footer_area, &keys);
}

fn draw_value(
    frame: &mut Frame,
    app: &App,
    form: &FormState,
    field: Field,
    area: Rect,
    roomy: bool,
) {
    let theme = &app.theme;
    let focused = form.focus == field;
    match field {
        Field::Role => {
            let mut spans = Vec::new();
            for (index, role) in CallerRole::ALL.iter().enumerate() {
                let chosen = form.role == Some(*role);
                let style = if chosen { theme.selected } else { theme.hint };
                spans.push(Span::styled(
                    chosen_mark(&format!("{} {}", index + 1, role.label()), chosen),
                    style,
                ));
                spans.push(Span::raw(" "));
            }
            frame.render_widget(Paragraph::new(Line::from(spans)), area);
        }
        Field::Category => {
            let policy = &app.policy;
            let chosen_style = |key| {
                if form.category == Some(key) {
                    theme.selected
                } else {
                    theme.hint
                }
            };
            let lines: Vec<Line> = if roomy {
                policy
                    .categories
                    .iter()
                    .enumerate()
                    .map(|(index, def)| {
                        let text = chosen_mark(
                            &format!("{} {}", index + 1, policy.category_label(def.key)),
                            form.category == Some(def.key),
                        );
                        Line::styled(fit(&text, area.width as usize), chosen_style(def.key))
                    })
                    .collect()
            } else {
                let mut spans = Vec::new();
                for (index, def) in policy.categories.iter().enumerate() {
                    spans.push(Span::styled(
                        chosen_mark(
                            &format!("{} {}", index + 1, policy.category_short(def.key)),
                            form.category == Some(def.key),
                        ),
                        chosen_style(def.key),
                    ));
                }
                let chosen = form
                    .category
                    .map(|key| policy.category_label(key).to_string())
                    .unwrap_or_default();
                vec![
                    Line::from(spans),
                    Line::styled(fit(&chosen, area.width as usize), theme.dim),
                ]
            };
            frame.render_widget(Paragraph::new(lines), area);
        }
        Field::Name | Field::Class | Field::Phone | Field::Email => {
            let input = match field {
                Field::Name => &form.name,
                Field::Class => &form.class,
                Field::Phone => &form.phone,
                _ => &form.email,
            };
            let preview = match field {
                Field::Phone => Phone::parse(input.text())
                    .ok()
                    .map(|phone| format!(" → {phone}")),
                Field::Email if !input.text().is_empty() => {
                    Email::parse(input.text()).ok().map(|_| " ✓".to_string())
                }
                _ => None,
            };
            let preview = match acknowledgement(app, form).filter(|_| field == Field::Email) {
                Some(tick) => Some(format!("{}  {tick}", preview.unwrap_or_default())),
                None => preview,
            };
            // the focused field says how much room is left
            let left = focused.then(|| form.remaining(field)).flatten();
            let area = match left {
                Some(left) => {
                    let text = tr!("form.left", count = left);
                    let width = (width_of(&text) as u16 + 1).min(area.width / 3);
                    let [value, count] =
                        Layout::horizontal([Constraint::Min(0), Constraint::Length(width)])
                            .areas(area);
                    frame.render_widget(
                        Paragraph::new(Span::styled(fit(&text, width as usize), theme.dim))
                            .alignment(ratatui::layout::Alignment::Right),
                        count,
                    );
                    value
                }
                None => area,
            };
            draw_line_input(frame, input, area, focused, preview, app);
        }
        Field::Description => {}
    }
}

/// The tick beside the email where the school sends acknowledgements: `[x] подтверждение (F3)`.
fn acknowledgement(app: &App, form: &FormState) -> Option<String> {
    app.mail.as_ref().filter(|mail| mail.acknowledges)?;
    let key = app
        .keymap
        .hint(Context::Form, Action::Acknowledge)
        .unwrap_or_default();
    let mark = if form.acknowledge { "[x]" } else { "[ ]" };
    Some(tr!("form.acknowledge", mark = mark, key = key))
}

/// The chosen option in brackets, so the choice reads without colour too.
fn chosen_mark(text: &str, chosen: bool) -> String {
    if chosen {
        format!("[{text}]")
    } else {
        format!(" {text} ")
    }
}

/// A one-line input with its cursor; the text scrolls left so the cursor stays in view.
fn draw_line_input(
    frame: &mut Frame,
    input: &LineInput,
    area: Rect,
    focused: bool,
    preview: Option<String>,
    app: &App,
) {
    let preview = preview.unwrap_or_default();
    let room = (area.width as usize)
        .saturating_sub(width_of(&preview) + 1)
        .max(1);
    let chars: Vec<char> = input.text().chars().collect();
    let before: String = chars[..input.cursor().min(chars.len())].iter().collect();
    // drop leading characters until the text before the cursor fits
    let mut skip = 0;
    while width_of(&before.chars().skip(skip).collect::<String>()) >= room && skip < chars.len() {
        skip += 1;
    }
    let shown: String = chars.iter().skip(skip).collect();
    let shown = fit(&shown, room);
    let shown_width = width_of(&shown);
    let line = Line::from(vec![Span::raw(shown), Span::styled(preview, app.theme.dim)]);
    frame.render_widget(Paragraph::new(line), area);
    if focused && area.width > 0 && area.height > 0 {
        let cursor_col = width_of(&before.chars().skip(skip).collect::<String>())
            .min(shown_width)
            .min(area.width.saturating_sub(1) as usize);
        frame.set_cursor_position(Position::new(area.x + cursor_col as u16, area.y));
    }
}

fn draw_confirm(frame: &mut Frame, app: &App, area: Rect) {
    let popup = centered(area, 52, 5);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.error)
        .title(tr!("form.cancel_title"));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let yes = app
        .keymap
        .hint(Context::Dialog, Action::Confirm)
        .unwrap_or_default();
    let no = app
        .keymap
        .hint(Context::Dialog, Action::Close)
        .unwrap_or_default();
    let lines = vec![
        Line::raw(fit(tr!("form.cancel_text"), inner.width as usize)),
        Line::raw(fit(
            &tr!("form.cancel_keys", yes = yes, no = no),
            inner.width as usize,
        )),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The line under the form: a notice, or who is known on the phone or email typed.
fn known_callers_line(app: &App, form: &FormState) -> Option<String> {
    if let Some(notice) = &form.notice {
        return Some(format!("  {notice}"));
    }
    let fill = app
        .keymap
        .hint(Context::Form, Action::FillCaller)
        .unwrap_or_default();
    match form.known_callers.as_slice() {
        [] => None,
        [card] => {
            let taken = form.chosen_card == Some(card.id);
            let fill = if taken {
                tr!("form.caller_taken").to_string()
            } else {
                tr!("form.fill_known", key = fill)
            };
            Some(tr!(
                "form.known_caller",
                card = card.describe(),
                count = card.requests.len(),
                fill = fill
            ))
        }
        cards => {
            let people: Vec<String> = cards
                .iter()
                .enumerate()
                .map(|(index, card)| {
                    let mark = if form.chosen_card == Some(card.id) {
                        "✓"
                    } else {
                        ""
                    };
                    format!("{} {mark}{}", index + 1, person(card))
                })
                .collect();
            let people = people.join("; ");
            Some(if form.choosing_caller {
                tr!("form.choose_caller", people = people)
            } else {
                tr!("form.known_callers", people = people, key = fill)
            })
        }
    }
}

/// «Петрова С. Ю., родитель 5А»: enough to tell the people on one phone apart.
fn person(card: &crate::domain::caller::CallerCard) -> String {
    let class = card.class.map(|c| format!(" {c}")).unwrap_or_default();
    format!(
        "{}, {}{class}",
        crate::domain::staff::short_name(&card.name),
        card.role.label()
    )
}
