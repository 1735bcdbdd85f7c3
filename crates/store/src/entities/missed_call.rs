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
    pub state: MissedState,
    pub removed_cause: Option<RemovalCause>,
    pub removed_at: Option<DateTimeUtc>,
    /// What was last done from the row.
    pub last_action: LastAction,
}

stored_enum! {
    /// Where a row stands: listed, hidden by a manager, or gone from the list (kept on record).
    pub enum MissedState {
        Visible = "visible",
        Hidden = "hidden",
        Removed = "removed",
    }
}

stored_enum! {
    /// Why a row left the list.
    pub enum RemovalCause {
        /// The caller called again and was answered.
        AnsweredAgain = "answered_again",
        /// A callback from the row was answered long enough.
        CallbackAnswered = "callback_answered",
        /// Older than the organization's retention.
        Retention = "retention",
    }
}

stored_enum! {
    pub enum LastAction {
        None = "none",
        CallbackOk = "callback_ok",
        CallbackFailed = "callback_failed",
        Sms = "sms",
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
