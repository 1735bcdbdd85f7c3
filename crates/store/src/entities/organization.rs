use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// Licences: how many users may be logged in at once.
    pub seats: i32,
    /// The SIP domain (digest realm) of the organization.
    pub sip_domain: String,
    /// ISO 3166 country used to normalize typed phone numbers.
    pub default_country: String,
    pub time_zone: String,
    /// Opened in a new tab on an incoming call instead of the contact card, `{caller}` replaced
    /// (empty: the card).
    pub screen_pop_url: String,
    pub created_at: DateTimeUtc,
    pub recording_policy: RecordingPolicy,
    /// After-call work after a call outside any queue, in seconds (0: none).
    pub wrap_up_seconds: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// Whether the organization's calls are recorded.
    pub enum RecordingPolicy {
        Never = "never",
        /// When an agent starts it.
        OnDemand = "on_demand",
        /// Every answered call, from the start.
        Always = "always",
    }
}
