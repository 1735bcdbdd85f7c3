use sea_orm::entity::prelude::*;

/// How an organization handles missed calls (defaults apply while it has no row).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "missed_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: i64,
    /// Rows whose latest miss is older are removed (cause "retention").
    pub retention_days: i32,
    /// A callback from the row that is answered and lasts this long removes the row.
    pub min_callback_seconds: i32,
    /// The least role that may hide and restore rows: admin | manager | agent.
    pub hide_role: String,
    /// Whether users may ask for an e-mail on every new missed call.
    pub email_offered: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
