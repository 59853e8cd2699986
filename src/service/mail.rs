//! Mail as the service sees it: the school's `mail.toml` and templates read and checked, a
//! message put in the outbox in the same transaction as the change it is about, and what the
//! sender reports of each attempt written back (the timeline, and a request to phone when a
//! result did not get through).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use super::{Event, Service, ServiceError};
use crate::domain::audit::AuditAction;
use crate::domain::lifecycle;
use crate::domain::mail::{self, header_safe, Attempt, MailKind, MailState, Outgoing, Template};
use crate::domain::policy::Policy;
use crate::domain::request::{Request, ReturnChannel, Status, Undelivered};
use crate::domain::staff::Staff;
use crate::domain::time::{Timestamp, HOUR_MS};
use crate::store::{Tx, TxResult};
use chrono::{FixedOffset, Offset};

/// The school's mail settings, beside the policy in the data directory.
pub const MAIL_FILE: &str = "mail.toml";
/// The message templates the school edits (written with the shipped ones on first use).
pub const TEMPLATES_DIR: &str = "mail";
const RESULT_TEMPLATE: &str = "result.txt";
const ACK_TEMPLATE: &str = "acknowledgement.txt";
const SHIPPED_RESULT: &str = include_str!("../../assets/mail/result.txt");
const SHIPPED_ACK: &str = include_str!("../../assets/mail/acknowledgement.txt");

/// Most messages `pult mail status` lists (the newest; a reply stays well under a frame).
pub const OUTBOX_SHOWN: usize = 200;

/// The author of what the mail sender records in a timeline. No OS login has an `@`.
pub const MAIL_LOGIN: &str = "@mail";

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded by STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to an SMTP server on this machine.
    None,
}

/// Where and how mail is handed over.
#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    /// Read from `password_file`; never printed.
    pub password: Option<String>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Everything the server needs to send mail, read from the data directory.
#[derive(Debug, Clone)]
pub struct MailSetup {
    pub smtp: Smtp,
    /// `Служба сопровождения <support@school167.ru>`, checked.
    pub from: String,
    pub reply_to: Option<String>,
    /// The domain of `from`: the right side of every `Message-ID`.
    pub domain: String,
    /// How long temporary failures are retried after a message is queued.
    pub retry_for_ms: i64,
    /// Whether a request with an email gets «Ваше обращение №N принято».
    pub acknowledge: bool,
    /// The templates with the service's name and hotline put in.
    pub result: Template,
    pub acknowledgement: Template,
}

#[derive(Debug, Error)]
pub enum MailConfigError {
    #[error("{}", tr!("mail.config.unreadable", path = .path.display(), error = .source))]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr!("mail.config.malformed", path = .path.display(), error = .detail))]
    Malformed { path: PathBuf, detail: String },
    #[error("{}", tr!("mail.config.plain_remote", host = .host))]
    PlainToRemote { host: String },
    #[error("{}", tr!("mail.config.bad_from", field = .field, value = .value))]
    BadAddress { field: &'static str, value: String },
    #[error("{}", tr!("mail.config.password_needed"))]
    PasswordNeeded,
    #[error("{}", tr!("mail.config.password_open", path = .path.display()))]
    PasswordOpen { path: PathBuf },
    #[error("{}", tr!("mail.config.password_owner", path = .path.display()))]
    PasswordOwner { path: PathBuf },
    #[error("{}", tr!("mail.config.template", path = .path.display(), error = .source))]
    Template {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailFile {
    smtp: SmtpFile,
    #[serde(default)]
    delivery: DeliveryFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpFile {
    host: String,
    port: Option<u16>,
    security: Security,
    user: Option<String>,
    password_file: Option<PathBuf>,
    from: String,
    reply_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryFile {
    #[serde(default = "a_day")]
    retry_hours: u32,
    #[serde(default)]
    acknowledge: bool,
}

fn a_day() -> u32 {
    24
}

impl Default for DeliveryFile {
    fn default() -> Self {
        DeliveryFile {
            retry_hours: a_day(),
            acknowledge: false,
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// Whether `text` is an address (with an optional display name) mail can come from.
fn parses_as_mailbox(text: &str) -> bool {
    text.parse::<lettre::message::Mailbox>().is_ok()
}

/// Whether `address` (a bare address, as a caller gives it) is one the sender can send to.
pub fn sendable(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}

impl MailSetup {
    /// The data directory's mail settings, or None when the school has not set mail up.
    pub fn load(dir: &Path, policy: &Policy) -> Result<Option<MailSetup>, MailConfigError> {
        let path = dir.join(MAIL_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(MailConfigError::Unreadable { path, source }),
        };
        let file: MailFile = toml::from_str(&text).map_err(|error| MailConfigError::Malformed {
            path: path.clone(),
            detail: error.message().to_string(),
        })?;
        let smtp = file.smtp;
        if smtp.security == Security::None && !is_loopback(&smtp.host) {
            return Err(MailConfigError::PlainToRemote { host: smtp.host });
        }
        let from: lettre::message::Mailbox =
            smtp.from.parse().map_err(|_| MailConfigError::BadAddress {
                field: "from",
                value: smtp.from.clone(),
            })?;
        if let Some(reply_to) = &smtp.reply_to {
            if !parses_as_mailbox(reply_to) {
                return Err(MailConfigError::BadAddress {
                    field: "reply_to",
                    value: reply_to.clone(),
                });
            }
        }
        let password = match (&smtp.user, &smtp.password_file) {
            (_, Some(file)) => Some(read_password(&dir.join(file))?),
            (Some(_), None) => return Err(MailConfigError::PasswordNeeded),
            (None, None) => None,
        };
        let port = smtp.port.unwrap_or(match smtp.security {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        });
        let templates = dir.join(TEMPLATES_DIR);
        let sign =
            |template: Template| template.signed(&policy.service.name, &policy.service.hotline);
        Ok(Some(MailSetup {
            smtp: Smtp {
                host: smtp.host,
                port,
                security: smtp.security,
                user: smtp.user,
                password,
            },
            domain: from.email.domain().to_string(),
            from: from.to_string(),
            reply_to: smtp.reply_to,
            retry_for_ms: i64::from(file.delivery.retry_hours) * HOUR_MS,
            acknowledge: file.delivery.acknowledge,
            result: sign(read_template(
                &templates,
                RESULT_TEMPLATE,
                SHIPPED_RESULT,
                tr!("mail.subject.result"),
            )?),
            acknowledgement: sign(read_template(
                &templates,
                ACK_TEMPLATE,
                SHIPPED_ACK,
                tr!("mail.subject.acknowledgement"),
            )?),
        }))
    }

    /// Puts a message about `request` in the outbox inside `tx` (its timeline tells what
    /// became of it: the close is already there, and each attempt is recorded).
    fn queue(
        &self,
        tx: &Tx,
        request: &Request,
        kind: MailKind,
        (subject, body): (String, String),
        actor: &Staff,
        now: Timestamp,
    ) -> TxResult<Outgoing> {
        let to = request
            .caller
            .email
            .as_ref()
            .map(|email| email.as_str().to_string())
            .unwrap_or_default();
        let message = tx.queue_mail(|seq| Outgoing {
            seq,
            request: request.id,
            kind,
            to,
            to_name: header_safe(&request.caller.name),
            subject,
            body,
            message_id: mail::message_id(request.id, kind, seq, &self.domain),
            thread: mail::thread_id(request, &self.domain),
            queued_at: now,
            queued_by: actor.login.clone(),
            state: MailState::Waiting { next_at: now },
            attempts: Vec::new(),
        })?;
        Ok(message)
    }
}

/// The SMTP password: a file of the server's user that nobody else may read.
fn read_password(path: &Path) -> Result<String, MailConfigError> {
    let unreadable = |source| MailConfigError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(MailConfigError::PasswordOpen {
            path: path.to_path_buf(),
        });
    }
    // SAFETY: geteuid has no preconditions and cannot fail
    if meta.uid() != unsafe { libc::geteuid() } {
        return Err(MailConfigError::PasswordOwner {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

fn read_template(
    dir: &Path,
    name: &str,
    shipped: &str,
    default_subject: &str,
) -> Result<Template, MailConfigError> {
    let path = dir.join(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let written =
                std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, shipped));
            written.map_err(|source| MailConfigError::Template {
                path: path.clone(),
                source,
            })?;
            shipped.to_string()
        }
        Err(source) => return Err(MailConfigError::Template { path, source }),
    };
    Ok(Template::parse(&text, default_subject))
}

/// What the sender reports of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub seq: u64,
    pub attempt: Attempt,
}

impl Service {
    pub fn mail(&self) -> Option<&MailSetup> {
        self.mail.as_deref()
    }

    /// The school's offset from UTC at `at`: its zone's, when the policy names one (`[hours]`),
    /// else this machine's, as the consoles show.
    fn school_offset(&self, at: Timestamp) -> FixedOffset {
        match &self.hours {
            Some(hours) => at.to_utc().with_timezone(&hours.zone).offset().fix(),
            None => *chrono::Local::now().offset(),
        }
    }

    /// Puts the result of `request` (just resolved by `actor`) in the outbox, when it went
    /// back by email and mail is set up; `edited` is the body the specialist saw and changed.
    pub(super) fn queue_result(
        &self,
        tx: &Tx,
        request: &Request,
        actor: &Staff,
        edited: Option<&str>,
        now: Timestamp,
    ) -> TxResult<Option<Outgoing>> {
        let Some(setup) = self.mail() else {
            return Ok(None);
        };
        let Some(result) = &request.result else {
            return Ok(None);
        };
        let (subject, filled) =
            setup
                .result
                .fill(request, &result.text, &actor.name, self.school_offset(now));
        let body = edited
            .filter(|body| !body.trim().is_empty())
            .map_or(filled, |body| body.to_string());
        let message = setup.queue(tx, request, MailKind::Result, (subject, body), actor, now)?;
        Ok(Some(message))
    }

    /// «Ваше обращение №N принято» for a request just received with an email, when the school
    /// turned acknowledgements on.
    pub(super) fn queue_acknowledgement(
        &self,
        tx: &Tx,
        request: &Request,
        actor: &Staff,
        now: Timestamp,
    ) -> TxResult<Option<Outgoing>> {
        let Some(setup) = self.mail().filter(|setup| setup.acknowledge) else {
            return Ok(None);
        };
        // an address the sender would refuse is not queued (the request stands without it)
        if !request
            .caller
            .email
            .as_ref()
            .is_some_and(|email| sendable(email.as_str()))
        {
            return Ok(None);
        }
        // the notice goes into the template before the caller's own words do, so nothing a
        // caller wrote is taken for its place
        let notice = self.after_hours(request).join("\n");
        let template = Template {
            body: with_after_hours(&setup.acknowledgement.body, &notice),
            ..setup.acknowledgement.clone()
        };
        let filled = template.fill(request, "", &actor.name, self.school_offset(now));
        let kind = MailKind::Acknowledgement;
        Ok(Some(setup.queue(tx, request, kind, filled, actor, now)?))
    }

    /// Messages still to be sent (the sender's work at start, and again whenever what it was
    /// told may be behind the store), and how many stored records could not be read.
    pub fn waiting_mail(&self) -> (Vec<Outgoing>, usize) {
        let mut unreadable = 0;
        let waiting = self
            .store
            .outbox()
            .filter_map(|message| match message {
                Ok(message) => message.is_waiting().then_some(message),
                Err(_) => {
                    unreadable += 1;
                    None
                }
            })
            .collect();
        (waiting, unreadable)
    }

    /// The newest `OUTBOX_SHOWN` messages, newest first, for `pult mail status`.
    pub(super) fn outbox(&self) -> Result<Vec<Outgoing>, ServiceError> {
        Ok(self
            .store
            .outbox_newest()
            .take(OUTBOX_SHOWN)
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Writes what the sender reports of one attempt: the message's new state, a line in the
    /// request's timeline, and, when a result will not get through, the request back in work
    /// to be phoned. Events for the consoles when the request changed.
    pub fn record_delivery(&self, delivery: &Delivery) -> Result<Vec<Event>, ServiceError> {
        let retry_for = self.mail().map_or(HOUR_MS * 24, |setup| setup.retry_for_ms);
        let now = self.clock.now();
        let changed = self.store.write(|tx| {
            let Some(message) = tx.mail(delivery.seq)? else {
                return Ok(None);
            };
            // a report of a message already settled (sent twice around a restart)
            if !message.is_waiting() {
                return Ok(None);
            }
            let next = message.after(delivery.attempt.clone(), retry_for);
            tx.put_mail(&next)?;
            let action = match (&delivery.attempt, &next.state) {
                (Attempt::Accepted { reply, .. }, _) => AuditAction::MailDelivered {
                    kind: next.kind,
                    reply: reply.clone(),
                },
                (_, MailState::Failed { reason, .. }) => AuditAction::MailFailed {
                    kind: next.kind,
                    reason: reason.clone(),
                    retry_at: None,
                },
                (Attempt::Temporary { reason, .. } | Attempt::Permanent { reason, .. }, state) => {
                    AuditAction::MailFailed {
                        kind: next.kind,
                        reason: reason.clone(),
                        retry_at: match state {
                            MailState::Waiting { next_at } => Some(*next_at),
                            _ => None,
                        },
                    }
                }
            };
            let Some(request) = tx.request(next.request)? else {
                return Ok(None);
            };
            // only the close this message carried becomes a call to make: a request reopened
            // and closed again since has had its result returned another way
            let this_close = request.status == Status::Resolved
                && request.result.as_ref().is_some_and(|result| {
                    result.returned_by == ReturnChannel::Email && result.at == next.queued_at
                });
            let undelivered = match &next.state {
                MailState::Failed { at, reason } if next.kind == MailKind::Result && this_close => {
                    Some(Undelivered {
                        at: *at,
                        to: next.to.clone(),
                        reason: reason.clone(),
                    })
                }
                _ => None,
            };
            match undelivered {
                Some(undelivered) => {
                    let back = lifecycle::mail_undelivered(&request, undelivered);
                    tx.record_change(&back, MAIL_LOGIN, now, action)?;
                    Ok(Some(back))
                }
                None => {
                    tx.append_event(&crate::store::AuditEvent {
                        at: now,
                        actor: MAIL_LOGIN.into(),
                        request: request.id,
                        action,
                    })?;
                    Ok(None)
                }
            }
        })?;
        Ok(changed
            .map(|request| {
                self.search.upsert(&request);
                vec![Event::RequestChanged {
                    request,
                    by: MAIL_LOGIN.into(),
                }]
            })
            .unwrap_or_default())
    }
}

/// `body` with the after-hours `notice` where the template has `{after_hours}`, or before
/// the last paragraph (the signature) when a school's own template has no place for it.
fn with_after_hours(body: &str, notice: &str) -> String {
    if body.contains("{after_hours}") {
        if notice.is_empty() {
            // no notice: no empty paragraph where it would have been
            return body
                .replace("{after_hours}\n\n", "")
                .replace("{after_hours}", "");
        }
        return body.replace("{after_hours}", notice);
    }
    if notice.is_empty() {
        return body.to_string();
    }
    match body.trim_end().rfind("\n\n") {
        Some(end) => format!("{}\n\n{notice}{}", &body[..end], &body[end..]),
        None => format!("{body}\n{notice}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_after_hours;

    const NOTICE: &str = "Служба сейчас не работает.";

    #[test]
    fn the_after_hours_notice_goes_where_the_template_says_or_before_the_signature() {
        let shipped = "Здравствуйте!\n\nПринято.\n\n{after_hours}\n\nСлужба\n";
        assert_eq!(
            with_after_hours(shipped, NOTICE),
            "Здравствуйте!\n\nПринято.\n\nСлужба сейчас не работает.\n\nСлужба\n"
        );
        // in the hours nothing is said, and no empty paragraph is left
        assert_eq!(
            with_after_hours(shipped, ""),
            "Здравствуйте!\n\nПринято.\n\nСлужба\n"
        );
        let own = "Здравствуйте!\n\nПринято.\n\nСлужба\n";
        assert_eq!(
            with_after_hours(own, NOTICE),
            "Здравствуйте!\n\nПринято.\n\nСлужба сейчас не работает.\n\nСлужба\n"
        );
        assert_eq!(with_after_hours(own, ""), own);
        assert_eq!(
            with_after_hours("Принято.\n", NOTICE),
            "Принято.\n\nСлужба сейчас не работает.\n"
        );
    }
}
