use sea_orm::entity::prelude::*;

/// A list of numbers to call (seed 003's number base is the organization's lists together).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_lists")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    /// An inactive list hands out no numbers.
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// The compliance profile its numbers are picked under (none: only the do-not-call list).
    pub profile_id: Option<i64>,
    /// How its numbers are dialled.
    pub dial_mode: DialMode,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// How a list's numbers are dialled.
    pub enum DialMode {
        /// The agent sees the number and dials it.
        Preview = "preview",
        /// One call per free agent, placed as soon as the agent is free; the agent's phone first.
        Progressive = "progressive",
        /// Calls placed ahead of free agents from the answer rate and handle time; an answered
        /// callee no agent takes within the drop time hears the information message.
        Predictive = "predictive",
    }
}
