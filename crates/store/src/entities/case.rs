use sea_orm::entity::prelude::*;

/// A case: a contact's matter in a campaign, numbered per organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub number: i64,
    pub name: String,
    pub contact_id: i64,
    pub campaign_id: i64,
    pub status_id: i64,
    pub assignee_id: Option<i64>,
    pub notes: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
