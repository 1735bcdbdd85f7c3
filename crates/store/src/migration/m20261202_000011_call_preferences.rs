//! Two choices of each user about calls: answer calls to the browser phone at once, and dial a
//! clicked number at once (instead of opening the dialer with it).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["auto_answer", "dial_at_once"] {
            m.alter_table(Table::alter().table("user_preferences").add_column(boolean(col).default(false)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["auto_answer", "dial_at_once"] {
            m.alter_table(Table::alter().table("user_preferences").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
