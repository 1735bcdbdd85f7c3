use sea_orm::entity::prelude::*;

/// A user's own choices (defaults apply while the user has no row).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub org_id: i64,
    /// Where notifications go.
    pub email: String,
    /// An e-mail for every new missed call (when the organization offers it).
    pub missed_email: bool,
    /// Incoming calls ring only visibly.
    pub silent_ring: bool,
    /// No screen pop on incoming calls.
    pub suppress_popups: bool,
    /// The call handling window opens by itself for every call.
    pub auto_handling: bool,
    pub show_dialer: bool,
    /// Calls to the browser phone are answered at once (a headset on, seed 000).
    pub auto_answer: bool,
    /// A clicked number is dialled at once instead of opening the dialer with it.
    pub dial_at_once: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
