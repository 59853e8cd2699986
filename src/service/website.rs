//! The website door's commands: what its pages show, a request from the form, and a
//! request's public status. Only the website's connection sends them (the server sees to it;
//! each checks again that its actor is the website).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{Outcome, Reply, Service, ServiceError};
use crate::domain::access::Denied;
use crate::domain::call_form::CallDraft;
use crate::domain::deadline::DeadlinePolicy;
use crate::domain::lifecycle;
use crate::domain::policy::{Policy, ServiceInfo};
use crate::domain::request::{CallerRole, Category, Channel, Consent, Request, RequestId};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use crate::domain::website::{is_website, text_version, PublicStatus, Receipt};
use crate::store::{IntakeKey, Tx, TxResult};

/// The consent text in the data directory, shipped in Russian, the school's to edit.
pub const CONSENT_FILE: &str = "consent.txt";
/// The school's personal-data policy, likewise.
pub const PRIVACY_FILE: &str = "privacy.txt";
/// Every version of the consent text a person agreed to, kept by its version.
pub const CONSENT_VERSIONS_DIR: &str = "consent-versions";

const DEFAULT_CONSENT: &str = include_str!("../../assets/consent.txt");
const DEFAULT_PRIVACY: &str = include_str!("../../assets/privacy.txt");

/// A text of the site and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteText {
    pub version: String,
    pub text: String,
}

impl SiteText {
    fn new(text: String) -> SiteText {
        SiteText {
            version: text_version(&text),
            text,
        }
    }
}

/// What the website's pages need from the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebInfo {
    pub service: ServiceInfo,
    /// The request types in the policy's order, each as the policy words it.
    pub categories: Vec<(Category, String)>,
    pub deadlines: DeadlinePolicy,
    pub consent: SiteText,
    pub privacy: SiteText,
    /// The school's time zone by name (`[hours]`), for the times the pages show.
    pub zone: Option<String>,
}

impl WebInfo {
    /// What the pages show under `policy`, with these texts.
    pub fn of(policy: &Policy, consent: SiteText, privacy: SiteText) -> WebInfo {
        WebInfo {
            service: policy.service.clone(),
            categories: policy
                .categories
                .iter()
                .map(|category| (category.key, category.label.clone()))
                .collect(),
            deadlines: policy.deadlines,
            consent,
            privacy,
            zone: policy.hours.as_ref().map(|hours| hours.zone.clone()),
        }
    }
}

/// The website form as sent: the fields of Appendix 1, the version of the consent text the
/// person ticked (None: not ticked), and the form's own key, so a form sent twice is one
/// request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebForm {
    pub name: String,
    pub role: Option<CallerRole>,
    pub class: String,
    pub category: Option<Category>,
    pub description: String,
    pub phone: String,
    pub email: String,
    pub consent_version: Option<String>,
    pub key: [u8; 16],
}

impl WebForm {
    /// The form as the console's form would hold it: one check for both doors.
    pub fn draft(&self) -> CallDraft {
        CallDraft {
            answered_at: None,
            name: self.name.clone(),
            role: self.role,
            class: self.class.clone(),
            category: self.category,
            description: self.description.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            caller_card: None,
            acknowledge: false,
        }
    }
}

/// The consent and policy texts, read again whenever a file changes.
pub(super) struct SiteTexts {
    dir: PathBuf,
    read: Mutex<Option<(Stamp, SiteText, SiteText)>>,
}

/// What tells that a file changed: its modification time and length, for both files.
type Stamp = [(Option<SystemTime>, u64); 2];

impl SiteTexts {
    pub(super) fn new(dir: &Path) -> SiteTexts {
        SiteTexts {
            dir: dir.to_path_buf(),
            read: Mutex::new(None),
        }
    }

    fn stamp(&self) -> Stamp {
        [CONSENT_FILE, PRIVACY_FILE].map(|name| self.stamp_of(name))
    }

    fn stamp_of(&self, name: &str) -> (Option<SystemTime>, u64) {
        std::fs::metadata(self.dir.join(name))
            .map(|meta| (meta.modified().ok(), meta.len()))
            .unwrap_or((None, 0))
    }

    /// The consent text and the policy in force (the shipped ones are written on first use).
    pub(super) fn current(&self) -> Result<(SiteText, SiteText), ServiceError> {
        self.in_force(|consent, privacy| (consent.clone(), privacy.clone()))
    }

    /// The version of the consent text in force, without copying the texts (every batch
    /// with a website request asks).
    pub(super) fn consent_version(&self) -> Result<String, ServiceError> {
        // the version is the consent text's alone: the policy's file need not be looked at
        // while the consent's has not changed (one `statx` a batch instead of two)
        let consent_stamp = self.stamp_of(CONSENT_FILE);
        if let Ok(read) = self.read.lock() {
            if let Some((seen, consent, _)) = read.as_ref() {
                if seen[0] == consent_stamp {
                    return Ok(consent.version.clone());
                }
            }
        }
        self.in_force(|consent, _| consent.version.clone())
    }

    /// What `take` takes of the texts in force: those read last while neither file changed,
    /// else read again.
    fn in_force<T>(&self, take: impl Fn(&SiteText, &SiteText) -> T) -> Result<T, ServiceError> {
        let stamp = self.stamp();
        let mut read = self
            .read
            .lock()
            .map_err(|_| ServiceError::NotSaved(tr!("service.site_texts_unreadable").into()))?;
        if let Some((seen, consent, privacy)) = read.as_ref() {
            if *seen == stamp {
                return Ok(take(consent, privacy));
            }
        }
        let consent = SiteText::new(self.text(CONSENT_FILE, DEFAULT_CONSENT)?);
        let privacy = SiteText::new(self.text(PRIVACY_FILE, DEFAULT_PRIVACY)?);
        self.keep_version(&consent)?;
        let taken = take(&consent, &privacy);
        *read = Some((self.stamp(), consent, privacy));
        Ok(taken)
    }

    fn text(&self, name: &str, shipped: &str) -> Result<String, ServiceError> {
        let path = self.dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::write(&path, shipped)
                    .map_err(|source| ServiceError::SiteText { path, source })?;
                Ok(shipped.to_string())
            }
            Err(source) => Err(ServiceError::SiteText { path, source }),
        }
    }

    /// Keeps a copy of each consent text by its version: what a person agreed to can be
    /// read later, whatever the school has written since.
    fn keep_version(&self, consent: &SiteText) -> Result<(), ServiceError> {
        let dir = self.dir.join(CONSENT_VERSIONS_DIR);
        let path = dir.join(format!("{}.txt", consent.version));
        if path.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, &consent.text))
            .map_err(|source| ServiceError::SiteText { path, source })
    }
}

impl Service {
    fn website_only(actor: &Staff) -> Result<(), ServiceError> {
        if is_website(&actor.login) {
            Ok(())
        } else {
            Err(ServiceError::Denied(Denied::WebsiteOnly))
        }
    }

    /// The version of the consent text in force, or why it cannot be read.
    pub(super) fn consent_in_force(&self) -> Result<String, String> {
        self.site
            .consent_version()
            .map_err(|error| error.to_string())
    }

    pub(super) fn web_info(&self, actor: &Staff) -> Outcome {
        Self::website_only(actor)?;
        let (consent, privacy) = self.site.current()?;
        let info = WebInfo::of(&self.policy, consent, privacy);
        Ok((
            Reply::WebInfo {
                info: Box::new(info),
            },
            Vec::new(),
        ))
    }

    /// The status of request `id` when `contact` is its phone or email; otherwise nothing,
    /// the same nothing as for a number that does not exist.
    pub(super) fn public_status(&self, actor: &Staff, id: RequestId, contact: &str) -> Outcome {
        Self::website_only(actor)?;
        let status = self
            .store
            .request(id)?
            .filter(|request| crate::domain::website::contact_matches(request, contact))
            .map(|request| PublicStatus::of(&request));
        Ok((Reply::PublicStatus { status }, Vec::new()))
    }

    /// A request from the website form into Входящие, inside `tx`: received now, with the
    /// consent given to the text in force.
    pub(super) fn log_web(
        &self,
        tx: &Tx,
        actor: &Staff,
        form: &WebForm,
        consent_in_force: Option<&Result<String, String>>,
        queued: &super::writes::Queued,
        now: Timestamp,
    ) -> TxResult<Result<Request, ServiceError>> {
        if let Err(error) = Self::website_only(actor) {
            return Ok(Err(error));
        }
        let in_force = match consent_in_force {
            Some(Ok(version)) => version,
            Some(Err(reason)) => return Ok(Err(ServiceError::NotSaved(reason.clone()))),
            None => {
                let reason = tr!("service.site_texts_unreadable").to_string();
                return Ok(Err(ServiceError::NotSaved(reason)));
            }
        };
        let consent = match &form.consent_version {
            None => return Ok(Err(ServiceError::ConsentMissing)),
            Some(given) if given != in_force => return Ok(Err(ServiceError::ConsentChanged)),
            Some(given) => Consent {
                given_at: now,
                text_version: given.clone(),
            },
        };
        let call = match form.draft().check() {
            Ok(call) => call,
            Err(errors) => return Ok(Err(ServiceError::Form(errors))),
        };
        let intake = lifecycle::Intake {
            channel: Channel::Web,
            received_at: now,
            logged_by: actor.login.clone(),
            caller: call.caller,
            category: call.category,
            description: call.description,
            consent: Some(consent),
        };
        let key = IntakeKey::website(&form.key);
        // a form sent again is the request already stored, acknowledged already
        let fresh = tx.known_intake(&key)?.is_none();
        let deadlines = &self.policy.deadlines;
        let request = tx.insert_request(
            |id| self.in_service_time(None, lifecycle::receive(id, intake, deadlines)),
            now,
            Some(&key),
            None,
        )?;
        if fresh {
            if let Some(message) = self.queue_acknowledgement(tx, &request, actor, now)? {
                queued.borrow_mut().push(message);
            }
        }
        Ok(Ok(request))
    }
}

/// The receipt the website shows for a request it sent.
pub(super) fn receipt(request: Request, after_hours: Vec<String>) -> Reply {
    Reply::Submitted {
        receipt: Receipt::of(&request, after_hours),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consent_version_follows_the_consent_text_and_a_new_policy_text_is_still_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let texts = SiteTexts::new(dir.path());
        let shipped = texts.consent_version().expect("the shipped consent");
        std::fs::write(
            dir.path().join(PRIVACY_FILE),
            "Политика школы, вторая редакция",
        )
        .expect("policy written");
        assert_eq!(texts.consent_version().expect("version"), shipped);
        let (_, privacy) = texts.current().expect("texts");
        assert_eq!(privacy.text, "Политика школы, вторая редакция");
        std::fs::write(dir.path().join(CONSENT_FILE), "Согласие, вторая редакция")
            .expect("consent written");
        let changed = texts.consent_version().expect("version");
        assert_ne!(changed, shipped);
        let (consent, _) = texts.current().expect("texts");
        assert_eq!(consent.version, changed);
    }
}
