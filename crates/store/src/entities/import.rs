use sea_orm::entity::prelude::*;

/// An import from a CSV file — of contacts, or of the numbers of a call list — its settings,
/// mapping and counts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub name: String,
    pub description: String,
    pub file_name: String,
    pub file_size: i64,
    /// utf-8 | windows-1250 | windows-1255 | iso-8859-2
    pub encoding: String,
    /// , ; tab |
    pub separator: String,
    pub has_header: bool,
    /// JSON array: the field of each file column ("" = not imported).
    pub mapping: String,
    pub state: ImportState,
    pub rows_total: i64,
    pub rows_new: i64,
    pub rows_duplicate: i64,
    pub rows_invalid: i64,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// The call list it fills (none: contacts).
    pub call_list_id: Option<i64>,
    /// A call list's import: the highest number id when it first ran (its rows' ids are above).
    pub after_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

stored_enum! {
    /// An import's way: uploaded, checked by a dry run (runnable), written, undone.
    pub enum ImportState {
        Uploaded = "uploaded",
        Checked = "checked",
        Done = "done",
        Undone = "undone",
    }
}
