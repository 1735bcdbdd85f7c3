//! The agent workspace: contacts (the core that the CRM issue extends), the call log, agent
//! availability with the reasons managers keep, personal phonebooks, call tags and the call
//! handling window's notes, each user's workspace preferences and the organization's screen-pop
//! URL template.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(
    m: &SchemaManager<'_>,
    table: &'static str,
    name: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut ix = Index::create();
    ix.name(name).table(table);
    for c in cols {
        ix.col(*c);
    }
    if unique {
        ix.unique();
    }
    m.create_index(ix.to_owned()).await
}

fn org_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, "org_id").to("organizations", "id").to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("contacts")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("code"))
                .col(string("first_name"))
                .col(string("last_name"))
                .col(string("company"))
                .col(string("phone1"))
                .col(string("phone1_e164"))
                .col(string("phone2"))
                .col(string("phone2_e164"))
                .col(string("email"))
                .col(text("notes"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("deleted_at"))
                .foreign_key(&mut org_fk("contacts"))
                .to_owned(),
        )
        .await?;
        index(m, "contacts", "ux_contacts_org_code", &["org_id", "code"], true).await?;
        index(m, "contacts", "ix_contacts_org_phone1", &["org_id", "phone1_e164"], false).await?;
        index(m, "contacts", "ix_contacts_org_phone2", &["org_id", "phone2_e164"], false).await?;

        m.create_table(
            Table::create()
                .table("call_log")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("call_id"))
                .col(big_integer_null("user_id"))
                .col(string("extension"))
                // incoming | outgoing | internal | missed
                .col(string("kind"))
                .col(string("number"))
                .col(big_integer_null("contact_id"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(integer("talk_seconds"))
                .col(string_null("end_cause"))
                .col(string_null("recording"))
                .foreign_key(&mut org_fk("call_log"))
                .to_owned(),
        )
        .await?;
        index(m, "call_log", "ux_call_log_call_ext", &["org_id", "call_id", "extension"], true).await?;
        index(m, "call_log", "ix_call_log_user_started", &["org_id", "user_id", "started_at"], false).await?;

        m.create_table(
            Table::create()
                .table("status_reasons")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                .col(boolean("active"))
                .foreign_key(&mut org_fk("status_reasons"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("agent_status")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(boolean("available"))
                .col(big_integer_null("reason_id"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .foreign_key(&mut org_fk("agent_status"))
                .to_owned(),
        )
        .await?;
        index(m, "agent_status", "ix_agent_status_user", &["org_id", "user_id", "started_at"], false).await?;

        m.create_table(
            Table::create()
                .table("personal_contacts")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(string("name"))
                .col(string("number"))
                .foreign_key(&mut org_fk("personal_contacts"))
                .to_owned(),
        )
        .await?;
        index(m, "personal_contacts", "ix_personal_contacts_user", &["org_id", "user_id"], false).await?;

        m.create_table(
            Table::create()
                .table("call_tags")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                .col(boolean("active"))
                .foreign_key(&mut org_fk("call_tags"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("call_notes")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("call_id"))
                .col(big_integer("user_id"))
                .col(string("number"))
                .col(big_integer_null("contact_id"))
                // tag names, one per line
                .col(text("tags"))
                .col(text("notes"))
                .col(timestamp_with_time_zone("created_at"))
                // null while the window is open (until "Save and finish")
                .col(timestamp_with_time_zone_null("saved_at"))
                .foreign_key(&mut org_fk("call_notes"))
                .to_owned(),
        )
        .await?;
        index(m, "call_notes", "ux_call_notes_call_user", &["org_id", "call_id", "user_id"], true).await?;
        index(m, "call_notes", "ix_call_notes_number", &["org_id", "number"], false).await?;

        let alter = |t: &'static str, mut c: ColumnDef| Table::alter().table(t).add_column(&mut c).to_owned();
        for c in ["silent_ring", "suppress_popups", "auto_handling"] {
            m.alter_table(alter("user_preferences", boolean(c).default(false).to_owned())).await?;
        }
        m.alter_table(alter("user_preferences", boolean("show_dialer").default(true).to_owned())).await?;
        m.alter_table(alter("organizations", string("screen_pop_url").default("").to_owned())).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("organizations").drop_column("screen_pop_url").to_owned()).await?;
        for c in ["silent_ring", "suppress_popups", "auto_handling", "show_dialer"] {
            m.alter_table(Table::alter().table("user_preferences").drop_column(c).to_owned()).await?;
        }
        for t in
            ["call_notes", "call_tags", "personal_contacts", "agent_status", "status_reasons", "call_log", "contacts"]
        {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
