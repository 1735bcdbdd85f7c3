//! Case search: cases matching every condition (number, name, notes, status, campaign, dates),
//! latest first.

use super::Case;
use crate::search::{Cond, Found, Target, check, day_range};
use crate::{Crm, CrmError, OrgId};
use store::dialect::like_escaped;
use store::entities::{campaign, case, process_status as ps};
use store::sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use store::sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

/// A text condition. contains / starts with ignore case (as the store's dialect can).
fn text_cond(store: &store::Store, col: SimpleExpr, op: &str, value: &str) -> SimpleExpr {
    match op {
        "equals" => col.eq(value.to_string()),
        "contains" => store.like_any_case(col, format!("%{}%", like_escaped(value))),
        "starts" => store.like_any_case(col, format!("{}%", like_escaped(value))),
        "before" => col.lt(value.to_string()),
        "after" => col.gt(value.to_string()),
        _ => col.clone().eq("").or(col.is_null()),
    }
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

impl Crm {
    /// Cases matching every condition, latest first.
    pub async fn search_cases(
        &self,
        org: OrgId,
        conds: &[Cond],
        page: u64,
        per_page: u64,
    ) -> Result<Found<Case>, CrmError> {
        check(Target::Cases, conds)?;
        use case::Column as K;
        let store = &self.store;
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
                "name" => text_cond(store, col(K::Name), &c.op, c.value.trim()),
                "notes" => text_cond(store, col(K::Notes), &c.op, c.value.trim()),
                "created_at" => date_cond(col(K::CreatedAt), &c.op, &c.value)?,
                "closed_at" => date_cond(col(K::ClosedAt), &c.op, &c.value)?,
                "status" => col(K::StatusId).in_subquery(
                    Query::select()
                        .column(ps::Column::Id)
                        .from(ps::Entity)
                        .and_where(ps::Column::OrgId.eq(org.0))
                        .and_where(text_cond(store, Expr::col((ps::Entity, ps::Column::Name)), &c.op, c.value.trim()))
                        .to_owned(),
                ),
                _ => col(K::CampaignId).in_subquery(
                    Query::select()
                        .column(campaign::Column::Id)
                        .from(campaign::Entity)
                        .and_where(campaign::Column::OrgId.eq(org.0))
                        .and_where(text_cond(
                            store,
                            Expr::col((campaign::Entity, campaign::Column::Name)),
                            &c.op,
                            c.value.trim(),
                        ))
                        .to_owned(),
                ),
            };
            all = all.add(e);
        }
        let per_page = per_page.clamp(1, 200);
        let page = crate::search::check_page(page)?;
        let q = case::Entity::find().filter(all).order_by_desc(case::Column::Number).paginate(self.db(), per_page);
        let total = q.num_items().await?;
        let items = q.fetch_page(page - 1).await?.into_iter().map(Into::into).collect();
        Ok(Found { total, more: false, page, per_page, items })
    }
}
