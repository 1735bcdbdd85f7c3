//! Call queues (ACD): the queues with their members, the queue event log every queue figure is
//! computed from, numbers that route to a queue, the organization's wrap-up time for calls
//! outside queues, and the agent's state kept in the stretches of `agent_status`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("queues")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                .col(string("strategy").default("longest_idle"))
                .col(integer("ring_seconds").default(15))
                .col(integer("max_wait_seconds").default(300))
                .col(integer("max_waiting").default(50))
                .col(integer("wrap_up_seconds").default(10))
                .col(integer("priority").default(0))
                .col(integer("service_level_seconds").default(20))
                .col(integer("service_level_target").default(80))
                .col(boolean("leave_when_empty").default(true))
                .col(string("exit_kind").default("hang_up"))
                .col(string_null("exit_target"))
                .col(boolean("active").default(true))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(ForeignKey::create().from("queues", "org_id").to("organizations", "id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("queue_members")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("queue_id"))
                .col(big_integer("user_id"))
                .col(integer("penalty").default(0))
                .col(integer("position").default(0))
                .foreign_key(ForeignKey::create().from("queue_members", "queue_id").to("queues", "id"))
                .foreign_key(ForeignKey::create().from("queue_members", "user_id").to("users", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_queue_members")
                .table("queue_members")
                .col("queue_id")
                .col("user_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("queue_events")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("queue_id"))
                .col(string("call_id"))
                .col(string("kind"))
                .col(big_integer_null("user_id"))
                .col(timestamp_with_time_zone("at"))
                .col(big_integer_null("wait_ms"))
                .col(text_null("detail"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_queue_events_org_at").table("queue_events").col("org_id").col("at").to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("phone_numbers").add_column(big_integer_null("route_queue_id")).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table("organizations").add_column(integer("wrap_up_seconds").default(0)).to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("agent_status").add_column(string("state").default("available")).to_owned())
            .await?;
        let unavailable = Query::update()
            .table("agent_status")
            .value("state", "unavailable")
            .and_where(Expr::col("available").eq(false))
            .to_owned();
        m.exec_stmt(unavailable).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("agent_status").drop_column("state").to_owned()).await?;
        m.alter_table(Table::alter().table("organizations").drop_column("wrap_up_seconds").to_owned()).await?;
        m.alter_table(Table::alter().table("phone_numbers").drop_column("route_queue_id").to_owned()).await?;
        m.drop_table(Table::drop().table("queue_events").to_owned()).await?;
        m.drop_table(Table::drop().table("queue_members").to_owned()).await?;
        m.drop_table(Table::drop().table("queues").to_owned()).await
    }
}
