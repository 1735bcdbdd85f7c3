//! Bulk loads of contacts (the import), through `bulk.rs`. Bracket a large load with
//! `Store::begin_bulk_contacts` (`search_index`) so the search indexes are built once after it.

use crate::bulk::{Columns, SqliteInsert};
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
/// Rows per prepared multi-row INSERT on SQLite (under its 32,766 parameters).
const PER_INSERT_SQLITE: usize = 2_000;

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
            const COLUMNS: Columns = Columns {
                table: "contacts",
                shared: &["org_id", "import_id", "created_at", "updated_at"],
                each: &[
                    "code",
                    "first_name",
                    "last_name",
                    "company",
                    "phone1",
                    "phone1_e164",
                    "phone2",
                    "phone2_e164",
                    "email",
                    "notes",
                    "import_line",
                ],
            };
            let shared = |q: SqliteInsert| q.bind(org).bind(import_id).bind(now).bind(now);
            return self
                .sqlite_bulk_insert(&COLUMNS, PER_INSERT_SQLITE, rows, shared, |q, r| {
                    q.bind(format!("I{import_id}-{:07}", r.line))
                        .bind(r.first_name)
                        .bind(r.last_name)
                        .bind(r.company)
                        .bind(r.phone1)
                        .bind(r.phone1_e164)
                        .bind(r.phone2)
                        .bind(r.phone2_e164)
                        .bind(r.email)
                        .bind(r.notes)
                        .bind(r.line as i64)
                })
                .await;
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
}
