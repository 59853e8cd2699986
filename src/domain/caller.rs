//! Caller cards: one per person, found again by a normalised phone or email.

use serde::{Deserialize, Serialize};

use super::request::{Caller, CallerRole, RequestId};
use super::validate::{Email, Phone, SchoolClass};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CallerId(pub u64);

impl std::fmt::Display for CallerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&tr!("caller.card", id = self.0))
    }
}

/// A person who has called, with every request they made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerCard {
    pub id: CallerId,
    pub name: String,
    pub role: CallerRole,
    pub class: Option<SchoolClass>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    /// Oldest first.
    pub requests: Vec<RequestId>,
}

/// The key a contact is found by: the phone in E.164, the email lower-cased whole (mail
/// servers of Russian schools do not tell `Ivanova@` from `ivanova@`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContactKey(String);

impl ContactKey {
    pub fn phone(phone: &Phone) -> ContactKey {
        ContactKey(format!("p:{}", phone.e164()))
    }

    pub fn email(email: &Email) -> ContactKey {
        ContactKey(format!("e:{}", email.as_str().to_lowercase()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Whether two names written on forms are one name (case, `ё`, spaces aside): a call on a
/// known phone under another name is another person's.
pub fn same_name(a: &str, b: &str) -> bool {
    let fold = |name: &str| -> String {
        name.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .flat_map(char::to_lowercase)
            .map(|c| if c == 'ё' { 'е' } else { c })
            .collect()
    };
    fold(a) == fold(b)
}

/// The keys of a caller as given on a form: phone first (it decides when phone and email
/// belong to different cards).
pub fn keys_of(phone: Option<&Phone>, email: Option<&Email>) -> Vec<ContactKey> {
    phone
        .map(ContactKey::phone)
        .into_iter()
        .chain(email.map(ContactKey::email))
        .collect()
}

impl CallerCard {
    pub fn new(id: CallerId, caller: &Caller) -> CallerCard {
        CallerCard {
            id,
            name: caller.name.clone(),
            role: caller.role,
            class: caller.class,
            phones: caller.phone.iter().cloned().collect(),
            emails: caller.email.iter().cloned().collect(),
            requests: Vec::new(),
        }
    }

    pub fn keys(&self) -> Vec<ContactKey> {
        self.phones
            .iter()
            .map(ContactKey::phone)
            .chain(self.emails.iter().map(ContactKey::email))
            .collect()
    }

    /// Takes in a later call's details: any new contact, and the latest name, role and class
    /// (people correct a misspelt name and children move up a class). True if anything
    /// changed.
    pub fn absorb(&mut self, caller: &Caller) -> bool {
        let before = self.clone();
        self.name = caller.name.clone();
        self.role = caller.role;
        if caller.class.is_some() {
            self.class = caller.class;
        }
        self.add_contacts(caller.phone.iter(), caller.email.iter());
        *self != before
    }

    /// Takes in only the contacts of a call (a split card gathers those of its requests).
    pub fn absorb_contacts(&mut self, caller: &Caller) {
        self.add_contacts(caller.phone.iter(), caller.email.iter());
    }

    pub fn add_request(&mut self, request: RequestId) {
        if !self.requests.contains(&request) {
            self.requests.push(request);
            self.requests.sort();
        }
    }

    fn add_contacts<'a>(
        &mut self,
        phones: impl Iterator<Item = &'a Phone>,
        emails: impl Iterator<Item = &'a Email>,
    ) {
        for phone in phones {
            if !self.phones.iter().any(|known| known.e164() == phone.e164()) {
                self.phones.push(phone.clone());
            }
        }
        for email in emails {
            let key = ContactKey::email(email);
            if !self
                .emails
                .iter()
                .any(|known| ContactKey::email(known) == key)
            {
                self.emails.push(email.clone());
            }
        }
    }

    /// `other` is the same person: its contacts and requests join this card, which keeps
    /// its own name.
    pub fn merge(&mut self, other: &CallerCard) {
        self.add_contacts(other.phones.iter(), other.emails.iter());
        for request in &other.requests {
            self.add_request(*request);
        }
        if self.class.is_none() {
            self.class = other.class;
        }
    }

    /// The card with contacts masked, for those who may not see contact data.
    pub fn masked(&self) -> CallerCard {
        CallerCard {
            phones: Vec::new(),
            emails: Vec::new(),
            ..self.clone()
        }
    }

    /// "Петрова Анна, родитель, 5А"
    pub fn describe(&self) -> String {
        let mut text = format!("{}, {}", self.name, self.role.label());
        if let Some(class) = &self.class {
            text.push_str(&format!(", {class}"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(name: &str, phone: Option<&str>, email: Option<&str>) -> Caller {
        Caller {
            name: name.into(),
            role: CallerRole::Parent,
            class: Some(SchoolClass::parse("5а").unwrap()),
            phone: phone.map(|p| Phone::parse(p).unwrap()),
            email: email.map(|e| Email::parse(e).unwrap()),
        }
    }

    #[test]
    fn a_phone_is_the_same_key_however_it_was_written() {
        let a = Phone::parse("8 (912) 345-67-89").unwrap();
        let b = Phone::parse("+79123456789").unwrap();
        assert_eq!(ContactKey::phone(&a), ContactKey::phone(&b));
    }

    #[test]
    fn an_email_is_the_same_key_in_any_case() {
        let a = Email::parse("Petrova@School.ru").unwrap();
        let b = Email::parse("petrova@school.ru").unwrap();
        assert_eq!(ContactKey::email(&a), ContactKey::email(&b));
    }

    #[test]
    fn phone_comes_before_email() {
        let c = caller("П", Some("+79123456789"), Some("p@school.ru"));
        let keys = keys_of(c.phone.as_ref(), c.email.as_ref());
        assert_eq!(keys.len(), 2);
        assert!(keys[0].as_bytes().starts_with(b"p:"));
    }

    #[test]
    fn a_later_call_adds_its_contact_once_and_says_whether_anything_changed() {
        let mut card = CallerCard::new(CallerId(1), &caller("Петрова", Some("89123456789"), None));
        let corrected = caller("Петрова А.", Some("+7 912 345 67 89"), Some("p@school.ru"));
        assert!(card.absorb(&corrected));
        assert!(!card.absorb(&caller("Петрова А.", None, Some("P@school.ru"))));
        assert_eq!(card.phones.len(), 1);
        assert_eq!(card.emails.len(), 1);
        assert_eq!(card.name, "Петрова А.");
        card.add_request(RequestId(4));
        card.add_request(RequestId(4));
        assert_eq!(card.requests, vec![RequestId(4)]);
    }

    #[test]
    fn merging_keeps_the_name_and_joins_requests_and_contacts() {
        let mut kept = CallerCard::new(CallerId(1), &caller("Петрова", Some("89123456789"), None));
        kept.add_request(RequestId(3));
        let mut other = CallerCard::new(CallerId(2), &caller("Петрова А.", None, Some("p@s.ru")));
        other.add_request(RequestId(1));
        other.add_request(RequestId(3));
        kept.merge(&other);
        assert_eq!(kept.name, "Петрова");
        assert_eq!(kept.requests, vec![RequestId(1), RequestId(3)]);
        assert_eq!(kept.keys().len(), 2);
    }
}
