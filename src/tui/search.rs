//! The search window: a line typed, the server's hits for it, one selected.

use ratatui::crossterm::event::KeyEvent;

use super::keymap::Action;
use super::line_input::Edited;
use super::line_input::LineInput;
use super::prompt::MAX_PROMPT_TEXT;
use crate::domain::request::RequestId;
use crate::service::Found;

#[derive(Debug, Clone, Default)]
pub struct SearchState {
    pub input: LineInput,
    /// The answer to the latest query sent (an older answer is dropped).
    pub found: Option<Found>,
    pub selected: usize,
    /// The token of the latest query sent.
    pub waiting_for: Option<u64>,
}

/// What a key did in the search window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchOutcome {
    Stay,
    /// The text changed: ask the server again.
    Query(String),
    Open(RequestId),
    Leave,
}

impl SearchState {
    /// A key, with the action the search window's keymap gives it.
    pub fn key(&mut self, action: Option<Action>, key: &KeyEvent) -> SearchOutcome {
        let hits = self.found.as_ref().map_or(0, |found| found.hits.len());
        match action {
            Some(Action::Close) => SearchOutcome::Leave,
            Some(Action::Open) => match self.selected_hit() {
                Some(id) => SearchOutcome::Open(id),
                None => SearchOutcome::Stay,
            },
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(hits.saturating_sub(1));
                SearchOutcome::Stay
            }
            Some(Action::Up) => {
                self.selected = self.selected.saturating_sub(1);
                SearchOutcome::Stay
            }
            _ => match self.input.edit(key, MAX_PROMPT_TEXT) {
                Edited::Unchanged => SearchOutcome::Stay,
                Edited::Changed | Edited::Cut => {
                    self.selected = 0;
                    SearchOutcome::Query(self.input.text().to_string())
                }
            },
        }
    }

    pub fn selected_hit(&self) -> Option<RequestId> {
        self.found
            .as_ref()
            .and_then(|found| found.hits.get(self.selected))
            .map(|hit| hit.id)
    }

    /// The server answered query `token`; older answers than the latest query are dropped.
    pub fn answered(&mut self, token: u64, found: Found) {
        if self.waiting_for == Some(token) {
            self.waiting_for = None;
            self.selected = self.selected.min(found.hits.len().saturating_sub(1));
            self.found = Some(found);
        }
    }
}
