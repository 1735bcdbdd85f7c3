use sea_orm::entity::prelude::*;

/// A browser session. Anonymous sessions (no user) carry the CSRF token of the log-in form.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// SHA-256 (hex) of the cookie value: a leaked table does not leak sessions.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: Option<i64>,
    pub user_id: Option<i64>,
    pub csrf_token: String,
    pub language: String,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
