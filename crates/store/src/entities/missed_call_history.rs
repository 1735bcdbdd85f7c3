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
    pub kind: StepKind,
    /// Who did it (none: Switchboard itself).
    pub user_id: Option<i64>,
    pub detail: String,
    /// A callback's call, while and after it runs.
    pub call_id: Option<String>,
    /// A callback's result (none while it runs); an SMS's.
    pub result: Option<StepResult>,
    pub answered_at: Option<DateTimeUtc>,
}

stored_enum! {
    pub enum StepKind {
        Missed = "missed",
        Callback = "callback",
        Sms = "sms",
        Hidden = "hidden",
        Restored = "restored",
        Removed = "removed",
    }
}

stored_enum! {
    /// How a callback ended; an SMS is recorded (until the SMS channel sends it).
    pub enum StepResult {
        Answered = "answered",
        NoAnswer = "no_answer",
        Busy = "busy",
        Cancelled = "cancelled",
        Failed = "failed",
        Recorded = "recorded",
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
