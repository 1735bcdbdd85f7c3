//! Searching a million contacts quickly.
//! - Names: indexes that ignore case (SQLite: NOCASE, only contacts not deleted; PostgreSQL:
//!   lowercased, for `LIKE 'prefix%'`), also the order of the results.
//! - SQLite: a trigram full-text index over the searchable text (`contacts_fts`, external
//!   content, no positions) kept up to date by triggers, so "contains" finds its candidates
//!   without reading the table; `search_state` says whether it is complete (a bulk import drops
//!   it and builds it again afterwards: see `store::search_index`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE INDEX ix_contacts_org_name ON contacts (org_id, last_name COLLATE NOCASE, first_name COLLATE NOCASE) \
     WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_org_first ON contacts (org_id, first_name COLLATE NOCASE) WHERE deleted_at IS NULL",
    "CREATE VIRTUAL TABLE contacts_fts USING fts5(code, first_name, last_name, company, phone1_e164, phone2_e164, \
     email, notes, content='contacts', content_rowid='id', tokenize='trigram', detail=none)",
    "INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')",
    "CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN \
     INSERT INTO contacts_fts(rowid, code, first_name, last_name, company, phone1_e164, phone2_e164, email, notes) \
     VALUES (new.id, new.code, new.first_name, new.last_name, new.company, new.phone1_e164, new.phone2_e164, \
     new.email, new.notes); END",
    "CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN \
     INSERT INTO contacts_fts(contacts_fts, rowid, code, first_name, last_name, company, phone1_e164, phone2_e164, \
     email, notes) VALUES ('delete', old.id, old.code, old.first_name, old.last_name, old.company, \
     old.phone1_e164, old.phone2_e164, old.email, old.notes); END",
    "CREATE TRIGGER contacts_fts_au AFTER UPDATE OF code, first_name, last_name, company, phone1_e164, \
     phone2_e164, email, notes ON contacts BEGIN \
     INSERT INTO contacts_fts(contacts_fts, rowid, code, first_name, last_name, company, phone1_e164, phone2_e164, \
     email, notes) VALUES ('delete', old.id, old.code, old.first_name, old.last_name, old.company, \
     old.phone1_e164, old.phone2_e164, old.email, old.notes); \
     INSERT INTO contacts_fts(rowid, code, first_name, last_name, company, phone1_e164, phone2_e164, email, notes) \
     VALUES (new.id, new.code, new.first_name, new.last_name, new.company, new.phone1_e164, new.phone2_e164, \
     new.email, new.notes); END",
    "CREATE TABLE search_state (name varchar NOT NULL PRIMARY KEY, ready boolean NOT NULL)",
    "INSERT INTO search_state (name, ready) VALUES ('contacts_fts', 1)",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TABLE search_state",
    "DROP TRIGGER contacts_fts_au",
    "DROP TRIGGER contacts_fts_ad",
    "DROP TRIGGER contacts_fts_ai",
    "DROP TABLE contacts_fts",
    "DROP INDEX ix_contacts_org_first",
    "DROP INDEX ix_contacts_org_name",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE INDEX ix_contacts_org_name ON contacts (org_id, lower(last_name) text_pattern_ops, \
     lower(first_name) text_pattern_ops) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_org_first ON contacts (org_id, lower(first_name) text_pattern_ops) \
     WHERE deleted_at IS NULL",
];

const POSTGRES_DOWN: &[&str] = &["DROP INDEX ix_contacts_org_first", "DROP INDEX ix_contacts_org_name"];

async fn run(m: &SchemaManager<'_>, sqlite: &[&str], postgres: &[&str]) -> Result<(), DbErr> {
    let db = m.get_connection();
    let list = if db.get_database_backend() == DbBackend::Sqlite { sqlite } else { postgres };
    for sql in list {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_UP, POSTGRES_UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_DOWN, POSTGRES_DOWN).await
    }
}
