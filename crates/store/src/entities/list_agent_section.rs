use sea_orm::entity::prelude::*;

/// The sections of the call lists an agent may open (an agent with no row has the defaults).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "list_agent_sections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub org_id: i64,
    /// Comma-separated section keys (crm's `outbound::Section`).
    pub sections: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// A section of the call lists an agent may be given (seed 003's access settings).
    pub enum Section {
        /// The calls made from the lists (the agent's own).
        Calls = "calls",
        /// Billing of the organization's inbound calls.
        InboundBilling = "inbound-billing",
        /// Billing of the organization's outbound calls.
        OutboundBilling = "outbound-billing",
        /// Working the lists: next number, outcomes.
        Dialer = "dialer",
    }
}
