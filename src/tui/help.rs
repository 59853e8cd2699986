//! The help window: the keys of the window it was opened from, only those this person may
//! use, with the choice digits that are not in the keymap.

use super::app::{App, Screen};
use super::keymap::{Action, Context};
use crate::domain::access::{may_do, may_ever, Operation};
use crate::domain::change::Move;

#[derive(Debug, Clone)]
pub struct HelpState {
    pub scroll: u16,
    /// Whose keys it lists.
    pub from: Context,
    /// The window it goes back to.
    pub back: Screen,
}

/// One line of the help: the keys and what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub label: String,
}

/// What the help of `from` lists for this person.
pub fn entries(app: &App, from: Context) -> Vec<HelpEntry> {
    let mut entries = bound(app, from, |_| true);
    let digits = |count: usize, label: &str| HelpEntry {
        keys: format!("1-{count}"),
        label: label.to_string(),
    };
    let routes = may_ever(&app.me, Operation::Change(Move::Route), &app.policy);
    match from {
        Context::Board | Context::Route if routes => {
            entries.push(digits(app.policy.queues.len(), tr!("help.digits")));
        }
        Context::Form => {
            entries.push(digits(3, tr!("help.form_role")));
            entries.push(digits(app.policy.categories.len(), tr!("help.form_type")));
            entries.push(HelpEntry {
                keys: "Enter".into(),
                label: tr!("help.form_enter").into(),
            });
        }
        Context::Prompt => entries.push(digits(9, tr!("help.prompt_choice"))),
        _ => {}
    }
    // the changes of a request work wherever one request is chosen
    if matches!(from, Context::Detail | Context::Queue) {
        entries.extend(bound(app, Context::Board, |action| {
            matches!(action, Action::Change(_))
        }));
    }
    entries
}

/// The keys bound in `context` to the actions `which` picks that this person may use.
fn bound(app: &App, context: Context, which: impl Fn(Action) -> bool) -> Vec<HelpEntry> {
    app.keymap
        .bindings(context)
        .filter(|(action, _)| which(*action) && allowed(app, *action))
        .map(|(action, keys)| HelpEntry {
            keys: keys
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            label: action.label().to_string(),
        })
        .collect()
}

/// Whether this person may ever use the action (a key they could not use is not listed).
fn allowed(app: &App, action: Action) -> bool {
    let may = |operation| may_do(&app.me, operation, &app.policy).is_ok();
    match action {
        Action::Change(one) => may_ever(&app.me, Operation::Change(one), &app.policy),
        Action::NewCall => may(Operation::LogCall),
        Action::RouteSuggested | Action::LeaveIncoming => {
            may_ever(&app.me, Operation::Change(Move::Route), &app.policy)
        }
        Action::FillCaller => may(Operation::FindCallers),
        // offered only where the school sends acknowledgements
        Action::Acknowledge => {
            may(Operation::LogCall) && app.mail.as_ref().is_some_and(|mail| mail.acknowledges)
        }
        Action::Reports => may(Operation::ReadDaily) || may(Operation::ReadWeekly),
        Action::OtherReport => may(Operation::ReadDaily) && may(Operation::ReadWeekly),
        Action::Proposals => may(Operation::WriteProposals),
        Action::Open
        | Action::NextPane
        | Action::PreviousPane
        | Action::Down
        | Action::Up
        | Action::Help
        | Action::Quit
        | Action::Save
        | Action::Cancel
        | Action::NextField
        | Action::PreviousField
        | Action::Confirm
        | Action::Close
        | Action::Search
        | Action::Send
        | Action::PreviousPeriod
        | Action::NextPeriod
        | Action::FilterStatus
        | Action::FilterAssignee => true,
    }
}

/// The keys of the window `screen` is, for its help (None: a window without help, such as a
/// question that waits for yes or no).
pub fn context_of(screen: &Screen) -> Option<Context> {
    match screen {
        Screen::Board => Some(Context::Board),
        Screen::Form(form) if !form.confirm_cancel => Some(Context::Form),
        Screen::RouteOffer { .. } => Some(Context::Route),
        Screen::Prompt(_) => Some(Context::Prompt),
        Screen::Search(_) => Some(Context::Search),
        Screen::Detail(_) => Some(Context::Detail),
        Screen::Report(report) if report.proposals.is_none() => Some(Context::Reports),
        Screen::Queue(_) => Some(Context::Queue),
        Screen::Form(_) | Screen::Report(_) | Screen::Help(_) => None,
    }
}
