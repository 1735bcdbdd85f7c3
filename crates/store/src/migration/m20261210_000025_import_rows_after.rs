//! An import of a call list's numbers finds its rows by their ids, not by an index of its own:
//! its rows all have ids above the highest number id when it first ran (`imports.after_id`),
//! and within an import, the ids go in the file's order. The (import, line) index — written
//! for every number imported and read only to resume or undo an import — goes. The index of
//! what agents hold keeps only held numbers (`leased_by IS NOT NULL`): every query of it names
//! a holder or asks for held ones, and an import, whose numbers nobody holds, writes nothing
//! into it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("imports").add_column(big_integer_null("after_id")).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_list_numbers_import").table("list_numbers").to_owned()).await?;
        m.drop_index(Index::drop().name("ix_list_numbers_held").table("list_numbers").to_owned()).await?;
        // Raw: sea-query's index statement has no WHERE; this text is the same on both backends.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_list_numbers_held ON list_numbers (org_id, leased_by, leased_at) \
                 WHERE leased_by IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_list_numbers_held").table("list_numbers").to_owned()).await?;
        m.create_index(
            Index::create()
                .name("ix_list_numbers_held")
                .table("list_numbers")
                .col("org_id")
                .col("leased_by")
                .col("leased_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_list_numbers_import")
                .table("list_numbers")
                .col("import_id")
                .col("import_line")
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("imports").drop_column("after_id").to_owned()).await
    }
}
