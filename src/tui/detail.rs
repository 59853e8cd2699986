//! The detail window of one request: what the server sent (timeline, caller's other
//! requests), how far it is scrolled, and where Esc goes back to.

use super::search::SearchState;
use crate::domain::request::RequestId;
use crate::service::Detail;

#[derive(Debug, Clone)]
pub struct DetailState {
    pub id: RequestId,
    /// Filled when the server answers; until then the board's copy is shown.
    pub detail: Option<Detail>,
    pub scroll: u16,
    /// The search this detail was opened from, to go back to.
    pub back_to: Option<Box<SearchState>>,
}

impl DetailState {
    pub fn new(id: RequestId, back_to: Option<Box<SearchState>>) -> DetailState {
        DetailState {
            id,
            detail: None,
            scroll: 0,
            back_to,
        }
    }
}
