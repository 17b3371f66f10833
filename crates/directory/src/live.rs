//! The search index a server process serves from, kept in step with the
//! database. Imports run in another process (`renkei import`), so the server
//! polls a cheap fingerprint (row count and newest change) and rebuilds the
//! index when it moves; searches keep using the old index until the new one
//! is swapped in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use renkei_store::{read, Db, StoreError};

use crate::search::Index;
use renkei_domain::holidays::Holidays;

#[derive(Clone)]
pub struct LiveIndex {
    inner: Arc<Inner>,
}

struct Inner {
    index: RwLock<Arc<Index>>,
    fingerprint: RwLock<(i64, i64)>,
    /// One build at a time: a national build needs ~850 MB for a few
    /// seconds, so edits arriving together must not start builds together.
    /// A caller that waited finds the fingerprint current and returns.
    building: tokio::sync::Mutex<()>,
    /// The procedure list (code, name), read with every refresh.
    procedures: RwLock<Arc<Vec<(String, String)>>>,
    /// The public holidays in force: the bundled ones with the imported
    /// years in their place, read with every refresh.
    holidays: RwLock<Arc<Holidays>>,
    ready: AtomicBool,
}

impl Default for LiveIndex {
    fn default() -> Self {
        Self::empty()
    }
}

/// Every current entry as the index holds it, read from the database: what
/// [`Index::build`] takes (the search benchmark builds its own index from it).
pub async fn current_entries(db: &Db) -> Result<Vec<crate::search::Entry>, StoreError> {
    crate::store::load_for_index(db).await
}

async fn fingerprint(db: &Db) -> Result<(i64, i64), StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM directory_entries")
            .fetch_one(c)
            .await?
    }))
}

impl LiveIndex {
    /// An empty index, not yet ready.
    pub fn empty() -> Self {
        LiveIndex {
            inner: Arc::new(Inner {
                index: RwLock::new(Arc::new(Index::build(Vec::new()))),
                fingerprint: RwLock::new((-1, -1)),
                building: tokio::sync::Mutex::new(()),
                procedures: RwLock::new(Arc::new(Vec::new())),
                holidays: RwLock::new(Arc::new(Holidays::bundled())),
                ready: AtomicBool::new(false),
            }),
        }
    }

    /// The index to search now.
    pub fn current(&self) -> Arc<Index> {
        match self.inner.index.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
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

    /// Rebuilds the index when the directory changed since the last build.
    /// Returns whether it rebuilt.
    pub async fn refresh(&self, db: &Db) -> Result<bool, StoreError> {
        let _one_at_a_time = self.inner.building.lock().await;
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
        let now = fingerprint(db).await?;
        let last = self
            .inner
            .fingerprint
            .read()
            .map(|g| *g)
            .unwrap_or((-1, -1));
        if now == last && self.is_ready() {
            return Ok(false);
        }
        let entries = crate::store::load_for_index(db).await?;
        let index = tokio::task::spawn_blocking(move || Index::build(entries))
            .await
            .map_err(|e| StoreError::Invalid(format!("index build: {e}")))?;
        if let Ok(mut guard) = self.inner.index.write() {
            *guard = Arc::new(index);
        }
        if let Ok(mut guard) = self.inner.fingerprint.write() {
            *guard = now;
        }
        self.inner.ready.store(true, Ordering::SeqCst);
        Ok(true)
    }
}
