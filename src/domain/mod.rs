//! Pure types and rules: requests, callers, staff, policy, deadlines and the state machine.
//! No I/O lives here.

pub mod access;
pub mod audit;
pub mod calendar;
pub mod call_form;
pub mod caller;
pub mod change;
pub mod deadline;
pub mod hours;
pub mod import;
pub mod lifecycle;
pub mod mail;
pub mod policy;
pub mod request;
pub mod retention;
pub mod staff;
pub mod time;
pub mod validate;
pub mod website;

#[cfg(test)]
mod lifecycle_tests;
