use sea_orm::entity::prelude::*;

/// A caller who did not get through, listed until someone deals with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "missed_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    /// The caller's number, digits only.
    pub caller: String,
    /// Which of the organization's numbers was called (latest miss).
    pub called_number: String,
    pub count: i32,
    pub first_at: DateTimeUtc,
    pub last_at: DateTimeUtc,
    /// visible | hidden | removed
    pub state: String,
    /// answered_again | callback_answered | retention | manual
    pub removed_cause: Option<String>,
    pub removed_at: Option<DateTimeUtc>,
    /// What was last done from the row: none | callback_ok | callback_failed | sms
    pub last_action: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
