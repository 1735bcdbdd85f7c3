use sea_orm::entity::prelude::*;

/// A customer or other person the organization deals with.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    /// Unique in the organization.
    pub code: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    /// As typed.
    pub phone1: String,
    /// E.164 digits without the +, normalized with the organization's default country (empty: none).
    pub phone1_e164: String,
    pub phone2: String,
    pub phone2_e164: String,
    pub email: String,
    pub notes: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Deleted contacts are kept (and can be restored).
    pub deleted_at: Option<DateTimeUtc>,
    /// The import that made it, and its line in the file.
    pub import_id: Option<i64>,
    pub import_line: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
