//! Who may do what to a request (issue 4's table), decided here and enforced by the service.

use thiserror::Error;

use super::policy::Policy;
use super::request::Request;
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
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Denied {
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
}

/// Whether `staff` may do `act` to `request` under `policy`.
pub fn may(staff: &Staff, act: Act, request: &Request, policy: &Policy) -> Result<(), Denied> {
    if staff.disabled {
        return Err(Denied::Disabled);
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
