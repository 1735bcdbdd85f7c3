//! Bulk loads (the imports): batches written in one transaction each, the fastest way each
//! backend offers. On PostgreSQL, multi-row INSERTs through sea-orm; on SQLite, multi-row
//! INSERTs (of a VALUES list) of one prepared shape on one connection whose page cache is raised for the load.

use crate::{Store, StoreError};
use sea_orm::sqlx;

/// A multi-row SQLite INSERT being bound.
pub(crate) type SqliteInsert = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn sqlx_error(e: sqlx::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(e.to_string()))
}

/// A table's columns as a bulk load writes them: `shared` take one value for every row of the
/// load (bound once per statement, first: placeholders count in the order of the text), `each` one value per row.
pub(crate) struct Columns {
    pub table: &'static str,
    pub shared: &'static [&'static str],
    pub each: &'static [&'static str],
}

/// The INSERT of `n` rows of `c`; a constraint failure rolls the whole transaction back. The
/// rows come as a VALUES list, so a row binds only its own values (half of a number's sixteen
/// columns are the same for the whole load).
fn insert_sql(c: &Columns, n: usize) -> String {
    let names: Vec<&str> = c.shared.iter().chain(c.each).copied().collect();
    let picked: Vec<String> =
        c.shared.iter().map(|_| "?".to_string()).chain((1..=c.each.len()).map(|i| format!("column{i}"))).collect();
    let row = format!("({})", vec!["?"; c.each.len()].join(","));
    format!(
        "INSERT OR ROLLBACK INTO {} ({}) SELECT {} FROM (VALUES {})",
        c.table,
        names.join(", "),
        picked.join(","),
        vec![row.as_str(); n].join(",")
    )
}

impl Store {
    /// SQLite: `rows` written into the columns `c` by INSERTs of `per_insert` rows, all or
    /// none; `shared` binds the values every row shares, `bind` one row's own values in order.
    /// The next INSERT is bound while SQLite writes the one before.
    pub(crate) async fn sqlite_bulk_insert<T>(
        &self,
        c: &Columns,
        per_insert: usize,
        rows: Vec<T>,
        shared: impl Fn(SqliteInsert) -> SqliteInsert,
        bind: impl Fn(SqliteInsert, T) -> SqliteInsert,
    ) -> Result<(), StoreError> {
        let pool = self.conn().get_sqlite_connection_pool();
        let mut conn = pool.acquire().await.map_err(sqlx_error)?;
        // A bulk load keeps the pages it writes in memory; the connection goes back small.
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{}", crate::BULK_CACHE_KIB)))
            .execute(&mut *conn)
            .await
            .map_err(sqlx_error)?;
        // Its commits copy nothing into the database file: a checkpoint behind it does (below).
        sqlx::query("PRAGMA wal_autocheckpoint = 0").execute(&mut *conn).await.map_err(sqlx_error)?;
        let loaded = async {
            use sqlx::Connection;
            let full = insert_sql(c, per_insert);
            let mut rows = rows.into_iter().peekable();
            let mut next = || {
                let chunk: Vec<T> = rows.by_ref().take(per_insert).collect();
                if chunk.is_empty() {
                    return None;
                }
                let text = if chunk.len() == per_insert { full.clone() } else { insert_sql(c, chunk.len()) };
                // Only placeholders are in the text: the values are bound.
                let mut q = shared(sqlx::query(sqlx::AssertSqlSafe(text)));
                for r in chunk {
                    q = bind(q, r);
                }
                Some(q)
            };
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(sqlx_error)?;
            let mut pending = next();
            while let Some(q) = pending {
                // The INSERT is handed to SQLite's thread at its first poll; the next one is
                // bound meanwhile on this one.
                let (done, following) = tokio::join!(q.execute(&mut *tx), async { next() });
                done.map_err(sqlx_error)?;
                pending = following;
            }
            tx.commit().await.map_err(sqlx_error)
        }
        .await;
        let restored = async {
            sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA wal_autocheckpoint = {}", crate::WAL_AUTOCHECKPOINT)))
                .execute(&mut *conn)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{}", crate::CACHE_KIB)))
                .execute(&mut *conn)
                .await
        }
        .await
        .map_err(sqlx_error);
        self.checkpoint_behind();
        loaded.and(restored.map(|_| ()))
    }

    /// Copies the write-ahead log into the database file on a connection of its own while
    /// the caller goes on (a bulk load's next batch is read and bound meanwhile). Passive: it
    /// waits for nobody, and a checkpoint already running makes it return at once.
    fn checkpoint_behind(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            if let Err(e) = store.checkpoint().await {
                tracing::warn!("checkpoint after a bulk load: {e}");
            }
        });
    }

    /// SQLite: copies what the write-ahead log holds into the database file, as far as no
    /// reader still needs it (PostgreSQL: nothing to do).
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.is_postgres() {
            return Ok(());
        }
        let pool = self.conn().get_sqlite_connection_pool();
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await.map_err(sqlx_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_insert_has_a_placeholder_per_value() {
        let c = super::Columns { table: "t", shared: &["a"], each: &["b", "c"] };
        assert_eq!(
            super::insert_sql(&c, 2),
            "INSERT OR ROLLBACK INTO t (a, b, c) SELECT ?,column1,column2 FROM (VALUES (?,?),(?,?))"
        );
    }
}
