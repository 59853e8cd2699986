//! Who may do what to a request (issue 4's table), decided here and enforced by the service.

use thiserror::Error;

use super::policy::Policy;
use super::request::{Category, Request, RequestId};
use super::staff::{Role, Staff};

/// What someone wants to do to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// take, note, close, return, ask for an extension
    Work,
    /// approve or deny an extension
    DecideExtension,
    Reopen,
    Reassign,
    Cancel,
    /// file with the platform's vendor, or record its answer
    Escalate,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Denied {
    #[error("обращение {id} вам не видно (оно не из вашей очереди), поэтому и менять его нельзя")]
    Hidden { id: RequestId },
    #[error(
        "это обращение очереди «{queue}»: работать с ним может её специалист или руководитель"
    )]
    NotYourQueue { queue: String },
    #[error("обращение ещё не направлено в очередь")]
    NotInAQueue,
    #[error("это решает руководитель Службы")]
    HeadOnly,
    #[error("отменить обращение может руководитель Службы или тот, кто его записал ({logged_by})")]
    NotYours { logged_by: String },
    #[error("учётная запись отключена")]
    Disabled,
    #[error(
        "обращаться к поставщику платформы может только назначенный представитель{}",
        .representative.as_ref().map(|name| format!(": {name}")).unwrap_or_else(|| " (он ещё не назначен)".into())
    )]
    NotVendorRep { representative: Option<String> },
    #[error(
        "карточки звонящих ведут специалист горячей линии, администратор сайта и руководитель"
    )]
    NotCallerDesk,
    #[error("объединять карточки звонящих может руководитель Службы или администратор системы")]
    NotMerger,
    #[error(
        "ежедневный отчёт составляют специалист горячей линии и администратор сайта для руководителя Службы"
    )]
    NotDailyReader,
    #[error("еженедельный анализ — для руководителя Службы и директора")]
    NotWeeklyReader,
    #[error("предложения директору пишет руководитель Службы")]
    NotProposer,
}

/// Whether `staff` may do `act` to `request` under `policy`.
pub fn may(staff: &Staff, act: Act, request: &Request, policy: &Policy) -> Result<(), Denied> {
    if staff.disabled {
        return Err(Denied::Disabled);
    }
    // Before any act's own rule: a rule that forgets the queue (as the vendor's once did)
    // must not let anyone act on a request they may not even read.
    if sight(request, staff, policy) == Sight::Hidden {
        return Err(Denied::Hidden { id: request.id });
    }
    let head = staff.has(Role::Head);
    match act {
        Act::Work => {
            let Some(queue_key) = request.queue.as_deref() else {
                return Err(Denied::NotInAQueue);
            };
            // the queue's own specialists; the head works the head's queue like them
            let works_queue = policy
                .queue(queue_key)
                .is_some_and(|queue| staff.has(queue.role));
            if works_queue {
                Ok(())
            } else {
                Err(Denied::NotYourQueue {
                    queue: policy.queue_short(queue_key).to_string(),
                })
            }
        }
        Act::DecideExtension | Act::Reopen | Act::Reassign => {
            if head {
                Ok(())
            } else {
                Err(Denied::HeadOnly)
            }
        }
        Act::Escalate => {
            if staff.vendor_rep {
                Ok(())
            } else {
                // the service names the representative in its refusal
                Err(Denied::NotVendorRep {
                    representative: None,
                })
            }
        }
        Act::Cancel => {
            let logged_it = request.logged_by == staff.login
                && (staff.has(Role::Operator) || staff.has(Role::SiteAdmin));
            if head || logged_it {
                Ok(())
            } else {
                Err(Denied::NotYours {
                    logged_by: request.logged_by.clone(),
                })
            }
        }
    }
}

/// What stands in for a confidential text.
pub const CONFIDENTIAL: &str = "(конфиденциально: видят педагог-психолог и руководитель)";

/// How much of a request a viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    Whole,
    /// Everything but the confidential texts.
    Redacted,
    Hidden,
}

/// What one staff member may see of requests, worked out once (search checks it for every
/// stored request).
///
/// Dispatchers and the head see every request; a queue's specialists see their queue; the
/// director sees counts only and the system admin no requests. Requests for the psychologist
/// are confidential: their description, notes and result are shown only to the psychologist
/// queue and the head (the operator logging the call sees what they type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    sees_every_queue: bool,
    own_queues: Vec<String>,
    sees_confidential: bool,
}

impl Viewer {
    pub fn new(viewer: &Staff, policy: &Policy) -> Viewer {
        if viewer.disabled {
            return Viewer {
                sees_every_queue: false,
                own_queues: Vec::new(),
                sees_confidential: false,
            };
        }
        let head = viewer.has(Role::Head);
        Viewer {
            sees_every_queue: head || viewer.has(Role::Operator) || viewer.has(Role::SiteAdmin),
            own_queues: policy
                .queues
                .iter()
                .filter(|queue| viewer.has(queue.role))
                .map(|queue| queue.key.clone())
                .collect(),
            sees_confidential: head || viewer.has(Role::Psych),
        }
    }

    /// How much of a request of `category` in `queue` this viewer sees.
    pub fn sight(&self, category: Category, queue: Option<&str>) -> Sight {
        let own_queue = queue.is_some_and(|key| self.own_queues.iter().any(|own| own == key));
        if !(self.sees_every_queue || own_queue) {
            Sight::Hidden
        } else if category == Category::Psych && !self.sees_confidential {
            Sight::Redacted
        } else {
            Sight::Whole
        }
    }
}

/// Whether `viewer` sees `request` whole, redacted, or not at all (see `Viewer`).
pub fn sight(request: &Request, viewer: &Staff, policy: &Policy) -> Sight {
    Viewer::new(viewer, policy).sight(request.category, request.queue.as_deref())
}

/// Whether `staff` may look callers up by phone or email (those who log calls).
pub fn may_find_callers(staff: &Staff) -> Result<(), Denied> {
    if staff.can_dispatch() {
        Ok(())
    } else {
        Err(Denied::NotCallerDesk)
    }
}

/// Whether `staff` may merge two caller cards (the head, the system admin).
pub fn may_merge_callers(staff: &Staff) -> Result<(), Denied> {
    if !staff.disabled && (staff.has(Role::Head) || staff.has(Role::Admin)) {
        Ok(())
    } else {
        Err(Denied::NotMerger)
    }
}

/// Whether `staff` may see the daily report (the dispatchers who send it, the head).
pub fn may_read_daily(staff: &Staff) -> Result<(), Denied> {
    if staff.can_dispatch() {
        Ok(())
    } else {
        Err(Denied::NotDailyReader)
    }
}

/// Whether `staff` may see the weekly analysis (the head who writes it, the director).
pub fn may_read_weekly(staff: &Staff) -> Result<(), Denied> {
    if !staff.disabled && (staff.has(Role::Head) || staff.has(Role::Director)) {
        Ok(())
    } else {
        Err(Denied::NotWeeklyReader)
    }
}

/// Whether `staff` may write the week's proposals to the director (the head).
pub fn may_write_proposals(staff: &Staff) -> Result<(), Denied> {
    if !staff.disabled && staff.has(Role::Head) {
        Ok(())
    } else {
        Err(Denied::NotProposer)
    }
}

/// Whether `staff` sees callers' phones and emails on their cards.
pub fn sees_contacts(staff: &Staff) -> bool {
    staff.can_dispatch()
}

/// The request as `viewer` may see it, or `None` when it is not theirs to see.
pub fn view_of(request: &Request, viewer: &Staff, policy: &Policy) -> Option<Request> {
    match sight(request, viewer, policy) {
        Sight::Whole => Some(request.clone()),
        Sight::Redacted => Some(redacted(request)),
        Sight::Hidden => None,
    }
}

/// The request with its confidential texts replaced.
pub fn redacted(request: &Request) -> Request {
    let mut seen = request.clone();
    seen.description = CONFIDENTIAL.to_string();
    seen.notes.clear();
    if let Some(result) = &mut seen.result {
        result.text = CONFIDENTIAL.to_string();
    }
    if let Some(extension) = &mut seen.extension {
        extension.reason = CONFIDENTIAL.to_string();
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::DeadlinePolicy;
    use crate::domain::lifecycle::{receive, route, Intake};
    use crate::domain::policy::DEFAULT_POLICY_TOML;
    use crate::domain::request::{Caller, CallerRole, Channel, RequestId};
    use crate::domain::time::Timestamp;

    fn someone(roles: &[Role]) -> Staff {
        Staff {
            login: "x".into(),
            name: "X".into(),
            roles: roles.to_vec(),
            vendor_rep: false,
            disabled: false,
        }
    }

    fn psych_request(routed: bool) -> Request {
        let request = receive(
            RequestId(1),
            Intake {
                channel: Channel::Phone,
                received_at: Timestamp(0),
                logged_by: "ivanova".into(),
                caller: Caller {
                    name: "Лебедева".into(),
                    role: CallerRole::Parent,
                    class: None,
                    phone: None,
                    email: None,
                },
                category: Category::Psych,
                description: "ребёнок плачет перед уроками".into(),
            },
            &DeadlinePolicy::default(),
        );
        if routed {
            route(&request, "psych", &DeadlinePolicy::default(), Timestamp(1)).unwrap()
        } else {
            request
        }
    }

    #[test]
    fn who_sees_a_psych_request_and_its_description() {
        let policy = Policy::parse(DEFAULT_POLICY_TOML).unwrap();
        let request = psych_request(true);
        let seen = |roles: &[Role]| view_of(&request, &someone(roles), &policy);
        assert_eq!(
            seen(&[Role::Psych]).unwrap().description,
            request.description
        );
        assert_eq!(
            seen(&[Role::Head]).unwrap().description,
            request.description
        );
        assert_eq!(seen(&[Role::Operator]).unwrap().description, CONFIDENTIAL);
        assert_eq!(seen(&[Role::SiteAdmin]).unwrap().description, CONFIDENTIAL);
        assert!(seen(&[Role::Tech]).is_none(), "another queue's request");
        assert!(seen(&[Role::Director]).is_none(), "counts only");
        assert!(seen(&[Role::Admin]).is_none(), "no request content");
    }

    #[test]
    fn no_act_is_allowed_on_a_request_out_of_sight() {
        let policy = Policy::parse(DEFAULT_POLICY_TOML).unwrap();
        let request = psych_request(true);
        let mut vendor_rep = someone(&[Role::Tech]);
        vendor_rep.vendor_rep = true;
        let acts = [
            Act::Work,
            Act::DecideExtension,
            Act::Reopen,
            Act::Reassign,
            Act::Cancel,
            Act::Escalate,
        ];
        for act in acts {
            assert_eq!(
                may(&vendor_rep, act, &request, &policy),
                Err(Denied::Hidden { id: request.id }),
                "{act:?}"
            );
        }
        let psych = someone(&[Role::Psych]);
        assert_eq!(may(&psych, Act::Work, &request, &policy), Ok(()));
    }

    #[test]
    fn a_specialist_does_not_see_requests_before_they_reach_the_queue() {
        let policy = Policy::parse(DEFAULT_POLICY_TOML).unwrap();
        assert!(view_of(&psych_request(false), &someone(&[Role::Psych]), &policy).is_none());
    }
}
