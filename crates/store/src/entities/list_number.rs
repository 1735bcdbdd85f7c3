use sea_orm::entity::prelude::*;

/// A number to call, in one list: its state of work and who holds it now.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "list_numbers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub list_id: i64,
    /// E.164 digits.
    pub number: String,
    /// As the list gave it.
    pub typed: String,
    pub name: String,
    pub contact_id: Option<i64>,
    pub category_id: Option<i64>,
    /// The agent the number is assigned to (a manager's choice, or a callback's owner).
    pub agent_id: Option<i64>,
    /// A callback's owner keeps it until then; after, anyone may take it.
    pub owned_until: Option<DateTimeUtc>,
    /// The last outcome.
    pub outcome_id: Option<i64>,
    /// Not handed out before then (a retry, a callback).
    pub next_call_at: Option<DateTimeUtc>,
    pub attempts: i32,
    /// A final or do-not-call outcome was given: never handed out again.
    pub done: bool,
    /// The agent holding it now ("next number" handed it to them), and since when.
    pub leased_by: Option<i64>,
    pub leased_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub modified_at: DateTimeUtc,
    /// The import that brought it, and its line in the file.
    pub import_id: Option<i64>,
    pub import_line: Option<i64>,
    /// The number's country (ISO 3166), whose time zones its calling window is read in.
    pub country: String,
    /// The callee agreed to be called (a profile may require it).
    pub consent: bool,
    /// Not called before then (after a refusal or an abandoned call, in any list).
    pub blocked_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
