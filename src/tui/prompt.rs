//! The small window a change to one request opens: the choice, the text line and the second
//! line its move declares (`domain::change::Move::form`), turned into one command.

use chrono::FixedOffset;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::keymap::Action;
use super::line_input::{Edited, LineInput};
use crate::domain::change::{Answers, Choice, Form, Missing, Move, Picked};
use crate::domain::mail::Template;
use crate::domain::policy::Policy;
use crate::domain::request::{Request, RequestId, ReturnChannel};
use crate::domain::validate::sanitize;
use crate::service::Command;

/// Longest text in a prompt (a result may be a few sentences).
pub const MAX_PROMPT_TEXT: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptFocus {
    Choice,
    Text,
    /// The second line (the vendor's ticket number).
    Second,
    /// The message by email a result goes back in (when mail is set up).
    Message,
}

/// The message a result by email goes in, as the specialist will send it: the school's
/// template filled with the result as typed, until the specialist edits the message itself.
#[derive(Debug, Clone)]
pub struct MailDraft {
    template: Template,
    request: Request,
    specialist: String,
    offset: FixedOffset,
    /// The editor over the body, once the specialist is in it.
    pub edited: Option<TextArea<'static>>,
    /// The body's text was changed: it no longer follows the result line.
    changed: bool,
}

/// Longest message body a prompt takes.
pub const MAX_MESSAGE: usize = 10_000;

impl MailDraft {
    /// The subject and the body that will go for `result`.
    pub fn message(&self, result: &str) -> (String, String) {
        let (subject, filled) =
            self.template
                .fill(&self.request, result, &self.specialist, self.offset);
        match (&self.edited, self.changed) {
            (Some(area), true) => (subject, area.lines().join("\n")),
            _ => (subject, filled),
        }
    }

    /// The editor over the message, following the result line until its text is changed
    /// (moving about in it changes nothing).
    fn area(&mut self, result: &str) -> &mut TextArea<'static> {
        if !self.changed {
            let (_, filled) = self.message(result);
            let lines: Vec<String> = filled.lines().map(str::to_string).collect();
            let at = self.edited.as_ref().map(TextArea::cursor);
            let mut area = TextArea::new(lines);
            match at {
                Some(ratatui_textarea::DataCursor(row, column)) => area.move_cursor(
                    ratatui_textarea::CursorMove::Jump(row as u16, column as u16),
                ),
                None => {
                    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
                    area.move_cursor(ratatui_textarea::CursorMove::End);
                }
            }
            self.edited = Some(area);
        }
        self.edited.get_or_insert_with(TextArea::default)
    }

    fn used(&self) -> usize {
        self.edited.as_ref().map_or(0, |area| {
            area.lines()
                .iter()
                .map(|line| line.chars().count() + 1)
                .sum()
        })
    }

    fn edit(&mut self, key: &KeyEvent, result: &str) -> Edited {
        let newline = key.code == KeyCode::Enter
            || (key.code == KeyCode::Char('j') && key.modifiers.contains(KeyModifiers::CONTROL));
        self.area(result);
        let adds = newline || matches!(key.code, KeyCode::Char(_));
        if adds && self.used() >= MAX_MESSAGE {
            return Edited::Cut;
        }
        if let KeyCode::Char(c) = key.code {
            if !newline && (c.is_control() || key.modifiers.contains(KeyModifiers::CONTROL)) {
                return Edited::Unchanged;
            }
        }
        let area = self.area(result);
        let changed = if newline {
            area.insert_newline();
            true
        } else {
            area.input(*key)
        };
        self.changed |= changed;
        if changed {
            Edited::Changed
        } else {
            Edited::Unchanged
        }
    }

    /// Pasted text at the cursor, cut to the room left; false when it was cut.
    fn paste(&mut self, text: &str, result: &str) -> bool {
        self.area(result);
        let room = MAX_MESSAGE.saturating_sub(self.used());
        let kept: String = text.chars().take(room).collect();
        let whole = kept.chars().count() == text.chars().count();
        if !kept.is_empty() {
            self.area(result).insert_str(&kept);
            self.changed = true;
        }
        whole
    }
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: Move,
    pub form: Form,
    pub id: RequestId,
    pub choices: Vec<Choice>,
    pub choice: Option<usize>,
    pub text: LineInput,
    /// A second line where the move needs one (the vendor's ticket number).
    pub second: Option<LineInput>,
    pub focus: PromptFocus,
    pub error: Option<String>,
    pub sending: bool,
    /// Closing with a result: the message by email, when mail is set up.
    pub mail: Option<MailDraft>,
    /// Closing with a result while mail is not set up (the prompt says so).
    pub mail_off: bool,
    /// Deciding an extension: how many minutes longer it asks for, as the policy counts them.
    pub asked_minutes: Option<i64>,
}

/// What a key did to the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptOutcome {
    Stay,
    Cancel,
    Submit(Command),
}

impl Prompt {
    pub fn new(kind: Move, request: &Request, policy: &Policy) -> Prompt {
        let form = kind.form();
        let choices = form
            .choice
            .map(|choices| choices.options(request, policy))
            .unwrap_or_default();
        // nothing to choose, or only one thing: straight to the text
        let focus = if choices.len() <= 1 && form.text.is_some() {
            PromptFocus::Text
        } else {
            PromptFocus::Choice
        };
        let text = if form.starts_from_description {
            LineInput::new(&sanitize(&request.description, false, MAX_PROMPT_TEXT))
        } else {
            LineInput::default()
        };
        Prompt {
            kind,
            form,
            id: request.id,
            choice: (choices.len() == 1).then_some(0),
            choices,
            text,
            second: form.second.map(|_| LineInput::default()),
            focus,
            error: None,
            sending: false,
            mail: None,
            mail_off: kind == Move::Resolve,
            asked_minutes: (kind == Move::DecideExtension)
                .then(|| policy.extension_asked_minutes(request))
                .flatten(),
        }
    }

    /// A prompt that closes with a result shows the message by email that will go
    /// (`template`: the school's, when mail is set up), signed by `specialist`.
    pub fn with_mail(
        mut self,
        template: Option<&Template>,
        request: &Request,
        specialist: &str,
        offset: FixedOffset,
    ) -> Prompt {
        if self.kind != Move::Resolve {
            return self;
        }
        self.mail_off = template.is_none();
        self.mail = template.map(|template| MailDraft {
            template: template.clone(),
            request: request.clone(),
            specialist: specialist.to_string(),
            offset,
            edited: None,
            changed: false,
        });
        // a result with words already in it is most often sent as it stands
        if let Some(text) = request.result.as_ref().map(|result| result.text.as_str()) {
            self.text = LineInput::new(&sanitize(text, false, MAX_PROMPT_TEXT));
        }
        self
    }

    /// The chosen way back is email.
    pub fn by_email(&self) -> bool {
        self.choice
            .and_then(|index| self.choices.get(index))
            .is_some_and(|choice| choice.picked == Picked::Channel(ReturnChannel::Email))
    }

    /// The message that will go, when the result goes back by email and mail is set up.
    pub fn message(&self) -> Option<(String, String)> {
        let mail = self.mail.as_ref().filter(|_| self.by_email())?;
        Some(mail.message(self.text.text()))
    }

    /// The fields Tab moves between, in order.
    pub fn fields(&self) -> Vec<PromptFocus> {
        let mut order = Vec::new();
        if !self.choices.is_empty() {
            order.push(PromptFocus::Choice);
        }
        if self.form.text.is_some() {
            order.push(PromptFocus::Text);
        }
        if self.second.is_some() {
            order.push(PromptFocus::Second);
        }
        if self.message().is_some() {
            order.push(PromptFocus::Message);
        }
        order
    }

    /// A key, with the action the prompt's keymap gives it.
    pub fn key(&mut self, action: Option<Action>, key: &KeyEvent) -> PromptOutcome {
        if self.sending {
            return PromptOutcome::Stay;
        }
        match action {
            Some(Action::Cancel) => return PromptOutcome::Cancel,
            Some(Action::Send) => return self.submit(),
            Some(step @ (Action::NextField | Action::PreviousField)) => {
                let order = self.fields();
                if let Some(at) = order.iter().position(|f| *f == self.focus) {
                    let step = if step == Action::NextField {
                        1
                    } else {
                        order.len() - 1
                    };
                    self.focus = order[(at + step) % order.len()];
                }
                return PromptOutcome::Stay;
            }
            _ => {}
        }
        match self.focus {
            PromptFocus::Choice => {
                if let KeyCode::Char(c @ '1'..='9') = key.code {
                    let index = c as usize - '1' as usize;
                    if index < self.choices.len() {
                        self.choice = Some(index);
                        self.error = None;
                        if self.form.text.is_some() {
                            self.focus = PromptFocus::Text;
                        }
                    }
                }
            }
            PromptFocus::Text => {
                if self.text.edit(key, MAX_PROMPT_TEXT) == Edited::Cut {
                    self.error = Some(tr!("prompt.full", max = MAX_PROMPT_TEXT));
                }
            }
            PromptFocus::Second => {
                if let Some(second) = &mut self.second {
                    if second.edit(key, MAX_PROMPT_TEXT) == Edited::Cut {
                        self.error = Some(tr!("prompt.full", max = MAX_PROMPT_TEXT));
                    }
                }
            }
            PromptFocus::Message => {
                let result = self.text.text().to_string();
                if let Some(mail) = &mut self.mail {
                    if mail.edit(key, &result) == Edited::Cut {
                        self.error = Some(tr!("prompt.full", max = MAX_MESSAGE));
                    }
                }
            }
        }
        PromptOutcome::Stay
    }

    pub fn paste(&mut self, text: &str) {
        let clean = sanitize(text, false, MAX_PROMPT_TEXT + 1);
        let given = text.trim_end().chars().count();
        let input = match self.focus {
            PromptFocus::Text => &mut self.text,
            PromptFocus::Second => match &mut self.second {
                Some(second) => second,
                None => return,
            },
            PromptFocus::Choice => return,
            PromptFocus::Message => {
                let result = self.text.text().to_string();
                let pasted = sanitize(text, true, MAX_MESSAGE + 1);
                if let Some(mail) = &mut self.mail {
                    if !mail.paste(&pasted, &result) {
                        self.error = Some(tr!("prompt.full", max = MAX_MESSAGE));
                    }
                }
                return;
            }
        };
        let before = input.char_count();
        if !input.insert(clean.trim_end(), MAX_PROMPT_TEXT) {
            let kept = input.char_count() - before;
            self.error = Some(tr!(
                "prompt.paste_cut",
                kept = kept,
                given = given,
                max = MAX_PROMPT_TEXT
            ));
        }
    }

    /// Characters the focused text line still has room for.
    pub fn remaining(&self) -> Option<usize> {
        let used = match self.focus {
            PromptFocus::Text => self.text.char_count(),
            PromptFocus::Second => self.second.as_ref()?.char_count(),
            PromptFocus::Choice | PromptFocus::Message => return None,
        };
        Some(MAX_PROMPT_TEXT.saturating_sub(used))
    }

    /// The move's change from what was answered, or the prompt stays and says what is missing.
    pub fn submit(&mut self) -> PromptOutcome {
        let answers = Answers {
            picked: self
                .choice
                .and_then(|index| self.choices.get(index))
                .map(|choice| choice.picked.clone()),
            choices: self.choices.len(),
            text: self.text.text().to_string(),
            second: self
                .second
                .as_ref()
                .map(|second| second.text().to_string())
                .unwrap_or_default(),
            message: self.message().map(|(_, body)| body),
        };
        match self.kind.build(&answers) {
            Ok(change) => {
                self.sending = true;
                self.error = None;
                PromptOutcome::Submit(Command::Change {
                    id: self.id,
                    change,
                })
            }
            Err(missing) => {
                let (error, focus) = match missing {
                    Missing::Choice => (
                        tr!("prompt.choose_one", count = self.choices.len()),
                        PromptFocus::Choice,
                    ),
                    Missing::Text(label) => {
                        (tr!("prompt.required", label = label), PromptFocus::Text)
                    }
                    Missing::Second(label) => {
                        (tr!("prompt.required", label = label), PromptFocus::Second)
                    }
                    Missing::NoContact => (tr!("prompt.no_contact").to_string(), self.focus),
                };
                self.error = Some(error);
                self.focus = focus;
                PromptOutcome::Stay
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::change::Change;
    use crate::domain::deadline::DeadlinePolicy;
    use crate::domain::lifecycle::{receive, Intake};
    use crate::domain::request::{Caller, CallerRole, Category, Channel};
    use crate::domain::request::{NoteKind, ReturnChannel};
    use crate::domain::time::{Timestamp, HOUR_MS};
    use crate::domain::validate::Phone;
    use ratatui::crossterm::event::KeyModifiers;

    fn request() -> Request {
        receive(
            RequestId(7),
            Intake {
                channel: Channel::Phone,
                received_at: Timestamp(0),
                logged_by: "ivanova".into(),
                caller: Caller {
                    name: "Петрова".into(),
                    role: CallerRole::Parent,
                    class: None,
                    phone: Some(Phone::parse("89123456789").unwrap()),
                    email: None,
                },
                category: Category::Ejournal,
                description: "дневник".into(),
                consent: None,
            },
            &DeadlinePolicy::default(),
        )
    }

    fn policy() -> Policy {
        Policy::parse(crate::domain::policy::DEFAULT_POLICY_TOML).unwrap()
    }

    #[test]
    fn a_paste_too_long_says_how_much_was_kept_and_typing_past_the_end_says_so() {
        let mut prompt = Prompt::new(Move::Cancel, &request(), &policy());
        assert_eq!(prompt.remaining(), Some(MAX_PROMPT_TEXT));
        prompt.paste(&"ж".repeat(MAX_PROMPT_TEXT + 500));
        assert_eq!(
            prompt.error.as_deref(),
            Some("вставлено 1000 из 1500 знаков: сюда помещается 1000")
        );
        assert_eq!(prompt.remaining(), Some(0));
        prompt.error = None;
        typed(&mut prompt, "ещё");
        assert_eq!(
            prompt.error.as_deref(),
            Some("больше 1000 знаков сюда не помещается")
        );
    }

    fn press(prompt: &mut Prompt, code: KeyCode) -> PromptOutcome {
        let keymap = crate::tui::keymap::Keymap::parse_with_override(None).unwrap();
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        prompt.key(
            keymap.action(crate::tui::keymap::Context::Prompt, &key),
            &key,
        )
    }

    fn typed(prompt: &mut Prompt, text: &str) {
        for c in text.chars() {
            press(prompt, KeyCode::Char(c));
        }
    }

    #[test]
    fn closing_offers_only_the_channels_the_caller_gave() {
        let mut prompt = Prompt::new(Move::Resolve, &request(), &policy());
        assert_eq!(prompt.choices.len(), 1);
        assert_eq!(prompt.choice, Some(0), "the only channel is chosen already");
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Stay);
        assert!(prompt.error.is_some(), "a result is required");
        typed(&mut prompt, "пароль сброшен");
        assert_eq!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::Change {
                id: RequestId(7),
                change: Change::Resolve {
                    text: "пароль сброшен".into(),
                    returned_by: ReturnChannel::Phone,
                    message: None,
                }
            })
        );
    }

    #[test]
    fn an_extension_is_one_digit_and_a_reason() {
        let request = request();
        let mut prompt = Prompt::new(Move::AskExtension, &request, &policy());
        typed(&mut prompt, "2");
        typed(&mut prompt, "ждём поставщика");
        let PromptOutcome::Submit(Command::Change {
            change: Change::AskExtension { until, reason },
            ..
        }) = press(&mut prompt, KeyCode::Enter)
        else {
            panic!("not submitted")
        };
        assert_eq!(until.0, request.deadlines.resolve_by.0 + 48 * HOUR_MS);
        assert_eq!(reason, "ждём поставщика");
    }

    #[test]
    fn in_service_time_an_extension_counts_the_hours_the_service_works() {
        let mut policy = policy();
        policy.hours = Some(crate::domain::hours::HoursFile {
            zone: "Europe/Moscow".into(),
            week: vec!["пн-пт 08:00-20:00".into(), "сб 09:00-15:00".into()],
            production_calendar: true,
            closed: Vec::new(),
            service_time: vec!["resolve".into()],
            emergency: Vec::new(),
            calendars: Vec::new(),
        });
        let mut request = request();
        // Friday 4 December 2026, 19:00 in Moscow
        request.deadlines.resolve_by = Timestamp(1_796_400_000_000);
        let mut prompt = Prompt::new(Move::AskExtension, &request, &policy);
        // 1 h on Friday, 6 on Saturday, 12 on Monday, 5 on Tuesday: 13:00 on 8 December
        assert_eq!(
            prompt.choices[0].label,
            "ещё на 24 ч рабочего времени (до 08.12 13:00)"
        );
        typed(&mut prompt, "1");
        typed(&mut prompt, "ждём поставщика");
        let PromptOutcome::Submit(Command::Change {
            change: Change::AskExtension { until, .. },
            ..
        }) = press(&mut prompt, KeyCode::Enter)
        else {
            panic!("not submitted")
        };
        assert_eq!(until, Timestamp(1_796_724_000_000));
    }

    #[test]
    fn a_phone_note_needs_no_text_but_an_internal_one_does() {
        let mut prompt = Prompt::new(Move::Note, &request(), &policy());
        typed(&mut prompt, "4");
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Stay);
        let mut prompt = Prompt::new(Move::Note, &request(), &policy());
        typed(&mut prompt, "2");
        assert!(matches!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::Change {
                change: Change::Note {
                    kind: NoteKind::NoAnswer,
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn reassigning_chooses_a_queue_by_its_number() {
        let mut prompt = Prompt::new(Move::Reassign, &request(), &policy());
        typed(&mut prompt, "4");
        assert_eq!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::Change {
                id: RequestId(7),
                change: Change::Reassign {
                    queue: "head".into(),
                    assignee: None,
                    comment: String::new(),
                }
            })
        );
    }

    #[test]
    fn an_escalation_starts_from_the_description_and_needs_the_ticket() {
        let mut prompt = Prompt::new(Move::Escalate, &request(), &policy());
        assert_eq!(prompt.text.text(), "дневник");
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Stay);
        assert_eq!(prompt.focus, PromptFocus::Second);
        typed(&mut prompt, "VND-1");
        assert_eq!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::Change {
                id: RequestId(7),
                change: Change::Escalate {
                    reformulated: "дневник".into(),
                    ticket: "VND-1".into(),
                }
            })
        );
    }

    #[test]
    fn changing_the_type_offers_every_other_type() {
        let mut prompt = Prompt::new(Move::ChangeType, &request(), &policy());
        assert_eq!(
            prompt.choices.len(),
            5,
            "the request's own type is not offered"
        );
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Stay);
        typed(&mut prompt, "4");
        assert_eq!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::Change {
                id: RequestId(7),
                change: Change::ChangeType {
                    category: Category::Other
                }
            })
        );
    }

    #[test]
    fn esc_cancels() {
        let mut prompt = Prompt::new(Move::Return, &request(), &policy());
        assert_eq!(press(&mut prompt, KeyCode::Esc), PromptOutcome::Cancel);
    }
}
