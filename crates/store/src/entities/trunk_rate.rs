use sea_orm::entity::prelude::*;

/// One row of a trunk's rate table: calls whose number starts with `prefix` (the longest
/// prefix wins; empty: every number) cost `connect_fee` plus `per_minute` for each minute
/// billed — the first `first_seconds`, then steps of `increment_seconds`. Amounts are in
/// ten-thousandths of the trunk's currency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trunk_rates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub trunk_id: i64,
    pub direction: RateDirection,
    pub prefix: String,
    pub per_minute: i64,
    pub first_seconds: i32,
    pub increment_seconds: i32,
    pub connect_fee: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// Which calls a rate prices.
    pub enum RateDirection {
        Outbound = "outbound",
        Inbound = "inbound",
    }
}
