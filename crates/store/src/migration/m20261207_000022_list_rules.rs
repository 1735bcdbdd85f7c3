//! Call lists filled by the import engine (an import names the list it fills; each number keeps
//! its import and line, so a killed run goes on where it stopped and an unused import can be
//! undone); the sections of the call lists each agent may open (seed 003's "access settings":
//! calls, inbound billing, outbound billing, dialer); compliance profiles that a list follows
//! (calling window in the callee's time, days, holidays, attempts, blocks, consent, abandonment
//! cap), with what a number needs for them: its country, its consent, a block until when; each
//! list's dialing mode (preview, progressive, predictive) and every call the dialer placed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("imports").add_column(big_integer_null("call_list_id")).to_owned()).await?;
        m.alter_table(Table::alter().table("list_numbers").add_column(big_integer_null("import_id")).to_owned())
            .await?;
        m.alter_table(Table::alter().table("list_numbers").add_column(big_integer_null("import_line")).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name("ix_list_numbers_import")
                .table("list_numbers")
                .col("import_id")
                .col("import_line")
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("list_numbers").add_column(string("country").default("")).to_owned())
            .await?;
        m.alter_table(Table::alter().table("list_numbers").add_column(boolean("consent").default(false)).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table("list_numbers").add_column(timestamp_with_time_zone_null("blocked_until")).to_owned(),
        )
        .await?;
        // What an agent holds (counted at each "next number", released at the day's end): led by
        // the organization, or SQLite's planner reads the organization's whole index instead.
        m.drop_index(Index::drop().name("ix_list_numbers_leased").table("list_numbers").to_owned()).await?;
        m.create_index(
            Index::create()
                .name("ix_list_numbers_held")
                .table("list_numbers")
                .col("org_id")
                .col("leased_by")
                .col("leased_at")
                .to_owned(),
        )
        .await?;
        // Every list's rows of one number: attempts counted and blocks set across lists.
        m.create_index(
            Index::create().name("ix_list_numbers_number").table("list_numbers").col("org_id").col("number").to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_list_attempts_at").table("list_attempts").col("number_id").col("at").to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("call_lists").add_column(big_integer_null("profile_id")).to_owned()).await?;
        m.alter_table(Table::alter().table("call_lists").add_column(string("dial_mode").default("preview")).to_owned())
            .await?;
        // Every call the dialer placed: the evidence of each abandoned call, and the figures the
        // pacer and the abandonment cap read.
        m.create_table(
            Table::create()
                .table("dialer_calls")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("list_id"))
                .col(big_integer("number_id"))
                .col(string("number"))
                .col(string_null("call_id"))
                .col(timestamp_with_time_zone("placed_at"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(timestamp_with_time_zone_null("connected_at"))
                .col(timestamp_with_time_zone_null("message_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(big_integer_null("agent_id"))
                .col(string("result").default("dialing"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_dialer_calls_list")
                .table("dialer_calls")
                .col("org_id")
                .col("list_id")
                .col("placed_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_dialer_calls_number").table("dialer_calls").col("org_id").col("number").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("compliance_profiles")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                .col(integer("window_from").default(480))
                .col(integer("window_to").default(1260))
                .col(string("weekdays").default("1234567"))
                .col(text("holidays").default(""))
                .col(integer("max_per_day").default(0))
                .col(integer("max_per_30_days").default(0))
                .col(integer("block_after_refusal_hours").default(0))
                .col(integer("block_after_abandon_hours").default(0))
                .col(boolean("consent_required").default(false))
                .col(integer("abandon_cap_permille").default(30))
                .col(integer("abandon_window_hours").default(720))
                .col(boolean("active").default(true))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("list_agent_sections")
                .col(big_integer("user_id").primary_key())
                .col(big_integer("org_id"))
                .col(string("sections"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("list_agent_sections").to_owned()).await?;
        m.drop_table(Table::drop().table("compliance_profiles").to_owned()).await?;
        m.drop_table(Table::drop().table("dialer_calls").to_owned()).await?;
        m.alter_table(Table::alter().table("call_lists").drop_column("dial_mode").to_owned()).await?;
        m.alter_table(Table::alter().table("call_lists").drop_column("profile_id").to_owned()).await?;
        m.drop_index(Index::drop().name("ix_list_attempts_at").table("list_attempts").to_owned()).await?;
        m.drop_index(Index::drop().name("ix_list_numbers_number").table("list_numbers").to_owned()).await?;
        m.drop_index(Index::drop().name("ix_list_numbers_held").table("list_numbers").to_owned()).await?;
        m.create_index(
            Index::create().name("ix_list_numbers_leased").table("list_numbers").col("leased_by").to_owned(),
        )
        .await?;
        for c in ["blocked_until", "consent", "country"] {
            m.alter_table(Table::alter().table("list_numbers").drop_column(c).to_owned()).await?;
        }
        m.drop_index(Index::drop().name("ix_list_numbers_import").table("list_numbers").to_owned()).await?;
        for c in ["import_line", "import_id"] {
            m.alter_table(Table::alter().table("list_numbers").drop_column(c).to_owned()).await?;
        }
        m.alter_table(Table::alter().table("imports").drop_column("call_list_id").to_owned()).await
    }
}
