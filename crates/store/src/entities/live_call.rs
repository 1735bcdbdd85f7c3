use sea_orm::entity::prelude::*;

/// A call in progress on a node, as its last recorded event left it (the event's call as JSON);
/// removed when the call ends. What is left after a crash is closed as interrupted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "live_calls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub call_id: String,
    pub node: String,
    pub call: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
