//! A point-in-time copy of the whole store made while it keeps taking writes, and its restore.
//!
//! The copy reads every tree as it is while writes go on; every write made meanwhile is caught
//! (`Catch`) and kept after the trees. Replaying those writes over what was read gives each key
//! its value at the moment the catching stopped: a key nobody wrote kept the value read, and a
//! key somebody wrote ends with its last write. Stopping waits for the writes in flight, so
//! none is half in the copy and missing from the writes kept.
//!
//! The file: `PULTBAK1`, then a zlib stream of records, then the SHA-256 of everything before
//! it. A record is a byte saying what it is, then its fields, each length-prefixed:
//! `H` the header (JSON), `T` a tree entry, `W` a write caught, `F` a file of the data
//! directory, `Z` the end with the counts. A file cut short, or with one bit changed, fails
//! the checksum before anything is read from it.

use std::fs;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::codec::key_id;
use super::{Store, StoreError};

const MAGIC: &[u8; 8] = b"PULTBAK1";
/// The layout of the records; a newer one is refused with a sentence.
pub const BACKUP_FORMAT: u32 = 1;
const TRAILER: u64 = 32;

/// The trees in the order of their numbers in a backup (the journaled ones first, in the
/// journal's numbering).
pub const TREES: [&str; 11] = [
    "requests", "open", "events", "meta", "drafts", "intake", "callers", "index", "outbox",
    "staff", "reports",
];
pub(super) const DRAFTS: u8 = 4;
pub(super) const STAFF: u8 = 9;
pub(super) const REPORTS: u8 = 10;

/// What a backup says of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupHeader {
    pub format: u32,
    pub created_at_ms: i64,
    pub pult_version: String,
    pub schema_version: u64,
}

/// What a backup holds, as made or as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSummary {
    pub header: BackupHeader,
    /// Tree entries read, writes caught while reading, files of the data directory.
    pub entries: u64,
    pub writes: u64,
    pub files: u64,
    /// Requests in the copy (entries of the `requests` tree after the writes).
    pub requests: u64,
    pub bytes: u64,
    /// The SHA-256 the file ends with, in hex.
    pub sha256: String,
}

#[derive(Debug, Error)]
pub enum BackupError {
    #[error("{}", tr!("backup.io", path = .path.display(), error = .source))]
    Io { path: PathBuf, source: io::Error },
    #[error("{}", tr!("backup.not_a_backup", path = .0.display()))]
    NotABackup(PathBuf),
    #[error("{}", tr!("backup.checksum", path = .0.display()))]
    Checksum(PathBuf),
    #[error("{}", tr!("backup.damaged", path = .path.display(), detail = .detail))]
    Damaged { path: PathBuf, detail: String },
    #[error("{}", tr!("backup.newer", path = .path.display(), found = .found, supported = BACKUP_FORMAT))]
    Newer { path: PathBuf, found: u32 },
    #[error("{}", tr!("backup.not_empty", dir = .0.display()))]
    NotEmpty(PathBuf),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A write made while a backup reads: the tree's number in `TREES`, the key, the value (None:
/// removed).
#[derive(Debug, Clone)]
pub(super) struct Caught {
    pub tree: u8,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// A write outside a transaction, as a backup reading meanwhile keeps it.
pub(super) fn caught(tree: u8, key: &[u8], value: Option<&[u8]>) -> Caught {
    Caught {
        tree,
        key: key.to_vec(),
        value: value.map(<[u8]>::to_vec),
    }
}

/// Where writes are caught while a backup reads. Every write holds `gate` for reading from
/// before it touches sled until it has handed over what it wrote; starting and stopping take
/// it for writing, so they wait for the writes in flight.
#[derive(Clone, Default)]
pub(super) struct Catch {
    gate: Arc<RwLock<Catching>>,
}

/// The writes caught so far while a backup reads (None: none is reading).
type Catching = Option<Arc<Mutex<Vec<Caught>>>>;

/// A write's hold on the gate.
pub(super) struct Held<'a>(Option<RwLockReadGuard<'a, Catching>>);

impl Catch {
    pub(super) fn hold(&self) -> Held<'_> {
        Held(self.gate.read().ok())
    }

    fn start(&self) -> Result<(), StoreError> {
        let mut gate = self.gate.write().map_err(|_| StoreError::JournalLost)?;
        *gate = Some(Arc::new(Mutex::new(Vec::new())));
        Ok(())
    }

    fn stop(&self) -> Vec<Caught> {
        let taken = match self.gate.write() {
            Ok(mut gate) => gate.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        taken
            .and_then(|caught| Arc::try_unwrap(caught).ok())
            .and_then(|caught| caught.into_inner().ok())
            .unwrap_or_default()
    }
}

impl Held<'_> {
    /// Hands over what a write wrote, when a backup is reading.
    pub(super) fn caught(&self, writes: impl FnOnce() -> Vec<Caught>) {
        if let Some(Some(caught)) = self.0.as_deref() {
            if let Ok(mut caught) = caught.lock() {
                caught.extend(writes());
            }
        }
    }
}

/// What of a data directory is no file a backup keeps: the store itself, the server's runtime
/// files, the backups.
const LEFT: [&str; 6] = [
    "db",
    "backups",
    "server.sock",
    "server.pid",
    "server.log",
    "maildir",
];

/// The files of a data directory a backup keeps: everything but the store itself, the
/// server's runtime files and the backups.
fn kept_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![PathBuf::new()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(dir.join(&folder))? {
            let entry = entry?;
            let name = entry.file_name();
            let relative = folder.join(&name);
            if folder.as_os_str().is_empty() && LEFT.iter().any(|left| name == *left) {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(relative);
            } else if kind.is_file() {
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A writer that hashes what passes through it and counts it.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hash.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn field(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(&(bytes.len() as u32).to_le_bytes())?;
    out.write_all(bytes)
}

/// What a backup reads, apart from the store (it is moved to the thread that writes it): the
/// trees, where writes are caught, and the data directory.
pub struct BackupSource {
    trees: Vec<sled::Tree>,
    catch: Catch,
    dir: PathBuf,
    schema_version: u64,
}

impl Store {
    /// The trees in `TREES`' order.
    fn numbered_trees(&self) -> Vec<sled::Tree> {
        // the journaled ones keep their numbers; the two written outside transactions follow
        let mut trees: Vec<sled::Tree> = self.journaled_trees().into_iter().cloned().collect();
        trees.extend([self.staff.clone(), self.reports.clone()]);
        trees
    }

    /// What a backup of this store reads, for a thread of its own.
    pub fn backup_source(&self) -> Result<BackupSource, StoreError> {
        Ok(BackupSource {
            trees: self.numbered_trees(),
            catch: self.catch.clone(),
            dir: self.path.clone(),
            schema_version: self.schema_version()?.unwrap_or(0),
        })
    }
}

impl BackupSource {
    /// Writes a point-in-time copy of the store and of its data directory's files to `out`
    /// (see the module's note); the store keeps taking writes meanwhile.
    pub fn backup_to(&self, out: impl Write, now_ms: i64) -> Result<BackupSummary, StoreError> {
        let mut hashing = Hashing {
            inner: out,
            hash: Sha256::new(),
            bytes: 0,
        };
        hashing.write_all(MAGIC)?;
        let header = BackupHeader {
            format: BACKUP_FORMAT,
            created_at_ms: now_ms,
            pult_version: env!("CARGO_PKG_VERSION").to_string(),
            schema_version: self.schema_version,
        };
        let mut zlib = ZlibEncoder::new(&mut hashing, Compression::fast());
        zlib.write_all(b"H")?;
        field(
            &mut zlib,
            &serde_json::to_vec(&header).map_err(|error| io::Error::other(error.to_string()))?,
        )?;
        self.catch.start()?;
        let mut requests = std::collections::HashSet::new();
        let read = self.read_everything(&mut zlib, &mut requests);
        let caught = self.catch.stop();
        let (entries, files) = read?;
        for write in &caught {
            if write.tree == 0 {
                match write.value {
                    Some(_) => requests.insert(write.key.clone()),
                    None => requests.remove(&write.key),
                };
            }
            zlib.write_all(b"W")?;
            zlib.write_all(&[write.tree, u8::from(write.value.is_some())])?;
            field(&mut zlib, &write.key)?;
            field(&mut zlib, write.value.as_deref().unwrap_or_default())?;
        }
        let requests = requests.len() as u64;
        zlib.write_all(b"Z")?;
        for count in [entries, caught.len() as u64, files] {
            zlib.write_all(&count.to_le_bytes())?;
        }
        zlib.finish()?;
        let digest = hashing.hash.clone().finalize();
        hashing.inner.write_all(&digest)?;
        hashing.inner.flush()?;
        Ok(BackupSummary {
            header,
            entries,
            writes: caught.len() as u64,
            files,
            requests,
            bytes: hashing.bytes + TRAILER,
            sha256: hex(&digest),
        })
    }

    /// Writes every tree and file to `out`; `requests` gets the keys of the requests read.
    fn read_everything(
        &self,
        out: &mut impl Write,
        requests: &mut std::collections::HashSet<Vec<u8>>,
    ) -> Result<(u64, u64), StoreError> {
        let mut entries = 0;
        for (number, tree) in self.trees.iter().enumerate() {
            let number = number as u8;
            for entry in tree.iter() {
                let (key, value) = entry?;
                if number == 0 {
                    requests.insert(key.to_vec());
                }
                out.write_all(b"T")?;
                out.write_all(&[number])?;
                field(out, &key)?;
                field(out, &value)?;
                entries += 1;
            }
        }
        let mut files = 0;
        for relative in kept_files(&self.dir)? {
            let Ok(bytes) = fs::read(self.dir.join(&relative)) else {
                continue;
            };
            out.write_all(b"F")?;
            field(out, relative.to_string_lossy().as_bytes())?;
            field(out, &bytes)?;
            files += 1;
        }
        Ok((entries, files))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One record of a backup, as read.
enum Record {
    Header(BackupHeader),
    Entry {
        tree: u8,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Write(Caught),
    File {
        path: PathBuf,
        bytes: Vec<u8>,
    },
    End {
        counts: [u64; 3],
    },
}

/// Reads a backup's records after its checksum was found right.
struct Records {
    input: Box<dyn Read>,
    path: PathBuf,
    ended: bool,
}

/// A backup is refused past this size of one field (no record of pult's is near it).
const MAX_FIELD: u32 = 512 * 1024 * 1024;

impl Records {
    fn damaged(&self, detail: &str) -> BackupError {
        BackupError::Damaged {
            path: self.path.clone(),
            detail: detail.to_string(),
        }
    }

    fn bytes(&mut self, count: usize) -> Result<Vec<u8>, BackupError> {
        let mut bytes = vec![0u8; count];
        self.input
            .read_exact(&mut bytes)
            .map_err(|_| self.damaged(tr!("backup.detail.cut")))?;
        Ok(bytes)
    }

    fn field(&mut self) -> Result<Vec<u8>, BackupError> {
        let length = self.bytes(4)?;
        let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]);
        if length > MAX_FIELD {
            return Err(self.damaged(tr!("backup.detail.field")));
        }
        self.bytes(length as usize)
    }

    fn next(&mut self) -> Result<Option<Record>, BackupError> {
        if self.ended {
            return Ok(None);
        }
        let mut kind = [0u8; 1];
        if self
            .input
            .read(&mut kind)
            .map_err(|_| self.damaged(tr!("backup.detail.compression")))?
            == 0
        {
            return Err(self.damaged(tr!("backup.detail.no_end")));
        }
        Ok(Some(match kind[0] {
            b'H' => {
                let header = self.field()?;
                Record::Header(
                    serde_json::from_slice(&header)
                        .map_err(|_| self.damaged(tr!("backup.detail.header")))?,
                )
            }
            b'T' => {
                let tree = self.bytes(1)?[0];
                let (key, value) = (self.field()?, self.field()?);
                Record::Entry { tree, key, value }
            }
            b'W' => {
                let flags = self.bytes(2)?;
                let (key, value) = (self.field()?, self.field()?);
                Record::Write(Caught {
                    tree: flags[0],
                    key,
                    value: (flags[1] == 1).then_some(value),
                })
            }
            b'F' => {
                let path = String::from_utf8(self.field()?)
                    .map_err(|_| self.damaged(tr!("backup.detail.file_name")))?;
                let path = PathBuf::from(path);
                // a name that climbs out of the data directory is no file of it, and the store
                // and the server's own files are not written from one
                let first = path.components().next();
                let left =
                    first.is_some_and(|first| LEFT.iter().any(|left| first.as_os_str() == *left));
                if left
                    || !path
                        .components()
                        .all(|part| matches!(part, Component::Normal(_)))
                {
                    return Err(self.damaged(tr!("backup.detail.file_outside")));
                }
                Record::File {
                    path,
                    bytes: self.field()?,
                }
            }
            b'Z' => {
                let mut counts = [0u64; 3];
                for count in &mut counts {
                    let bytes = self.bytes(8)?;
                    *count = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
                }
                self.ended = true;
                Record::End { counts }
            }
            _ => return Err(self.damaged(tr!("backup.detail.record"))),
        }))
    }
}

/// Opens `path` as a backup: its magic and checksum checked, the records ready to read.
fn open_checked(path: &Path) -> Result<(Records, u64, String), BackupError> {
    let io_error = |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    if size < MAGIC.len() as u64 + TRAILER {
        return Err(BackupError::NotABackup(path.to_path_buf()));
    }
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic).map_err(io_error)?;
    if &magic != MAGIC {
        return Err(if magic.starts_with(b"PULTBAK") {
            BackupError::Newer {
                path: path.to_path_buf(),
                found: u32::from(magic[7].saturating_sub(b'0')),
            }
        } else {
            BackupError::NotABackup(path.to_path_buf())
        });
    }
    // the whole file but its last 32 bytes, hashed, against those bytes
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let mut hash = Sha256::new();
    let mut left = size - TRAILER;
    let mut buffer = vec![0u8; 1 << 16];
    while left > 0 {
        let chunk = left.min(buffer.len() as u64) as usize;
        file.read_exact(&mut buffer[..chunk]).map_err(io_error)?;
        hash.update(&buffer[..chunk]);
        left -= chunk as u64;
    }
    let mut trailer = [0u8; 32];
    file.read_exact(&mut trailer).map_err(io_error)?;
    let digest = hash.finalize();
    if digest.as_slice() != trailer {
        return Err(BackupError::Checksum(path.to_path_buf()));
    }
    file.seek(SeekFrom::Start(MAGIC.len() as u64))
        .map_err(io_error)?;
    let compressed = BufReader::new(file).take(size - TRAILER - MAGIC.len() as u64);
    let records = Records {
        input: Box::new(ZlibDecoder::new(compressed)),
        path: path.to_path_buf(),
        ended: false,
    };
    Ok((records, size, hex(&digest)))
}

/// Checks a backup without restoring it: checksum, every record, the counts at its end.
pub fn verify(path: &Path) -> Result<BackupSummary, BackupError> {
    read_backup(path, |_| Ok(()))
}

/// Reads every record of the backup at `path` into `apply`, checks the counts, and says what
/// it held.
fn read_backup(
    path: &Path,
    mut apply: impl FnMut(&Record) -> Result<(), BackupError>,
) -> Result<BackupSummary, BackupError> {
    let (mut records, bytes, sha256) = open_checked(path)?;
    let mut header = None;
    let (mut entries, mut writes, mut files) = (0u64, 0u64, 0u64);
    let mut requests: std::collections::BTreeSet<Vec<u8>> = Default::default();
    while let Some(record) = records.next()? {
        match &record {
            Record::Header(read) => {
                if read.format > BACKUP_FORMAT {
                    return Err(BackupError::Newer {
                        path: path.to_path_buf(),
                        found: read.format,
                    });
                }
                header = Some(read.clone());
            }
            Record::Entry { tree, key, .. } => {
                entries += 1;
                if *tree == 0 {
                    requests.insert(key.clone());
                }
            }
            Record::Write(write) => {
                writes += 1;
                if write.tree == 0 {
                    match write.value {
                        Some(_) => requests.insert(write.key.clone()),
                        None => requests.remove(&write.key),
                    };
                }
            }
            Record::File { .. } => files += 1,
            Record::End { counts } => {
                if *counts != [entries, writes, files] {
                    return Err(records.damaged(tr!("backup.detail.counts")));
                }
            }
        }
        if header.is_none() {
            return Err(records.damaged(tr!("backup.detail.header")));
        }
        apply(&record)?;
    }
    let header = header.ok_or_else(|| records.damaged(tr!("backup.detail.header")))?;
    Ok(BackupSummary {
        header,
        entries,
        writes,
        files,
        requests: requests.len() as u64,
        bytes,
        sha256,
    })
}

/// Restores the backup at `path` into `dir`, which must not exist or be empty: into a
/// directory beside it first, renamed to `dir` only once everything is written and synced,
/// so a restore that fails or is killed leaves no half a store.
pub fn restore(path: &Path, dir: &Path) -> Result<BackupSummary, BackupError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BackupError::Io { path, source }
    };
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty(dir.to_path_buf()));
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(dir)(error)),
    }
    // checked whole before anything is written
    verify(path)?;
    let name = dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into());
    let building = dir.with_file_name(format!(".{name}.restoring-{}", std::process::id()));
    let _ = fs::remove_dir_all(&building);
    let restored = restore_into(path, &building);
    let summary = match restored {
        Ok(summary) => summary,
        Err(error) => {
            let _ = fs::remove_dir_all(&building);
            return Err(error);
        }
    };
    if dir.exists() {
        fs::remove_dir(dir).map_err(io_error(dir))?;
    }
    fs::rename(&building, dir).map_err(io_error(dir))?;
    if let Some(parent) = dir.parent() {
        if let Ok(parent) = fs::File::open(parent) {
            let _ = parent.sync_all();
        }
    }
    Ok(summary)
}

fn restore_into(path: &Path, building: &Path) -> Result<BackupSummary, BackupError> {
    let store = Store::open(building)?;
    let trees = store.numbered_trees();
    let mut batches: Vec<sled::Batch> = (0..TREES.len()).map(|_| sled::Batch::default()).collect();
    let mut pending = 0usize;
    let mut files = Vec::new();
    let flush_batches = |batches: &mut Vec<sled::Batch>| -> Result<(), StoreError> {
        for (tree, batch) in trees.iter().zip(batches.iter_mut()) {
            tree.apply_batch(std::mem::take(batch))?;
        }
        Ok(())
    };
    let summary = read_backup(path, |record| {
        match record {
            Record::Entry { tree, key, value } => {
                if let Some(batch) = batches.get_mut(usize::from(*tree)) {
                    batch.insert(key.as_slice(), value.as_slice());
                }
            }
            Record::Write(write) => {
                if let Some(batch) = batches.get_mut(usize::from(write.tree)) {
                    match &write.value {
                        Some(value) => batch.insert(write.key.as_slice(), value.as_slice()),
                        None => batch.remove(write.key.as_slice()),
                    }
                }
            }
            Record::File { path, bytes } => files.push((path.clone(), bytes.clone())),
            Record::Header(_) | Record::End { .. } => {}
        }
        pending += 1;
        if pending >= 10_000 {
            flush_batches(&mut batches)?;
            pending = 0;
        }
        Ok(())
    })?;
    flush_batches(&mut batches)?;
    // the audit log numbers events with sled's own ids, which start again in a new store:
    // they go on above every number the copy holds
    let highest = store
        .events
        .iter()
        .keys()
        .filter_map(|key| key.ok().and_then(|key| key.get(8..16).and_then(key_id)))
        .max()
        .unwrap_or(0);
    store
        .meta
        .insert(super::META_EVENT_BASE, &super::codec::id_key(highest + 1))
        .map_err(StoreError::from)?;
    store.flush()?;
    drop(store);
    for (relative, bytes) in files {
        let target = building.join(&relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|source| BackupError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        write_private(&target, &bytes).map_err(|source| BackupError::Io {
            path: target.clone(),
            source,
        })?;
    }
    Ok(summary)
}

/// Writes `bytes` to a new file at `path` readable by its owner alone, synced.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Writes `bytes` to `path` whole or not at all: a hidden synced partial file beside it
/// (0600), renamed at the end.
pub fn write_whole_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let partial = partial_of(path);
    let written = write_private(&partial, bytes).and_then(|()| fs::rename(&partial, path));
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written
}

/// The hidden file `path` is written to before it takes its name: `.NAME.partial`.
pub fn partial_of(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    path.with_file_name(format!(".{name}.partial"))
}

/// Makes a backup of `store` at `target`: written to a hidden file beside it (0600), synced,
/// then renamed, so `target` is a whole copy or is not there.
pub fn backup_file(
    source: &BackupSource,
    target: &Path,
    now_ms: i64,
) -> Result<BackupSummary, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let partial = partial_of(target);
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)?;
    let mut out = BufWriter::new(file);
    let made = source.backup_to(&mut out, now_ms).and_then(|summary| {
        let file = out
            .into_inner()
            .map_err(|error| StoreError::from(error.into_error()))?;
        file.sync_all()?;
        Ok(summary)
    });
    match made {
        Ok(summary) => {
            fs::rename(&partial, target)?;
            if let Some(parent) = target.parent() {
                if let Ok(parent) = fs::File::open(parent) {
                    let _ = parent.sync_all();
                }
            }
            Ok(summary)
        }
        Err(error) => {
            let _ = fs::remove_file(&partial);
            Err(error)
        }
    }
}

/// How an age file begins: a copy sealed with a passphrase.
const SEALED: &[u8] = b"age-encryption.org/v1";

/// Whether the file at `path` is a copy sealed with a passphrase (age, scrypt).
pub fn is_sealed(path: &Path) -> bool {
    let mut start = [0u8; SEALED.len()];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| start == SEALED)
}

#[derive(Debug, Error)]
pub enum SealError {
    #[error("{}", tr!("backup.seal_io", path = .path.display(), error = .source))]
    Io { path: PathBuf, source: io::Error },
    #[error("{}", tr!("backup.unsealed_not", path = .0.display()))]
    WrongPassphrase(PathBuf),
    #[error("{}", tr!("backup.seal_failed", path = .path.display(), error = .reason))]
    Age { path: PathBuf, reason: String },
}

/// Writes `plain` sealed with `passphrase` to `sealed` (age's scrypt recipient), 0600,
/// through a synced partial file renamed at the end.
pub fn seal(plain: &Path, sealed: &Path, passphrase: &str) -> Result<(), SealError> {
    use age::secrecy::SecretString;
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SealError::Io { path, source }
    };
    let partial = partial_of(sealed);
    let written = (|| {
        let mut input = BufReader::new(fs::File::open(plain).map_err(io_error(plain))?);
        let output = {
            use std::os::unix::fs::OpenOptionsExt;
            fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&partial)
                .map_err(io_error(&partial))?
        };
        let encryptor =
            age::Encryptor::with_user_passphrase(SecretString::from(passphrase.to_string()));
        let mut writer = encryptor
            .wrap_output(BufWriter::new(output))
            .map_err(io_error(&partial))?;
        io::copy(&mut input, &mut writer).map_err(io_error(&partial))?;
        let output = writer.finish().map_err(io_error(&partial))?;
        let file = output
            .into_inner()
            .map_err(|error| io_error(&partial)(error.into_error()))?;
        file.sync_all().map_err(io_error(&partial))?;
        fs::rename(&partial, sealed).map_err(io_error(sealed))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written
}

/// Opens the sealed copy at `sealed` with `passphrase` into a new file `plain` (0600).
pub fn unseal(sealed: &Path, plain: &Path, passphrase: &str) -> Result<(), SealError> {
    use age::secrecy::SecretString;
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SealError::Io { path, source }
    };
    let input = BufReader::new(fs::File::open(sealed).map_err(io_error(sealed))?);
    let decryptor = age::Decryptor::new(input).map_err(|error| SealError::Age {
        path: sealed.to_path_buf(),
        reason: error.to_string(),
    })?;
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_string()));
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|error| match error {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                SealError::WrongPassphrase(sealed.to_path_buf())
            }
            other => SealError::Age {
                path: sealed.to_path_buf(),
                reason: other.to_string(),
            },
        })?;
    let opened = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let output = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(plain)?;
        let mut output = BufWriter::new(output);
        io::copy(&mut reader, &mut output)?;
        output
            .into_inner()
            .map_err(|error| error.into_error())?
            .sync_all()
    })();
    opened.map_err(|source| {
        let _ = fs::remove_file(plain);
        // a wrong passphrase of a cut or altered file shows up while reading
        SealError::Io {
            path: sealed.to_path_buf(),
            source,
        }
    })
}
