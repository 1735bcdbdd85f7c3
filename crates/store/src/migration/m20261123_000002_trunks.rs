//! Telephony configuration of an organization: carrier trunks, its phone numbers (DIDs) and
//! where they ring, ring groups, and the dial rules that say what may be called outside.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let org_fk = |t: &'static str| ForeignKey::create().from(t, "org_id").to("organizations", "id").to_owned();
        m.create_table(
            Table::create()
                .table("trunks")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                .col(string("host"))
                .col(integer("port"))
                .col(string("transport"))
                .col(string_null("username"))
                .col(string_null("password"))
                .col(text("inbound_addresses"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut org_fk("trunks"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("ring_groups")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                .col(boolean("parallel"))
                .col(integer("ring_seconds"))
                .col(text("members"))
                .foreign_key(&mut org_fk("ring_groups"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("phone_numbers")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string_uniq("number"))
                .col(string_null("route_extension"))
                .col(big_integer_null("route_group_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut org_fk("phone_numbers"))
                .foreign_key(ForeignKey::create().from("phone_numbers", "route_group_id").to("ring_groups", "id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("dial_rules")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("prefix"))
                .col(boolean("allow"))
                .foreign_key(&mut org_fk("dial_rules"))
                .to_owned(),
        )
        .await?;
        for (table, name) in [
            ("trunks", "ix_trunks_org"),
            ("ring_groups", "ix_ring_groups_org"),
            ("dial_rules", "ix_dial_rules_org"),
            ("phone_numbers", "ix_phone_numbers_org"),
        ] {
            m.create_index(Index::create().name(name).table(table).col("org_id").to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["dial_rules", "phone_numbers", "ring_groups", "trunks"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
