//! The detail window of one request: what the server sent (timeline, caller's other
//! requests), how far it is scrolled, and where Esc goes back to.

use super::queue_view::QueueView;
use super::search::SearchState;
use crate::domain::request::RequestId;
use crate::service::Detail;

#[derive(Debug, Clone)]
pub struct DetailState {
    pub id: RequestId,
    /// Filled when the server answers; until then the board's copy is shown.
    pub detail: Option<Detail>,
    pub scroll: u16,
    /// Where Esc goes back to.
    pub back_to: Back,
}

/// The window a detail was opened from.
#[derive(Debug, Clone)]
pub enum Back {
    Board,
    Search(Box<SearchState>),
    Queue(Box<QueueView>),
}

impl DetailState {
    pub fn new(id: RequestId, back_to: Back) -> DetailState {
        DetailState {
            id,
            detail: None,
            scroll: 0,
            back_to,
        }
    }
}
