use sea_orm::entity::prelude::*;

/// One entry of a case's timeline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub case_id: i64,
    pub at: DateTimeUtc,
    pub user_id: Option<i64>,
    /// created | status | note | call | attachment | renamed | assigned
    pub kind: String,
    pub detail: String,
    pub call_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
