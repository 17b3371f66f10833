//! The search index a server process serves from, kept in step with the
//! database in place:
//!
//! - an edit made through this process's service is put in the index at
//!   once ([`LiveIndex::reindex`]), before the request answers;
//! - imports and other processes are noticed by a cheap fingerprint (rows,
//!   current entries, newest change, newest import run) polled by a job;
//!   what changed since the index last looked is read and applied entry by
//!   entry ([`LiveIndex::refresh`]);
//! - only a large change (a national import) builds the index whole, as the
//!   rows stream in, and swaps it in; searches go on meanwhile.
//!
//! A saved copy of the index (the snapshot, `RENKEI_DIRECTORY_INDEX_FILE`)
//! makes start-up take a fraction of a second instead of a full build: it is
//! used only when it was made by the same index format and folding rules
//! and the database has not gone back behind it, and then catches up like
//! any other refresh.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use renkei_domain::holidays::Holidays;
use renkei_domain::{EntryId, Timestamp};
use renkei_store::{Db, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::search::{Entry, Index, Page, Query};
use crate::store::IndexFingerprint;

/// Changes stamped up to this long before the index last looked are read
/// again: an edit of another process that committed just after the look,
/// with a clock reading from before it, is not missed. Re-applying an
/// entry is harmless. Short, so that rows are not read again and again:
/// an import's rows, which commit long after they are stamped, are found
/// by its import run's time instead.
const LOOK_BACK_MS: i64 = 10_000;

/// Changed entries are read and applied this many at a time, each page
/// as one batch under one short write lock, searches going on between
/// pages.
const APPLY_PAGE: i64 = 5_000;

/// More changed entries than this, and more than twice the entries the
/// index holds (a first national import into a new directory), build the
/// index whole: there is little beside it to double. Everything else — a
/// monthly national import that rewrites every entry included — is applied
/// in place, so memory never holds two national indexes: edited entries
/// keep the text and pool runs that did not change, a list an entry stays
/// in is not touched, and the index compacts between pages once garbage
/// piles up (docs/benchmarks.md).
const APPLY_AT_MOST: i64 = 20_000;

/// The snapshot's format: bump it when [`Index`] changes shape.
const SNAPSHOT_FORMAT: u32 = 4;

#[derive(Clone)]
pub struct LiveIndex {
    inner: Arc<Inner>,
}

struct Inner {
    index: RwLock<Index>,
    /// The database as the index reflects it.
    seen: Mutex<Seen>,
    /// One refresh at a time: a national build needs hundreds of megabytes
    /// for a few seconds, so changes arriving together must not start
    /// builds together. A caller that waited finds the index current.
    refreshing: tokio::sync::Mutex<()>,
    /// The procedure list (code, name), read with every refresh.
    procedures: RwLock<Arc<Vec<(String, String)>>>,
    /// The public holidays in force: the bundled ones with the imported
    /// years in their place, read with every refresh.
    holidays: RwLock<Arc<Holidays>>,
    ready: AtomicBool,
    snapshot: Option<PathBuf>,
    /// Whether the index changed since the snapshot was written.
    unsaved: AtomicBool,
    /// When the snapshot was last written (Unix ms; 0 never).
    saved_at: std::sync::atomic::AtomicI64,
    /// Current rows the last full build left out (corrupt stored JSON,
    /// logged): counted with the index's entries against the database.
    skipped: std::sync::atomic::AtomicUsize,
}

impl Default for LiveIndex {
    fn default() -> Self {
        Self::empty()
    }
}

/// Every current entry as the index holds it, read from the database: what
/// [`Index::build`] takes (the search benchmark builds its own index from it).
pub async fn current_entries(db: &Db) -> Result<Vec<Entry>, StoreError> {
    crate::store::load_for_index(db).await
}

/// What a snapshot is checked against before it is used.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct SnapshotHeader {
    format: u32,
    /// SHA-256 of the folding rules' data and of the index's and the
    /// store's source: an index folded with other rules, or packed or read
    /// another way, is not this build's index.
    rules: String,
    seen: Seen,
    /// Current rows the index leaves out (corrupt stored JSON).
    skipped: usize,
}

/// What the index reflects: the database's fingerprint when it last
/// looked, and when that was (Unix ms).
#[derive(Serialize, Deserialize, PartialEq, Debug, Clone, Copy, Default)]
struct Seen {
    fingerprint: IndexFingerprint,
    looked_at: i64,
}

fn rules_digest() -> String {
    // The index's shape and how rows become entries are read from their
    // source, so any change to them makes old snapshots unusable without
    // anyone remembering to bump SNAPSHOT_FORMAT.
    let mut hash = Sha256::new();
    for part in [
        renkei_domain::text::VARIANTS_CSV,
        include_str!("search.rs"),
        include_str!("store.rs"),
    ] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    hex::encode(hash.finalize())
}

/// How a refresh went, for the job's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// Nothing had changed.
    Current,
    /// This many changed entries were applied in place.
    Applied(usize),
    /// The index was built whole.
    Built,
    /// The index was read from the snapshot (and caught up).
    FromSnapshot,
}

impl LiveIndex {
    /// An empty index, not yet ready, without a snapshot.
    pub fn empty() -> Self {
        Self::new(None)
    }

    /// An empty index, not yet ready, that starts from (and keeps) the
    /// snapshot at `snapshot` when given.
    pub fn new(snapshot: Option<PathBuf>) -> Self {
        LiveIndex {
            inner: Arc::new(Inner {
                index: RwLock::new(Index::default()),
                seen: Mutex::new(Seen::default()),
                refreshing: tokio::sync::Mutex::new(()),
                procedures: RwLock::new(Arc::new(Vec::new())),
                holidays: RwLock::new(Arc::new(Holidays::bundled())),
                ready: AtomicBool::new(false),
                snapshot,
                unsaved: AtomicBool::new(false),
                saved_at: std::sync::atomic::AtomicI64::new(0),
                skipped: std::sync::atomic::AtomicUsize::new(0),
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        match self.inner.index.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn write(&self, f: impl FnOnce(&mut Index)) {
        let mut guard = match self.inner.index.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard);
        self.inner.unsaved.store(true, Ordering::SeqCst);
    }

    /// Searches the index as it is now.
    pub fn search(&self, q: &Query) -> Page {
        self.read().search(q)
    }

    /// One entry as the index holds it.
    pub fn get(&self, id: EntryId) -> Option<Entry> {
        self.read().get(id)
    }

    /// How many entries the index lists.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The procedure list as of the last refresh.
    pub fn procedures(&self) -> Arc<Vec<(String, String)>> {
        match self.inner.procedures.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The public holidays "open now" and "open at" use.
    pub fn holidays(&self) -> Arc<Holidays> {
        match self.inner.holidays.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether the first load has finished (for `/readyz`).
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Seen {
        match self.inner.seen.lock() {
            Ok(guard) => *guard,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    fn set_seen(&self, seen: Seen) {
        match self.inner.seen.lock() {
            Ok(mut guard) => *guard = seen,
            Err(poisoned) => *poisoned.into_inner() = seen,
        }
    }

    /// Puts one entry in the index as the database has it now (or takes it
    /// out when it left): an edit through the service shows in lists before
    /// the request answers.
    pub async fn reindex(&self, db: &Db, id: EntryId) -> Result<(), StoreError> {
        if !self.is_ready() {
            // The first build reads it anyway.
            return Ok(());
        }
        let entry = crate::store::current_entry_for_index(db, id).await?;
        self.write(|index| index.apply(id, entry.as_ref()));
        Ok(())
    }

    /// Brings the index up to date with the database: from the snapshot or
    /// a full build the first time, then by applying what changed. `now`
    /// is when it looks (the look-back of the next refresh counts from it).
    pub async fn refresh(&self, db: &Db, now: Timestamp) -> Result<Refreshed, StoreError> {
        let _one_at_a_time = self.inner.refreshing.lock().await;
        self.refresh_lists(db).await?;
        let current = Seen {
            fingerprint: crate::store::index_fingerprint(db).await?,
            looked_at: now.millis(),
        };
        if !self.is_ready() {
            if self.load_snapshot(&current.fingerprint).await {
                if self.seen().fingerprint != current.fingerprint
                    && self.catch_up(db, current).await? == Refreshed::Built
                {
                    return Ok(Refreshed::Built);
                }
                return Ok(Refreshed::FromSnapshot);
            }
            self.build(db, current).await?;
            return Ok(Refreshed::Built);
        }
        if current.fingerprint == self.seen().fingerprint {
            return Ok(Refreshed::Current);
        }
        self.catch_up(db, current).await
    }

    /// The oldest change a catch-up from `seen` must read: anything newer
    /// than the newest change seen, what was stamped shortly before the
    /// last look, and every row of an import run that finished since.
    async fn changes_since(&self, db: &Db, seen: Seen) -> Result<i64, StoreError> {
        let mut since = seen
            .fingerprint
            .newest_change
            .saturating_add(1)
            .min(seen.looked_at.saturating_sub(LOOK_BACK_MS));
        if let Some(run) =
            crate::store::oldest_import_run_after(db, seen.fingerprint.newest_import).await?
        {
            since = since.min(run);
        }
        Ok(since)
    }

    /// The procedure list and holidays, read with every refresh.
    async fn refresh_lists(&self, db: &Db) -> Result<(), StoreError> {
        let procedures = crate::store::procedures(db).await?;
        if let Ok(mut guard) = self.inner.procedures.write() {
            *guard = Arc::new(procedures);
        }
        let imported = crate::store::imported_holidays(db).await?;
        if !imported.is_empty() {
            let text: String = std::iter::once("day,name".to_string())
                .chain(imported.iter().map(|(d, n)| format!("{d},{n}")))
                .collect::<Vec<_>>()
                .join("\n");
            let holidays = Holidays::bundled().overridden_by(&Holidays::parse(&text).0);
            if let Ok(mut guard) = self.inner.holidays.write() {
                *guard = Arc::new(holidays);
            }
        }
        Ok(())
    }

    /// Applies what changed since the index last looked, page by page and
    /// in place, then drops what the edits left behind when that has piled
    /// up or puts new entries in kana order ([`Index::compact`], in place).
    /// Builds whole when the changes are mostly new entries (a first
    /// national import: see [`APPLY_AT_MOST`]) and when the index no longer
    /// counts what the database counts (a row deleted outright).
    async fn catch_up(&self, db: &Db, now: Seen) -> Result<Refreshed, StoreError> {
        let since = self.changes_since(db, self.seen()).await?;
        let changed = crate::store::count_changed_since(db, since).await?;
        if changed > APPLY_AT_MOST && changed > 2 * self.len() as i64 {
            self.build(db, now).await?;
            return Ok(Refreshed::Built);
        }
        let applied = self.apply_changes(db, since).await?;
        let skipped = self.inner.skipped.load(Ordering::SeqCst);
        let (counts_agree, too_much_garbage) = {
            let index = self.read();
            (
                (index.len() + skipped) as i64 == now.fingerprint.current,
                index.worth_compacting(),
            )
        };
        if !counts_agree {
            tracing::warn!(
                index = self.len(),
                database = now.fingerprint.current,
                "directory index counts differ from the database; building it whole"
            );
            self.build(db, now).await?;
            return Ok(Refreshed::Built);
        }
        if too_much_garbage || applied as i64 > APPLY_AT_MOST {
            // Edits leave their old text in the index's arena; after an
            // import's many pages, what they left goes too, so the index
            // serves at the size a build would give it.
            self.write(|index| index.compact());
            crate::search::release_free_memory();
        }
        self.set_seen(now);
        Ok(Refreshed::Applied(applied))
    }

    /// Applies every change at or after `since`, a page at a time; returns
    /// how many entries were applied.
    async fn apply_changes(&self, db: &Db, since: i64) -> Result<usize, StoreError> {
        let mut applied = 0;
        let mut after = EntryId(0);
        loop {
            let page = crate::store::changed_since(db, since, after, APPLY_PAGE).await?;
            applied += page.entries.len();
            if !page.entries.is_empty() {
                self.write(|index| {
                    index.apply_batch(&page.entries);
                    // A large import compacts as it goes rather than
                    // holding every page's old text until the end.
                    if index.worth_compacting() {
                        index.compact();
                    }
                });
            }
            match page.last {
                Some(last) if page.rows as i64 == APPLY_PAGE => after = last,
                _ => break,
            }
        }
        if applied > APPLY_PAGE as usize {
            // The pages' rows and the lists' old buffers were freed: hand
            // them back rather than keep them counted in RSS.
            crate::search::release_free_memory();
        }
        Ok(applied)
    }

    /// Builds the index whole from the database (streaming, in kana order)
    /// and swaps it in, then applies what changed while it was built.
    async fn build(&self, db: &Db, before: Seen) -> Result<(), StoreError> {
        // The rows are packed as they stream, which is CPU work for seconds:
        // on a blocking thread, not one of the server's workers.
        let handle = tokio::runtime::Handle::current();
        let from = db.clone();
        let index = tokio::task::spawn_blocking(move || {
            handle
                .block_on(crate::store::build_index(&from))
                .map(|(mut index, skipped)| {
                    index.finish();
                    (index, skipped)
                })
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("index build: {e}")))??;
        let (index, skipped) = index;
        self.inner.skipped.store(skipped, Ordering::SeqCst);
        self.write(|current| *current = index);
        // The old index was dropped with the swap: its pages go back to
        // the system rather than staying counted in RSS.
        crate::search::release_free_memory();
        self.set_seen(before);
        self.inner.ready.store(true, Ordering::SeqCst);
        // Edits that committed while the rows streamed.
        let after = crate::store::index_fingerprint(db).await?;
        if after != before.fingerprint {
            let since = self.changes_since(db, before).await?;
            self.apply_changes(db, since).await?;
            self.set_seen(Seen {
                fingerprint: after,
                ..before
            });
        }
        Ok(())
    }

    /// Reads the snapshot when there is one that fits; false otherwise
    /// (with the reason logged).
    async fn load_snapshot(&self, now: &IndexFingerprint) -> bool {
        let Some(path) = self.inner.snapshot.clone() else {
            return false;
        };
        if !path.exists() {
            return false;
        }
        let loaded = tokio::task::spawn_blocking(move || read_snapshot(&path)).await;
        let (header, index) = match loaded {
            Ok(Ok(loaded)) => loaded,
            Ok(Err(reason)) => {
                tracing::warn!(%reason, "directory index snapshot not used");
                return false;
            }
            Err(e) => {
                tracing::warn!(error = %e, "directory index snapshot not read");
                return false;
            }
        };
        let fits = header.format == SNAPSHOT_FORMAT
            && header.rules == rules_digest()
            && header.seen.fingerprint.newest_change <= now.newest_change
            && header.seen.fingerprint.rows <= now.rows;
        if !fits {
            tracing::info!(
                "directory index snapshot is from another format, folding rules or database; building whole"
            );
            return false;
        }
        self.write(|current| *current = index);
        self.set_seen(header.seen);
        self.inner.skipped.store(header.skipped, Ordering::SeqCst);
        self.inner.unsaved.store(false, Ordering::SeqCst);
        self.inner.ready.store(true, Ordering::SeqCst);
        true
    }

    /// Writes the snapshot when the index changed and the last one is at
    /// least `every_ms` old (an edit a minute must not rewrite hundreds of
    /// megabytes a minute; what the snapshot lacks is caught up at start).
    pub async fn save_snapshot_if_due(
        &self,
        now: Timestamp,
        every_ms: i64,
    ) -> Result<bool, StoreError> {
        if now.millis() - self.inner.saved_at.load(Ordering::SeqCst) < every_ms {
            return Ok(false);
        }
        let saved = self.save_snapshot().await?;
        if saved {
            self.inner.saved_at.store(now.millis(), Ordering::SeqCst);
        }
        Ok(saved)
    }

    /// Writes the snapshot when the index changed since the last one
    /// (written to a temporary file and renamed, so a crash leaves the old
    /// one). Returns whether it wrote.
    pub async fn save_snapshot(&self) -> Result<bool, StoreError> {
        let Some(path) = self.inner.snapshot.clone() else {
            return Ok(false);
        };
        if !self.is_ready() || !self.inner.unsaved.swap(false, Ordering::SeqCst) {
            return Ok(false);
        }
        let live = self.clone();
        let written = tokio::task::spawn_blocking(move || {
            let index = live.read();
            let header = SnapshotHeader {
                format: SNAPSHOT_FORMAT,
                rules: rules_digest(),
                seen: live.seen(),
                skipped: live.inner.skipped.load(Ordering::SeqCst),
            };
            write_snapshot(&path, &header, &index)
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("index snapshot: {e}")))?;
        if let Err(e) = written {
            self.inner.unsaved.store(true, Ordering::SeqCst);
            return Err(StoreError::Invalid(format!("index snapshot: {e}")));
        }
        Ok(true)
    }
}

fn write_snapshot(path: &Path, header: &SnapshotHeader, index: &Index) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut out = BufWriter::new(std::fs::File::create(&tmp)?);
    let to_io = |e: postcard::Error| std::io::Error::other(e.to_string());
    postcard::to_io(header, &mut out).map_err(to_io)?;
    postcard::to_io(index, &mut out).map_err(to_io)?;
    out.flush()?;
    out.get_ref().sync_all()?;
    drop(out);
    std::fs::rename(&tmp, path)
}

fn read_snapshot(path: &Path) -> Result<(SnapshotHeader, Index), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let (header, rest) =
        postcard::take_from_bytes::<SnapshotHeader>(&bytes).map_err(|e| e.to_string())?;
    if header.format != SNAPSHOT_FORMAT {
        return Err(format!(
            "format {} (this build reads {SNAPSHOT_FORMAT})",
            header.format
        ));
    }
    let mut index: Index = postcard::from_bytes(rest).map_err(|e| e.to_string())?;
    drop(bytes);
    index.finish();
    Ok((header, index))
}
