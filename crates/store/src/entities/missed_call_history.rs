use sea_orm::entity::prelude::*;

/// One step in a missed call's life: a miss, a callback, an SMS, a hide, a restore, a removal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "missed_call_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub missed_call_id: i64,
    pub at: DateTimeUtc,
    /// missed | callback | sms | hidden | restored | removed
    pub kind: String,
    /// Who did it (none: Switchboard itself).
    pub user_id: Option<i64>,
    pub detail: String,
    /// A callback's call, while and after it runs.
    pub call_id: Option<String>,
    /// A callback's result: answered | no_answer | busy | cancelled | failed; an SMS: recorded.
    pub result: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
