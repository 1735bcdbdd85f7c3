//! The CRM core: processes (ordered statuses, one initial, closing ones flagged), campaigns
//! (a process, agents), cases (numbered per organization, a status of their process, a
//! timeline, attachments) and saved searches.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn org_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, "org_id").to("organizations", "id").to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("processes")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut org_fk("processes"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("process_statuses")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("process_id"))
                .col(string("name"))
                .col(integer("position"))
                .col(boolean("initial"))
                .col(boolean("closing"))
                .col(boolean("active"))
                .foreign_key(&mut org_fk("process_statuses"))
                .foreign_key(ForeignKey::create().from("process_statuses", "process_id").to("processes", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_statuses_process")
                .table("process_statuses")
                .col("process_id")
                .col("position")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("campaigns")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                // inbound | outbound | mixed
                .col(string("kind"))
                .col(big_integer("process_id"))
                .col(boolean("active"))
                .col(boolean("agents_may_add"))
                .col(boolean("shown"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut org_fk("campaigns"))
                .foreign_key(ForeignKey::create().from("campaigns", "process_id").to("processes", "id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("campaign_agents")
                .col(big_integer("campaign_id"))
                .col(big_integer("user_id"))
                .col(big_integer("org_id"))
                .primary_key(Index::create().col("campaign_id").col("user_id"))
                .foreign_key(ForeignKey::create().from("campaign_agents", "campaign_id").to("campaigns", "id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("cases")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("number"))
                .col(string("name"))
                .col(big_integer("contact_id"))
                .col(big_integer("campaign_id"))
                .col(big_integer("status_id"))
                .col(big_integer_null("assignee_id"))
                .col(text("notes"))
                .col(big_integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .foreign_key(&mut org_fk("cases"))
                .foreign_key(ForeignKey::create().from("cases", "contact_id").to("contacts", "id"))
                .foreign_key(ForeignKey::create().from("cases", "campaign_id").to("campaigns", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ux_cases_org_number").table("cases").col("org_id").col("number").unique().to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_cases_contact").table("cases").col("org_id").col("contact_id").to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_cases_campaign").table("cases").col("org_id").col("campaign_id").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("case_events")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("case_id"))
                .col(timestamp_with_time_zone("at"))
                .col(big_integer_null("user_id"))
                // created | status | note | call | attachment | renamed | assigned
                .col(string("kind"))
                .col(text("detail"))
                .col(string_null("call_id"))
                .foreign_key(&mut org_fk("case_events"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_case_events_case").table("case_events").col("case_id").col("id").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("case_attachments")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("case_id"))
                .col(string("file_name"))
                .col(string("content_type"))
                .col(big_integer("size"))
                .col(big_integer("uploaded_by"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut org_fk("case_attachments"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("saved_searches")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(string("name"))
                // contacts | cases
                .col(string("target"))
                // JSON: [{field, op, value}]
                .col(text("conditions"))
                .foreign_key(&mut org_fk("saved_searches"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "saved_searches",
            "case_attachments",
            "case_events",
            "cases",
            "campaign_agents",
            "campaigns",
            "process_statuses",
            "processes",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
