use sea_orm::entity::prelude::*;

/// One step of a caller in a queue; every queue figure (wallboard, reports) is computed from
/// these, so any of them can be computed again.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "queue_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub queue_id: i64,
    pub call_id: String,
    pub kind: QueueEventKind,
    /// The agent offered the call, who answered it or let it ring.
    pub user_id: Option<i64>,
    pub at: DateTimeUtc,
    /// How long the caller had waited in the queue by then.
    pub wait_ms: Option<i64>,
    /// Why: the explanation of an offer, the exit taken.
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    pub enum QueueEventKind {
        /// The caller entered the queue.
        Enter = "enter",
        /// The call was offered to (rang) an agent, with why them.
        Offer = "offer",
        /// The agent offered it let it ring out or refused it.
        NoAnswer = "no_answer",
        /// An agent answered: the caller waited `wait_ms`.
        Connect = "connect",
        /// The caller hung up while waiting.
        Abandon = "abandon",
        /// The caller waited the queue's longest wait and left by its exit.
        Timeout = "timeout",
        /// The queue was full (or nobody was logged in) and the caller left by its exit.
        Refused = "refused",
        /// The answered call ended (`wait_ms` is the talk time).
        Complete = "complete",
        /// The caller pressed 1 and left the line to be called back, keeping their place (the
        /// detail holds the number and until when).
        Callback = "callback",
        /// The callback came to nothing: the caller did not answer it, it could not be placed,
        /// or it expired (the detail says which); the caller is a missed call now.
        CallbackMissed = "callback_missed",
    }
}
