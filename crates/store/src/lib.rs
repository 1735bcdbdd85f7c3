//! Persistence for Switchboard: one code base over SQLite (embedded default) and PostgreSQL.
//! Every table but `sessions`, `login_failures` and `nodes` holds rows of exactly one organization.

mod bulk;
pub mod contact_load;
pub mod contact_search;
pub mod dialect;
pub mod entities;
pub mod list_load;
pub mod migration;
pub mod notify;
pub mod queue_stats;
pub mod search_index;
pub mod testing;
pub mod transient;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

pub use sea_orm;
pub use sea_orm::DbErr;

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    url: String,
    /// Bulk loads of contacts in progress in this process (see `search_index`).
    bulk: std::sync::Arc<tokio::sync::Mutex<usize>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("unsupported database URL (use sqlite: or postgres:): {0}")]
    UnsupportedUrl(String),
    /// A file kept beside the database (uploads, recordings) could not be read or written.
    #[error("file error: {0}")]
    Io(String),
}

/// How long a SQLite connection may stay idle in the pool before it is closed.
const IDLE: Duration = Duration::from_secs(60);

/// Page cache per SQLite connection, in KiB: eight connections hold at most 64 MiB of pages.
pub(crate) const CACHE_KIB: u32 = 8192;
/// Page cache of a connection while it bulk-loads contacts (indexes kept in memory).
pub(crate) const BULK_CACHE_KIB: u32 = 65536;
/// Pages of write-ahead log after which a commit copies it into the database file (~40 MiB).
pub(crate) const WAL_AUTOCHECKPOINT: u32 = 10_000;

/// How long a SQLite statement waits for another writer before it gives up (SQLITE_BUSY).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How to connect: SQLite files in WAL mode with a lazy pool of 8 (in-memory: exactly one),
/// PostgreSQL with a pool of 16.
fn options(url: &str, max: Option<u32>, busy_timeout: Duration) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // In-memory SQLite is one database per connection: keep exactly one.
        opts.max_connections(max.unwrap_or(if in_memory { 1 } else { 8 })).connect_lazy(!in_memory && max.is_none());
        if !in_memory {
            // A connection idle for a minute is closed, and its page cache with it: after a
            // burst the pool's memory goes back (an in-memory database lives in its connection).
            opts.idle_timeout(IDLE);
        }
        opts.map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
                // Up to 8 MiB of pages per connection (SQLite's default is 2 MiB); a bulk load
                // raises its own connection's for the load (`BULK_CACHE_KIB`).
                .pragma("cache_size", format!("-{CACHE_KIB}"))
                // Checkpoint the WAL every ~40 MiB rather than every 4 MiB (bulk writes copy less).
                .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT.to_string())
        });
    } else {
        opts.max_connections(max.unwrap_or(16));
    }
    opts
}

impl Store {
    /// Connects to `sqlite:PATH` (the file is created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_with(url, BUSY_TIMEOUT).await
    }

    /// `connect` with another SQLite busy timeout (tests that make the store fail on purpose).
    pub async fn connect_with(url: &str, busy_timeout: Duration) -> Result<Store, StoreError> {
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        }
        let db = Database::connect(options(url, None, busy_timeout)).await?;
        Ok(Store { db, url: url.to_string(), bulk: Default::default() })
    }

    /// Applies every migration not yet applied. Safe to run on every start and from several nodes.
    /// On SQLite the migrations run on a connection of their own, before the pool (which
    /// connects lazily) opens any: a connection that saw the old schema would keep describing
    /// statements with it.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if self.is_postgres() || self.url.contains(":memory:") || self.url.contains("mode=memory") {
            migration::Migrator::up(&self.db, None).await?;
            return Ok(());
        }
        let own = Database::connect(options(&self.url, Some(1), BUSY_TIMEOUT)).await?;
        migration::Migrator::up(&own, None).await?;
        own.close().await?;
        if self.contact_search_broken().await? {
            tracing::warn!("a bulk load of contacts was cut short: building the contact search indexes again");
            self.rebuild_contact_search().await?;
        }
        Ok(())
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Begins a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
    /// taken at once (waiting behind other writers up to the busy timeout), so a transaction
    /// that reads and then writes can never fail with SQLITE_BUSY_SNAPSHOT (code 517) because
    /// another connection committed in between — a deferred `BEGIN` would. Every transaction
    /// that writes starts here (`clippy.toml` forbids a plain `begin`).
    pub async fn write(&self) -> Result<sea_orm::DatabaseTransaction, DbErr> {
        begin_write(&self.db).await
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// A trivial round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }
}

/// `Store::write` on a connection of its own (migrations, tools).
#[allow(clippy::disallowed_methods)]
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await
}

/// Writes a row whose primary key the caller chose (settings keyed by organization or user):
/// every column is updated when the row exists (`exists`), else it is inserted.
pub async fn put_row<E, A>(db: &impl sea_orm::ConnectionTrait, exists: bool, model: E::Model) -> Result<(), DbErr>
where
    E: sea_orm::EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + sea_orm::ActiveModelBehavior + Send,
    E::Model: sea_orm::IntoActiveModel<A>,
{
    use sea_orm::IntoActiveModel;
    let am = model.into_active_model().reset_all();
    if exists {
        am.update(db).await?;
    } else {
        E::insert(am).exec_without_returning(db).await?;
    }
    Ok(())
}
