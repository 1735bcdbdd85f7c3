//! What a queue tells its waiting callers: every how many seconds (0: nothing), and in which
//! language its recorded words are spoken.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column at a time: SQLite alters a table by one column per statement.
        m.alter_table(Table::alter().table("queues").add_column(integer("announce_seconds").default(0)).to_owned())
            .await?;
        m.alter_table(Table::alter().table("queues").add_column(string("language").default("en")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("queues").drop_column("language").to_owned()).await?;
        m.alter_table(Table::alter().table("queues").drop_column("announce_seconds").to_owned()).await
    }
}
