//! A one-line text field: characters, cursor movement, deletion, bounded length; the one
//! editor of every one-line field (the form's, a prompt's, the search line).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::validate::sanitize;

/// What a key did to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    /// The text changed.
    Changed,
    /// The text changed, but not all that was typed fitted in `max`.
    Cut,
    /// Only the cursor moved, or nothing happened.
    Unchanged,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
}

impl LineInput {
    pub fn new(text: &str) -> LineInput {
        LineInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn char_count(&self) -> usize {
        self.text.chars().count()
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(byte, _)| byte)
    }

    /// Inserts already-cleaned text at the cursor, keeping at most `max` characters in all.
    /// Returns false when something had to be cut.
    pub fn insert(&mut self, text: &str, max: usize) -> bool {
        let room = max.saturating_sub(self.char_count());
        let taken: String = text.chars().take(room).collect();
        let complete = taken.chars().count() == text.chars().count();
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, &taken);
        self.cursor += taken.chars().count();
        complete
    }

    pub fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        let at = self.byte_at(self.cursor - 1);
        self.text.remove(at);
        self.cursor -= 1;
    }

    pub fn delete(&mut self) {
        if self.cursor < self.char_count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.char_count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.char_count();
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Typing in the line: a character (cleaned of control and bidi characters), Backspace,
    /// Delete, the arrows, Home, End, Ctrl-U to clear; the text kept to `max` characters.
    pub fn edit(&mut self, key: &KeyEvent, max: usize) -> Edited {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let before = self.char_count();
        match key.code {
            KeyCode::Char('u') if ctrl => self.clear(),
            KeyCode::Char(_) if ctrl => {}
            KeyCode::Char(c) if !self.insert(&sanitize(&c.to_string(), false, 1), max) => {
                return Edited::Cut;
            }
            KeyCode::Char(_) => {}
            KeyCode::Backspace => self.backspace(),
            KeyCode::Delete => self.delete(),
            KeyCode::Left => self.left(),
            KeyCode::Right => self.right(),
            KeyCode::Home => self.home(),
            KeyCode::End => self.end(),
            _ => {}
        }
        if self.char_count() == before && !matches!(key.code, KeyCode::Char('u') if ctrl) {
            Edited::Unchanged
        } else {
            Edited::Changed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_the_cursor_in_characters_not_bytes() {
        let mut input = LineInput::new("Петова");
        input.home();
        for _ in 0..3 {
            input.right();
        }
        assert!(input.insert("р", 100));
        assert_eq!(input.text(), "Петрова");
        input.end();
        input.backspace();
        assert_eq!(input.text(), "Петров");
        input.home();
        input.delete();
        assert_eq!(input.text(), "етров");
    }

    #[test]
    fn keys_edit_the_line_and_say_whether_it_changed() {
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        let mut input = LineInput::default();
        assert_eq!(input.edit(&key(KeyCode::Char('a')), 2), Edited::Changed);
        // a bidi override is cleaned away: nothing typed
        assert_eq!(
            input.edit(&key(KeyCode::Char('\u{202e}')), 2),
            Edited::Unchanged
        );
        assert_eq!(input.edit(&key(KeyCode::Left), 2), Edited::Unchanged);
        assert_eq!(input.edit(&key(KeyCode::Char('b')), 2), Edited::Changed);
        assert_eq!(input.text(), "ba");
        assert_eq!(input.edit(&key(KeyCode::Char('c')), 2), Edited::Cut);
        let clear = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(input.edit(&clear, 2), Edited::Changed);
        assert_eq!(input.text(), "");
    }

    #[test]
    fn insert_stops_at_the_limit() {
        let mut input = LineInput::new("ab");
        assert!(!input.insert("cdef", 4));
        assert_eq!(input.text(), "abcd");
        assert!(!input.insert("x", 4));
    }
}
