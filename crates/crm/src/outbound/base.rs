//! The number base (seed 003): every listed number of the organization, filtered by list,
//! category, agent, outcome and modification date, a page at a time; the same filter exports
//! exactly the rows it shows (CSV in a chosen encoding, formula-like cells neutralised) and
//! chooses the rows of a bulk action — change the category, assign an agent, delete — whether
//! the rows were ticked one by one or are everything the filter matches.

use super::{ListNumber, managers};
use crate::reports::export::{Cell, Table};
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Utc};
use store::entities::list_number;
use store::sea_orm::sea_query::Expr;
use store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select};

/// Which numbers: every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct NumberFilter {
    pub list: Option<i64>,
    /// `Some(None)`: numbers without a category.
    pub category: Option<Option<i64>>,
    /// `Some(None)`: numbers assigned to nobody.
    pub agent: Option<Option<i64>>,
    /// `Some(None)`: numbers never called.
    pub outcome: Option<Option<i64>>,
    pub modified_from: Option<DateTime<Utc>>,
    pub modified_to: Option<DateTime<Utc>>,
    /// Only these (ticked rows); none: everything the other conditions match.
    pub ids: Option<Vec<i64>>,
}

/// One page of the base.
#[derive(Debug, Clone)]
pub struct NumberPage {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub rows: Vec<ListNumber>,
}

/// What a bulk action does to the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    SetCategory(Option<i64>),
    Assign(Option<i64>),
    Delete,
}

fn opt<C: ColumnTrait>(q: Select<list_number::Entity>, col: C, v: Option<Option<i64>>) -> Select<list_number::Entity> {
    match v {
        None => q,
        Some(None) => q.filter(col.is_null()),
        Some(Some(id)) => q.filter(col.eq(id)),
    }
}

/// A number as the export shows it: number, as typed, name, list, category, agent, outcome,
/// next call, attempts, modified.
type Exported =
    (String, String, String, i64, Option<i64>, Option<i64>, Option<i64>, Option<DateTime<Utc>>, i32, DateTime<Utc>);

fn filtered(org: OrgId, f: &NumberFilter) -> Select<list_number::Entity> {
    let mut q = list_number::Entity::find().filter(list_number::Column::OrgId.eq(org.0));
    if let Some(l) = f.list {
        q = q.filter(list_number::Column::ListId.eq(l));
    }
    q = opt(q, list_number::Column::CategoryId, f.category);
    q = opt(q, list_number::Column::AgentId, f.agent);
    q = opt(q, list_number::Column::OutcomeId, f.outcome);
    if let Some(t) = f.modified_from {
        q = q.filter(list_number::Column::ModifiedAt.gte(t));
    }
    if let Some(t) = f.modified_to {
        q = q.filter(list_number::Column::ModifiedAt.lt(t));
    }
    if let Some(ids) = &f.ids {
        q = q.filter(list_number::Column::Id.is_in(ids.clone()));
    }
    q
}

impl Crm {
    /// One page of the numbers the filter matches, in the order they were added (managers).
    pub async fn number_base(
        &self,
        by: &User,
        f: &NumberFilter,
        page: u64,
        per_page: u64,
    ) -> Result<NumberPage, CrmError> {
        managers(by)?;
        let per_page = per_page.clamp(1, 500);
        let page = crate::search::check_page(page)?;
        let pages = filtered(by.org_id, f).order_by_asc(list_number::Column::Id).paginate(self.db(), per_page);
        let total = pages.num_items().await?;
        let rows = pages.fetch_page(page - 1).await?;
        Ok(NumberPage { total, page, per_page, rows })
    }

    /// Exactly the numbers the filter matches, as a table (headers in the caller's words).
    pub async fn export_numbers(&self, by: &User, f: &NumberFilter, headers: Vec<String>) -> Result<Table, CrmError> {
        managers(by)?;
        let org = by.org_id;
        let lists = self.call_lists(org).await?;
        let cats = self.list_categories(org).await?;
        let outcomes = self.list_outcomes(org).await?;
        let users = self.users(org).await?;
        // Only the columns the table shows (SQLite's driver decodes and hands over every
        // column of every row: a million whole rows cost it three times as long).
        let rows: Vec<Exported> = filtered(org, f)
            .select_only()
            .columns([
                list_number::Column::Number,
                list_number::Column::Typed,
                list_number::Column::Name,
                list_number::Column::ListId,
                list_number::Column::CategoryId,
                list_number::Column::AgentId,
                list_number::Column::OutcomeId,
                list_number::Column::NextCallAt,
                list_number::Column::Attempts,
                list_number::Column::ModifiedAt,
            ])
            .order_by_asc(list_number::Column::Id)
            .into_tuple()
            .all(self.db())
            .await?;
        let name = |v: Option<String>| v.map(Cell::Text).unwrap_or(Cell::Empty);
        let rows = rows
            .into_iter()
            .map(|(number, typed, full_name, list, category, agent, outcome, next, attempts, modified)| {
                vec![
                    Cell::Text(number),
                    Cell::Text(typed),
                    Cell::Text(full_name),
                    name(lists.iter().find(|l| l.id == list).map(|l| l.name.clone())),
                    name(category.and_then(|c| cats.iter().find(|x| x.id == c)).map(|c| c.name.clone())),
                    name(agent.and_then(|a| users.iter().find(|u| u.id.0 == a)).map(|u| u.full_name.clone())),
                    name(outcome.and_then(|o| outcomes.iter().find(|x| x.id == o)).map(|o| o.name.clone())),
                    name(next.map(|t| t.to_rfc3339())),
                    Cell::from(i64::from(attempts)),
                    Cell::Text(modified.to_rfc3339()),
                ]
            })
            .collect();
        Ok(Table { title: "numbers".into(), headers, rows })
    }

    /// A bulk action on the numbers the filter matches (ticked ones, or all it matches); how
    /// many it changed. A category or agent must be the organization's.
    pub async fn bulk_numbers(&self, by: &User, f: &NumberFilter, action: Bulk) -> Result<u64, CrmError> {
        managers(by)?;
        let org = by.org_id;
        if f.ids.as_ref().is_some_and(|i| i.is_empty()) {
            return Err(CrmError::invalid("ids", "err-rows-none"));
        }
        let now = self.now();
        let ids: Vec<i64> = filtered(org, f).all(self.db()).await?.into_iter().map(|n| n.id).collect();
        if ids.is_empty() {
            return Ok(0);
        }
        // Checked before the transaction: inside it, a read from the pool could wait on the
        // write lock the transaction holds.
        if let Bulk::SetCategory(Some(c)) = action
            && !self.list_categories(org).await?.iter().any(|x| x.id == c)
        {
            return Err(CrmError::invalid("category", "err-category-unknown"));
        }
        let txn = self.store.write().await?;
        let mut changed = 0;
        for chunk in ids.chunks(500) {
            let only = list_number::Column::Id.is_in(chunk.to_vec());
            let r = match action {
                Bulk::Delete => {
                    list_number::Entity::delete_many()
                        .filter(list_number::Column::OrgId.eq(org.0))
                        .filter(only)
                        .exec(&txn)
                        .await?
                        .rows_affected
                }
                Bulk::SetCategory(c) => {
                    list_number::Entity::update_many()
                        .col_expr(list_number::Column::CategoryId, Expr::value(c))
                        .col_expr(list_number::Column::ModifiedAt, Expr::value(now))
                        .filter(list_number::Column::OrgId.eq(org.0))
                        .filter(only)
                        .exec(&txn)
                        .await?
                        .rows_affected
                }
                Bulk::Assign(a) => {
                    if let Some(a) = a {
                        let u = self
                            .user(org, crate::UserId(a))
                            .await
                            .map_err(|_| CrmError::invalid("agent", "err-agent-unknown"))?;
                        if !u.active {
                            return Err(CrmError::invalid("agent", "err-agent-unknown"));
                        }
                    }
                    list_number::Entity::update_many()
                        .col_expr(list_number::Column::AgentId, Expr::value(a))
                        .col_expr(list_number::Column::OwnedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                        .col_expr(list_number::Column::ModifiedAt, Expr::value(now))
                        .filter(list_number::Column::OrgId.eq(org.0))
                        .filter(only)
                        .exec(&txn)
                        .await?
                        .rows_affected
                }
            };
            changed += r;
        }
        txn.commit().await?;
        Ok(changed)
    }
}
