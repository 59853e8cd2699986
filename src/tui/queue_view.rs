//! One queue's list as the head opens it from the queues pane: its open requests, most urgent
//! first, filtered by status and by assignee, with the selection on a request by its id.

use super::open_requests::OpenRequests;
use super::selection::Selection;
use crate::domain::deadline::DeadlinePolicy;
use crate::domain::request::{Request, RequestId, Status};

/// Whose requests the list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    Anyone,
    /// Not taken by anyone yet.
    Nobody,
    Person(String),
}

#[derive(Debug, Clone)]
pub struct QueueView {
    /// The queue's key.
    pub queue: String,
    pub selection: Selection<RequestId>,
    /// Only requests in this status (None: every open one).
    pub status: Option<Status>,
    pub assignee: AssigneeFilter,
}

/// The statuses an open request in a queue can have, in the order the filter steps through.
const QUEUED: [Status; 3] = [Status::Routed, Status::InWork, Status::WaitingVendor];

impl QueueView {
    pub fn new(queue: &str, open: &OpenRequests, policy: &DeadlinePolicy) -> QueueView {
        let mut view = QueueView {
            queue: queue.to_string(),
            selection: Selection::default(),
            status: None,
            assignee: AssigneeFilter::Anyone,
        };
        view.selection = Selection::first(view.rows(open, policy).first().map(|r| r.id));
        view
    }

    /// The queue's open requests that pass the filters, soonest next deadline first.
    pub fn rows<'a>(&self, open: &'a OpenRequests, policy: &'a DeadlinePolicy) -> Vec<&'a Request> {
        open.timers(0, policy, false)
            .map(|(request, _)| request)
            .filter(|request| request.queue.as_deref() == Some(self.queue.as_str()))
            .filter(|request| self.status.is_none_or(|status| request.status == status))
            .filter(|request| match &self.assignee {
                AssigneeFilter::Anyone => true,
                AssigneeFilter::Nobody => request.assignee.is_none(),
                AssigneeFilter::Person(login) => request.assignee.as_deref() == Some(login),
            })
            .collect()
    }

    /// The chosen request, if it is still in the list.
    pub fn chosen(&self) -> Option<RequestId> {
        self.selection.chosen().copied()
    }

    /// Keeps the choice on its request after the list changed; returns it if it left.
    pub fn follow(&mut self, open: &OpenRequests, policy: &DeadlinePolicy) -> Option<RequestId> {
        let rows: Vec<RequestId> = self.rows(open, policy).iter().map(|r| r.id).collect();
        self.selection
            .follow(|id| rows.iter().position(|other| other == id))
    }

    pub fn step(&mut self, down: bool, open: &OpenRequests, policy: &DeadlinePolicy) {
        let rows: Vec<RequestId> = self.rows(open, policy).iter().map(|r| r.id).collect();
        self.selection
            .step(down, rows.len(), |row| rows.get(row).copied());
    }

    /// The next status filter: every status, then each of `QUEUED`, then every status again.
    pub fn next_status(&mut self, open: &OpenRequests, policy: &DeadlinePolicy) {
        self.status = match self.status {
            None => Some(QUEUED[0]),
            Some(status) => QUEUED
                .iter()
                .position(|one| *one == status)
                .and_then(|at| QUEUED.get(at + 1).copied()),
        };
        self.refilter(open, policy);
    }

    /// The next assignee filter: anyone, nobody yet, then each person who has one of the
    /// queue's requests (by login), then anyone again.
    pub fn next_assignee(&mut self, open: &OpenRequests, policy: &DeadlinePolicy) {
        let mut people: Vec<String> = open
            .timers(0, policy, false)
            .filter(|(request, _)| request.queue.as_deref() == Some(self.queue.as_str()))
            .filter_map(|(request, _)| request.assignee.clone())
            .collect();
        people.sort();
        people.dedup();
        self.assignee = match &self.assignee {
            AssigneeFilter::Anyone => AssigneeFilter::Nobody,
            AssigneeFilter::Nobody => people
                .first()
                .cloned()
                .map_or(AssigneeFilter::Anyone, AssigneeFilter::Person),
            AssigneeFilter::Person(login) => people
                .iter()
                .position(|other| other == login)
                .and_then(|at| people.get(at + 1))
                .cloned()
                .map_or(AssigneeFilter::Anyone, AssigneeFilter::Person),
        };
        self.refilter(open, policy);
    }

    /// After a filter changed: the choice stays if its request still shows, else the first.
    fn refilter(&mut self, open: &OpenRequests, policy: &DeadlinePolicy) {
        let rows: Vec<RequestId> = self.rows(open, policy).iter().map(|r| r.id).collect();
        match self
            .chosen()
            .and_then(|id| rows.iter().position(|other| *other == id))
        {
            Some(row) => self.selection.choose(rows[row], row),
            None => self.selection = Selection::first(rows.first().copied()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{route, take};
    use crate::domain::time::{Timestamp, HOUR_MS};
    use crate::tui::open_requests::tests::request;

    fn routed(id: u64, minutes_ago: i64, queue: &str) -> Request {
        let request = request(id, minutes_ago);
        route(
            &request,
            queue,
            &DeadlinePolicy::default(),
            request.received_at,
        )
        .unwrap()
    }

    #[test]
    fn the_list_is_the_queues_own_most_urgent_first_and_filters_step_round() {
        let policy = DeadlinePolicy::default();
        let taken = take(&routed(3, 50, "tech"), "kozlov", Timestamp(10 * HOUR_MS)).unwrap();
        let open = OpenRequests::new(
            vec![
                routed(1, 10, "tech"),
                routed(2, 20, "tech"),
                taken,
                routed(4, 30, "psych"),
            ],
            &policy,
        );
        let mut view = QueueView::new("tech", &open, &policy);
        let ids = |view: &QueueView| -> Vec<u64> {
            view.rows(&open, &policy).iter().map(|r| r.id.0).collect()
        };
        assert_eq!(ids(&view), [2, 1, 3]);
        assert_eq!(view.chosen(), Some(RequestId(2)));
        view.next_status(&open, &policy);
        assert_eq!(ids(&view), [2, 1]);
        view.next_status(&open, &policy);
        assert_eq!(ids(&view), [3]);
        assert_eq!(view.chosen(), Some(RequestId(3)));
        view.next_status(&open, &policy);
        view.next_status(&open, &policy);
        assert_eq!(view.status, None);
        view.next_assignee(&open, &policy);
        assert_eq!(ids(&view), [2, 1]);
        view.next_assignee(&open, &policy);
        assert_eq!(view.assignee, AssigneeFilter::Person("kozlov".into()));
        assert_eq!(ids(&view), [3]);
        view.next_assignee(&open, &policy);
        assert_eq!(view.assignee, AssigneeFilter::Anyone);
    }
}
