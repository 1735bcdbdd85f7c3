use sea_orm::entity::prelude::*;

/// One attempt on a listed number: who, when, the outcome given, the call.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "list_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub number_id: i64,
    pub user_id: i64,
    pub at: DateTimeUtc,
    pub outcome_id: i64,
    /// A callback's or retry's time, as set by this attempt.
    pub next_call_at: Option<DateTimeUtc>,
    pub call_id: Option<String>,
    pub note: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
