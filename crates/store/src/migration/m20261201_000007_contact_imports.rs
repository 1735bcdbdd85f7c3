//! Imports of contacts from CSV files: each import with its settings, mapping and counts; the
//! contacts it made carry its id and their line, so a run that was killed goes on after the
//! last line it wrote, and an import can be undone. (No index on them: a million-row import
//! writes faster, and only the rare undo and resume scan for them.)

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("imports")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(string("name"))
                .col(string("description"))
                .col(string("file_name"))
                .col(big_integer("file_size"))
                .col(string("encoding"))
                .col(string("separator"))
                .col(boolean("has_header"))
                // JSON: the contact field of each file column ("" = not imported)
                .col(text("mapping"))
                // uploaded | checked | done | undone
                .col(string("state"))
                .col(big_integer("rows_total"))
                .col(big_integer("rows_new"))
                .col(big_integer("rows_duplicate"))
                .col(big_integer("rows_invalid"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .foreign_key(ForeignKey::create().from("imports", "org_id").to("organizations", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_imports_org").table("imports").col("org_id").col("id").to_owned())
            .await?;
        let alter = |mut c: ColumnDef| Table::alter().table("contacts").add_column(&mut c).to_owned();
        m.alter_table(alter(big_integer_null("import_id"))).await?;
        m.alter_table(alter(big_integer_null("import_line"))).await?;
        m.create_index(
            Index::create().name("ix_contacts_org_email").table("contacts").col("org_id").col("email").to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_contacts_org_email").table("contacts").to_owned()).await?;
        for c in ["import_id", "import_line"] {
            m.alter_table(Table::alter().table("contacts").drop_column(c).to_owned()).await?;
        }
        m.drop_table(Table::drop().table("imports").to_owned()).await
    }
}
