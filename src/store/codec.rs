//! The one place that turns stored records into bytes and back.
//!
//! Every value starts with a one-byte format version followed by a bincode 2 body. Decoding
//! reads the version first and migrates old shapes to the current type, so the body layout can
//! change in one place. A size limit guards every decode against hostile lengths.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::old_requests::{RequestV1, RequestV2, RequestV3, RequestV4};
use crate::domain::call_form::CallDraft;
use crate::domain::request::{Request, RequestId};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;

/// Largest record body accepted (a request holds at most a few KiB of text).
pub const MAX_RECORD_BYTES: usize = 1 << 20;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_RECORD_BYTES>()
}

#[derive(Debug, Error)]
pub enum CodecError {
    #[error("empty record")]
    Empty,
    #[error("{kind} record has format version {found}; this pult reads up to {supported}")]
    UnknownVersion {
        kind: &'static str,
        found: u8,
        supported: u8,
    },
    #[error("{kind} record is damaged: {detail}")]
    Damaged { kind: &'static str, detail: String },
    #[error("cannot encode {kind} record: {detail}")]
    Encode { kind: &'static str, detail: String },
}

/// A type kept in the store, with its current format version.
pub trait Record: Sized {
    const KIND: &'static str;
    const VERSION: u8;

    fn encode(&self) -> Result<Vec<u8>, CodecError>;

    /// Decodes any version this build knows, migrating old ones.
    fn decode(bytes: &[u8]) -> Result<Self, CodecError>;
}

fn encode_versioned<T: Serialize>(
    kind: &'static str,
    version: u8,
    value: &T,
) -> Result<Vec<u8>, CodecError> {
    let mut bytes = vec![version];
    bincode::serde::encode_into_std_write(value, &mut bytes, config()).map_err(|error| {
        CodecError::Encode {
            kind,
            detail: error.to_string(),
        }
    })?;
    Ok(bytes)
}

fn split_version(bytes: &[u8]) -> Result<(u8, &[u8]), CodecError> {
    match bytes.split_first() {
        Some((version, body)) => Ok((*version, body)),
        None => Err(CodecError::Empty),
    }
}

/// Decodes a body that must use every byte.
fn decode_body<T: DeserializeOwned>(kind: &'static str, body: &[u8]) -> Result<T, CodecError> {
    let (value, used) =
        bincode::serde::decode_from_slice(body, config()).map_err(|error| CodecError::Damaged {
            kind,
            detail: error.to_string(),
        })?;
    if used != body.len() {
        return Err(CodecError::Damaged {
            kind,
            detail: format!("{} bytes left over", body.len() - used),
        });
    }
    Ok(value)
}

/// Implements `Record` for a type whose only format so far is version 1.
macro_rules! record_v1 {
    ($type:ty, $kind:literal) => {
        impl Record for $type {
            const KIND: &'static str = $kind;
            const VERSION: u8 = 1;

            fn encode(&self) -> Result<Vec<u8>, CodecError> {
                encode_versioned(Self::KIND, Self::VERSION, self)
            }

            fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
                match split_version(bytes)? {
                    (1, body) => decode_body(Self::KIND, body),
                    (found, _) => Err(CodecError::UnknownVersion {
                        kind: Self::KIND,
                        found,
                        supported: Self::VERSION,
                    }),
                }
            }
        }
    };
}

impl Record for Request {
    const KIND: &'static str = "request";
    const VERSION: u8 = 5;

    fn encode(&self) -> Result<Vec<u8>, CodecError> {
        encode_versioned(Self::KIND, Self::VERSION, self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        match split_version(bytes)? {
            (1, body) => Ok(decode_body::<RequestV1>(Self::KIND, body)?.into()),
            (2, body) => Ok(decode_body::<RequestV2>(Self::KIND, body)?.into()),
            (3, body) => Ok(decode_body::<RequestV3>(Self::KIND, body)?.into()),
            (4, body) => Ok(decode_body::<RequestV4>(Self::KIND, body)?.into()),
            (5, body) => decode_body(Self::KIND, body),
            (found, _) => Err(CodecError::UnknownVersion {
                kind: Self::KIND,
                found,
                supported: Self::VERSION,
            }),
        }
    }
}
record_v1!(Staff, "staff");
/// A draft as format 1 wrote it, before the form could take a known caller's card.
#[derive(Deserialize)]
struct CallDraftV1 {
    answered_at: Option<Timestamp>,
    name: String,
    role: Option<crate::domain::request::CallerRole>,
    class: String,
    category: Option<crate::domain::request::Category>,
    description: String,
    phone: String,
    email: String,
}

impl From<CallDraftV1> for CallDraft {
    fn from(old: CallDraftV1) -> CallDraft {
        CallDraft {
            answered_at: old.answered_at,
            name: old.name,
            role: old.role,
            class: old.class,
            category: old.category,
            description: old.description,
            phone: old.phone,
            email: old.email,
            caller_card: None,
            acknowledge: false,
        }
    }
}

/// A draft as format 2 wrote it, before a call could ask for an acknowledgement by email.
#[derive(Deserialize)]
struct CallDraftV2 {
    answered_at: Option<Timestamp>,
    name: String,
    role: Option<crate::domain::request::CallerRole>,
    class: String,
    category: Option<crate::domain::request::Category>,
    description: String,
    phone: String,
    email: String,
    caller_card: Option<crate::domain::caller::CallerId>,
}

impl From<CallDraftV2> for CallDraft {
    fn from(old: CallDraftV2) -> CallDraft {
        CallDraft {
            answered_at: old.answered_at,
            name: old.name,
            role: old.role,
            class: old.class,
            category: old.category,
            description: old.description,
            phone: old.phone,
            email: old.email,
            caller_card: old.caller_card,
            acknowledge: false,
        }
    }
}

impl Record for CallDraft {
    const KIND: &'static str = "draft";
    const VERSION: u8 = 3;

    fn encode(&self) -> Result<Vec<u8>, CodecError> {
        encode_versioned(Self::KIND, Self::VERSION, self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        match split_version(bytes)? {
            (1, body) => Ok(decode_body::<CallDraftV1>(Self::KIND, body)?.into()),
            (2, body) => Ok(decode_body::<CallDraftV2>(Self::KIND, body)?.into()),
            (3, body) => decode_body(Self::KIND, body),
            (found, _) => Err(CodecError::UnknownVersion {
                kind: Self::KIND,
                found,
                supported: Self::VERSION,
            }),
        }
    }
}
record_v1!(AuditEvent, "audit");
record_v1!(super::callers::StoredCard, "caller");
record_v1!(super::Proposals, "proposals");
record_v1!(crate::domain::mail::Outgoing, "mail");

pub use crate::domain::audit::AuditAction;

/// One line of the audit log: who did what to which request, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub actor: String,
    pub request: RequestId,
    pub action: AuditAction,
}

/// Big-endian fixed-width keys, so sled's byte order is numeric order.
pub fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// An audit event's key: its request, then its number, so a request's events sort together
/// in the order they happened.
pub fn event_key(request: RequestId, seq: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&id_key(request.0));
    key[8..].copy_from_slice(&id_key(seq));
    key
}

pub fn key_id(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}
