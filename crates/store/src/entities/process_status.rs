use sea_orm::entity::prelude::*;

/// A status of a process.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "process_statuses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub process_id: i64,
    pub name: String,
    pub position: i32,
    /// Exactly one per process: where new cases start.
    pub initial: bool,
    /// Cases here count as closed.
    pub closing: bool,
    /// Retired statuses stay on the cases that have them.
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
