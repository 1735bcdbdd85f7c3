use sea_orm::entity::prelude::*;

/// Which outside numbers may be dialled: the longest matching prefix decides; nothing matching
/// means refused (the toll-fraud guard).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dial_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    /// Digits (and a leading +) the dialled number starts with; empty matches everything.
    pub prefix: String,
    pub allow: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
