//! Bulk loads (the imports): batches written in one transaction each, the fastest way each
//! backend offers. On PostgreSQL, multi-row INSERTs through sea-orm; on SQLite, multi-row
//! INSERTs of one prepared shape on one connection whose page cache is raised for the load.

use crate::{Store, StoreError};
use sea_orm::sqlx;

/// A multi-row SQLite INSERT being bound.
pub(crate) type SqliteInsert = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn sqlx_error(e: sqlx::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(e.to_string()))
}

/// The INSERT of `n` rows of `columns` values into `into` ("table (col, …)"); a constraint
/// failure rolls the whole transaction back.
fn insert_sql(into: &str, columns: usize, n: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(","));
    format!("INSERT OR ROLLBACK INTO {into} VALUES {}", vec![row.as_str(); n].join(","))
}

impl Store {
    /// SQLite: `rows` written into `into` ("table (col, …)", `columns` values a row) by
    /// INSERTs of `per_insert` rows, all or none; `bind` binds one row's values in order.
    pub(crate) async fn sqlite_bulk_insert<T>(
        &self,
        into: &'static str,
        columns: usize,
        per_insert: usize,
        rows: Vec<T>,
        bind: impl Fn(SqliteInsert, T) -> SqliteInsert,
    ) -> Result<(), StoreError> {
        let pool = self.conn().get_sqlite_connection_pool();
        let mut conn = pool.acquire().await.map_err(sqlx_error)?;
        // A bulk load keeps the pages it writes in memory; the connection goes back small.
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{}", crate::BULK_CACHE_KIB)))
            .execute(&mut *conn)
            .await
            .map_err(sqlx_error)?;
        let loaded = async {
            use sqlx::Connection;
            let full = insert_sql(into, columns, per_insert);
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(sqlx_error)?;
            let mut rows = rows.into_iter().peekable();
            while rows.peek().is_some() {
                let chunk: Vec<T> = rows.by_ref().take(per_insert).collect();
                let text =
                    if chunk.len() == per_insert { full.clone() } else { insert_sql(into, columns, chunk.len()) };
                // Only placeholders are in the text: the values are bound.
                let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
                for r in chunk {
                    q = bind(q, r);
                }
                q.execute(&mut *tx).await.map_err(sqlx_error)?;
            }
            tx.commit().await.map_err(sqlx_error)
        }
        .await;
        let restored = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{}", crate::CACHE_KIB)))
            .execute(&mut *conn)
            .await
            .map_err(sqlx_error);
        loaded.and(restored.map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_insert_has_a_placeholder_per_value() {
        assert_eq!(super::insert_sql("t (a, b)", 2, 2), "INSERT OR ROLLBACK INTO t (a, b) VALUES (?,?),(?,?)");
    }
}
