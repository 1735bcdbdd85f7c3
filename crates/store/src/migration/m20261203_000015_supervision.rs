//! The supervision log: who listened to, whispered in or barged into which call, when, and
//! for how long (one row per stretch in one mode).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("supervision_log")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("call_id"))
                .col(big_integer_null("supervisor_id"))
                .col(string("supervisor_extension"))
                .col(string("agent_extension"))
                .col(string("mode"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_supervision_log_org_started")
                .table("supervision_log")
                .col("org_id")
                .col("started_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("supervision_log").to_owned()).await
    }
}
