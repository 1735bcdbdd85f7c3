//! Bulk loads of contacts (the import): batches written in one transaction each, the fastest
//! way each backend offers. Bracket a large load with `Store::begin_bulk_contacts`
//! (`search_index`) so the search indexes are built once after it.

use crate::entities::contact;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, Set};

/// A contact of an import's file, checked and normalized; its code is made from the import
/// and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    /// The line of the file (the contact's code and the import's resume point come from it).
    pub line: u64,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub phone1: String,
    pub phone1_e164: String,
    pub phone2: String,
    pub phone2_e164: String,
    pub email: String,
    pub notes: String,
}

/// Rows per multi-row INSERT on PostgreSQL (15 values each, under its 65,535 parameters).
const PER_INSERT: usize = 1_500;
/// Rows per prepared multi-row INSERT on SQLite (one shape, prepared once).
const PER_INSERT_SQLITE: usize = 2_000;

fn sqlx_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(e.to_string()))
}

impl Store {
    /// Writes the rows of import `import_id` as contacts of `org`, all or none.
    pub async fn insert_contacts(
        &self,
        org: i64,
        import_id: i64,
        now: DateTime<Utc>,
        rows: Vec<ContactRow>,
    ) -> Result<(), StoreError> {
        if !self.is_postgres() {
            return self.insert_contacts_sqlite(org, import_id, now, rows).await;
        }
        let txn = self.write().await?;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<contact::ActiveModel> = rows
                .by_ref()
                .take(PER_INSERT)
                .map(|r| contact::ActiveModel {
                    org_id: Set(org),
                    code: Set(format!("I{import_id}-{:07}", r.line)),
                    first_name: Set(r.first_name),
                    last_name: Set(r.last_name),
                    company: Set(r.company),
                    phone1: Set(r.phone1),
                    phone1_e164: Set(r.phone1_e164),
                    phone2: Set(r.phone2),
                    phone2_e164: Set(r.phone2_e164),
                    email: Set(r.email),
                    notes: Set(r.notes),
                    created_at: Set(now),
                    updated_at: Set(now),
                    deleted_at: Set(None),
                    import_id: Set(Some(import_id)),
                    import_line: Set(Some(r.line as i64)),
                    ..Default::default()
                })
                .collect();
            contact::Entity::insert_many(chunk).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// SQLite: multi-row INSERTs of one prepared shape, in one transaction (a constraint
    /// failure rolls the whole batch back).
    async fn insert_contacts_sqlite(
        &self,
        org: i64,
        import_id: i64,
        now: DateTime<Utc>,
        rows: Vec<ContactRow>,
    ) -> Result<(), StoreError> {
        use sea_orm::sqlx;
        let sql = |n: usize| {
            let mut q = String::from(
                "INSERT OR ROLLBACK INTO contacts (org_id, code, first_name, last_name, company, phone1, phone1_e164, phone2, \
                 phone2_e164, email, notes, created_at, updated_at, import_id, import_line) VALUES ",
            );
            q.push_str(&vec!["(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"; n].join(","));
            q
        };
        let pool = self.conn().get_sqlite_connection_pool();
        let mut conn = pool.acquire().await.map_err(sqlx_error)?;
        // A bulk load keeps the pages it writes in memory; the connection goes back small.
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{}", crate::BULK_CACHE_KIB)))
            .execute(&mut *conn)
            .await
            .map_err(sqlx_error)?;
        let loaded = self.insert_contacts_sqlite_on(&mut conn, sql, org, import_id, now, rows).await;
        let restored = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{}", crate::CACHE_KIB)))
            .execute(&mut *conn)
            .await
            .map_err(sqlx_error);
        loaded.and(restored.map(|_| ()))
    }

    async fn insert_contacts_sqlite_on(
        &self,
        conn: &mut sea_orm::sqlx::SqliteConnection,
        sql: fn(usize) -> String,
        org: i64,
        import_id: i64,
        now: DateTime<Utc>,
        rows: Vec<ContactRow>,
    ) -> Result<(), StoreError> {
        use sea_orm::sqlx::{self, Connection};
        let full = sql(PER_INSERT_SQLITE);
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(sqlx_error)?;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<ContactRow> = rows.by_ref().take(PER_INSERT_SQLITE).collect();
            let text = if chunk.len() == PER_INSERT_SQLITE { full.clone() } else { sql(chunk.len()) };
            // Only placeholders are added to the text: the values are bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
            for r in chunk {
                q = q
                    .bind(org)
                    .bind(format!("I{import_id}-{:07}", r.line))
                    .bind(r.first_name)
                    .bind(r.last_name)
                    .bind(r.company)
                    .bind(r.phone1)
                    .bind(r.phone1_e164)
                    .bind(r.phone2)
                    .bind(r.phone2_e164)
                    .bind(r.email)
                    .bind(r.notes)
                    .bind(now)
                    .bind(now)
                    .bind(import_id)
                    .bind(r.line as i64);
            }
            q.execute(&mut *tx).await.map_err(sqlx_error)?;
        }
        tx.commit().await.map_err(sqlx_error)?;
        Ok(())
    }
}
