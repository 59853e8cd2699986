//! pult's own journal: what each transaction wrote, written and `fdatasync`'ed before the
//! server answers, so one sync of one small file carries a batch's acknowledgement. sled applies the same writes in memory and makes them
//! durable at its own pace; a full sync of sled (`Flusher::flush`) makes the journal
//! unneeded, and it is emptied. At open, entries that sled's files do not hold yet are
//! written again.
//!
//! The file is filled with zeros once and then written over from its start: a write that
//! does not grow the file leaves `fdatasync` nothing but the data to sync (not the inode's
//! size, not a block allocation). So an emptied journal still holds older entries after
//! its newest: reading stops at the first entry whose number does not follow the one
//! before.
//!
//! An entry holds blind writes (a key set to a value, or removed) and the transaction's
//! number. The number is stored in sled by the same transaction (`META_JOURNALED`), so sled's
//! state says which entries it already holds: only later ones are replayed, never an older
//! value over a newer one. An entry cut short by a crash fails its checksum and ends the
//! journal: it was never acknowledged.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::Instant;

pub(super) const JOURNAL_FILE: &str = "pult.journal";

/// The trees a transaction writes (numbered as `tx::T`).
pub(super) const TREES: usize = 9;

/// One blind write: `tree` is an index into `TREES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub tree: u8,
    pub key: Vec<u8>,
    /// None: the key is removed.
    pub value: Option<Vec<u8>>,
}

/// What one transaction wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub ops: Vec<Op>,
}

/// Writes made since the last commit: journal entries, those already written to the journal
/// and waiting only for its sync, and whether anything was written outside a transaction
/// (then only a full sync of sled makes it durable).
#[derive(Debug, Default)]
pub struct Pending {
    pub entries: Vec<Entry>,
    /// Entries the transaction wrote to the journal itself (see `Store::write_ahead`).
    pub written: usize,
    pub unjournaled: bool,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.written == 0 && !self.unjournaled
    }

    pub fn absorb(&mut self, later: Pending) {
        self.entries.extend(later.entries);
        self.written += later.written;
        self.unjournaled |= later.unjournaled;
    }
}

impl Entry {
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; 8]); // length and checksum, filled in below
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&(self.ops.len() as u32).to_be_bytes());
        for op in &self.ops {
            out.push(op.tree);
            out.extend_from_slice(&(op.key.len() as u32).to_be_bytes());
            out.extend_from_slice(&op.key);
            match &op.value {
                Some(value) => {
                    out.push(1);
                    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
                    out.extend_from_slice(value);
                }
                None => out.push(0),
            }
        }
        let body = &out[start + 8..];
        let length = body.len() as u32;
        let checksum = crc32fast::hash(body);
        out[start..start + 4].copy_from_slice(&length.to_be_bytes());
        out[start + 4..start + 8].copy_from_slice(&checksum.to_be_bytes());
    }

    /// Entries from the start of `bytes` up to the first that is cut short or damaged, or
    /// whose number does not follow the one before (an older entry, left from before the
    /// journal was last emptied); and where the last one read ends.
    pub fn decode_all(bytes: &[u8]) -> (Vec<Entry>, usize) {
        let mut entries: Vec<Entry> = Vec::new();
        let mut at = 0;
        while let Some((entry, used)) = Entry::decode_one(&bytes[at..]) {
            if entries.last().is_some_and(|last| entry.seq <= last.seq) {
                break;
            }
            entries.push(entry);
            at += used;
        }
        (entries, at)
    }

    pub(super) fn decode_one(bytes: &[u8]) -> Option<(Entry, usize)> {
        let length = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
        let checksum = u32::from_be_bytes(bytes.get(4..8)?.try_into().ok()?);
        let body = bytes.get(8..8 + length)?;
        if crc32fast::hash(body) != checksum {
            return None;
        }
        let mut reader = Reader { bytes: body };
        let seq = u64::from_be_bytes(reader.take(8)?.try_into().ok()?);
        let count = reader.u32()?;
        let mut ops = Vec::new();
        for _ in 0..count {
            let tree = *reader.take(1)?.first()?;
            if usize::from(tree) >= TREES {
                return None;
            }
            let key_length = reader.u32()? as usize;
            let key = reader.take(key_length)?.to_vec();
            let value = match *reader.take(1)?.first()? {
                1 => {
                    let value_length = reader.u32()? as usize;
                    Some(reader.take(value_length)?.to_vec())
                }
                _ => None,
            };
            ops.push(Op { tree, key, value });
        }
        Some((Entry { seq, ops }, 8 + length))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let (taken, rest) = (self.bytes.get(..count)?, self.bytes.get(count..)?);
        self.bytes = rest;
        Some(taken)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// The journal file, written at `length`; `synced`: when sled last held all of it.
pub struct Journal {
    file: File,
    length: u64,
    /// The number of the last transaction it or sled's synced files hold: an entry is
    /// written only after those before it, or reading would stop short of it.
    last: u64,
    synced: Instant,
    /// An `fdatasync` of it failed since sled's last full sync.
    failed: bool,
}

/// Where a write began, and what the journal held before it (see `Journal::take_back`).
#[derive(Debug, Clone, Copy)]
pub struct Written {
    at: u64,
    last: u64,
}

/// The journal's zeroed size: a full sync of sled empties it before it is reached
/// (`CHECKPOINT_BYTES`); past it, entries grow the file (slower, as correct).
pub(super) const JOURNAL_SPACE: u64 = 4 * 1024 * 1024;

impl Journal {
    /// Opens (creating) the journal in the store directory `db`; returns the entries it
    /// holds.
    pub(super) fn open(db: &Path) -> io::Result<(Journal, Vec<Entry>)> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(db.join(JOURNAL_FILE))?;
        // the file's name must survive a power cut too, not only what is written into it
        File::open(db)?.sync_all()?;
        let bytes = std::fs::read(db.join(JOURNAL_FILE))?;
        let (entries, end) = Entry::decode_all(&bytes);
        // What follows the last entry read is never read again: entries from before the
        // last emptying, or torn ones past a gap, whose numbers the next entries may take
        // again after a crash. Zeroed, so none of them is ever read as one of those.
        if bytes[end..].iter().any(|byte| *byte != 0) {
            file.write_all_at(&vec![0; bytes.len() - end], end as u64)?;
            file.sync_data()?;
        }
        if (bytes.len() as u64) < JOURNAL_SPACE {
            let zeros = vec![0; (JOURNAL_SPACE as usize).saturating_sub(bytes.len())];
            file.write_all_at(&zeros, bytes.len() as u64)?;
            file.sync_all()?;
        }
        Ok((
            Journal {
                file,
                length: end as u64,
                last: entries.last().map_or(0, |entry| entry.seq),
                synced: Instant::now(),
                failed: false,
            },
            entries,
        ))
    }

    /// Whether `entries` may follow what it holds: the first is the transaction right after
    /// its last. A gap would let an open replay a transaction without the one before it,
    /// which was never made durable; an older number would stop the reading there.
    pub fn follows(&self, entries: &[Entry]) -> bool {
        entries
            .first()
            .is_none_or(|first| first.seq == self.last + 1)
    }

    /// The number of the last transaction it or sled's synced files hold.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// sled's files hold every transaction up to `seq` (read at open).
    pub fn holds_through(&mut self, seq: u64) {
        self.last = self.last.max(seq);
    }

    /// Writes the entries after the others and syncs them. On failure the end stays where
    /// it was (and the flusher syncs sled in full next, see `mark_failed`).
    pub fn append(&mut self, entries: &[Entry]) -> io::Result<()> {
        let written = self.write(entries)?;
        let synced = self.file.sync_data();
        if synced.is_err() {
            self.length = written.at;
            self.last = written.last;
        }
        synced
    }

    /// Writes the entries after the others, unsynced, and starts sending them to the
    /// device (`sync_file_range`): the work done before `append` syncs them (with nothing
    /// more) overlaps their write.
    pub fn write_ahead(&mut self, entries: &[Entry]) -> io::Result<Written> {
        let written = self.write(entries)?;
        let length = self.length - written.at;
        // Safety: a plain system call on a descriptor this journal owns. Its failure is
        // only a lost head start: the sync that follows writes the same pages.
        unsafe {
            libc::sync_file_range(
                self.file.as_raw_fd(),
                written.at as libc::off64_t,
                length as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
        Ok(written)
    }

    fn write(&mut self, entries: &[Entry]) -> io::Result<Written> {
        let written = Written {
            at: self.length,
            last: self.last,
        };
        let mut bytes = Vec::new();
        for entry in entries {
            entry.encode(&mut bytes);
        }
        if !bytes.is_empty() {
            self.file.write_all_at(&bytes, self.length)?;
            self.length += bytes.len() as u64;
        }
        if let Some(last) = entries.last() {
            self.last = last.seq;
        }
        Ok(written)
    }

    /// Takes back what `write_ahead` wrote last (its transaction failed in sled): zeroed
    /// and synced, so it is never read as a command that happened. If that fails, its end
    /// stays after it: the next transaction, which takes the same number, does not follow it
    /// and makes sled sync in full, which empties the journal.
    pub fn take_back(&mut self, written: Written) -> io::Result<()> {
        let length = self.length.saturating_sub(written.at) as usize;
        self.file.write_all_at(&vec![0; length], written.at)?;
        self.file.sync_data()?;
        self.length = written.at;
        self.last = written.last;
        Ok(())
    }

    /// Empties the journal once sled's files hold everything in it, every transaction up
    /// to `through` among them: later entries are written from its start again.
    pub fn clear(&mut self, through: u64) -> io::Result<()> {
        if self.length > 0 {
            // the first header zeroed and synced: after a crash nothing older is read
            self.file.write_all_at(&[0; 8], 0)?;
            self.file.sync_data()?;
            self.length = 0;
        }
        self.last = through;
        Ok(())
    }

    pub fn length(&self) -> u64 {
        self.length
    }

    pub fn synced_at(&self) -> Instant {
        self.synced
    }

    /// sled's files hold everything it held.
    pub fn mark_synced(&mut self) {
        self.synced = Instant::now();
        self.failed = false;
    }

    pub fn mark_failed(&mut self) {
        self.failed = true;
    }

    pub fn failed(&self) -> bool {
        self.failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64) -> Entry {
        Entry {
            seq,
            ops: vec![
                Op {
                    tree: 0,
                    key: vec![1, 2],
                    value: Some(b"value".to_vec()),
                },
                Op {
                    tree: 7,
                    key: vec![3],
                    value: None,
                },
            ],
        }
    }

    #[test]
    fn entries_round_trip_and_a_torn_tail_ends_the_journal() {
        let mut bytes = Vec::new();
        entry(1).encode(&mut bytes);
        entry(2).encode(&mut bytes);
        let whole = bytes.len();
        entry(3).encode(&mut bytes);
        let all = Entry::decode_all(&bytes);
        assert_eq!(all, (vec![entry(1), entry(2), entry(3)], bytes.len()));
        // cut inside the third: the first two stand
        assert_eq!(
            Entry::decode_all(&bytes[..whole + 5]),
            (vec![entry(1), entry(2)], whole)
        );
        // a flipped byte in the second: only the first
        let mut flipped = bytes.clone();
        flipped[whole - 3] ^= 0x40;
        assert_eq!(Entry::decode_all(&flipped).0, vec![entry(1)]);
    }

    #[test]
    fn an_older_entry_after_the_newest_is_not_read() {
        // written over from the start after it was emptied: 7 and 8, then an old 6 is left
        let mut bytes = Vec::new();
        entry(7).encode(&mut bytes);
        entry(8).encode(&mut bytes);
        let end = bytes.len();
        entry(6).encode(&mut bytes);
        assert_eq!(Entry::decode_all(&bytes), (vec![entry(7), entry(8)], end));
        // zeros end it too
        let mut zeroed = bytes[..end].to_vec();
        zeroed.extend_from_slice(&[0; 64]);
        assert_eq!(Entry::decode_all(&zeroed), (vec![entry(7), entry(8)], end));
    }

    #[test]
    fn written_entries_are_read_back_after_a_reopen_and_clear_empties_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, found) = Journal::open(dir.path()).unwrap();
        assert!(found.is_empty());
        let size = std::fs::metadata(dir.path().join(JOURNAL_FILE))
            .unwrap()
            .len();
        assert_eq!(
            size, JOURNAL_SPACE,
            "zeroed once, so a write does not grow it"
        );
        journal.append(&[entry(5)]).unwrap();
        journal.append(&[entry(6)]).unwrap();
        drop(journal);
        let (mut journal, found) = Journal::open(dir.path()).unwrap();
        assert_eq!(found, vec![entry(5), entry(6)]);
        journal.clear(6).unwrap();
        drop(journal);
        assert!(Journal::open(dir.path()).unwrap().1.is_empty());
        let size = std::fs::metadata(dir.path().join(JOURNAL_FILE))
            .unwrap()
            .len();
        assert_eq!(size, JOURNAL_SPACE);
    }

    #[test]
    fn an_entry_taken_back_is_not_read_and_its_place_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = Journal::open(dir.path()).unwrap();
        journal.write_ahead(&[entry(5)]).unwrap();
        let sixth = journal.write_ahead(&[entry(6)]).unwrap();
        journal.take_back(sixth).unwrap();
        assert_eq!(journal.last(), 5);
        drop(journal);
        let (mut journal, found) = Journal::open(dir.path()).unwrap();
        assert_eq!(found, vec![entry(5)]);
        journal.append(&[entry(6)]).unwrap();
        drop(journal);
        assert_eq!(
            Journal::open(dir.path()).unwrap().1,
            vec![entry(5), entry(6)]
        );
    }
}
