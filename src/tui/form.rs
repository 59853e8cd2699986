//! The Appendix-2 call form on screen: its fields, what has been typed, and which reasons
//! to show. Key handling only edits text; saving and routing are the service's.

use std::collections::HashSet;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{TextArea, WrapMode};

use super::line_input::{Edited, LineInput};
use crate::domain::call_form::{CallDraft, Field, FormErrors};
use crate::domain::caller::{CallerCard, CallerId};
use crate::domain::policy::Policy;
use crate::domain::request::{CallerRole, Category};
use crate::domain::time::Timestamp;
use crate::domain::validate::{
    sanitize, Email, FieldError, Phone, MAX_CLASS, MAX_DESCRIPTION, MAX_EMAIL, MAX_NAME, MAX_PHONE,
};

#[derive(Debug, Clone)]
pub struct FormState {
    pub answered_at: Timestamp,
    pub focus: Field,
    pub name: LineInput,
    pub role: Option<CallerRole>,
    pub class: LineInput,
    pub category: Option<Category>,
    pub description: TextArea<'static>,
    pub phone: LineInput,
    pub email: LineInput,
    /// Fields whose reason may be shown: typed into, left, or after a save attempt.
    pub touched: HashSet<Field>,
    pub errors: FormErrors,
    /// A note under the form (e.g. a paste that was cut to the field's length).
    pub notice: Option<String>,
    pub confirm_cancel: bool,
    pub saving: bool,
    /// Typed since the draft was last sent to be kept.
    pub draft_dirty: bool,
    /// When the service last confirmed it keeps the draft.
    pub draft_kept_at: Option<Timestamp>,
    /// Everyone the server knows on the phone or email typed (a family shares a phone).
    pub known_callers: Vec<CallerCard>,
    /// The card the operator took for this call (F2): only that card may be renamed by it.
    pub chosen_card: Option<CallerId>,
    /// The caller asked for «обращение принято» by email (F3).
    pub acknowledge: bool,
    /// F2 with several people on the contact: the next digit says which.
    pub choosing_caller: bool,
    /// The (phone, email) last asked about, so each is asked once.
    looked_up: (Option<String>, Option<String>),
}

/// Longest text per line field.
fn max_len(field: Field) -> usize {
    match field {
        Field::Name => MAX_NAME,
        Field::Class => MAX_CLASS,
        Field::Phone => MAX_PHONE,
        Field::Email => MAX_EMAIL,
        Field::Description => MAX_DESCRIPTION,
        Field::Role | Field::Category => 0,
    }
}

impl FormState {
    /// A blank form for a call answered at `answered_at`.
    pub fn new(answered_at: Timestamp) -> FormState {
        FormState::from_draft(
            &CallDraft {
                answered_at: Some(answered_at),
                ..CallDraft::default()
            },
            answered_at,
        )
    }

    /// A form restored from a kept draft.
    pub fn from_draft(draft: &CallDraft, now: Timestamp) -> FormState {
        let mut description =
            TextArea::new(draft.description.split('\n').map(str::to_string).collect());
        description.set_wrap_mode(WrapMode::WordOrGlyph);
        description.move_cursor(ratatui_textarea::CursorMove::Bottom);
        description.move_cursor(ratatui_textarea::CursorMove::End);
        let mut form = FormState {
            answered_at: draft.answered_at.unwrap_or(now),
            focus: Field::Name,
            name: LineInput::new(&draft.name),
            role: draft.role,
            class: LineInput::new(&draft.class),
            category: draft.category,
            description,
            phone: LineInput::new(&draft.phone),
            email: LineInput::new(&draft.email),
            touched: HashSet::new(),
            errors: FormErrors::default(),
            notice: None,
            confirm_cancel: false,
            saving: false,
            draft_dirty: false,
            draft_kept_at: None,
            known_callers: Vec::new(),
            chosen_card: draft.caller_card,
            acknowledge: draft.acknowledge,
            choosing_caller: false,
            looked_up: (None, None),
        };
        if !draft.is_blank() {
            form.touched.extend(Field::ALL);
        }
        form.recheck();
        form
    }

    pub fn draft(&self) -> CallDraft {
        CallDraft {
            answered_at: Some(self.answered_at),
            name: self.name.text().to_string(),
            role: self.role,
            class: self.class.text().to_string(),
            category: self.category,
            description: self.description.lines().join("\n"),
            phone: self.phone.text().to_string(),
            email: self.email.text().to_string(),
            caller_card: self.chosen_card,
            acknowledge: self.acknowledge,
        }
    }

    pub fn is_blank(&self) -> bool {
        self.draft().is_blank()
    }

    fn recheck(&mut self) {
        self.errors = match self.draft().check() {
            Ok(_) => FormErrors::default(),
            Err(errors) => errors,
        };
    }

    /// The reason to show next to `field`, if it is wrong and may be shown yet.
    pub fn shown_error(&self, field: Field) -> Option<&FieldError> {
        if self.touched.contains(&field) {
            self.errors.get(field)
        } else {
            None
        }
    }

    fn changed(&mut self, field: Field) {
        self.touched.insert(field);
        self.draft_dirty = true;
        self.recheck();
    }

    pub fn next_field(&mut self, forward: bool) {
        self.touched.insert(self.focus);
        let index = self.focus.index();
        let count = Field::ALL.len();
        let next = if forward {
            (index + 1) % count
        } else {
            (index + count - 1) % count
        };
        self.focus = Field::ALL[next];
        self.recheck();
    }

    /// Marks every field so all reasons show; the first wrong field gets the focus.
    pub fn reveal_errors(&mut self) {
        self.touched.extend(Field::ALL);
        self.recheck();
        if let Some(field) = self.errors.first_field() {
            self.focus = field;
        }
    }

    fn line_input(&mut self, field: Field) -> Option<&mut LineInput> {
        match field {
            Field::Name => Some(&mut self.name),
            Field::Class => Some(&mut self.class),
            Field::Phone => Some(&mut self.phone),
            Field::Email => Some(&mut self.email),
            _ => None,
        }
    }

    fn note_cut(&mut self, field: Field) {
        self.notice = Some(tr!(
            "status.cut",
            field = field.label(),
            max = max_len(field)
        ));
    }

    /// A paste of `given` characters of which `kept` fitted.
    fn note_paste_cut(&mut self, field: Field, kept: usize, given: usize) {
        self.notice = Some(tr!(
            "status.paste_cut",
            field = field.label(),
            kept = kept,
            given = given,
            max = max_len(field)
        ));
    }

    /// Characters the field still has room for (None for the choices).
    pub fn remaining(&self, field: Field) -> Option<usize> {
        let used = match field {
            Field::Name => self.name.char_count(),
            Field::Class => self.class.char_count(),
            Field::Phone => self.phone.char_count(),
            Field::Email => self.email.char_count(),
            Field::Description => self.description_chars(),
            Field::Role | Field::Category => return None,
        };
        Some(max_len(field).saturating_sub(used))
    }

    /// A key that is not a form action: edits the focused field.
    pub fn edit(&mut self, key: &KeyEvent, policy: &Policy) {
        self.notice = None;
        if std::mem::take(&mut self.choosing_caller) {
            if let KeyCode::Char(c @ '1'..='9') = key.code {
                self.take_caller(c as usize - '1' as usize);
                return;
            }
        }
        let field = self.focus;
        match field {
            // a choice made by its digit moves on: one key, not two
            Field::Role => {
                if let KeyCode::Char(c @ '1'..='3') = key.code {
                    let index = c as usize - '1' as usize;
                    self.role = CallerRole::ALL.get(index).copied();
                    self.changed(field);
                    self.next_field(true);
                    // a teacher has no class to give: an empty class costs no key
                    let no_class = self.role.is_some_and(|role| !role.needs_class());
                    if no_class && self.class.text().trim().is_empty() {
                        self.next_field(true);
                    }
                }
            }
            Field::Category => {
                if let KeyCode::Char(c @ '1'..='9') = key.code {
                    let index = c as usize - '1' as usize;
                    if let Some(def) = policy.categories.get(index) {
                        self.category = Some(def.key);
                        self.changed(field);
                        self.next_field(true);
                    }
                }
            }
            Field::Description => self.edit_description(key),
            _ => self.edit_line(field, key),
        }
    }

    fn edit_line(&mut self, field: Field, key: &KeyEvent) {
        let max = max_len(field);
        let Some(input) = self.line_input(field) else {
            return;
        };
        match input.edit(key, max) {
            Edited::Unchanged => {}
            Edited::Changed => self.changed(field),
            Edited::Cut => {
                self.note_cut(field);
                self.changed(field);
            }
        }
    }

    fn edit_description(&mut self, key: &KeyEvent) {
        let count: usize = self.description_chars();
        let adds_text = matches!(key.code, KeyCode::Char(_) | KeyCode::Enter)
            && !key.modifiers.contains(KeyModifiers::CONTROL);
        if adds_text && count >= MAX_DESCRIPTION {
            self.note_cut(Field::Description);
            return;
        }
        if let KeyCode::Char(c) = key.code {
            if c.is_control() {
                return;
            }
        }
        if self.description.input(*key) {
            self.changed(Field::Description);
        }
    }

    fn description_chars(&self) -> usize {
        let lines = self.description.lines();
        lines.iter().map(|line| line.chars().count()).sum::<usize>() + lines.len().saturating_sub(1)
    }

    /// The phone and email as typed when they are whole and differ from those last asked
    /// about: the server is to be asked who they belong to.
    pub fn caller_to_look_up(&mut self) -> Option<(Option<String>, Option<String>)> {
        let phone = Phone::parse(self.phone.text())
            .ok()
            .map(|phone| phone.e164().to_string());
        let email = Email::parse(self.email.text())
            .ok()
            .map(|email| email.as_str().to_string());
        let now = (phone, email);
        if now == self.looked_up {
            return None;
        }
        self.looked_up = now.clone();
        if now.0.is_none() && now.1.is_none() {
            self.known_callers.clear();
            self.chosen_card = None;
            return None;
        }
        Some(now)
    }

    /// The server's answer about `(phone, email)`; dropped when the form moved on since. A
    /// card taken before stays taken only if it is still among them.
    pub fn caller_found(
        &mut self,
        asked: &(Option<String>, Option<String>),
        cards: Vec<CallerCard>,
    ) {
        if *asked == self.looked_up {
            if let Some(chosen) = self.chosen_card {
                if !cards.iter().any(|card| card.id == chosen) {
                    self.chosen_card = None;
                }
            }
            self.known_callers = cards;
            self.choosing_caller = false;
        }
    }

    /// F2: the one person on the contact is taken at once; with several, the next digit says
    /// which. False when no one is known.
    pub fn fill_known_caller(&mut self) -> bool {
        match self.known_callers.len() {
            0 => false,
            1 => self.take_caller(0),
            _ => {
                self.choosing_caller = true;
                true
            }
        }
    }

    /// Takes person `index` of those on the contact: their name, role and class, and a
    /// contact the form lacks; the call will be on their card.
    pub fn take_caller(&mut self, index: usize) -> bool {
        self.choosing_caller = false;
        let Some(card) = self.known_callers.get(index).cloned() else {
            return false;
        };
        self.chosen_card = Some(card.id);
        self.name = LineInput::new(&card.name);
        self.role = Some(card.role);
        self.class = LineInput::new(&card.class.map(|c| c.to_string()).unwrap_or_default());
        if self.phone.text().trim().is_empty() {
            if let Some(phone) = card.phones.first() {
                self.phone = LineInput::new(&phone.display());
            }
        }
        if self.email.text().trim().is_empty() {
            if let Some(email) = card.emails.first() {
                self.email = LineInput::new(email.as_str());
            }
        }
        for field in [
            Field::Name,
            Field::Role,
            Field::Class,
            Field::Phone,
            Field::Email,
        ] {
            self.changed(field);
        }
        self.looked_up = (None, None);
        true
    }

    /// Pasted text goes, cleaned and bounded, into the focused text field.
    pub fn paste(&mut self, text: &str) {
        self.notice = None;
        let field = self.focus;
        match field {
            Field::Role | Field::Category => {}
            Field::Description => {
                let room = MAX_DESCRIPTION.saturating_sub(self.description_chars());
                let given = text.chars().count();
                let mut clean = sanitize(text, true, room + 1);
                if clean.chars().count() > room {
                    clean = clean.chars().take(room).collect();
                    self.note_paste_cut(field, room, given);
                }
                self.description.insert_str(&clean);
                self.changed(field);
            }
            _ => {
                let max = max_len(field);
                let given = text.trim_end().chars().count();
                let clean = sanitize(text, false, max + 1);
                let before = self.line_input(field).map_or(0, |input| input.char_count());
                let complete = self
                    .line_input(field)
                    .map(|input| input.insert(clean.trim_end(), max))
                    .unwrap_or(true);
                if !complete {
                    let after = self.line_input(field).map_or(0, |input| input.char_count());
                    self.note_paste_cut(field, after - before, given);
                }
                self.changed(field);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::DEFAULT_POLICY_TOML;

    fn policy() -> Policy {
        Policy::parse(DEFAULT_POLICY_TOML).expect("policy")
    }

    fn type_text(form: &mut FormState, text: &str) {
        let policy = policy();
        for c in text.chars() {
            form.edit(
                &KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
                &policy,
            );
        }
    }

    #[test]
    fn role_and_category_take_one_digit() {
        let mut form = FormState::new(Timestamp(0));
        form.focus = Field::Role;
        type_text(&mut form, "3");
        assert_eq!(form.role, Some(CallerRole::Parent));
        form.focus = Field::Category;
        type_text(&mut form, "6");
        assert_eq!(form.category, Some(Category::Equipment));
        type_text(&mut form, "9");
        assert_eq!(form.category, Some(Category::Equipment));
    }

    #[test]
    fn reasons_show_only_for_touched_fields() {
        let mut form = FormState::new(Timestamp(0));
        assert_eq!(form.shown_error(Field::Name), None);
        form.focus = Field::Phone;
        type_text(&mut form, "12");
        assert_eq!(
            form.shown_error(Field::Phone),
            Some(&FieldError::PhoneDigits(2))
        );
        assert_eq!(form.shown_error(Field::Name), None);
        form.reveal_errors();
        assert_eq!(form.focus, Field::Name);
        assert_eq!(form.shown_error(Field::Name), Some(&FieldError::Required));
    }

    #[test]
    fn a_huge_paste_is_cut_to_the_field_and_said_so() {
        let mut form = FormState::new(Timestamp(0));
        form.focus = Field::Description;
        let huge = "ж".repeat(1_000_000);
        form.paste(&huge);
        assert_eq!(form.draft().description.chars().count(), MAX_DESCRIPTION);
        assert_eq!(
            form.notice.as_deref(),
            Some(
                "«Описание проблемы»: вставлено 4000 из 1000000 знаков — поле вмещает 4000, \
                 остальное не вставлено"
            )
        );
        assert_eq!(form.remaining(Field::Description), Some(0));
        form.focus = Field::Name;
        form.paste("Петрова ");
        form.paste(&huge);
        assert_eq!(form.name.char_count(), MAX_NAME);
        let said = form.notice.clone().unwrap_or_default();
        assert!(said.contains("вставлено 193 из 1000000"), "{said}");
        assert_eq!(form.remaining(Field::Name), Some(0));
    }

    #[test]
    fn pasted_escape_sequences_never_reach_the_field() {
        let mut form = FormState::new(Timestamp(0));
        form.paste("Петрова\u{1b}[2J\u{1b}]52;c;AAAA\u{7} Анна\r\n");
        assert_eq!(form.name.text(), "Петрова Анна");
        form.focus = Field::Description;
        form.paste("строка 1\r\nстрока\u{9b}2");
        assert_eq!(form.draft().description, "строка 1\nстрока2");
    }

    #[test]
    fn a_restored_draft_keeps_everything_typed() {
        let mut form = FormState::new(Timestamp(42));
        type_text(&mut form, "Сидоров Пётр");
        form.focus = Field::Description;
        type_text(&mut form, "нет звука");
        let restored = FormState::from_draft(&form.draft(), Timestamp(99));
        assert_eq!(restored.draft(), form.draft());
        assert_eq!(restored.answered_at, Timestamp(42));
    }
}
