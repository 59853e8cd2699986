//! The website door's part of the rules: who the website is, the consent text's version, and
//! what a person who wrote through the site may learn of their request (its status and dates,
//! never a name, a description or a note).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::deadline::Deadlines;
use super::request::{Request, RequestId, ReturnChannel, Status};
use super::staff::Staff;
use super::time::Timestamp;
use super::validate::{Email, Phone};

/// The author of every request that came through the website form. No OS login can be
/// spelled so (`@` is not allowed in one), so no staff account can ever be it.
pub const WEBSITE_LOGIN: &str = "@website";

/// The account the website door acts as: it holds no role, so the rules table lets it do
/// nothing a staff member does; the server lets its connection send nothing but the website's
/// own commands.
pub fn website() -> Staff {
    Staff {
        login: WEBSITE_LOGIN.into(),
        name: tr!("who.website").into(),
        roles: Vec::new(),
        vendor_rep: false,
        disabled: false,
    }
}

pub fn is_website(login: &str) -> bool {
    login == WEBSITE_LOGIN
}

/// The version of a consent text: the first 16 hex digits of its SHA-256. A text edited by
/// the school is a new version; the same text is the same version wherever it is read.
pub fn text_version(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// How the result will reach the person (§3.2.3).
pub fn answer_by(request: &Request) -> ReturnChannel {
    match &request.result {
        Some(result) => result.returned_by,
        None if request.caller.email.is_some() => ReturnChannel::Email,
        None => ReturnChannel::Phone,
    }
}

/// What the person is told right after sending the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: RequestId,
    pub received_at: Timestamp,
    pub deadlines: Deadlines,
    pub answer_by: ReturnChannel,
    /// Sent while the service was closed: when it will be looked at (and, for the
    /// psychologist, whom to call if it is urgent), a line each; empty in the hours.
    pub after_hours: Vec<String>,
}

impl Receipt {
    pub fn of(request: &Request, after_hours: Vec<String>) -> Receipt {
        Receipt {
            id: request.id,
            received_at: request.received_at,
            deadlines: request.deadlines,
            answer_by: answer_by(request),
            after_hours,
        }
    }
}

/// What the status page shows of a request: its status and dates, and how the answer comes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub id: RequestId,
    pub status: Status,
    pub received_at: Timestamp,
    pub routed_at: Option<Timestamp>,
    pub taken_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub deadlines: Deadlines,
    /// A later close the head agreed to (§3.2.2) is already in `deadlines`.
    pub answer_by: ReturnChannel,
}

impl PublicStatus {
    pub fn of(request: &Request) -> PublicStatus {
        PublicStatus {
            id: request.id,
            status: request.status,
            received_at: request.received_at,
            routed_at: request.routed_at,
            taken_at: request.taken_at,
            closed_at: request.closed_at,
            deadlines: request.deadlines,
            answer_by: answer_by(request),
        }
    }
}

/// Is `contact` the phone or the email given in this request? A phone is compared as a
/// number however it is written; an email without regard to case.
pub fn contact_matches(request: &Request, contact: &str) -> bool {
    let contact = contact.trim();
    if contact.is_empty() {
        return false;
    }
    if let (Some(given), Ok(typed)) = (&request.caller.email, Email::parse(contact)) {
        if given.as_str().eq_ignore_ascii_case(typed.as_str()) {
            return true;
        }
    }
    match (&request.caller.phone, Phone::parse(contact)) {
        (Some(given), Ok(typed)) => given.e164() == typed.e164(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::DeadlinePolicy;
    use crate::domain::lifecycle::{receive, Intake};
    use crate::domain::request::{Caller, CallerRole, Category, Channel};

    fn request(phone: Option<&str>, email: Option<&str>) -> Request {
        receive(
            RequestId(7),
            Intake {
                channel: Channel::Web,
                received_at: Timestamp(1_000),
                logged_by: WEBSITE_LOGIN.into(),
                caller: Caller {
                    name: "Петрова Анна".into(),
                    role: CallerRole::Parent,
                    class: None,
                    phone: phone.map(|p| Phone::parse(p).expect("phone")),
                    email: email.map(|e| Email::parse(e).expect("email")),
                },
                category: Category::Ejournal,
                description: "Не открывается дневник".into(),
                consent: None,
            },
            &DeadlinePolicy::default(),
        )
    }

    #[test]
    fn a_phone_matches_however_it_is_written() {
        let request = request(Some("+7 912 345-67-89"), None);
        assert!(contact_matches(&request, "8 (912) 345-67-89"));
        assert!(contact_matches(&request, "+79123456789"));
        assert!(!contact_matches(&request, "+7 912 345-67-80"));
        assert!(!contact_matches(&request, ""));
        assert!(!contact_matches(&request, "petrova@mail.ru"));
    }

    #[test]
    fn an_email_matches_without_regard_to_case() {
        let request = request(None, Some("Petrova@Mail.ru"));
        assert!(contact_matches(&request, " petrova@mail.RU "));
        assert!(!contact_matches(&request, "petrov@mail.ru"));
        assert!(!contact_matches(&request, "8 912 345-67-89"));
    }

    #[test]
    fn the_answer_comes_by_email_when_one_was_given() {
        assert_eq!(
            answer_by(&request(Some("+79123456789"), Some("a@b.ru"))),
            ReturnChannel::Email
        );
        assert_eq!(
            answer_by(&request(Some("+79123456789"), None)),
            ReturnChannel::Phone
        );
    }

    #[test]
    fn a_text_edited_is_a_new_version() {
        let first = text_version("Я даю согласие");
        assert_eq!(first.len(), 16);
        assert_eq!(first, text_version("Я даю согласие"));
        assert_ne!(first, text_version("Я даю согласие."));
    }

    #[test]
    fn no_os_login_is_the_website() {
        assert!(is_website(WEBSITE_LOGIN));
        assert!(website().roles.is_empty());
        assert!(WEBSITE_LOGIN.contains('@'));
    }
}
