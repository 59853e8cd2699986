//! pult's own write-ahead journal: what each transaction wrote, appended and `fdatasync`'ed
//! before the server answers, so one sync of one small file carries a batch's
//! acknowledgement. sled applies the same writes in memory and makes them durable at its own
//! pace; a full sync of sled (`Flusher::flush`) makes the journal unneeded, and it is emptied.
//! At open, entries that sled's files do not hold yet are written again.
//!
//! An entry holds blind writes (a key set to a value, or removed) and the transaction's
//! number. The number is stored in sled by the same transaction (`META_JOURNALED`), so sled's
//! state says which entries it already holds: only later ones are replayed, never an older
//! value over a newer one. An entry cut short by a crash fails its checksum and ends the
//! journal: it was never acknowledged.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::time::Instant;

pub(super) const JOURNAL_FILE: &str = "pult.journal";

/// The trees a transaction writes, in the order of `Store::write`'s tuple.
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

/// Writes made since the last commit: journal entries, and whether anything was written
/// outside a transaction (then only a full sync of sled makes it durable).
#[derive(Debug, Default)]
pub struct Pending {
    pub entries: Vec<Entry>,
    pub unjournaled: bool,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && !self.unjournaled
    }

    pub fn absorb(&mut self, later: Pending) {
        self.entries.extend(later.entries);
        self.unjournaled |= later.unjournaled;
    }
}

impl Entry {
    fn encode(&self, out: &mut Vec<u8>) {
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

    /// Entries from the start of `bytes` up to the first that is cut short or damaged.
    pub fn decode_all(bytes: &[u8]) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut at = 0;
        while let Some((entry, used)) = Entry::decode_one(&bytes[at..]) {
            entries.push(entry);
            at += used;
        }
        entries
    }

    fn decode_one(bytes: &[u8]) -> Option<(Entry, usize)> {
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

/// The journal file, appended at `length`; `synced`: when sled last held all of it.
pub struct Journal {
    file: File,
    length: u64,
    synced: Instant,
}

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
        let entries = Entry::decode_all(&bytes);
        let length = bytes.len() as u64;
        Ok((
            Journal {
                file,
                length,
                synced: Instant::now(),
            },
            entries,
        ))
    }

    /// Appends the entries and syncs them; on failure what was appended is cut off again,
    /// so a later append never follows a torn one.
    pub fn append(&mut self, entries: &[Entry]) -> io::Result<()> {
        let mut bytes = Vec::new();
        for entry in entries {
            entry.encode(&mut bytes);
        }
        let written = self
            .file
            .write_all_at(&bytes, self.length)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.length += bytes.len() as u64;
                Ok(())
            }
            Err(error) => {
                let _ = self.file.set_len(self.length);
                Err(error)
            }
        }
    }

    /// Empties the journal once sled's files hold everything in it.
    pub fn clear(&mut self) -> io::Result<()> {
        if self.length > 0 {
            self.file.set_len(0)?;
            self.length = 0;
        }
        Ok(())
    }

    pub fn length(&self) -> u64 {
        self.length
    }

    pub fn synced_at(&self) -> Instant {
        self.synced
    }

    pub fn mark_synced(&mut self) {
        self.synced = Instant::now();
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
        assert_eq!(
            Entry::decode_all(&bytes),
            vec![entry(1), entry(2), entry(3)]
        );
        // cut inside the third: the first two stand
        assert_eq!(
            Entry::decode_all(&bytes[..whole + 5]),
            vec![entry(1), entry(2)]
        );
        // a flipped byte in the second: only the first
        let mut flipped = bytes.clone();
        flipped[whole - 3] ^= 0x40;
        assert_eq!(Entry::decode_all(&flipped), vec![entry(1)]);
    }

    #[test]
    fn appended_entries_are_read_back_after_a_reopen_and_clear_empties_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, found) = Journal::open(dir.path()).unwrap();
        assert!(found.is_empty());
        journal.append(&[entry(5)]).unwrap();
        journal.append(&[entry(6), entry(7)]).unwrap();
        drop(journal);
        let (mut journal, found) = Journal::open(dir.path()).unwrap();
        assert_eq!(found, vec![entry(5), entry(6), entry(7)]);
        journal.clear().unwrap();
        drop(journal);
        assert!(Journal::open(dir.path()).unwrap().1.is_empty());
    }
}
