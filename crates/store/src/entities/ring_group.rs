use sea_orm::entity::prelude::*;

/// Extensions that ring together (parallel) or one after another.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ring_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub parallel: bool,
    /// How long the group (parallel) or each member (in order) rings.
    pub ring_seconds: i32,
    /// Extensions, comma-separated, in ringing order.
    pub members: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
