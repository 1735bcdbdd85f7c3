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
    pub phone_type: PhoneType,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// Where the user's calls ring.
    pub enum PhoneType {
        /// The phone in the page (WebRTC).
        Browser = "browser",
        /// A desk phone or softphone registered over SIP.
        Sip = "sip",
        /// Both at once: a call rings on each, the first to answer takes it.
        Both = "both",
    }
}

impl PhoneType {
    pub fn in_browser(self) -> bool {
        matches!(self, PhoneType::Browser | PhoneType::Both)
    }
}
