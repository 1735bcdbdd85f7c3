use sea_orm::entity::prelude::*;

/// The rules a call list's numbers are picked under (a country's law, a campaign's policy).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "compliance_profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    /// The calling window in the callee's local time, minutes after midnight: from (inclusive)
    /// to (exclusive).
    pub window_from: i32,
    pub window_to: i32,
    /// ISO weekdays calls are allowed on (1 = Monday … 7 = Sunday), e.g. "123456".
    pub weekdays: String,
    /// Days without calls, YYYY-MM-DD, separated by commas or line ends.
    pub holidays: String,
    /// Calls to one number at most, in any 24 hours and any 30 days (0: no limit).
    pub max_per_day: i32,
    pub max_per_30_days: i32,
    /// After a refusal (a final or do-not-call outcome) and after an abandoned call, the number
    /// is not called for this many hours in any list (0: no block).
    pub block_after_refusal_hours: i32,
    pub block_after_abandon_hours: i32,
    /// Only numbers whose callee agreed to be called.
    pub consent_required: bool,
    /// The dialer keeps abandoned calls under this share (‰ of answered calls) over the window.
    pub abandon_cap_permille: i32,
    pub abandon_window_hours: i32,
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
