use sea_orm::entity::prelude::*;

/// A number the organization never calls (an outcome, an import, a person's request).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dnc_numbers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    /// E.164 digits.
    pub number: String,
    pub added_at: DateTimeUtc,
    pub added_by: Option<i64>,
    /// Where it came from: `outcome`, `import`, `manual`.
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
