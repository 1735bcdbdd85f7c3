//! Searches with combined conditions — a field, an operator (equals, contains, starts with,
//! before, after, is empty) and a value — joined by AND, over contacts (`contacts::search`) or
//! cases (`cases::search`); saved searches per user; results a page at a time. Fields are a
//! fixed list per target, so no condition can name a column it should not.

use crate::{Crm, CrmError, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::entities::saved_search as ss;
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

pub const OPS: [&str; 6] = ["equals", "contains", "starts", "before", "after", "empty"];
pub const CONTACT_FIELDS: [&str; 9] =
    ["any", "code", "first_name", "last_name", "company", "phone", "email", "notes", "created_at"];
pub const CASE_FIELDS: [&str; 7] = ["number", "name", "notes", "status", "campaign", "created_at", "closed_at"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cond {
    pub field: String,
    pub op: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Contacts,
    Cases,
}

impl Target {
    pub fn parse(s: &str) -> Option<Target> {
        match s {
            "contacts" => Some(Target::Contacts),
            "cases" => Some(Target::Cases),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Contacts => "contacts",
            Target::Cases => "cases",
        }
    }

    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Target::Contacts => &CONTACT_FIELDS,
            Target::Cases => &CASE_FIELDS,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Found<T> {
    /// How many match; with `more`, at least this many.
    pub total: u64,
    pub more: bool,
    pub page: u64,
    pub per_page: u64,
    pub items: Vec<T>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub target: String,
    pub conditions: Vec<Cond>,
}

/// The start and end of a day typed as YYYY-MM-DD (UTC).
pub(crate) fn day_range(value: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), CrmError> {
    let d = chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| CrmError::invalid("value", "err-date"))?;
    let start = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    Ok((start, start + chrono::Duration::days(1)))
}

/// Checks conditions against a target's fields and operators.
pub fn check(target: Target, conds: &[Cond]) -> Result<(), CrmError> {
    if conds.len() > 20 {
        return Err(CrmError::invalid("conditions", "err-search-too-many"));
    }
    for c in conds {
        if !target.fields().contains(&c.field.as_str()) {
            return Err(CrmError::invalid("field", "err-search-field"));
        }
        // "any" (every text field and the phones) only contains.
        if !OPS.contains(&c.op.as_str()) || (c.field == "any" && c.op != "contains") {
            return Err(CrmError::invalid("op", "err-search-op"));
        }
        if c.op != "empty" && c.value.trim().is_empty() {
            return Err(CrmError::invalid("value", "err-search-value"));
        }
        if c.value.chars().count() > 200 {
            return Err(CrmError::invalid("value", "err-too-long"));
        }
        check_text("value", &c.value)?;
    }
    Ok(())
}

/// The last page a list goes to: a page beyond it is a wrong address, not a query.
pub const MAX_PAGE: u64 = 100_000;

/// A page number as asked: 1 and up, at most [`MAX_PAGE`] (a huge one would overflow the
/// offset); a clear error otherwise.
pub fn check_page(page: u64) -> Result<u64, CrmError> {
    if page > MAX_PAGE { Err(CrmError::invalid("page", "err-page")) } else { Ok(page.max(1)) }
}

/// Text searched for: no NUL or other control characters (PostgreSQL refuses NUL in text).
pub fn check_text(field: &'static str, s: &str) -> Result<(), CrmError> {
    if s.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(CrmError::invalid(field, "err-invalid"));
    }
    Ok(())
}

impl Crm {
    pub async fn save_search(
        &self,
        user: &User,
        name: &str,
        target: Target,
        conds: &[Cond],
    ) -> Result<SavedSearch, CrmError> {
        check(target, conds)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(CrmError::invalid("name", "err-search-name"));
        }
        let m = ss::ActiveModel {
            org_id: Set(user.org_id.0),
            user_id: Set(user.id.0),
            name: Set(name.into()),
            target: Set(target.as_str().into()),
            conditions: Set(serde_json::to_string(conds).unwrap_or_default()),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(SavedSearch { id: m.id, name: m.name, target: m.target, conditions: conds.to_vec() })
    }

    /// The user's saved searches for a target.
    pub async fn saved_searches(&self, user: &User, target: Target) -> Result<Vec<SavedSearch>, CrmError> {
        Ok(ss::Entity::find()
            .filter(ss::Column::OrgId.eq(user.org_id.0))
            .filter(ss::Column::UserId.eq(user.id.0))
            .filter(ss::Column::Target.eq(target.as_str()))
            .order_by_asc(ss::Column::Name)
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| SavedSearch {
                id: m.id,
                name: m.name,
                target: m.target,
                conditions: serde_json::from_str(&m.conditions).unwrap_or_default(),
            })
            .collect())
    }

    pub async fn delete_saved_search(&self, user: &User, id: i64) -> Result<(), CrmError> {
        let r = ss::Entity::delete_many()
            .filter(ss::Column::Id.eq(id))
            .filter(ss::Column::OrgId.eq(user.org_id.0))
            .filter(ss::Column::UserId.eq(user.id.0))
            .exec(self.db())
            .await?;
        if r.rows_affected == 0 { Err(CrmError::NotFound) } else { Ok(()) }
    }
}
