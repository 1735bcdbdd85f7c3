use sea_orm::entity::prelude::*;

/// A list of numbers to call (seed 003's number base is the organization's lists together).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_lists")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    /// An inactive list hands out no numbers.
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// The compliance profile its numbers are picked under (none: only the do-not-call list).
    pub profile_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
