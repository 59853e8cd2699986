//! Colours and symbols: the 16-colour palette by default, a monochrome set under `NO_COLOR`.
//! Urgency always has a symbol too, so it reads without colour.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::deadline::Urgency;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub title: Style,
    pub border: Style,
    pub focused_border: Style,
    pub selected: Style,
    pub calm: Style,
    pub due_soon: Style,
    pub overdue: Style,
    pub error: Style,
    pub hint_key: Style,
    pub hint: Style,
    pub dim: Style,
    pub field_label: Style,
    pub field_focused: Style,
    pub info: Style,
}

impl Theme {
    pub fn colored() -> Theme {
        Theme {
            title: Style::new().fg(Color::Black).bg(Color::Cyan),
            border: Style::new().fg(Color::DarkGray),
            focused_border: Style::new().fg(Color::Cyan),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            calm: Style::new(),
            due_soon: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            overdue: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            error: Style::new().fg(Color::Red),
            hint_key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            hint: Style::new(),
            dim: Style::new().fg(Color::DarkGray),
            field_label: Style::new(),
            field_focused: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            info: Style::new().fg(Color::Green),
        }
    }

    /// Emphasis only: reverse, bold and underline, no colour.
    pub fn monochrome() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            title: Style::new().add_modifier(Modifier::REVERSED),
            border: plain,
            focused_border: bold,
            selected: Style::new().add_modifier(Modifier::REVERSED),
            calm: plain,
            due_soon: bold,
            overdue: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            error: bold,
            hint_key: bold,
            hint: plain,
            dim: plain,
            field_label: plain,
            field_focused: bold,
            info: plain,
        }
    }

    /// `NO_COLOR` set to anything non-empty asks for no colour (no-color.org).
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(value) if !value.is_empty() => Theme::monochrome(),
            _ => Theme::colored(),
        }
    }

    pub fn urgency(&self, urgency: Urgency) -> Style {
        match urgency {
            Urgency::Calm => self.calm,
            Urgency::DueSoon => self.due_soon,
            Urgency::Overdue => self.overdue,
        }
    }
}

/// The mark after a timer: nothing, `*` due soon, `!` overdue.
pub fn urgency_symbol(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Calm => " ",
        Urgency::DueSoon => "*",
        Urgency::Overdue => "!",
    }
}
