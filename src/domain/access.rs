//! Who may do what to a request (issue 4's table), decided here and enforced by the service.

use thiserror::Error;

use super::change::Move;
use super::policy::Policy;
use super::request::{Category, Request, RequestId};
use super::staff::{Role, Staff};

/// Who a rule lets act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Role(Role),
    /// A specialist of the request's queue (the head works the head's queue like them).
    QueueSpecialist,
    /// The operator or site administrator who logged the request.
    LoggedIt,
    /// The designated vendor representative.
    VendorRep,
}

/// Which refusal a rule gives when no one of its `who` is the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotDispatcher,
    NotYourQueue,
    HeadOnly,
    NotYours,
    NotVendorRep,
    NotCallerDesk,
    NotMerger,
    NotDailyReader,
    NotWeeklyReader,
    NotProposer,
    NotAdmin,
    NotRetainer,
}

/// One row of the rules table: who may, and what the others are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub who: &'static [Who],
    pub refusal: Refusal,
    /// Only someone who sees the request whole (confidential texts included) may.
    pub needs_whole_sight: bool,
}

impl Rule {
    pub const fn new(who: &'static [Who], refusal: Refusal) -> Rule {
        Rule {
            who,
            refusal,
            needs_whole_sight: false,
        }
    }
}

/// Everything the service guards, by what it is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A change to a stored request (declared in `domain::change`).
    Change(Move),
    /// Log a call into Входящие.
    LogCall,
    /// Look callers up by phone or email, list caller cards, see their contacts.
    FindCallers,
    /// Read the caller cards one by one (those who keep them, and those who merge them).
    ListCallers,
    /// Two caller cards are one person.
    MergeCallers,
    ReadDaily,
    ReadWeekly,
    WriteProposals,
    /// Everything recorded about a request, reads of personal data included.
    ReadHistory,
    /// Every request ever escalated to the vendor.
    ReadVendorHistory,
    /// Add and disable staff accounts.
    ManageStaff,
    /// Make a backup of the whole store (everyone's personal data).
    Backup,
    /// See and destroy the personal data kept past its time, with the act.
    Retention,
}

impl Operation {
    /// Every row of the table, in the order the README prints it.
    pub fn all() -> Vec<Operation> {
        Move::ALL
            .iter()
            .map(|one| Operation::Change(*one))
            .chain([
                Operation::LogCall,
                Operation::FindCallers,
                Operation::ListCallers,
                Operation::MergeCallers,
                Operation::ReadDaily,
                Operation::ReadWeekly,
                Operation::WriteProposals,
                Operation::ReadHistory,
                Operation::ReadVendorHistory,
                Operation::ManageStaff,
                Operation::Backup,
                Operation::Retention,
            ])
            .collect()
    }

    /// Where the operation's rows stand in `all` (a new operation must be given a place here,
    /// and a test then finds it missing from `all` if it was forgotten there).
    #[cfg(test)]
    fn place(self) -> usize {
        match self {
            Operation::Change(_) => 0,
            Operation::LogCall => 1,
            Operation::FindCallers => 2,
            Operation::ListCallers => 3,
            Operation::MergeCallers => 4,
            Operation::ReadDaily => 5,
            Operation::ReadWeekly => 6,
            Operation::WriteProposals => 7,
            Operation::ReadHistory => 8,
            Operation::ReadVendorHistory => 9,
            Operation::ManageStaff => 10,
            Operation::Backup => 11,
            Operation::Retention => 12,
        }
    }

    pub fn rule(self) -> Rule {
        let rule = Rule::new;
        match self {
            Operation::Change(one) => one.rule(),
            Operation::LogCall => rule(DISPATCHERS, Refusal::NotDispatcher),
            Operation::FindCallers => rule(DISPATCHERS, Refusal::NotCallerDesk),
            Operation::ListCallers => rule(CARD_KEEPERS, Refusal::NotCallerDesk),
            Operation::MergeCallers => rule(&[HEAD, ADMIN], Refusal::NotMerger),
            Operation::ReadDaily => rule(DISPATCHERS, Refusal::NotDailyReader),
            Operation::ReadWeekly => rule(&[HEAD, DIRECTOR], Refusal::NotWeeklyReader),
            Operation::WriteProposals => rule(&[HEAD], Refusal::NotProposer),
            Operation::ReadHistory => rule(&[HEAD], Refusal::HeadOnly),
            Operation::ReadVendorHistory => rule(&[Who::VendorRep, HEAD], Refusal::NotVendorRep),
            Operation::ManageStaff => rule(&[ADMIN], Refusal::NotAdmin),
            Operation::Backup => rule(&[ADMIN], Refusal::NotAdmin),
            Operation::Retention => rule(&[HEAD, ADMIN], Refusal::NotRetainer),
        }
    }

    /// What the operation is called in the rules table.
    pub fn label(self) -> &'static str {
        match self {
            Operation::Change(one) => one.label(),
            Operation::LogCall => tr!("operation.log_call"),
            Operation::FindCallers => tr!("operation.find_callers"),
            Operation::ListCallers => tr!("operation.list_callers"),
            Operation::MergeCallers => tr!("operation.merge_callers"),
            Operation::ReadDaily => tr!("operation.read_daily"),
            Operation::ReadWeekly => tr!("operation.read_weekly"),
            Operation::WriteProposals => tr!("operation.write_proposals"),
            Operation::ReadHistory => tr!("operation.read_history"),
            Operation::ReadVendorHistory => tr!("operation.vendor_history"),
            Operation::ManageStaff => tr!("operation.manage_staff"),
            Operation::Backup => tr!("operation.backup"),
            Operation::Retention => tr!("operation.retention"),
        }
    }
}

pub(crate) const HEAD: Who = Who::Role(Role::Head);
const ADMIN: Who = Who::Role(Role::Admin);
const DIRECTOR: Who = Who::Role(Role::Director);
/// Those who log and route requests.
pub(crate) const DISPATCHERS: &[Who] =
    &[Who::Role(Role::Operator), Who::Role(Role::SiteAdmin), HEAD];
/// Those who take the calls and forms in (the one who logged a request may cancel it).
const CALL_TAKERS: [Role; 2] = [Role::Operator, Role::SiteAdmin];
/// Those who keep the caller cards, and those who merge them.
const CARD_KEEPERS: &[Who] = &[
    Who::Role(Role::Operator),
    Who::Role(Role::SiteAdmin),
    HEAD,
    ADMIN,
];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Denied {
    #[error("{}", tr!("denied.hidden", id = .id))]
    Hidden { id: RequestId },
    #[error("{}", tr!("denied.not_your_queue", queue = .queue, role = .role))]
    NotYourQueue { queue: String, role: String },
    #[error("{}", tr!("denied.not_in_a_queue"))]
    NotInAQueue,
    #[error("{}", tr!("denied.head_only"))]
    HeadOnly,
    #[error("{}", tr!("denied.not_yours", logged_by = .logged_by))]
    NotYours { logged_by: String },
    #[error("{}", tr!("denied.disabled"))]
    Disabled,
    #[error("{}", match .representative {
        Some(name) => tr!("denied.not_vendor_rep", name = name),
        None => tr!("denied.no_vendor_rep").to_string(),
    })]
    NotVendorRep { representative: Option<String> },
    #[error("{}", tr!("denied.not_caller_desk"))]
    NotCallerDesk,
    #[error("{}", tr!("denied.not_merger"))]
    NotMerger,
    #[error("{}", tr!("denied.not_retainer"))]
    NotRetainer,
    #[error("{}", tr!("denied.not_daily_reader"))]
    NotDailyReader,
    #[error("{}", tr!("denied.not_weekly_reader"))]
    NotWeeklyReader,
    #[error("{}", tr!("denied.not_proposer"))]
    NotProposer,
    #[error("{}", tr!("denied.not_dispatcher"))]
    NotDispatcher,
    #[error("{}", tr!("denied.not_admin"))]
    NotAdmin,
    #[error("{}", tr!("denied.confidential", id = .id))]
    Confidential { id: RequestId },
    /// A website's command from anyone but the website door.
    #[error("{}", tr!("denied.website_only"))]
    WebsiteOnly,
    /// Anything but the website's commands from the website door's connection.
    #[error("{}", tr!("denied.website_door"))]
    WebsiteDoor,
}

/// Whether `staff` may do `operation`, to `request` when it concerns one, under `policy`.
pub fn may(
    staff: &Staff,
    operation: Operation,
    request: Option<&Request>,
    policy: &Policy,
) -> Result<(), Denied> {
    if staff.disabled {
        return Err(Denied::Disabled);
    }
    let rule = operation.rule();
    let allowed = rule.who.iter().any(|who| match who {
        Who::Role(role) => staff.has(*role),
        Who::QueueSpecialist => request
            .and_then(|request| request.queue.as_deref())
            .and_then(|key| policy.queue(key))
            .is_some_and(|queue| staff.has(queue.role)),
        Who::LoggedIt => request.is_some_and(|request| {
            request.logged_by == staff.login && CALL_TAKERS.iter().any(|role| staff.has(*role))
        }),
        Who::VendorRep => staff.vendor_rep,
    });
    if let Some(request) = request {
        // Before the rule lets anyone act: a rule that forgets the queue (as the vendor's
        // once did) must not let anyone act on a request they may not even read; and a
        // refusal about a hidden request names nothing of it.
        match sight(request, staff, policy) {
            Sight::Hidden if allowed || rule.refusal.names_the_request() => {
                return Err(Denied::Hidden { id: request.id })
            }
            Sight::Redacted if rule.needs_whole_sight => {
                return Err(Denied::Confidential { id: request.id })
            }
            Sight::Hidden | Sight::Redacted | Sight::Whole => {}
        }
    }
    if allowed {
        Ok(())
    } else {
        Err(refused(rule.refusal, request, policy))
    }
}

/// Whether `staff` may do `operation` on some request at all (the help lists only those
/// keys): a queue's specialist on their queue's, the caller's operator on their own.
pub fn may_ever(staff: &Staff, operation: Operation, policy: &Policy) -> bool {
    !staff.disabled
        && operation.rule().who.iter().any(|who| match who {
            Who::Role(role) => staff.has(*role),
            Who::QueueSpecialist => policy.queues.iter().any(|queue| staff.has(queue.role)),
            Who::LoggedIt => CALL_TAKERS.iter().any(|role| staff.has(*role)),
            Who::VendorRep => staff.vendor_rep,
        })
}

impl Refusal {
    /// The refusal's sentence says something of the request (its queue, who logged it).
    fn names_the_request(self) -> bool {
        match self {
            Refusal::NotYourQueue | Refusal::NotYours => true,
            Refusal::NotDispatcher
            | Refusal::HeadOnly
            | Refusal::NotVendorRep
            | Refusal::NotCallerDesk
            | Refusal::NotMerger
            | Refusal::NotDailyReader
            | Refusal::NotWeeklyReader
            | Refusal::NotProposer
            | Refusal::NotAdmin
            | Refusal::NotRetainer => false,
        }
    }
}

/// The refusal's sentence, with what it names of the request.
fn refused(refusal: Refusal, request: Option<&Request>, policy: &Policy) -> Denied {
    match refusal {
        Refusal::NotDispatcher => Denied::NotDispatcher,
        Refusal::NotYourQueue => match request.and_then(|request| request.queue.as_deref()) {
            Some(key) => Denied::NotYourQueue {
                queue: policy.queue_short(key).to_string(),
                role: policy
                    .queue(key)
                    .map(|queue| queue.role.label())
                    .unwrap_or_default()
                    .to_string(),
            },
            None => Denied::NotInAQueue,
        },
        Refusal::HeadOnly => Denied::HeadOnly,
        Refusal::NotYours => Denied::NotYours {
            logged_by: request
                .map(|request| request.logged_by.clone())
                .unwrap_or_default(),
        },
        // the service names the representative in its refusal
        Refusal::NotVendorRep => Denied::NotVendorRep {
            representative: None,
        },
        Refusal::NotCallerDesk => Denied::NotCallerDesk,
        Refusal::NotMerger => Denied::NotMerger,
        Refusal::NotRetainer => Denied::NotRetainer,
        Refusal::NotDailyReader => Denied::NotDailyReader,
        Refusal::NotWeeklyReader => Denied::NotWeeklyReader,
        Refusal::NotProposer => Denied::NotProposer,
        Refusal::NotAdmin => Denied::NotAdmin,
    }
}

/// Whether `staff` may do `operation` that concerns no one request (reports, callers, staff).
pub fn may_do(staff: &Staff, operation: Operation, policy: &Policy) -> Result<(), Denied> {
    may(staff, operation, None, policy)
}

/// The rules table as Markdown, one row per operation, one column per role (the README
/// prints it; a test keeps the two equal).
pub fn rules_table(policy: &Policy) -> String {
    let mut out = String::from("| | ");
    let roles: Vec<&str> = Role::ALL.iter().map(|role| role.short()).collect();
    out.push_str(&roles.join(" | "));
    out.push_str(" | предст. поставщика |\n|---|");
    out.push_str(&"---|".repeat(Role::ALL.len() + 1));
    out.push('\n');
    for operation in Operation::all() {
        let rule = operation.rule();
        let mut cells: Vec<String> = Role::ALL
            .iter()
            .map(|role| cell(&rule, *role, policy).to_string())
            .collect();
        cells.push(
            if rule.who.contains(&Who::VendorRep) {
                "да"
            } else {
                "—"
            }
            .to_string(),
        );
        out.push_str(&format!(
            "| {} | {} |\n",
            operation.label(),
            cells.join(" | ")
        ));
    }
    out
}

/// What the table says of `role` for `rule`.
fn cell(rule: &Rule, role: Role, policy: &Policy) -> &'static str {
    let whole = |yes: &'static str| {
        // a role that sees a psychologist's request, but not its texts
        let one = Staff {
            login: String::new(),
            name: String::new(),
            roles: vec![role],
            vendor_rep: false,
            disabled: false,
        };
        let redacted = Viewer::new(&one, policy).sight(Category::Psych, None) == Sight::Redacted;
        if rule.needs_whole_sight && redacted {
            "да, кроме конфиденциальных"
        } else {
            yes
        }
    };
    if rule.who.contains(&Who::Role(role)) {
        whole("да")
    } else if rule.who.contains(&Who::QueueSpecialist)
        && policy.queues.iter().any(|queue| queue.role == role)
    {
        "в своей очереди"
    } else if rule.who.contains(&Who::LoggedIt) && CALL_TAKERS.contains(&role) {
        "записанное им"
    } else {
        "—"
    }
}

/// What the server writes in place of a confidential text (in the regulation's language: it
/// travels inside the request); `shown` says it in the reader's.
pub const CONFIDENTIAL: &str = "(конфиденциально: видят педагог-психолог и руководитель)";

/// A request's text as the reader sees it: the stand-in for a confidential text in the
/// reader's language, any other text as it was written.
pub fn shown(text: &str) -> &str {
    if text == CONFIDENTIAL {
        tr!("access.confidential")
    } else {
        text
    }
}

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

    /// Whether this viewer sees the requests in `queue` (its counts mean something to them).
    pub fn sees_queue(&self, queue: &str) -> bool {
        self.sees_every_queue || self.own_queues.iter().any(|own| own == queue)
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

/// Whether `staff` sees callers' phones and emails on their cards.
pub fn sees_contacts(staff: &Staff, policy: &Policy) -> bool {
    may_do(staff, Operation::FindCallers, policy).is_ok()
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
                consent: None,
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
        for one in Move::ALL {
            let refused = may(&vendor_rep, Operation::Change(one), Some(&request), &policy);
            // refused, and nothing said of the request (its queue, who logged it)
            assert!(
                matches!(
                    refused,
                    Err(Denied::Hidden { .. }
                        | Denied::NotDispatcher
                        | Denied::HeadOnly
                        | Denied::NotVendorRep { .. })
                ),
                "{one:?}: {refused:?}"
            );
        }
        for his_own in [Move::Escalate, Move::VendorAnswer] {
            assert_eq!(
                may(
                    &vendor_rep,
                    Operation::Change(his_own),
                    Some(&request),
                    &policy
                ),
                Err(Denied::Hidden { id: request.id })
            );
        }
        let psych = someone(&[Role::Psych]);
        let take = Operation::Change(Move::Take);
        assert_eq!(may(&psych, take, Some(&request), &policy), Ok(()));
    }

    #[test]
    fn the_confidential_stand_in_is_shown_in_the_readers_language() {
        use crate::lang::{speaking, Lang};
        assert_eq!(speaking(Lang::Ru, || shown(CONFIDENTIAL)), CONFIDENTIAL);
        let english = speaking(Lang::En, || shown(CONFIDENTIAL));
        assert!(english.starts_with("(confidential"), "{english}");
        assert_eq!(speaking(Lang::En, || shown("дневник")), "дневник");
    }

    #[test]
    fn the_table_lists_every_operation_and_every_move() {
        let all = Operation::all();
        let places: std::collections::BTreeSet<usize> =
            all.iter().map(|operation| operation.place()).collect();
        assert_eq!(
            places,
            (0..=12).collect(),
            "an operation is missing from all()"
        );
        for one in Move::ALL {
            assert!(all.contains(&Operation::Change(one)), "{one:?}");
        }
        assert_eq!(
            all.iter()
                .filter(|operation| matches!(operation, Operation::Change(_)))
                .count(),
            Move::ALL.len()
        );
    }

    #[test]
    fn only_those_who_read_a_confidential_request_whole_may_change_its_type() {
        let policy = Policy::parse(DEFAULT_POLICY_TOML).unwrap();
        let request = psych_request(false);
        let change_type = Operation::Change(Move::ChangeType);
        let operator = someone(&[Role::Operator]);
        assert_eq!(
            may(&operator, change_type, Some(&request), &policy),
            Err(Denied::Confidential { id: request.id })
        );
        let head = someone(&[Role::Head]);
        assert_eq!(may(&head, change_type, Some(&request), &policy), Ok(()));
    }

    #[test]
    fn a_specialist_does_not_see_requests_before_they_reach_the_queue() {
        let policy = Policy::parse(DEFAULT_POLICY_TOML).unwrap();
        assert!(view_of(&psych_request(false), &someone(&[Role::Psych]), &policy).is_none());
    }
}
