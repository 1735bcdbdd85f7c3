//! Search over contacts or cases with combined conditions — a field, an operator (equals,
//! contains, starts with, before, after, is empty) and a value — joined by AND; saved searches
//! per user; results a page at a time. Fields are a fixed list per target, so no condition can
//! name a column it should not.

use super::contact_query::like_escaped;
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::entities::{campaign, case, process_status as ps, saved_search as ss};
use store::sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query, SimpleExpr};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

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

/// A text condition. contains / starts with ignore case: PostgreSQL compares lowercased text
/// (every letter); SQLite's LIKE ignores the case of ASCII letters only, and other letters match
/// as typed.
fn text_cond(col: SimpleExpr, op: &str, value: &str, pg: bool) -> SimpleExpr {
    let like = |col: SimpleExpr, pattern: String| {
        if pg {
            SimpleExpr::from(Func::lower(col)).like(LikeExpr::new(pattern.to_lowercase()).escape('!'))
        } else {
            col.like(LikeExpr::new(pattern).escape('!'))
        }
    };
    match op {
        "equals" => col.eq(value.to_string()),
        "contains" => like(col, format!("%{}%", like_escaped(value))),
        "starts" => like(col, format!("{}%", like_escaped(value))),
        "before" => col.lt(value.to_string()),
        "after" => col.gt(value.to_string()),
        _ => col.clone().eq("").or(col.is_null()),
    }
}

/// The start and end of a day typed as YYYY-MM-DD (UTC).
pub(super) fn day_range(value: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), CrmError> {
    let d = chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| CrmError::invalid("value", "err-date"))?;
    let start = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    Ok((start, start + chrono::Duration::days(1)))
}

/// A date condition (the value a day, YYYY-MM-DD, UTC).
fn date_cond(col: SimpleExpr, op: &str, value: &str) -> Result<SimpleExpr, CrmError> {
    if op == "empty" {
        return Ok(col.is_null());
    }
    let (start, end) = day_range(value)?;
    Ok(match op {
        "before" => col.lt(start),
        "after" => col.gte(end),
        "equals" => col.clone().gte(start).and(col.lt(end)),
        _ => return Err(CrmError::invalid("op", "err-search-op")),
    })
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
    }
    Ok(())
}

impl Crm {
    /// Contacts (not deleted) matching every condition, by last name (see `contact_query`).
    pub async fn search_contacts(
        &self,
        org: OrgId,
        conds: &[Cond],
        page: u64,
        per_page: u64,
    ) -> Result<Found<crate::contacts::Contact>, CrmError> {
        check(Target::Contacts, conds)?;
        let country = self.org(org).await?.default_country;
        self.run_contact_search(org, conds, page, per_page, &country).await
    }

    /// Cases matching every condition, latest first.
    pub async fn search_cases(
        &self,
        org: OrgId,
        conds: &[Cond],
        page: u64,
        per_page: u64,
    ) -> Result<Found<super::Case>, CrmError> {
        check(Target::Cases, conds)?;
        use case::Column as K;
        let pg = self.store.is_postgres();
        let col = |c: K| Expr::col((case::Entity, c));
        let mut all = Condition::all().add(case::Column::OrgId.eq(org.0));
        for c in conds {
            let e = match c.field.as_str() {
                "number" => {
                    let n: i64 = c
                        .value
                        .trim()
                        .trim_start_matches('#')
                        .parse()
                        .map_err(|_| CrmError::invalid("value", "err-search-value"))?;
                    match c.op.as_str() {
                        "before" => col(K::Number).lt(n),
                        "after" => col(K::Number).gt(n),
                        _ => col(K::Number).eq(n),
                    }
                }
                "name" => text_cond(col(K::Name), &c.op, c.value.trim(), pg),
                "notes" => text_cond(col(K::Notes), &c.op, c.value.trim(), pg),
                "created_at" => date_cond(col(K::CreatedAt), &c.op, &c.value)?,
                "closed_at" => date_cond(col(K::ClosedAt), &c.op, &c.value)?,
                "status" => col(K::StatusId).in_subquery(
                    Query::select()
                        .column(ps::Column::Id)
                        .from(ps::Entity)
                        .and_where(ps::Column::OrgId.eq(org.0))
                        .and_where(text_cond(Expr::col((ps::Entity, ps::Column::Name)), &c.op, c.value.trim(), pg))
                        .to_owned(),
                ),
                _ => col(K::CampaignId).in_subquery(
                    Query::select()
                        .column(campaign::Column::Id)
                        .from(campaign::Entity)
                        .and_where(campaign::Column::OrgId.eq(org.0))
                        .and_where(text_cond(
                            Expr::col((campaign::Entity, campaign::Column::Name)),
                            &c.op,
                            c.value.trim(),
                            pg,
                        ))
                        .to_owned(),
                ),
            };
            all = all.add(e);
        }
        let per_page = per_page.clamp(1, 200);
        let page = Ord::max(page, 1);
        let q = case::Entity::find().filter(all).order_by_desc(case::Column::Number).paginate(self.db(), per_page);
        let total = q.num_items().await?;
        let items = q.fetch_page(page - 1).await?.into_iter().map(Into::into).collect();
        Ok(Found { total, more: false, page, per_page, items })
    }

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

#[cfg(test)]
mod tests {
    #[test]
    fn text_conditions_escape_wildcards_and_ignore_case() {
        use store::sea_orm::sea_query::{Expr, PostgresQueryBuilder, Query, SqliteQueryBuilder};
        let q = Query::select().expr(super::text_cond(Expr::col("a"), "contains", "Ż50%_!", false)).to_owned();
        let (sql, values) = q.build(SqliteQueryBuilder);
        assert_eq!(sql, r#"SELECT "a" LIKE ? ESCAPE '!'"#);
        assert_eq!(format!("{values:?}"), r#"Values([String(Some("%Ż50!%!_!!%"))])"#);
        let q = Query::select().expr(super::text_cond(Expr::col("a"), "starts", "Żak", true)).to_owned();
        let (sql, values) = q.build(PostgresQueryBuilder);
        assert_eq!(sql, r#"SELECT LOWER("a") LIKE $1 ESCAPE '!'"#);
        assert_eq!(format!("{values:?}"), r#"Values([String(Some("żak%"))])"#);
    }
}
