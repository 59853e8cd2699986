//! The request record as format versions 1 and 2 wrote it, frozen, and their migrations to
//! the current shape. Never change these structs: old stores hold their bytes.

use serde::Deserialize;

use crate::domain::deadline::Deadlines;
// Note, Extension and VendorCase are shared with the current shape while they stay unchanged; a change to
// either must freeze its old form here first.
use crate::domain::request::{
    Caller, Category, Channel, Consent, Extension, Note, Request, RequestId, Resolution, Status,
    VendorCase,
};
use crate::domain::time::Timestamp;

#[derive(Deserialize)]
pub struct RequestV1 {
    id: RequestId,
    channel: Channel,
    received_at: Timestamp,
    logged_by: String,
    caller: Caller,
    category: Category,
    description: String,
    status: Status,
    queue: Option<String>,
    assignee: Option<String>,
    routed_at: Option<Timestamp>,
    taken_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    deadlines: Deadlines,
    result: Option<Resolution>,
    cancel_reason: Option<String>,
}

impl From<RequestV1> for RequestV2 {
    /// Version 2 added notes and the extension; a version-1 request had neither.
    fn from(old: RequestV1) -> RequestV2 {
        RequestV2 {
            id: old.id,
            channel: old.channel,
            received_at: old.received_at,
            logged_by: old.logged_by,
            caller: old.caller,
            category: old.category,
            description: old.description,
            status: old.status,
            queue: old.queue,
            assignee: old.assignee,
            routed_at: old.routed_at,
            taken_at: old.taken_at,
            closed_at: old.closed_at,
            deadlines: old.deadlines,
            result: old.result,
            cancel_reason: old.cancel_reason,
            notes: Vec::new(),
            extension: None,
        }
    }
}

/// Each old version migrates one step at a time: 1 → 2 → 3 → current.
impl From<RequestV1> for Request {
    fn from(old: RequestV1) -> Request {
        RequestV2::from(old).into()
    }
}

#[derive(Deserialize)]
pub struct RequestV2 {
    id: RequestId,
    channel: Channel,
    received_at: Timestamp,
    logged_by: String,
    caller: Caller,
    category: Category,
    description: String,
    status: Status,
    queue: Option<String>,
    assignee: Option<String>,
    routed_at: Option<Timestamp>,
    taken_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    deadlines: Deadlines,
    result: Option<Resolution>,
    cancel_reason: Option<String>,
    notes: Vec<Note>,
    extension: Option<Extension>,
}

impl From<RequestV2> for Request {
    fn from(old: RequestV2) -> Request {
        RequestV3::from(old).into()
    }
}

impl From<RequestV2> for RequestV3 {
    /// Version 3 added the vendor escalations; a version-2 request had none.
    fn from(old: RequestV2) -> RequestV3 {
        RequestV3 {
            id: old.id,
            channel: old.channel,
            received_at: old.received_at,
            logged_by: old.logged_by,
            caller: old.caller,
            category: old.category,
            description: old.description,
            status: old.status,
            queue: old.queue,
            assignee: old.assignee,
            routed_at: old.routed_at,
            taken_at: old.taken_at,
            closed_at: old.closed_at,
            deadlines: old.deadlines,
            result: old.result,
            cancel_reason: old.cancel_reason,
            notes: old.notes,
            extension: old.extension,
            vendor: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
pub struct RequestV3 {
    id: RequestId,
    channel: Channel,
    received_at: Timestamp,
    logged_by: String,
    caller: Caller,
    category: Category,
    description: String,
    status: Status,
    queue: Option<String>,
    assignee: Option<String>,
    routed_at: Option<Timestamp>,
    taken_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    deadlines: Deadlines,
    result: Option<Resolution>,
    cancel_reason: Option<String>,
    notes: Vec<Note>,
    extension: Option<Extension>,
    vendor: Vec<VendorCase>,
}

impl From<RequestV3> for Request {
    /// Version 4 added the consent given on the website form; a version-3 request came by
    /// phone or import, with none recorded.
    fn from(old: RequestV3) -> Request {
        Request {
            id: old.id,
            channel: old.channel,
            received_at: old.received_at,
            logged_by: old.logged_by,
            caller: old.caller,
            category: old.category,
            description: old.description,
            status: old.status,
            queue: old.queue,
            assignee: old.assignee,
            routed_at: old.routed_at,
            taken_at: old.taken_at,
            closed_at: old.closed_at,
            deadlines: old.deadlines,
            result: old.result,
            cancel_reason: old.cancel_reason,
            notes: old.notes,
            extension: old.extension,
            vendor: old.vendor,
            consent: None,
            undelivered: None,
        }
    }
}

#[derive(Deserialize)]
pub struct RequestV4 {
    id: RequestId,
    channel: Channel,
    received_at: Timestamp,
    logged_by: String,
    caller: Caller,
    category: Category,
    description: String,
    status: Status,
    queue: Option<String>,
    assignee: Option<String>,
    routed_at: Option<Timestamp>,
    taken_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    deadlines: Deadlines,
    result: Option<Resolution>,
    cancel_reason: Option<String>,
    notes: Vec<Note>,
    extension: Option<Extension>,
    vendor: Vec<VendorCase>,
    consent: Option<Consent>,
}

impl From<RequestV4> for Request {
    /// Version 5 added a result by email that did not get through; before it, pult sent no
    /// mail, so none did not.
    fn from(old: RequestV4) -> Request {
        Request {
            id: old.id,
            channel: old.channel,
            received_at: old.received_at,
            logged_by: old.logged_by,
            caller: old.caller,
            category: old.category,
            description: old.description,
            status: old.status,
            queue: old.queue,
            assignee: old.assignee,
            routed_at: old.routed_at,
            taken_at: old.taken_at,
            closed_at: old.closed_at,
            deadlines: old.deadlines,
            result: old.result,
            cancel_reason: old.cancel_reason,
            notes: old.notes,
            extension: old.extension,
            vendor: old.vendor,
            consent: old.consent,
            undelivered: None,
        }
    }
}
