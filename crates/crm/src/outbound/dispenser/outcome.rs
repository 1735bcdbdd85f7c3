//! Outcomes written together: every outcome waiting at once is checked on its own (each gets
//! its own error), then the good ones are written in one transaction — one UPDATE per kind of
//! change (outcomes alike change their numbers alike) and one INSERT of all their attempts.

use super::Given;
use crate::outbound::ListNumber;
use crate::{Crm, CrmError, FieldError, OrgId};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};
use store::entities::list_outcome::OutcomeKind;
use store::entities::{list_attempt, list_number, list_outcome};
use store::sea_orm::sea_query::{Expr, ExprTrait};
use store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

/// How an outcome changes its number: outcome, next call, done, owner and until when.
type Change = (i64, Option<DateTime<Utc>>, bool, Option<(i64, DateTime<Utc>)>);

impl Crm {
    /// Writes `givens` (see `give_outcome`): each its saved number or its error.
    pub(super) async fn write_outcomes(
        &self,
        org: OrgId,
        givens: &[Given],
    ) -> Result<Vec<Result<ListNumber, CrmError>>, CrmError> {
        let now = self.now();
        let settings = self.list_settings(org).await?;
        let users: Vec<crate::User> = givens.iter().map(|g| g.user.clone()).collect();
        let may = self.may_dial(org, &users).await?;
        let ids: Vec<i64> = givens.iter().map(|g| g.number_id).collect();
        // By id alone, the organization checked here: with `org_id = ?` beside a list of ids,
        // SQLite (which has no statistics) walks the organization's index instead.
        let numbers: HashMap<i64, ListNumber> = list_number::Entity::find()
            .filter(list_number::Column::Id.is_in(ids))
            .all(self.db())
            .await?
            .into_iter()
            .filter(|n| n.org_id == org.0)
            .map(|n| (n.id, n))
            .collect();
        let outcome_ids: Vec<i64> = givens.iter().map(|g| g.outcome_id).collect();
        let outcomes: HashMap<i64, list_outcome::Model> = list_outcome::Entity::find()
            .filter(list_outcome::Column::OrgId.eq(org.0))
            .filter(list_outcome::Column::Active.eq(true))
            .filter(list_outcome::Column::Id.is_in(outcome_ids))
            .all(self.db())
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let mut out: Vec<Result<ListNumber, CrmError>> = Vec::with_capacity(givens.len());
        // The good ones: (given, change).
        let mut good: Vec<(usize, Change)> = vec![];
        let mut seen = HashSet::new();
        for (i, g) in givens.iter().enumerate() {
            let checked = (|| {
                if !may[i] {
                    return Err(CrmError::Forbidden);
                }
                let n = numbers.get(&g.number_id).ok_or(CrmError::NotFound)?;
                if n.leased_by != Some(g.user.id.0) || !seen.insert(n.id) {
                    return Err(CrmError::Conflict(FieldError { field: "number", code: "err-not-held" }));
                }
                let o = outcomes.get(&g.outcome_id).ok_or(CrmError::invalid("outcome", "err-outcome-unknown"))?;
                if g.note.chars().count() > 2000 {
                    return Err(CrmError::invalid("note", "err-too-long"));
                }
                Ok(match o.kind {
                    OutcomeKind::Final | OutcomeKind::DoNotCall => (o.id, None, true, None),
                    OutcomeKind::Retry => {
                        (o.id, Some(now + Duration::minutes(i64::from(o.retry_minutes))), false, None)
                    }
                    OutcomeKind::Callback => {
                        let at = g
                            .callback_at
                            .filter(|t| *t > now && *t < now + Duration::days(366))
                            .ok_or(CrmError::invalid("callback_at", "err-callback-time"))?;
                        let until = at + Duration::minutes(i64::from(settings.callback_owner_minutes));
                        (o.id, Some(at), false, Some((g.user.id.0, until)))
                    }
                })
            })();
            match checked {
                Ok(change) => {
                    good.push((i, change));
                    // Replaced by the saved number below.
                    out.push(Err(CrmError::NotFound));
                }
                Err(e) => out.push(Err(e)),
            }
        }
        if good.is_empty() {
            return Ok(out);
        }
        let mut alike: Vec<(Change, Vec<i64>)> = vec![];
        for (i, change) in &good {
            let id = givens[*i].number_id;
            match alike.iter_mut().find(|(c, _)| c == change) {
                Some((_, v)) => v.push(id),
                None => alike.push((*change, vec![id])),
            }
        }
        let gate = self.list_gate().await;
        let txn = self.store.write().await?;
        for ((outcome, next, done, owner), ids) in alike {
            let mut u = list_number::Entity::update_many()
                .col_expr(list_number::Column::OutcomeId, Expr::value(outcome))
                .col_expr(list_number::Column::NextCallAt, Expr::value(next))
                .col_expr(list_number::Column::Done, Expr::value(done))
                .col_expr(list_number::Column::Attempts, Expr::col(list_number::Column::Attempts).add(1))
                .col_expr(list_number::Column::LeasedBy, Expr::value(Option::<i64>::None))
                .col_expr(list_number::Column::LeasedAt, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(list_number::Column::ModifiedAt, Expr::value(now));
            if let Some((agent, until)) = owner {
                u = u
                    .col_expr(list_number::Column::AgentId, Expr::value(agent))
                    .col_expr(list_number::Column::OwnedUntil, Expr::value(until));
            }
            // The organization's numbers (read above): by id alone. Nothing returned (SQLite's
            // driver passes rows one by one between threads): the saved rows are made below.
            u.filter(list_number::Column::Id.is_in(ids)).exec(&txn).await?;
        }
        let attempts = good.iter().map(|(i, (outcome, next, ..))| {
            let g = &givens[*i];
            list_attempt::ActiveModel {
                org_id: Set(org.0),
                number_id: Set(g.number_id),
                user_id: Set(g.user.id.0),
                at: Set(now),
                outcome_id: Set(*outcome),
                next_call_at: Set(*next),
                call_id: Set(g.call_id.clone()),
                note: Set(g.note.trim().to_string()),
                ..Default::default()
            }
        });
        list_attempt::Entity::insert_many(attempts).exec_without_returning(&txn).await?;
        for (i, (outcome, ..)) in &good {
            if outcomes[outcome].kind == OutcomeKind::DoNotCall {
                let n = &numbers[&givens[*i].number_id];
                crate::outbound::add_dnc(&txn, org, &n.number, Some(givens[*i].user.id.0), "outcome", now).await?;
            }
        }
        txn.commit().await?;
        drop(gate);
        // The lists' profiles: a refusal blocks the number in every list; calls used up wait.
        let rules = self.rules(org).await?;
        for (i, (outcome, next, done, owner)) in &good {
            let g = &givens[*i];
            let mut n = numbers[&g.number_id].clone();
            n.outcome_id = Some(*outcome);
            n.next_call_at = *next;
            n.done = *done;
            n.attempts += 1;
            n.leased_by = None;
            n.leased_at = None;
            n.modified_at = now;
            if let Some((agent, until)) = owner {
                n.agent_id = Some(*agent);
                n.owned_until = Some(*until);
            }
            if let Some(p) = rules.of_list.get(&n.list_id) {
                let refused = matches!(outcomes[outcome].kind, OutcomeKind::Final | OutcomeKind::DoNotCall);
                if refused && p.block_after_refusal_hours > 0 {
                    let until = now + Duration::hours(i64::from(p.block_after_refusal_hours));
                    self.block_number(org, &n.number, until).await?;
                }
                if !n.done
                    && let Some(until) = self.attempts_used_until(org, p, &n.number, now).await?
                {
                    self.not_before(org, n.id, until).await?;
                }
            }
            // Dialing progressively: the next call at once.
            self.ring_dialing(g.user.id.0);
            out[*i] = Ok(n);
        }
        Ok(out)
    }
}
