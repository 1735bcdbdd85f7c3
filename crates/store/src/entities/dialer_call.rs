use sea_orm::entity::prelude::*;

/// A call the dialer placed to a listed number, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dialer_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub list_id: i64,
    pub number_id: i64,
    /// E.164 digits called.
    pub number: String,
    pub call_id: Option<String>,
    pub placed_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    /// An agent took the answered call.
    pub connected_at: Option<DateTimeUtc>,
    /// The information message began (an abandoned call).
    pub message_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    /// Connected: the agent who took it; abandoned: the agent it was given to, whose phone did
    /// not take it in time (none: no agent was free).
    pub agent_id: Option<i64>,
    pub result: DialResult,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// What became of a dialer's call.
    pub enum DialResult {
        /// Placed, not yet settled.
        Dialing = "dialing",
        /// Answered and taken by an agent.
        Connected = "connected",
        /// Answered, no agent within the drop time: the information message, then the end.
        Abandoned = "abandoned",
        NoAnswer = "no-answer",
        Busy = "busy",
        /// Refused by the network or the dial rules.
        Failed = "failed",
    }
}
