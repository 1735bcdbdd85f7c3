use sea_orm::entity::prelude::*;

/// A call queue: callers wait with music until one of its members is free.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "queues")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub strategy: Strategy,
    /// How long one offer rings a member before the next is tried.
    pub ring_seconds: i32,
    /// A caller waiting longer leaves the queue by its exit.
    pub max_wait_seconds: i32,
    /// Callers beyond this many go straight to the exit (0: no limit).
    pub max_waiting: i32,
    /// After-call work of the member who took a call of this queue.
    pub wrap_up_seconds: i32,
    /// Higher first: a free agent in two queues takes a caller of the higher one first.
    pub priority: i32,
    /// Answered within this many seconds counts toward the service level…
    pub service_level_seconds: i32,
    /// …whose target is this percentage.
    pub service_level_target: i32,
    /// With no member logged in, callers leave by the exit at once (instead of waiting).
    pub leave_when_empty: bool,
    pub exit_kind: ExitKind,
    /// The extension or the queue id of the exit.
    pub exit_target: Option<String>,
    pub active: bool,
    /// Waiting callers are told their place and the expected wait every this many seconds
    /// (0: never).
    pub announce_seconds: i32,
    /// The language of what the queue says (en, pl, he).
    pub language: String,
    /// Waiting callers may press 1 to be called back, keeping their place, for this many
    /// minutes (0: not offered).
    pub callback_minutes: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// Whom a queue offers a waiting caller to, among its free members (of the lowest penalty).
    pub enum Strategy {
        /// Every free member at once; the first to answer takes it.
        RingAll = "ring_all",
        /// The one free for the longest time since their last call.
        LongestIdle = "longest_idle",
        /// The one who answered the fewest of this queue's calls today.
        FewestCalls = "fewest_calls",
        /// The next after the one offered last time, in the members' order.
        RoundRobin = "round_robin",
        /// The first free one in the members' order.
        InOrder = "in_order",
        /// At random, a member of penalty p weighted 1/(1+p).
        WeightedRandom = "weighted_random",
    }
}

stored_enum! {
    /// Where a caller goes who waited too long, found the queue full, or (when set) no member
    /// logged in.
    pub enum ExitKind {
        /// Told the line is busy, and hung up (a missed call).
        HangUp = "hang_up",
        /// Rung through to one extension.
        Extension = "extension",
        /// Into another queue of the organization.
        Queue = "queue",
    }
}
