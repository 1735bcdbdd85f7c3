use sea_orm::entity::prelude::*;

/// How agents work the organization's lists (seed 003's settings).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "list_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: i64,
    /// How many numbers an agent may hold at once.
    pub max_held: i32,
    /// Numbers held but not called by the end of the organization's day go back to the pool.
    pub release_at_day_end: bool,
    /// A callback stays its agent's this long after its time; then anyone may take it.
    pub callback_owner_minutes: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
