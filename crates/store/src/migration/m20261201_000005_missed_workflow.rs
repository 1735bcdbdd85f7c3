//! The rest of the missed-call workflow: callbacks and SMS from a row (their call and result in
//! the history, the row's last action), settings per organization, the organization's
//! outgoing-mail settings, and each user's preferences (notification e-mail and the like).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let alter = |t: &'static str, mut c: ColumnDef| Table::alter().table(t).add_column(&mut c).to_owned();
        m.alter_table(alter("missed_calls", string("last_action").default("none").to_owned())).await?;
        m.alter_table(alter("missed_call_history", string_null("call_id"))).await?;
        m.alter_table(alter("missed_call_history", string_null("result"))).await?;
        m.alter_table(alter("missed_call_history", timestamp_with_time_zone_null("answered_at"))).await?;
        m.create_index(
            Index::create().name("ix_missed_history_call_id").table("missed_call_history").col("call_id").to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_missed_org_last").table("missed_calls").col("org_id").col("last_at").to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_missed_org_action_last")
                .table("missed_calls")
                .col("org_id")
                .col("last_action")
                .col("last_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_missed_org_state_action_last")
                .table("missed_calls")
                .col("org_id")
                .col("state")
                .col("last_action")
                .col("last_at")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("missed_settings")
                .col(big_integer("org_id").primary_key())
                .col(integer("retention_days"))
                .col(integer("min_callback_seconds"))
                .col(string("hide_role"))
                .col(boolean("email_offered"))
                .foreign_key(ForeignKey::create().from("missed_settings", "org_id").to("organizations", "id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("mail_settings")
                .col(big_integer("org_id").primary_key())
                .col(string("host"))
                .col(integer("port"))
                .col(string("security"))
                .col(string("username"))
                .col(string("password"))
                .col(string("from_address"))
                .foreign_key(ForeignKey::create().from("mail_settings", "org_id").to("organizations", "id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("user_preferences")
                .col(big_integer("user_id").primary_key())
                .col(big_integer("org_id"))
                .col(string("email"))
                .col(boolean("missed_email"))
                .foreign_key(ForeignKey::create().from("user_preferences", "user_id").to("users", "id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["user_preferences", "mail_settings", "missed_settings"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for ix in ["ix_missed_org_last", "ix_missed_org_action_last", "ix_missed_org_state_action_last"] {
            m.drop_index(Index::drop().name(ix).table("missed_calls").to_owned()).await?;
        }
        m.drop_index(Index::drop().name("ix_missed_history_call_id").table("missed_call_history").to_owned()).await?;
        for c in ["call_id", "result", "answered_at"] {
            m.alter_table(Table::alter().table("missed_call_history").drop_column(c).to_owned()).await?;
        }
        m.alter_table(Table::alter().table("missed_calls").drop_column("last_action").to_owned()).await
    }
}
