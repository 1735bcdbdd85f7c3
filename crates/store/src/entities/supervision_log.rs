use sea_orm::entity::prelude::*;

/// A stretch of a manager supervising a call in one mode; a session is its consecutive
/// stretches. Open (`ended_at` None) while it lasts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub call_id: String,
    /// The supervising user (None when their extension matched nobody).
    pub supervisor_id: Option<i64>,
    pub supervisor_extension: String,
    pub agent_extension: String,
    pub mode: SupervisionMode,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// How the supervisor took part.
    pub enum SupervisionMode {
        /// Nobody heard the supervisor.
        Listen = "listen",
        /// Only the agent heard the supervisor.
        Whisper = "whisper",
        /// Both sides heard the supervisor.
        Barge = "barge",
    }
}
