//! What an audit event says, in words (declared with the actions in `domain::audit`).

pub use crate::domain::audit::describe;
