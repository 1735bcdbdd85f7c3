use sea_orm::entity::prelude::*;

/// The call handling window of one user for one call: tags and notes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub call_id: String,
    pub user_id: i64,
    /// The other party's number (digits).
    pub number: String,
    pub contact_id: Option<i64>,
    /// Tag names, one per line.
    pub tags: String,
    pub notes: String,
    pub created_at: DateTimeUtc,
    /// None while the window is open (until "Save and finish").
    pub saved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
