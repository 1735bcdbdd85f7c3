use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub username: String,
    pub full_name: String,
    pub extension: String,
    /// admin | manager | agent
    pub role: String,
    /// en | pl | he
    pub language: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// SIP digest needs the secret itself (or a per-realm hash), as in every PBX.
    pub sip_password: String,
    pub active: bool,
    /// Set for a one-time password: the next log-in must choose a new one.
    pub must_change_password: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
