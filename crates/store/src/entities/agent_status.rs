use sea_orm::entity::prelude::*;

/// A stretch of time an agent spent in one state: available, ringing, in a call, in after-call
/// work, or unavailable for a reason. No open stretch: logged out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agent_status")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    /// Whether the agent had chosen to take calls (false: unavailable with `reason_id`).
    pub available: bool,
    pub state: AgentState,
    pub reason_id: Option<i64>,
    pub started_at: DateTimeUtc,
    /// None while it lasts.
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// The state of an agent, one across all queues.
    pub enum AgentState {
        /// Takes no queue calls (never stored: no open stretch means logged out).
        LoggedOut = "logged_out",
        Available = "available",
        /// A call rings the agent (offered by a queue, or dialled to them).
        Reserved = "reserved",
        InCall = "in_call",
        /// After-call work, for the time managers set (the agent may end it early).
        WrapUp = "wrap_up",
        Unavailable = "unavailable",
    }
}
