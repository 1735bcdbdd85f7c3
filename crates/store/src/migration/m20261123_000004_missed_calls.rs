//! Missed calls: one row per organization and caller while it is listed, and its history
//! (every miss, callback, SMS, hide, restore and removal — who, when, why).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("missed_calls")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("caller"))
                .col(string("called_number"))
                .col(integer("count"))
                .col(timestamp_with_time_zone("first_at"))
                .col(timestamp_with_time_zone("last_at"))
                .col(string("state"))
                .col(string_null("removed_cause"))
                .col(timestamp_with_time_zone_null("removed_at"))
                .foreign_key(ForeignKey::create().from("missed_calls", "org_id").to("organizations", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_missed_org_caller").table("missed_calls").col("org_id").col("caller").to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_missed_org_state_last")
                .table("missed_calls")
                .col("org_id")
                .col("state")
                .col("last_at")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("missed_call_history")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("missed_call_id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("kind"))
                .col(big_integer_null("user_id"))
                .col(string("detail"))
                .foreign_key(
                    ForeignKey::create().from("missed_call_history", "missed_call_id").to("missed_calls", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_missed_history_call")
                .table("missed_call_history")
                .col("missed_call_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("missed_call_history").to_owned()).await?;
        m.drop_table(Table::drop().table("missed_calls").to_owned()).await
    }
}
