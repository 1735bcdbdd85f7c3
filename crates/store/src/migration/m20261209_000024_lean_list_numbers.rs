//! A call list's numbers carry one index fewer: a number's rows over every list are found by
//! the lists' unique index (list, number) for each of the organization's lists, so the
//! (organization, number) index — a second copy of every number, written at every import — goes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_list_numbers_number").table("list_numbers").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create().name("ix_list_numbers_number").table("list_numbers").col("org_id").col("number").to_owned(),
        )
        .await
    }
}
