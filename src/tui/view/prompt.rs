//! The window of a prompt: the request it is about, the choices, the text line.

use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::common::{centered, fit, hint_as, hints, local_time, width_of, window_footer};
use super::sheet::wrap;
use crate::domain::access::shown;
use crate::domain::change::Move;
use crate::domain::request::Request;
use crate::domain::time::HOUR_MS;
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::prompt::{Prompt, PromptFocus};

/// Rows of the message by email shown in the close prompt.
const MESSAGE_ROWS: u16 = 10;

pub fn draw(frame: &mut Frame, app: &App, prompt: &Prompt, body: Rect, footer_area: Rect) {
    let theme = &app.theme;
    let asked = app
        .open
        .get(prompt.id)
        .filter(|_| prompt.kind == Move::DecideExtension)
        .and_then(|request| extension_asked(app, request, prompt.asked_minutes?));
    let message = prompt.message();
    let mail_off = prompt.mail_off && prompt.by_email();
    let height = prompt.choices.len() as u16
        + 6
        + 2 * u16::from(asked.is_some())
        + 2 * u16::from(prompt.form.text.is_some())
        + u16::from(prompt.second.is_some())
        + (MESSAGE_ROWS + 2) * u16::from(message.is_some())
        + u16::from(mail_off);
    let area = centered(body, if message.is_some() { 76 } else { 70 }, height);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border)
        .title(Span::styled(
            format!(" {} · {} ", prompt.form.title, prompt.id),
            theme.focused_border,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let mut lines = Vec::new();
    if let Some(request) = app.open.get(prompt.id) {
        let who = &request.caller.name;
        let what = shown(&request.description).replace('\n', " ");
        lines.push(Line::styled(
            fit(&format!("{who}: {what}"), width),
            theme.dim,
        ));
    }
    if let Some([what, why]) = asked {
        lines.push(Line::raw(fit(&what, width)));
        lines.push(Line::raw(fit(&why, width)));
    }
    lines.push(Line::raw(""));
    for (index, choice) in prompt.choices.iter().enumerate() {
        let chosen = prompt.choice == Some(index);
        let text = if chosen {
            format!("[{} {}]", index + 1, choice.label)
        } else {
            format!(" {} {} ", index + 1, choice.label)
        };
        let style = if chosen { theme.selected } else { theme.hint };
        lines.push(Line::styled(fit(&text, width), style));
    }
    let mut cursor = None;
    if let Some(label) = prompt.form.text {
        let label = match prompt
            .remaining()
            .filter(|_| prompt.focus == PromptFocus::Text)
        {
            Some(left) => tr!("prompt.label_left", label = label, count = left),
            None => format!("{label}: "),
        };
        let label_style = if prompt.focus == PromptFocus::Text {
            theme.field_focused
        } else {
            theme.field_label
        };
        let room = width.saturating_sub(width_of(&label) + 1);
        let text = prompt.text.text();
        let shown: String = {
            let chars: Vec<char> = text.chars().collect();
            let skip = chars.len().saturating_sub(room);
            chars[skip..].iter().collect()
        };
        let text_row = lines.len() as u16 + 1;
        lines.push(Line::raw(""));
        cursor = Some((text_row, width_of(&label) + width_of(&shown)));
        lines.push(Line::from(vec![
            Span::styled(label, label_style),
            Span::raw(shown),
        ]));
    }
    if let Some(second) = &prompt.second {
        let label = format!("{}: ", prompt.form.second.unwrap_or_default());
        let style = if prompt.focus == PromptFocus::Second {
            theme.field_focused
        } else {
            theme.field_label
        };
        let typed = fit(second.text(), width.saturating_sub(width_of(&label)));
        lines.push(Line::from(vec![
            Span::styled(label, style),
            Span::raw(typed),
        ]));
    }
    let mut message_at = None;
    if let Some((subject, text)) = &message {
        let style = if prompt.focus == PromptFocus::Message {
            theme.field_focused
        } else {
            theme.field_label
        };
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            fit(&tr!("prompt.mail_subject", subject = subject), width),
            style,
        ));
        message_at = Some(lines.len() as u16);
        let shown = wrap(text, width);
        for row in 0..MESSAGE_ROWS as usize {
            let line = shown.get(row).map(String::as_str).unwrap_or_default();
            lines.push(Line::raw(fit(line, width)));
        }
    }
    if mail_off {
        lines.push(Line::styled(fit(tr!("prompt.mail_off"), width), theme.dim));
    }
    if let Some(error) = &prompt.error {
        lines.push(Line::styled(fit(&format!("✗ {error}"), width), theme.error));
    } else if prompt.sending {
        lines.push(Line::styled(tr!("prompt.sending"), theme.dim));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    // the message as edited, in its own editor (its cursor too) over the rows kept for it
    if let (Some(row), Some(area)) = (
        message_at,
        prompt.mail.as_ref().and_then(|mail| mail.edited.as_ref()),
    ) {
        let rect = Rect::new(
            inner.x,
            inner.y + row,
            inner.width,
            MESSAGE_ROWS.min(inner.height.saturating_sub(row)),
        );
        frame.render_widget(Clear, rect);
        frame.render_widget(area, rect);
    }
    if let Some((text_row, column)) = cursor {
        if prompt.focus == PromptFocus::Text && inner.height > text_row && inner.width > 0 {
            let column = column.min(inner.width as usize - 1);
            frame.set_cursor_position(Position::new(inner.x + column as u16, inner.y + text_row));
        }
    }
    let mut keys = Vec::new();
    if prompt.focus == PromptFocus::Message {
        keys.push(("Alt+Enter".to_string(), tr!("prompt.new_line")));
    }
    if !prompt.choices.is_empty() {
        keys.push((format!("1-{}", prompt.choices.len()), tr!("prompt.choose")));
        if prompt.fields().len() > 1 {
            keys.extend(hint_as(
                app,
                Context::Prompt,
                Action::NextField,
                tr!("prompt.choice_or_text"),
            ));
        }
    }
    let keys = [
        hints(app, Context::Prompt, &[Action::Send, Action::Cancel]),
        keys,
    ]
    .concat();
    window_footer(frame, app, footer_area, &keys);
}

/// What the specialist asked for, for the head deciding: how much longer, until when, who,
/// and why.
fn extension_asked(app: &App, request: &Request, minutes: i64) -> Option<[String; 2]> {
    let extension = request.extension.as_ref()?;
    let longer = if minutes % 60 == 0 {
        tr!("prompt.hours", hours = minutes * 60_000 / HOUR_MS)
    } else {
        tr!(
            "prompt.hours_minutes",
            hours = minutes / 60,
            minutes = minutes % 60
        )
    };
    let who = app.short_name_of(&extension.asked_by);
    Some([
        tr!(
            "prompt.extension_asked",
            longer = longer,
            until = local_time(app, extension.until, "%d.%m %H:%M"),
            who = who
        ),
        tr!("prompt.extension_reason", reason = shown(&extension.reason)),
    ])
}
