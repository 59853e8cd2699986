//! The head's proposals to the director, kept with the ISO week they analyse.

use serde::{Deserialize, Serialize};

use super::backup::{caught, REPORTS};
use super::{Store, StoreError};
use crate::domain::time::Timestamp;
use crate::store::codec::Record;

/// What the head wrote for one week's analysis (§3.3.3), who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposals {
    pub text: String,
    pub by: String,
    pub at: Timestamp,
}

/// "2026-W47": sorts by week and reads as the week.
fn week_key(year: i32, week: u32) -> String {
    format!("{year:04}-W{week:02}")
}

impl Store {
    pub fn proposals(&self, year: i32, week: u32) -> Result<Option<Proposals>, StoreError> {
        match self.reports.get(week_key(year, week))? {
            Some(bytes) => Ok(Some(Proposals::decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Keeps the proposals for the week (durable after `flush`); an empty text removes them.
    pub fn save_proposals(
        &self,
        year: i32,
        week: u32,
        proposals: &Proposals,
    ) -> Result<(), StoreError> {
        let key = week_key(year, week);
        self.unjournaled();
        let held = self.catch.hold();
        if proposals.text.trim().is_empty() {
            self.reports.remove(key.as_bytes())?;
            held.caught(|| vec![caught(REPORTS, key.as_bytes(), None)]);
        } else {
            let bytes = proposals.encode()?;
            self.reports.insert(key.as_bytes(), bytes.as_slice())?;
            held.caught(|| vec![caught(REPORTS, key.as_bytes(), Some(&bytes))]);
        }
        Ok(())
    }
}
