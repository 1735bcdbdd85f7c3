//! The contact search indexes around bulk loads (SQLite). Keeping two name indexes and a
//! trigram index up to date row by row would make a million-row import take three times as
//! long, so a bulk load drops them first and builds them again, sorted, once the last bulk
//! load of the process ends (in the background: the contacts are in and listed by then).
//! Meanwhile `search_state` says the full-text index is incomplete and searches do not use it
//! (they read the table: slower, never wrong). A process killed in between builds them again
//! when it starts (`Store::migrate`). PostgreSQL keeps its indexes up to date as it goes; after
//! a bulk load it only refreshes the statistics of its query planner.

use crate::{Store, StoreError};
use sea_orm::ConnectionTrait;

/// The statements of migration 000009 that a bulk load suspends (a test checks they create
/// exactly what the migration did).
const NAME_INDEXES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_contacts_org_name ON contacts (org_id, last_name COLLATE NOCASE, first_name \
     COLLATE NOCASE) WHERE deleted_at IS NULL",
    "CREATE INDEX IF NOT EXISTS ix_contacts_org_first ON contacts (org_id, first_name COLLATE NOCASE) WHERE \
     deleted_at IS NULL",
];

const FTS_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER IF NOT EXISTS contacts_fts_ai AFTER INSERT ON contacts BEGIN \
     INSERT INTO contacts_fts(rowid, code, first_name, last_name, company, phone1_e164, phone2_e164, email, notes) \
     VALUES (new.id, new.code, new.first_name, new.last_name, new.company, new.phone1_e164, new.phone2_e164, \
     new.email, new.notes); END",
    "CREATE TRIGGER IF NOT EXISTS contacts_fts_ad AFTER DELETE ON contacts BEGIN \
     INSERT INTO contacts_fts(contacts_fts, rowid, code, first_name, last_name, company, phone1_e164, phone2_e164, \
     email, notes) VALUES ('delete', old.id, old.code, old.first_name, old.last_name, old.company, \
     old.phone1_e164, old.phone2_e164, old.email, old.notes); END",
    "CREATE TRIGGER IF NOT EXISTS contacts_fts_au AFTER UPDATE OF code, first_name, last_name, company, phone1_e164, \
     phone2_e164, email, notes ON contacts BEGIN \
     INSERT INTO contacts_fts(contacts_fts, rowid, code, first_name, last_name, company, phone1_e164, phone2_e164, \
     email, notes) VALUES ('delete', old.id, old.code, old.first_name, old.last_name, old.company, \
     old.phone1_e164, old.phone2_e164, old.email, old.notes); \
     INSERT INTO contacts_fts(rowid, code, first_name, last_name, company, phone1_e164, phone2_e164, email, notes) \
     VALUES (new.id, new.code, new.first_name, new.last_name, new.company, new.phone1_e164, new.phone2_e164, \
     new.email, new.notes); END",
];

const SUSPEND: &[&str] = &[
    "UPDATE search_state SET ready = 0 WHERE name = 'contacts_fts'",
    "DROP TRIGGER IF EXISTS contacts_fts_ai",
    "DROP TRIGGER IF EXISTS contacts_fts_ad",
    "DROP TRIGGER IF EXISTS contacts_fts_au",
    "DROP INDEX IF EXISTS ix_contacts_org_name",
    "DROP INDEX IF EXISTS ix_contacts_org_first",
];

/// A bulk load of contacts in progress; `finish` it (dropped unfinished, it finishes in the
/// background).
pub struct BulkLoad {
    store: Option<Store>,
}

impl BulkLoad {
    /// Ends this bulk load; the last one of the process starts building the indexes again.
    pub async fn finish(mut self) {
        if let Some(store) = self.store.take() {
            store.end_bulk().await;
        }
    }
}

impl Drop for BulkLoad {
    fn drop(&mut self) {
        if let (Some(store), Ok(rt)) = (self.store.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move { store.end_bulk().await });
        }
    }
}

impl Store {
    /// Starts a bulk load of contacts: on SQLite the first one drops the search indexes (on
    /// PostgreSQL the last one only refreshes the planner's statistics).
    pub async fn begin_bulk_contacts(&self) -> Result<BulkLoad, StoreError> {
        let mut loads = self.bulk.lock().await;
        if *loads == 0 && !self.is_postgres() {
            let txn = self.write().await?;
            for sql in SUSPEND {
                txn.execute_unprepared(sql).await?;
            }
            txn.commit().await?;
        }
        *loads += 1;
        Ok(BulkLoad { store: Some(self.clone()) })
    }

    async fn end_bulk(&self) {
        let mut loads = self.bulk.clone().lock_owned().await;
        *loads = loads.saturating_sub(1);
        if *loads > 0 {
            return;
        }
        let store = self.clone();
        // The lock is held until the indexes are back: a new bulk load waits for them.
        tokio::spawn(async move {
            if let Err(e) = store.rebuild_contact_search().await {
                tracing::error!("rebuilding the contact search indexes: {e}");
            }
            drop(loads);
        });
    }

    /// Waits until no bulk load is running and the search indexes are whole again.
    pub async fn contact_search_settled(&self) {
        let _idle = self.bulk.lock().await;
    }

    /// Whether the full-text index of contacts is complete (SQLite; PostgreSQL has none).
    pub async fn contacts_fts_ready(&self) -> Result<bool, StoreError> {
        if self.is_postgres() {
            return Ok(false);
        }
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT ready FROM search_state WHERE name = 'contacts_fts'",
            ))
            .await?;
        Ok(row.and_then(|r| r.try_get_by_index::<bool>(0).ok()).unwrap_or(false))
    }

    /// Whether a bulk load was cut short (the process killed): some search index is missing.
    pub(crate) async fn contact_search_broken(&self) -> Result<bool, StoreError> {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT count(*) FROM sqlite_master WHERE name IN ('ix_contacts_org_name', 'ix_contacts_org_first', \
                 'contacts_fts_ai', 'contacts_fts_ad', 'contacts_fts_au')",
            ))
            .await?;
        let present = row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0);
        Ok(present < 5 || !self.contacts_fts_ready().await?)
    }

    /// Builds whatever of the contact search indexes is missing (SQLite): the name indexes, then
    /// the full-text index with its triggers, in one transaction with the flag that says it is
    /// whole, then fresh statistics for the query planner.
    pub async fn rebuild_contact_search(&self) -> Result<(), StoreError> {
        if self.is_postgres() {
            // Its indexes are whole; its statistics are not, until autovacuum comes by.
            self.db.execute_unprepared("ANALYZE contacts").await?;
            return Ok(());
        }
        for sql in NAME_INDEXES {
            self.db.execute_unprepared(sql).await?;
        }
        if !self.contacts_fts_ready().await? {
            let txn = self.write().await?;
            txn.execute_unprepared("INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')").await?;
            for sql in FTS_TRIGGERS {
                txn.execute_unprepared(sql).await?;
            }
            txn.execute_unprepared("UPDATE search_state SET ready = 1 WHERE name = 'contacts_fts'").await?;
            txn.commit().await?;
        }
        self.db.execute_unprepared("PRAGMA analysis_limit = 400").await?;
        self.db.execute_unprepared("ANALYZE contacts").await?;
        Ok(())
    }
}
