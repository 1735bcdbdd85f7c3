//! Callback in queue: a queue may offer its waiting callers to be called back (press 1) without
//! losing their place; the offer holds this many minutes (0: not offered).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("queues").add_column(integer("callback_minutes").default(0)).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("queues").drop_column("callback_minutes").to_owned()).await
    }
}
