use sea_orm::entity::prelude::*;

/// One call as one user (extension) had it: the user's call log and statistics.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub call_id: String,
    pub user_id: Option<i64>,
    pub extension: String,
    pub kind: CallKind,
    /// The other party.
    pub number: String,
    pub contact_id: Option<i64>,
    pub started_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub talk_seconds: i32,
    pub end_cause: Option<EndReason>,
    /// Path of the recording (a stereo WAV), when there is one.
    pub recording: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// What a call was for the user.
    pub enum CallKind {
        Incoming = "incoming",
        Outgoing = "outgoing",
        Internal = "internal",
        Missed = "missed",
        /// An echo test (`*43`, or the account page's test call).
        Test = "test",
    }
}

stored_enum! {
    /// How the user's part of the call ended.
    pub enum EndReason {
        Answered = "answered",
        Busy = "busy",
        NoAnswer = "no_answer",
        Cancelled = "cancelled",
        Failed = "failed",
        /// The call went on with someone else.
        Transferred = "transferred",
        /// The agent's browser phone stayed away and gave the call up.
        AgentGone = "agent_gone",
        /// The node that carried the call stopped (a crash); closed when it started again.
        Interrupted = "interrupted",
        /// The caller left a queue to be called back.
        CallbackRequested = "callback_requested",
    }
}
