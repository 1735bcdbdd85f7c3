//! Billing (seed 003's "inbound billing" and "outbound billing" sections): a rate table per
//! trunk and direction — prefix → price per minute, first and next billing increments, a
//! connection fee; the longest prefix wins — and the currency each trunk bills in. The call
//! lists' statistics: which outcomes count as a success.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("trunk_rates")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("trunk_id"))
                .col(string("direction"))
                .col(string("prefix"))
                .col(big_integer("per_minute"))
                .col(integer("first_seconds"))
                .col(integer("increment_seconds"))
                .col(big_integer("connect_fee"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_trunk_rates_prefix")
                .table("trunk_rates")
                .col("trunk_id")
                .col("direction")
                .col("prefix")
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("trunks").add_column(string("currency").default("")).to_owned()).await?;
        m.alter_table(Table::alter().table("list_outcomes").add_column(boolean("success").default(false)).to_owned())
            .await?;
        // The billing records read an organization's calls of one kind by time.
        m.create_index(
            Index::create()
                .name("ix_call_log_billing")
                .table("call_log")
                .col("org_id")
                .col("kind")
                .col("started_at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_call_log_billing").table("call_log").to_owned()).await?;
        m.alter_table(Table::alter().table("list_outcomes").drop_column("success").to_owned()).await?;
        m.alter_table(Table::alter().table("trunks").drop_column("currency").to_owned()).await?;
        m.drop_table(Table::drop().table("trunk_rates").to_owned()).await?;
        Ok(())
    }
}
