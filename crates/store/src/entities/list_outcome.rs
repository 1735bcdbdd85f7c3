use sea_orm::entity::prelude::*;

/// An outcome of a call to a listed number, as managers define it, with what it does.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "list_outcomes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub kind: OutcomeKind,
    /// For a retry: after how many minutes the number is handed out again.
    pub retry_minutes: i32,
    pub position: i32,
    pub active: bool,
    /// Counts as a success in the statistics (a sale, an appointment).
    pub success: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// What an outcome does to its number.
    pub enum OutcomeKind {
        /// Done with ("finished", "not interested"): never handed out again.
        Final = "final",
        /// Handed out again after the outcome's minutes.
        Retry = "retry",
        /// The agent picks a day and hour; the number comes back to them then (to anyone after
        /// the organization's set time).
        Callback = "callback",
        /// Never called again: the number joins the organization's do-not-call list.
        DoNotCall = "dnc",
    }
}
