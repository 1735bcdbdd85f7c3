//! Organizations, users, sessions, log-in failures and API tokens.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("organizations")
                .col(big_pk_auto("id"))
                .col(string_uniq("slug"))
                .col(string("name"))
                .col(integer("seats"))
                .col(string_uniq("sip_domain"))
                .col(string("default_country"))
                .col(string("time_zone"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("username"))
                .col(string("full_name"))
                .col(string("extension"))
                .col(string("role"))
                .col(string("language"))
                .col(string("password_hash"))
                .col(string("sip_password"))
                .col(boolean("active"))
                .col(boolean("must_change_password"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("users", "org_id")
                        .to("organizations", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        unique_index(m, "users", "ux_users_org_extension", &["org_id", "extension"]).await?;
        unique_index(m, "users", "ux_users_org_username", &["org_id", "username"]).await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .col(string("id").primary_key())
                .col(big_integer_null("org_id"))
                .col(big_integer_null("user_id"))
                .col(string("csrf_token"))
                .col(string("language"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        index(m, "sessions", "ix_sessions_org_user", &["org_id", "user_id"]).await?;
        index(m, "sessions", "ix_sessions_expires", &["expires_at"]).await?;

        m.create_table(
            Table::create()
                .table("login_failures")
                .col(big_pk_auto("id"))
                .col(string("key"))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
        )
        .await?;
        index(m, "login_failures", "ix_login_failures_key_at", &["key", "at"]).await?;

        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(string("name"))
                .col(string_uniq("token_hash"))
                .col(string("prefix"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(ForeignKey::create().from("api_tokens", "org_id").to("organizations", "id"))
                .foreign_key(ForeignKey::create().from("api_tokens", "user_id").to("users", "id"))
                .to_owned(),
        )
        .await?;
        index(m, "api_tokens", "ix_api_tokens_org_user", &["org_id", "user_id"]).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["api_tokens", "login_failures", "sessions", "users", "organizations"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

async fn index(m: &SchemaManager<'_>, table: &'static str, name: &str, cols: &[&'static str]) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    m.create_index(idx.to_owned()).await
}

async fn unique_index(
    m: &SchemaManager<'_>,
    table: &'static str,
    name: &str,
    cols: &[&'static str],
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table).unique();
    for c in cols {
        idx.col(*c);
    }
    m.create_index(idx.to_owned()).await
}
