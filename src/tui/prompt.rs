//! The small windows of a specialist's and the head's work on one request: a choice (one
//! digit) and a line of text, turned into one command for the server.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::line_input::LineInput;
use crate::domain::policy::Policy;
use crate::domain::request::{NoteKind, Request, RequestId, ReturnChannel};
use crate::domain::time::{Timestamp, HOUR_MS};
use crate::domain::validate::sanitize;
use crate::service::Command;

/// Longest text in a prompt (a result may be a few sentences).
pub const MAX_PROMPT_TEXT: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Note,
    Close,
    Return,
    Extension,
    Decide,
    Cancel,
    Reassign,
    Escalate,
    VendorAnswer,
    Reopen,
}

impl PromptKind {
    pub fn title(self) -> &'static str {
        match self {
            PromptKind::Note => "Заметка",
            PromptKind::Close => "Закрыть с результатом",
            PromptKind::Return => "Вернуть диспетчеру",
            PromptKind::Extension => "Просить продления срока",
            PromptKind::Decide => "Согласование продления",
            PromptKind::Cancel => "Отменить обращение (дубликат, спам)",
            PromptKind::Reassign => "Передать в другую очередь",
            PromptKind::Escalate => "Обращение к поставщику платформы",
            PromptKind::VendorAnswer => "Ответ поставщика",
            PromptKind::Reopen => "Переоткрыть обращение",
        }
    }

    pub fn text_label(self) -> &'static str {
        match self {
            PromptKind::Note => "Текст",
            PromptKind::Close => "Результат",
            PromptKind::Return | PromptKind::Extension => "Причина",
            PromptKind::Decide => "Комментарий",
            PromptKind::Cancel | PromptKind::Reopen => "Причина",
            PromptKind::Reassign => "Комментарий",
            PromptKind::Escalate => "Для поставщика",
            PromptKind::VendorAnswer => "Ответ",
        }
    }

    fn text_required(self, choice: Option<usize>) -> bool {
        match self {
            PromptKind::Close | PromptKind::Return | PromptKind::Extension => true,
            PromptKind::Cancel | PromptKind::Escalate | PromptKind::VendorAnswer => true,
            PromptKind::Reopen => true,
            PromptKind::Reassign => false,
            // an internal note is nothing but its text
            PromptKind::Note => choice == Some(3),
            PromptKind::Decide => false,
        }
    }
}

const NOTE_KINDS: [NoteKind; 4] = [
    NoteKind::Phoned,
    NoteKind::NoAnswer,
    NoteKind::Emailed,
    NoteKind::Internal,
];
const EXTENSION_HOURS: [i64; 4] = [24, 48, 72, 168];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptFocus {
    Choice,
    Text,
    /// The second line (the vendor's ticket number).
    Second,
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub id: RequestId,
    pub choices: Vec<String>,
    pub choice: Option<usize>,
    pub text: LineInput,
    /// A second line where a kind needs one (the vendor's ticket number).
    pub second: Option<LineInput>,
    pub focus: PromptFocus,
    pub error: Option<String>,
    pub sending: bool,
    /// How the result may go back (Close): only the channels the caller gave.
    channels: Vec<ReturnChannel>,
    /// Queue keys in the board's order (Reassign).
    queues: Vec<String>,
    resolve_by: Timestamp,
}

/// What a key did to the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptOutcome {
    Stay,
    Cancel,
    Submit(Command),
}

impl Prompt {
    pub fn new(kind: PromptKind, request: &Request, policy: &Policy) -> Prompt {
        let mut channels = Vec::new();
        if request.caller.phone.is_some() {
            channels.push(ReturnChannel::Phone);
        }
        if request.caller.email.is_some() {
            channels.push(ReturnChannel::Email);
        }
        let choices: Vec<String> = match kind {
            PromptKind::Note => NOTE_KINDS.iter().map(|k| k.label().to_string()).collect(),
            PromptKind::Close => channels
                .iter()
                .map(|channel| match channel {
                    ReturnChannel::Phone => format!(
                        "сообщили по телефону {}",
                        request
                            .caller
                            .phone
                            .as_ref()
                            .map(|p| p.display())
                            .unwrap_or_default()
                    ),
                    ReturnChannel::Email => format!(
                        "написали на {}",
                        request
                            .caller
                            .email
                            .as_ref()
                            .map(|e| e.to_string())
                            .unwrap_or_default()
                    ),
                })
                .collect(),
            PromptKind::Extension => EXTENSION_HOURS
                .iter()
                .map(|hours| match hours {
                    168 => "ещё на 7 дней".to_string(),
                    h => format!("ещё на {h} ч"),
                })
                .collect(),
            PromptKind::Decide => vec!["одобрить".into(), "отказать".into()],
            PromptKind::Reassign => policy
                .queues
                .iter()
                .map(|queue| queue.name.clone())
                .collect(),
            PromptKind::Return
            | PromptKind::Reopen
            | PromptKind::Cancel
            | PromptKind::Escalate
            | PromptKind::VendorAnswer => Vec::new(),
        };
        // nothing to choose, or only one thing: straight to the text
        let focus = if choices.len() <= 1 {
            PromptFocus::Text
        } else {
            PromptFocus::Choice
        };
        Prompt {
            kind,
            id: request.id,
            choice: (choices.len() == 1).then_some(0),
            choices,
            // the vendor gets the request reformulated: start from its description
            text: if kind == PromptKind::Escalate {
                LineInput::new(&sanitize(&request.description, false, MAX_PROMPT_TEXT))
            } else {
                LineInput::default()
            },
            second: (kind == PromptKind::Escalate).then(LineInput::default),
            focus,
            error: None,
            sending: false,
            channels,
            queues: policy
                .queues
                .iter()
                .map(|queue| queue.key.clone())
                .collect(),
            resolve_by: request.deadlines.resolve_by,
        }
    }

    pub fn key(&mut self, key: &KeyEvent) -> PromptOutcome {
        if self.sending {
            return PromptOutcome::Stay;
        }
        match key.code {
            KeyCode::Esc => return PromptOutcome::Cancel,
            KeyCode::Enter => return self.submit(),
            KeyCode::Tab | KeyCode::BackTab => {
                let mut order = Vec::new();
                if !self.choices.is_empty() {
                    order.push(PromptFocus::Choice);
                }
                order.push(PromptFocus::Text);
                if self.second.is_some() {
                    order.push(PromptFocus::Second);
                }
                let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
                let step = if key.code == KeyCode::Tab {
                    1
                } else {
                    order.len() - 1
                };
                self.focus = order[(at + step) % order.len()];
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
                        self.focus = PromptFocus::Text;
                    }
                }
            }
            PromptFocus::Text | PromptFocus::Second => {
                let input = match self.focus {
                    PromptFocus::Second => match &mut self.second {
                        Some(second) => second,
                        None => return PromptOutcome::Stay,
                    },
                    _ => &mut self.text,
                };
                edit_line(input, key);
            }
        }
        PromptOutcome::Stay
    }

    pub fn paste(&mut self, text: &str) {
        let clean = sanitize(text, false, MAX_PROMPT_TEXT + 1);
        match self.focus {
            PromptFocus::Text => {
                self.text.insert(clean.trim_end(), MAX_PROMPT_TEXT);
            }
            PromptFocus::Second => {
                if let Some(second) = &mut self.second {
                    second.insert(clean.trim_end(), MAX_PROMPT_TEXT);
                }
            }
            PromptFocus::Choice => {}
        }
    }

    fn submit(&mut self) -> PromptOutcome {
        if !self.choices.is_empty() && self.choice.is_none() {
            self.error = Some(format!("выберите 1–{}", self.choices.len()));
            self.focus = PromptFocus::Choice;
            return PromptOutcome::Stay;
        }
        let text = self.text.text().trim().to_string();
        if self.kind.text_required(self.choice) && text.is_empty() {
            self.error = Some(format!("«{}» — обязательное поле", self.kind.text_label()));
            self.focus = PromptFocus::Text;
            return PromptOutcome::Stay;
        }
        let choice = self.choice.unwrap_or(0);
        let id = self.id;
        let command = match self.kind {
            PromptKind::Note => Command::AddNote {
                id,
                kind: NOTE_KINDS[choice.min(NOTE_KINDS.len() - 1)],
                text,
            },
            PromptKind::Close => {
                let Some(returned_by) = self.channels.get(choice).copied() else {
                    self.error = Some("обратившийся не оставил ни телефона, ни почты".into());
                    return PromptOutcome::Stay;
                };
                Command::Close {
                    id,
                    text,
                    returned_by,
                }
            }
            PromptKind::Return => Command::ReturnToDispatcher { id, reason: text },
            PromptKind::Extension => Command::AskExtension {
                id,
                reason: text,
                until: Timestamp(
                    self.resolve_by.0
                        + EXTENSION_HOURS[choice.min(EXTENSION_HOURS.len() - 1)] * HOUR_MS,
                ),
            },
            PromptKind::Decide => Command::DecideExtension {
                id,
                approve: choice == 0,
                note: text,
            },
            PromptKind::Cancel => Command::Cancel { id, reason: text },
            PromptKind::Escalate => {
                let ticket = self
                    .second
                    .as_ref()
                    .map(|second| second.text().trim().to_string())
                    .unwrap_or_default();
                if ticket.is_empty() {
                    self.error = Some("«Номер у поставщика» — обязательное поле".into());
                    self.focus = PromptFocus::Second;
                    return PromptOutcome::Stay;
                }
                Command::Escalate {
                    id,
                    reformulated: text,
                    ticket,
                }
            }
            PromptKind::VendorAnswer => Command::VendorAnswer { id, answer: text },
            PromptKind::Reopen => Command::Reopen { id, reason: text },
            PromptKind::Reassign => {
                let Some(queue) = self.queues.get(choice).cloned() else {
                    self.error = Some("нет такой очереди".into());
                    return PromptOutcome::Stay;
                };
                Command::Reassign {
                    id,
                    queue,
                    assignee: None,
                }
            }
        };
        self.sending = true;
        self.error = None;
        PromptOutcome::Submit(command)
    }
}

/// Typing in a one-line field of a prompt.
pub(super) fn edit_line(input: &mut LineInput, key: &KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char(c) if !ctrl => {
            input.insert(&sanitize(&c.to_string(), false, 1), MAX_PROMPT_TEXT);
        }
        KeyCode::Backspace => input.backspace(),
        KeyCode::Delete => input.delete(),
        KeyCode::Left => input.left(),
        KeyCode::Right => input.right(),
        KeyCode::Home => input.home(),
        KeyCode::End => input.end(),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::DeadlinePolicy;
    use crate::domain::lifecycle::{receive, Intake};
    use crate::domain::request::{Caller, CallerRole, Category, Channel};
    use crate::domain::validate::Phone;

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
            },
            &DeadlinePolicy::default(),
        )
    }

    fn policy() -> Policy {
        Policy::parse(crate::domain::policy::DEFAULT_POLICY_TOML).unwrap()
    }

    fn press(prompt: &mut Prompt, code: KeyCode) -> PromptOutcome {
        prompt.key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(prompt: &mut Prompt, text: &str) {
        for c in text.chars() {
            press(prompt, KeyCode::Char(c));
        }
    }

    #[test]
    fn closing_offers_only_the_channels_the_caller_gave() {
        let mut prompt = Prompt::new(PromptKind::Close, &request(), &policy());
        assert_eq!(prompt.choices.len(), 1);
        assert_eq!(prompt.choice, Some(0), "the only channel is chosen already");
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Stay);
        assert!(prompt.error.is_some(), "a result is required");
        typed(&mut prompt, "пароль сброшен");
        assert_eq!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::Close {
                id: RequestId(7),
                text: "пароль сброшен".into(),
                returned_by: ReturnChannel::Phone,
            })
        );
    }

    #[test]
    fn an_extension_is_one_digit_and_a_reason() {
        let request = request();
        let mut prompt = Prompt::new(PromptKind::Extension, &request, &policy());
        typed(&mut prompt, "2");
        typed(&mut prompt, "ждём поставщика");
        let PromptOutcome::Submit(Command::AskExtension { until, reason, .. }) =
            press(&mut prompt, KeyCode::Enter)
        else {
            panic!("not submitted")
        };
        assert_eq!(until.0, request.deadlines.resolve_by.0 + 48 * HOUR_MS);
        assert_eq!(reason, "ждём поставщика");
    }

    #[test]
    fn a_phone_note_needs_no_text_but_an_internal_one_does() {
        let mut prompt = Prompt::new(PromptKind::Note, &request(), &policy());
        typed(&mut prompt, "4");
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Stay);
        let mut prompt = Prompt::new(PromptKind::Note, &request(), &policy());
        typed(&mut prompt, "2");
        assert!(matches!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::AddNote {
                kind: NoteKind::NoAnswer,
                ..
            })
        ));
    }

    #[test]
    fn reassigning_chooses_a_queue_by_its_number() {
        let mut prompt = Prompt::new(PromptKind::Reassign, &request(), &policy());
        typed(&mut prompt, "4");
        assert_eq!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::Reassign {
                id: RequestId(7),
                queue: "head".into(),
                assignee: None,
            })
        );
    }

    #[test]
    fn an_escalation_starts_from_the_description_and_needs_the_ticket() {
        let mut prompt = Prompt::new(PromptKind::Escalate, &request(), &policy());
        assert_eq!(prompt.text.text(), "дневник");
        assert_eq!(press(&mut prompt, KeyCode::Enter), PromptOutcome::Stay);
        assert_eq!(prompt.focus, PromptFocus::Second);
        typed(&mut prompt, "VND-1");
        assert_eq!(
            press(&mut prompt, KeyCode::Enter),
            PromptOutcome::Submit(Command::Escalate {
                id: RequestId(7),
                reformulated: "дневник".into(),
                ticket: "VND-1".into(),
            })
        );
    }

    #[test]
    fn esc_cancels() {
        let mut prompt = Prompt::new(PromptKind::Return, &request(), &policy());
        assert_eq!(press(&mut prompt, KeyCode::Esc), PromptOutcome::Cancel);
    }
}
