//! Bulk loads of a call list's numbers (the import), through `bulk.rs`.

use crate::bulk::{Columns, SqliteInsert};
use crate::entities::list_number;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, Set};

/// A number of an import's file, checked and normalized, with its category and agent found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRow {
    /// The line of the file (the import's resume point).
    pub line: u64,
    /// E.164 digits.
    pub number: String,
    pub typed: String,
    pub name: String,
    pub contact_id: Option<i64>,
    pub category_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// The number's country (ISO 3166).
    pub country: String,
    pub consent: bool,
}

/// Rows per multi-row INSERT on PostgreSQL (16 values each, under its 65,535 parameters).
const PER_INSERT: usize = 2_000;
/// Rows per prepared multi-row INSERT on SQLite (9 values each, under its 32,766 parameters).
const PER_INSERT_SQLITE: usize = 3_000;

impl Store {
    /// Writes the rows of import `import_id` as numbers of list `list_id`, all or none (a
    /// number already in the list fails the batch).
    pub async fn insert_list_numbers(
        &self,
        org: i64,
        list_id: i64,
        import_id: i64,
        now: DateTime<Utc>,
        rows: Vec<NumberRow>,
    ) -> Result<(), StoreError> {
        if !self.is_postgres() {
            const COLUMNS: Columns = Columns {
                table: "list_numbers",
                shared: &["org_id", "list_id", "import_id", "created_at", "modified_at"],
                each: &[
                    "number",
                    "typed",
                    "name",
                    "contact_id",
                    "category_id",
                    "agent_id",
                    "import_line",
                    "country",
                    "consent",
                ],
            };
            let shared = |q: SqliteInsert| q.bind(org).bind(list_id).bind(import_id).bind(now).bind(now);
            return self
                .sqlite_bulk_insert(&COLUMNS, PER_INSERT_SQLITE, rows, shared, |q, r| {
                    q.bind(r.number)
                        .bind(r.typed)
                        .bind(r.name)
                        .bind(r.contact_id)
                        .bind(r.category_id)
                        .bind(r.agent_id)
                        .bind(r.line as i64)
                        .bind(r.country)
                        .bind(r.consent)
                })
                .await;
        }
        let txn = self.write().await?;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<list_number::ActiveModel> = rows
                .by_ref()
                .take(PER_INSERT)
                .map(|r| list_number::ActiveModel {
                    org_id: Set(org),
                    list_id: Set(list_id),
                    number: Set(r.number),
                    typed: Set(r.typed),
                    name: Set(r.name),
                    contact_id: Set(r.contact_id),
                    category_id: Set(r.category_id),
                    agent_id: Set(r.agent_id),
                    attempts: Set(0),
                    done: Set(false),
                    created_at: Set(now),
                    modified_at: Set(now),
                    import_id: Set(Some(import_id)),
                    import_line: Set(Some(r.line as i64)),
                    country: Set(r.country),
                    consent: Set(r.consent),
                    ..Default::default()
                })
                .collect();
            list_number::Entity::insert_many(chunk).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// After a load: PostgreSQL's statistics of the numbers are taken again at once (its
    /// planner, left with those of an empty table until autovacuum comes by, scanned the whole
    /// table for each "next number"). SQLite keeps none, and needs nothing.
    pub async fn after_list_load(&self) -> Result<(), StoreError> {
        if self.is_postgres() {
            use sea_orm::ConnectionTrait;
            self.conn().execute_unprepared("ANALYZE list_numbers").await?;
        }
        Ok(())
    }
}
