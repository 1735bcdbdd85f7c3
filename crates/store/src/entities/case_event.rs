use sea_orm::entity::prelude::*;

/// One entry of a case's timeline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub case_id: i64,
    pub at: DateTimeUtc,
    pub user_id: Option<i64>,
    pub kind: TimelineKind,
    pub detail: String,
    pub call_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    pub enum TimelineKind {
        Created = "created",
        Status = "status",
        Note = "note",
        Call = "call",
        Attachment = "attachment",
        Renamed = "renamed",
        Assigned = "assigned",
    }
}
