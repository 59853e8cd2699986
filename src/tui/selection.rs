//! What a list has chosen: a request (or a queue) by what it is, never by its row, so that a
//! live change that moves the rows cannot turn a key onto another request.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection<K> {
    /// What the person chose; `None` once it left the list, until they move again.
    chosen: Option<K>,
    /// The row of the chosen one, or where it was: drawing and the next move start here.
    row: usize,
}

impl<K> Default for Selection<K> {
    fn default() -> Self {
        Selection {
            chosen: None,
            row: 0,
        }
    }
}

impl<K: Clone + PartialEq> Selection<K> {
    /// The first row chosen, if the list has one.
    pub fn first(first: Option<K>) -> Selection<K> {
        Selection {
            chosen: first,
            row: 0,
        }
    }

    pub fn chosen(&self) -> Option<&K> {
        self.chosen.as_ref()
    }

    /// The row to draw highlighted: none while nothing is chosen.
    pub fn highlighted(&self) -> Option<usize> {
        self.chosen.as_ref().map(|_| self.row)
    }

    /// The row the view keeps in sight.
    pub fn row(&self) -> usize {
        self.row
    }

    pub fn choose(&mut self, key: K, row: usize) {
        self.chosen = Some(key);
        self.row = row;
    }

    /// After the list changed: `position` says where the chosen one is now. Returns it if it
    /// left the list, and then nothing is chosen.
    pub fn follow(&mut self, position: impl FnOnce(&K) -> Option<usize>) -> Option<K> {
        let key = self.chosen.as_ref()?;
        match position(key) {
            Some(row) => {
                self.row = row;
                None
            }
            None => self.chosen.take(),
        }
    }

    /// One row down or up in a list of `len`; `at` names the one on a row. With nothing
    /// chosen the first move chooses the row where the selection was, so it skips nothing.
    pub fn step(&mut self, down: bool, len: usize, at: impl Fn(usize) -> Option<K>) {
        if len == 0 {
            self.chosen = None;
            self.row = 0;
            return;
        }
        let last = len - 1;
        let row = match (&self.chosen, down) {
            (None, _) => self.row.min(last),
            (Some(_), true) => (self.row + 1).min(last),
            (Some(_), false) => self.row.saturating_sub(1).min(last),
        };
        self.chosen = at(row);
        self.row = row;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_follows_its_key_and_is_dropped_when_the_key_leaves() {
        let mut list = vec![44, 41, 40];
        let mut selection = Selection::first(Some(44));
        list.insert(0, 50);
        let position = |list: &Vec<i32>, key: &i32| list.iter().position(|k| k == key);
        assert_eq!(selection.follow(|key| position(&list, key)), None);
        assert_eq!((selection.chosen(), selection.row()), (Some(&44), 1));
        list.retain(|k| *k != 44);
        assert_eq!(selection.follow(|key| position(&list, key)), Some(44));
        assert_eq!(selection.chosen(), None);
        assert_eq!(selection.highlighted(), None);
        // the first move shows the row where it was, then moves on
        selection.step(true, list.len(), |row| list.get(row).copied());
        assert_eq!(selection.chosen(), Some(&41));
        selection.step(true, list.len(), |row| list.get(row).copied());
        assert_eq!(selection.chosen(), Some(&40));
        selection.step(true, list.len(), |row| list.get(row).copied());
        assert_eq!((selection.chosen(), selection.row()), (Some(&40), 2));
    }

    #[test]
    fn an_empty_list_chooses_nothing() {
        let mut selection = Selection::first(Some(1));
        selection.step(false, 0, |_| Some(1));
        assert_eq!(selection.chosen(), None);
    }
}
