//! Mail to a caller, as pult keeps it: one message in the outbox (what it says, to whom, its
//! `Message-ID`), where it is on its way (waiting, delivered, failed), the retry schedule, and
//! the school's templates filled in. No I/O: `service::mail` reads the files and the outbox,
//! `net::mail` talks SMTP.

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use super::request::{Request, RequestId};
use super::time::{Timestamp, HOUR_MS, MINUTE_MS};

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// The result of the work (§3.2.3), sent when a specialist closes by email.
    Result,
    /// «Ваше обращение №N принято», sent when a request with an email is received.
    Acknowledgement,
}

impl MailKind {
    pub fn key(self) -> &'static str {
        match self {
            MailKind::Result => "result",
            MailKind::Acknowledgement => "ack",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MailKind::Result => tr!("mail.kind.result"),
            MailKind::Acknowledgement => tr!("mail.kind.acknowledgement"),
        }
    }
}

/// How one attempt to hand a message to the SMTP server ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attempt {
    /// The server took it; its words (`250 …`).
    Accepted { at: Timestamp, reply: String },
    /// A failure worth trying again (no connection, a 4xx answer).
    Temporary { at: Timestamp, reason: String },
    /// A failure no retry mends (a 5xx answer, a refused address), or retries ran out.
    Permanent { at: Timestamp, reason: String },
}

impl Attempt {
    pub fn at(&self) -> Timestamp {
        match self {
            Attempt::Accepted { at, .. }
            | Attempt::Temporary { at, .. }
            | Attempt::Permanent { at, .. } => *at,
        }
    }
}

/// Where a message is on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailState {
    /// In the outbox; the next attempt is due at `next_at`.
    Waiting { next_at: Timestamp },
    /// The SMTP server accepted it.
    Delivered { at: Timestamp, reply: String },
    /// It will not be delivered: someone must phone the person instead.
    Failed { at: Timestamp, reason: String },
}

impl MailState {
    pub fn key(&self) -> &'static str {
        match self {
            MailState::Waiting { .. } => "waiting",
            MailState::Delivered { .. } => "delivered",
            MailState::Failed { .. } => "failed",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            MailState::Waiting { .. } => tr!("mail.state.waiting"),
            MailState::Delivered { .. } => tr!("mail.state.delivered"),
            MailState::Failed { .. } => tr!("mail.state.failed"),
        }
    }
}

/// One message in the outbox. Everything a resend needs is kept, so a message sent again
/// after a crash is the same message, with the same `Message-ID`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The outbox's own number (its key in the store).
    pub seq: u64,
    pub request: RequestId,
    pub kind: MailKind,
    /// The checked address (`validate::Email`'s form).
    pub to: String,
    /// The person's name as the form has it, without line breaks.
    pub to_name: String,
    pub subject: String,
    pub body: String,
    /// Without the angle brackets: `pult.124.result.7.…@school167.ru`.
    pub message_id: String,
    /// The id every message about this request refers to (`References`, `In-Reply-To`).
    pub thread: String,
    pub queued_at: Timestamp,
    pub queued_by: String,
    pub state: MailState,
    /// Oldest first.
    pub attempts: Vec<Attempt>,
}

impl Outgoing {
    pub fn is_waiting(&self) -> bool {
        matches!(self.state, MailState::Waiting { .. })
    }

    /// The outcome of an attempt, and where the message is after it (`retry_for`: how long
    /// after queueing temporary failures are still retried).
    pub fn after(&self, attempt: Attempt, retry_for_ms: i64) -> Outgoing {
        let mut next = self.clone();
        next.state = match &attempt {
            Attempt::Accepted { at, reply } => MailState::Delivered {
                at: *at,
                reply: reply.clone(),
            },
            Attempt::Permanent { at, reason } => MailState::Failed {
                at: *at,
                reason: reason.clone(),
            },
            Attempt::Temporary { at, reason } => {
                let tried = self.attempts.len() + 1;
                let next_at = at.0 + retry_delay_ms(tried);
                if next_at > self.queued_at.0 + retry_for_ms {
                    MailState::Failed {
                        at: *at,
                        reason: tr!("mail.gave_up", reason = reason),
                    }
                } else {
                    MailState::Waiting {
                        next_at: Timestamp(next_at),
                    }
                }
            }
        };
        next.attempts.push(attempt);
        next
    }

    /// The last words of the SMTP server or the reason it failed, for `pult mail status`.
    pub fn last_words(&self) -> Option<&str> {
        self.attempts.last().map(|attempt| match attempt {
            Attempt::Accepted { reply, .. } => reply.as_str(),
            Attempt::Temporary { reason, .. } | Attempt::Permanent { reason, .. } => {
                reason.as_str()
            }
        })
    }
}

/// The wait after the `tried`-th failed attempt: 1, 2, 5, 10, 20, 30 minutes, then hourly.
pub fn retry_delay_ms(tried: usize) -> i64 {
    const STEPS: [i64; 6] = [1, 2, 5, 10, 20, 30];
    match STEPS.get(tried.saturating_sub(1)) {
        Some(minutes) => minutes * MINUTE_MS,
        None => HOUR_MS,
    }
}

/// Text that goes into a header: line breaks and other control characters become spaces,
/// so nobody's name or words can add a header of their own.
pub fn header_safe(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `Message-ID` of the `seq`-th outbox message (without brackets).
pub fn message_id(request: RequestId, kind: MailKind, seq: u64, domain: &str) -> String {
    format!("pult.{}.{}.{}@{}", request.0, kind.key(), seq, domain)
}

/// The id all messages about one request thread under: stable for the request (its number
/// and the instant it was received), so a second store's №124 is another thread.
pub fn thread_id(request: &Request, domain: &str) -> String {
    format!(
        "pult.{}.{}@{}",
        request.id.0,
        request.received_at.0.rem_euclid(1 << 40),
        domain
    )
}

/// A message template the school edits: its subject line and its body, with `{number}`,
/// `{name}`, `{received}`, `{result}`, `{specialist}`, `{route_by}`, `{resolve_by}`,
/// `{service}` and `{hotline}` filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// What a console knows of the school's mail: the result template (the close prompt shows
/// the message that will go) and whether a call may ask for an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleMail {
    pub result: Template,
    pub acknowledges: bool,
}

/// The line of a template file that holds the subject.
const SUBJECT_PREFIXES: [&str; 2] = ["Тема:", "Subject:"];

impl Template {
    /// A template file: a first line `Тема: …` (or `Subject: …`), then the body. A file with
    /// no such line is all body, under `default_subject`.
    pub fn parse(text: &str, default_subject: &str) -> Template {
        let text = text.replace("\r\n", "\n");
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let subject = SUBJECT_PREFIXES
            .iter()
            .find_map(|prefix| first.trim_start().strip_prefix(prefix));
        match subject {
            Some(subject) => Template {
                subject: subject.trim().to_string(),
                body: rest.trim_start_matches('\n').trim_end().to_string() + "\n",
            },
            None => Template {
                subject: default_subject.to_string(),
                body: text.trim_end().to_string() + "\n",
            },
        }
    }

    /// The template with the service's own words put in (they are the same in every
    /// message), so what is left to fill depends on the request alone.
    pub fn signed(&self, service: &str, hotline: &str) -> Template {
        let sign = |text: &str| {
            text.replace("{service}", service)
                .replace("{hotline}", hotline)
        };
        Template {
            subject: sign(&self.subject),
            body: sign(&self.body),
        }
    }

    /// The subject and body for `request`: `result` is the specialist's words, `specialist`
    /// their name.
    pub fn fill(
        &self,
        request: &Request,
        result: &str,
        specialist: &str,
        offset: FixedOffset,
    ) -> (String, String) {
        let when = |at: Timestamp| at.in_offset(offset).format("%d.%m.%Y %H:%M").to_string();
        let fill = |text: &str| {
            text.replace("{number}", &request.id.0.to_string())
                .replace("{name}", request.caller.name.trim())
                .replace("{received}", &when(request.received_at))
                .replace("{route_by}", &when(request.deadlines.route_by))
                .replace("{resolve_by}", &when(request.deadlines.resolve_by))
                .replace("{specialist}", specialist)
                .replace("{result}", result.trim())
        };
        (header_safe(&fill(&self.subject)), fill(&self.body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(queued_at: i64) -> Outgoing {
        Outgoing {
            seq: 1,
            request: RequestId(7),
            kind: MailKind::Result,
            to: "a@b.ru".into(),
            to_name: "Анна".into(),
            subject: "s".into(),
            body: "b".into(),
            message_id: message_id(RequestId(7), MailKind::Result, 1, "school.ru"),
            thread: "t@school.ru".into(),
            queued_at: Timestamp(queued_at),
            queued_by: "ivanova".into(),
            state: MailState::Waiting {
                next_at: Timestamp(queued_at),
            },
            attempts: Vec::new(),
        }
    }

    #[test]
    fn a_temporary_failure_waits_longer_each_time_then_gives_up() {
        let day = 24 * HOUR_MS;
        let mut message = waiting(0);
        let mut at = 0;
        let mut waits = Vec::new();
        while message.is_waiting() {
            message = message.after(
                Attempt::Temporary {
                    at: Timestamp(at),
                    reason: "421 занят".into(),
                },
                day,
            );
            if let MailState::Waiting { next_at } = message.state {
                waits.push(next_at.0 - at);
                at = next_at.0;
            }
        }
        assert_eq!(&waits[..3], &[MINUTE_MS, 2 * MINUTE_MS, 5 * MINUTE_MS]);
        assert!(waits.windows(2).all(|pair| pair[0] <= pair[1]));
        assert!(at <= day, "no attempt is planned after a day");
        let MailState::Failed { reason, .. } = &message.state else {
            panic!("gave up: {:?}", message.state)
        };
        assert!(reason.contains("421 занят"), "{reason}");
    }

    #[test]
    fn a_permanent_failure_stops_at_once_and_an_acceptance_delivers() {
        let refused = waiting(0).after(
            Attempt::Permanent {
                at: Timestamp(5),
                reason: "550 нет такого ящика".into(),
            },
            HOUR_MS,
        );
        assert_eq!(refused.state.key(), "failed");
        assert_eq!(refused.attempts.len(), 1);
        let taken = waiting(0).after(
            Attempt::Accepted {
                at: Timestamp(5),
                reply: "250 OK".into(),
            },
            HOUR_MS,
        );
        assert_eq!(taken.state.key(), "delivered");
        assert_eq!(taken.last_words(), Some("250 OK"));
    }

    proptest::proptest! {
        /// Whatever the attempts bring, a message is delivered once accepted, failed at once
        /// by a permanent answer, and never planned after its retry window.
        #[test]
        fn the_outbox_state_machine_settles_and_keeps_to_its_window(
            outcomes in proptest::collection::vec(0u8..3, 1..40),
            gaps in proptest::collection::vec(0i64..(3 * HOUR_MS), 40),
            window_hours in 1i64..48,
        ) {
            let window = window_hours * HOUR_MS;
            let mut message = waiting(1_000);
            let mut at = 1_000;
            for (outcome, gap) in outcomes.iter().zip(&gaps) {
                if !message.is_waiting() {
                    break;
                }
                at += gap;
                let attempt = match outcome {
                    0 => Attempt::Accepted { at: Timestamp(at), reply: "250".into() },
                    1 => Attempt::Permanent { at: Timestamp(at), reason: "550".into() },
                    _ => Attempt::Temporary { at: Timestamp(at), reason: "421".into() },
                };
                let before = message.attempts.len();
                message = message.after(attempt, window);
                proptest::prop_assert_eq!(message.attempts.len(), before + 1);
                match (outcome, &message.state) {
                    (0, MailState::Delivered { .. }) | (1, MailState::Failed { .. }) => {}
                    (2, MailState::Waiting { next_at }) => {
                        proptest::prop_assert!(next_at.0 > at);
                        proptest::prop_assert!(next_at.0 <= 1_000 + window);
                    }
                    (2, MailState::Failed { .. }) => {
                        proptest::prop_assert!(at + retry_delay_ms(before + 1) > 1_000 + window);
                    }
                    (outcome, state) => proptest::prop_assert!(false, "{outcome} gave {state:?}"),
                }
            }
        }
    }

    #[test]
    fn no_header_takes_a_line_break() {
        assert_eq!(
            header_safe("Иванова\r\nBcc: all@school.ru\u{0}x"),
            "Иванова Bcc: all@school.ru x"
        );
    }

    #[test]
    fn a_template_file_gives_its_subject_line_and_body() {
        let template = Template::parse(
            "Тема: Обращение №{number}\r\n\r\nЗдравствуйте, {name}!\n{result}\n— {specialist}\n",
            "x",
        );
        assert_eq!(template.subject, "Обращение №{number}");
        assert_eq!(
            template.body,
            "Здравствуйте, {name}!\n{result}\n— {specialist}\n"
        );
        let bare = Template::parse("Просто текст", "Обращение");
        assert_eq!(bare.subject, "Обращение");
        assert_eq!(bare.body, "Просто текст\n");
    }
}
