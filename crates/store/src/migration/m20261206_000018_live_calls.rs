//! What a node needs to close its calls after a crash: each node's last sign of life
//! (`nodes`, a heartbeat), and the calls in progress as their last event left them
//! (`live_calls`, written with each event, removed when the call ends).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("nodes")
                .col(string("name").primary_key())
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone("seen_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("live_calls")
                .col(big_integer("org_id"))
                .col(string("call_id"))
                .col(string("node"))
                .col(text("call"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("org_id").col("call_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_live_calls_node").table("live_calls").col("node").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("live_calls").to_owned()).await?;
        m.drop_table(Table::drop().table("nodes").to_owned()).await
    }
}
