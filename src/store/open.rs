//! Opening the store: sled's files (a damaged one said as a sentence), the files' modes,
//! the journal replayed, older layouts brought up to this one.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use super::codec::{event_key, id_key, key_id, AuditEvent, Record};
use super::journal::{Journal, Pending};
use super::{
    files, index, Store, StoreError, CACHE_BYTES, META_EVENT_BASE, META_NEXT_EVENT,
    META_NEXT_REQUEST, META_SCHEMA, SCHEMA_VERSION,
};

/// How long to wait for a store that was just closed: sled releases its file lock only when
/// its background threads let go of the database, a moment after the last handle is dropped.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(1_500);

fn open_db(path: &Path, dir: &Path) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match open_db_once(path, dir) {
            Ok(db) => return Ok(db),
            Err(StoreError::Locked { .. }) if started.elapsed() < LOCK_GRACE => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(other) => return Err(other),
        }
    }
}

/// One open of sled's files. sled 0.34 panics on some damaged files (a log cut short panics
/// in its recovery, `pagecache/segment.rs`): that panic is caught here and said as a
/// sentence, without the panic's own message on the screen.
fn open_db_once(path: &Path, dir: &Path) -> Result<sled::Db, StoreError> {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let opened = std::panic::catch_unwind(|| {
        sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            // pult's journal makes writes durable and sled's files are synced when pult
            // empties it; sled's own thread is kept, less often than its 500 ms, for what
            // else it does: it moves live pages out of nearly empty segments (without it a
            // 1,000,000-request store took 1.4 GB, not 1.2, and 15 MiB more to open)
            .flush_every_ms(Some(1000))
            .open()
    });
    std::panic::set_hook(quiet);
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(error)) => Err(StoreError::from_open(error, dir)),
        Err(_) => Err(StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail: tr!("store.log_cut").into(),
        }),
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        files::own_files_only();
        files::prepare_dir(dir)?;
        let path = dir.join("db");
        files::close_tree(&path)?;
        let db = open_db(&path, dir)?;
        let unopened = |source| StoreError::CreateDir {
            dir: path.clone(),
            source,
        };
        let log = files::open_log(&path).map_err(unopened)?;
        let (mark, marked) = files::open_mark(&path).map_err(unopened)?;
        let (journal, journaled) = Journal::open(&path).map_err(unopened)?;
        let tree = |name: &str| {
            db.open_tree(name)
                .map_err(|error| StoreError::from_open(error, dir))
        };
        let store = Store {
            path: dir.to_path_buf(),
            requests: tree("requests")?,
            open: tree("open")?,
            events: tree("events")?,
            staff: tree("staff")?,
            drafts: tree("drafts")?,
            intake: tree("intake")?,
            callers: tree("callers")?,
            index: tree("index")?,
            reports: tree("reports")?,
            outbox: tree("outbox")?,
            event_base: 0,
            meta: tree("meta")?,
            catch: Default::default(),
            recent_forms: Mutex::new(None),
            db,
            log: Arc::new(log),
            mark: Arc::new(mark),
            journal: Arc::new(Mutex::new(journal)),
            writing: Arc::new(Mutex::new(())),
            next_journaled: Arc::new(AtomicU64::new(1)),
            pending: Mutex::new(Pending::default()),
        };
        let mut store = store;
        let replayed = store.replay(journaled)?;
        let numbered = store
            .meta
            .get(META_NEXT_REQUEST)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(0);
        if marked > numbered {
            // sled reads a log cut short as an earlier state, without a word
            return Err(StoreError::Corrupt {
                dir: dir.to_path_buf(),
                detail: format!(
                    "журнал db/db обрезан или испорчен: в нём нет обращений с №{} по №{}, \
                     которые были сохранены",
                    numbered.max(1),
                    marked.saturating_sub(1)
                ),
            });
        }
        if replayed {
            store.flusher().flush()?;
        }
        if let Some(found) = store.schema_version()? {
            if found > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    dir: dir.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            if found < SCHEMA_VERSION {
                store.build_index()?;
            }
        }
        store.event_base = store
            .meta
            .get(META_EVENT_BASE)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(0);
        Ok(store)
    }

    /// Schema 1 or 2 → 3: keys the events by request, and writes the index of what is
    /// already stored, once, in bounded batches (writing a key twice is harmless).
    fn build_index(&self) -> Result<(), StoreError> {
        const BATCH: usize = 100_000;
        let mut batch = sled::Batch::default();
        let mut queued = 0;
        let mut add = |key: &[u8], batch: &mut sled::Batch| -> Result<(), StoreError> {
            batch.insert(key, &[]);
            queued += 1;
            if queued == BATCH {
                self.index.apply_batch(std::mem::take(batch))?;
                queued = 0;
            }
            Ok(())
        };
        // events were keyed by a number alone; now by request and number (a request's
        // events are read together), numbered above every old one
        let mut renumbered = sled::Batch::default();
        let mut highest = 0;
        for entry in self.events.iter() {
            let (key, bytes) = entry?;
            if let Some(seq) = key_id(&key) {
                let event = AuditEvent::decode(&bytes)?;
                renumbered.remove(&key);
                renumbered.insert(&event_key(event.request, seq), bytes);
                highest = highest.max(seq);
            }
        }
        self.events.apply_batch(renumbered)?;
        let next = self
            .meta
            .get(META_NEXT_EVENT)?
            .and_then(|bytes| key_id(&bytes))
            .unwrap_or(1)
            .max(highest + 1);
        self.meta.insert(META_EVENT_BASE, &id_key(next))?;
        for request in self.all_requests(None) {
            let request = request?;
            add(
                &index::received_key(request.received_at, request.id),
                &mut batch,
            )?;
            if let (false, Some(at)) = (request.status.is_open(), request.closed_at) {
                add(&index::closed_key(at, request.id), &mut batch)?;
            }
        }
        self.index.apply_batch(batch)?;
        self.meta.insert(META_SCHEMA, &id_key(SCHEMA_VERSION))?;
        self.flush()
    }
}
