//! The organization's numbers each user may present when calling out (none listed: all of
//! them).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("user_caller_ids")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(string("number"))
                .foreign_key(ForeignKey::create().from("user_caller_ids", "org_id").to("organizations", "id"))
                .foreign_key(ForeignKey::create().from("user_caller_ids", "user_id").to("users", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_user_caller_ids")
                .table("user_caller_ids")
                .col("user_id")
                .col("number")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("user_caller_ids").to_owned()).await
    }
}
