//! Queue events counted per queue, kind and quarter hour (UTC), and per queue, kind and day of
//! the organization's time zone, as they are written (what reports over millions of events read
//! instead of the events). The quarter hours are filled here from the events already there; the
//! days, which need the time zone, by the CRM when it starts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("queue_stats")
                .col(big_integer("org_id"))
                .col(big_integer("queue_id"))
                .col(big_integer("bucket"))
                .col(string("kind"))
                .col(big_integer("events"))
                .col(big_integer("wait_ms"))
                .col(big_integer("in_time"))
                .col(big_integer("short_waits"))
                .primary_key(Index::create().col("org_id").col("bucket").col("queue_id").col("kind"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("queue_stats_daily")
                .col(big_integer("org_id"))
                .col(big_integer("queue_id"))
                .col(integer("day"))
                .col(string("kind"))
                .col(big_integer("events"))
                .col(big_integer("wait_ms"))
                .col(big_integer("in_time"))
                .col(big_integer("short_waits"))
                .primary_key(Index::create().col("org_id").col("day").col("queue_id").col("kind"))
                .to_owned(),
        )
        .await?;
        crate::queue_stats::rebuild_sql(m.get_connection(), None).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("queue_stats_daily").to_owned()).await?;
        m.drop_table(Table::drop().table("queue_stats").to_owned()).await
    }
}
