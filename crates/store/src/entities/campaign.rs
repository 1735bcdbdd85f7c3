use sea_orm::entity::prelude::*;

/// A campaign: cases of one process, worked by its agents.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub kind: CampaignKind,
    pub process_id: i64,
    pub active: bool,
    /// Whether its agents may add cases.
    pub agents_may_add: bool,
    /// Whether it is listed for agents.
    pub shown: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    pub enum CampaignKind {
        Inbound = "inbound",
        Outbound = "outbound",
        Mixed = "mixed",
    }
}
