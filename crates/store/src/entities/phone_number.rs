use sea_orm::entity::prelude::*;

/// A number (DID) of the organization, and where calls to it ring.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "phone_numbers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    /// Digits only, with the country code, e.g. 48221234567 (unique: a number has one owner).
    #[sea_orm(unique)]
    pub number: String,
    pub route_extension: Option<String>,
    pub route_group_id: Option<i64>,
    pub route_queue_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
