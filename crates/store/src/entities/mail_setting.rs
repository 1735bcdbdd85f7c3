use sea_orm::entity::prelude::*;

/// The organization's outgoing mail server (SMTP).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: i64,
    pub host: String,
    pub port: i32,
    /// none | starttls | tls
    pub security: String,
    pub username: String,
    /// The server needs the secret itself to log in.
    pub password: String,
    pub from_address: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
