//! "Next number": each agent is handed the next number to call within their limits (how many
//! they hold at once, their categories), never the same number to two agents — the number is
//! claimed with one conditional update that only one asker can win, on SQLite and PostgreSQL
//! alike. The agent gives it back with an outcome, which decides when (and whether) it is
//! handed out again; numbers held over the end of the organization's day go back to the pool
//! when the settings say so. Every number can say why it is not handed out now.

use super::ListNumber;
use crate::{Crm, CrmError, FieldError, OrgId, User};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use store::entities::list_outcome::OutcomeKind;
use store::entities::{call_list, dnc_number, list_attempt, list_number, list_outcome};
use store::sea_orm::sea_query::{Expr, NullOrdering, Order, Query};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// Why a number is not handed out now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum NotNow {
    /// A final outcome was given.
    Done,
    /// On the organization's do-not-call list.
    DoNotCall,
    /// Its list is closed.
    ListInactive,
    /// An agent holds it now.
    HeldBy { user: i64 },
    /// Not before then (a retry, a callback).
    NotBefore { at: DateTime<Utc> },
    /// Assigned to an agent (a manager's choice, or a callback's owner until then).
    OwnedBy { user: i64, until: Option<DateTime<Utc>> },
}

/// How many numbers "next number" weighs at a time (claimed in order; another batch if every
/// one was taken meanwhile).
const BATCH: u64 = 16;

impl Crm {
    /// The numbers `user` holds now, oldest first (those held over the end of a past day went
    /// back to the pool first, when the settings say so).
    pub async fn held_numbers(&self, user: &User) -> Result<Vec<ListNumber>, CrmError> {
        if self.list_settings(user.org_id).await?.release_at_day_end {
            self.release_numbers_of_past_days(user.org_id).await?;
        }
        Ok(list_number::Entity::find()
            .filter(list_number::Column::OrgId.eq(user.org_id.0))
            .filter(list_number::Column::LeasedBy.eq(user.id.0))
            .order_by_asc(list_number::Column::LeasedAt)
            .all(self.db())
            .await?)
    }

    /// Hands `user` the next number to call, or None when nothing is left for them. At most the
    /// settings' number held at once (`err-lease-limit`: give an outcome first). Among the open
    /// numbers of open lists, not on the do-not-call list, held by nobody, due, in the agent's
    /// categories, and assigned to nobody, to them, or to someone whose time ran out: their own
    /// due callbacks first, then the numbers waiting longest since their due time, then new ones
    /// in the order they were added.
    pub async fn next_number(&self, user: &User) -> Result<Option<ListNumber>, CrmError> {
        let org = user.org_id;
        let settings = self.list_settings(org).await?;
        if settings.release_at_day_end {
            self.release_numbers_of_past_days(org).await?;
        }
        let held = list_number::Entity::find()
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::LeasedBy.eq(user.id.0))
            .count(self.db())
            .await?;
        if held >= settings.max_held.max(1) as u64 {
            return Err(CrmError::Conflict(FieldError { field: "number", code: "err-lease-limit" }));
        }
        let cats = self.agent_categories(org, user.id).await?;
        let now = self.now();
        for mine_first in [true, false] {
            loop {
                let mut q = self.open_numbers(org, now);
                q = if mine_first {
                    q.filter(list_number::Column::AgentId.eq(user.id.0))
                        .filter(list_number::Column::NextCallAt.is_not_null())
                } else {
                    q.filter(
                        Condition::any()
                            .add(list_number::Column::AgentId.is_null())
                            .add(list_number::Column::AgentId.eq(user.id.0))
                            .add(list_number::Column::OwnedUntil.lte(now)),
                    )
                };
                if !cats.is_empty() {
                    q = q.filter(list_number::Column::CategoryId.is_in(cats.clone()));
                }
                let batch = q
                    .order_by_with_nulls(list_number::Column::NextCallAt, Order::Asc, NullOrdering::Last)
                    .order_by_asc(list_number::Column::Id)
                    .limit(BATCH)
                    .all(self.db())
                    .await?;
                if batch.is_empty() {
                    break;
                }
                for n in batch {
                    if self.claim(org, n.id, user.id.0, now).await? {
                        let mut n = n;
                        (n.leased_by, n.leased_at) = (Some(user.id.0), Some(now));
                        return Ok(Some(n));
                    }
                }
                // Every one of them was taken by another agent meanwhile: the next batch.
            }
        }
        Ok(None)
    }

    /// The open numbers of the organization's open lists that are due and held by nobody, and
    /// not on its do-not-call list.
    fn open_numbers(&self, org: OrgId, now: DateTime<Utc>) -> store::sea_orm::Select<list_number::Entity> {
        let open_lists = Query::select()
            .column(call_list::Column::Id)
            .from(call_list::Entity)
            .and_where(call_list::Column::OrgId.eq(org.0))
            .and_where(call_list::Column::Active.eq(true))
            .to_owned();
        let dnc = Query::select()
            .column(dnc_number::Column::Number)
            .from(dnc_number::Entity)
            .and_where(dnc_number::Column::OrgId.eq(org.0))
            .to_owned();
        list_number::Entity::find()
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::Done.eq(false))
            .filter(list_number::Column::LeasedBy.is_null())
            .filter(
                Condition::any()
                    .add(list_number::Column::NextCallAt.is_null())
                    .add(list_number::Column::NextCallAt.lte(now)),
            )
            .filter(list_number::Column::ListId.in_subquery(open_lists))
            .filter(list_number::Column::Number.not_in_subquery(dnc))
    }

    /// Takes number `id` for `user` if nobody holds it: one update that only one asker can win.
    async fn claim(&self, org: OrgId, id: i64, user: i64, now: DateTime<Utc>) -> Result<bool, CrmError> {
        let r = list_number::Entity::update_many()
            .col_expr(list_number::Column::LeasedBy, Expr::value(user))
            .col_expr(list_number::Column::LeasedAt, Expr::value(now))
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::Id.eq(id))
            .filter(list_number::Column::LeasedBy.is_null())
            .filter(list_number::Column::Done.eq(false))
            .exec(self.db())
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Numbers held since before the organization's day began go back to the pool.
    async fn release_numbers_of_past_days(&self, org: OrgId) -> Result<u64, CrmError> {
        let (_, day_start, _) = self.org_day(org, None).await?;
        let r = list_number::Entity::update_many()
            .col_expr(list_number::Column::LeasedBy, Expr::value(Option::<i64>::None))
            .col_expr(list_number::Column::LeasedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::LeasedAt.lt(day_start))
            .exec(self.db())
            .await?;
        if r.rows_affected > 0 {
            tracing::info!(
                org = org.0,
                numbers = r.rows_affected,
                "numbers held over the end of the day went back to the pool"
            );
        }
        Ok(r.rows_affected)
    }

    /// The agent gives back a number they hold with an outcome (and, for a callback, its day and
    /// hour, in the future): the attempt is written in its history, and the outcome decides
    /// when the number is handed out again — never (final), after the outcome's minutes (retry),
    /// at the callback's time to the same agent (to anyone after the settings' minutes), or
    /// never and onto the do-not-call list.
    pub async fn give_outcome(
        &self,
        user: &User,
        number_id: i64,
        outcome_id: i64,
        callback_at: Option<DateTime<Utc>>,
        note: &str,
        call_id: Option<&str>,
    ) -> Result<ListNumber, CrmError> {
        let org = user.org_id;
        let n = list_number::Entity::find_by_id(number_id)
            .filter(list_number::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        if n.leased_by != Some(user.id.0) {
            return Err(CrmError::Conflict(FieldError { field: "number", code: "err-not-held" }));
        }
        let outcome = list_outcome::Entity::find_by_id(outcome_id)
            .filter(list_outcome::Column::OrgId.eq(org.0))
            .filter(list_outcome::Column::Active.eq(true))
            .one(self.db())
            .await?
            .ok_or(CrmError::invalid("outcome", "err-outcome-unknown"))?;
        if note.chars().count() > 2000 {
            return Err(CrmError::invalid("note", "err-too-long"));
        }
        let now = self.now();
        let settings = self.list_settings(org).await?;
        let mut am: list_number::ActiveModel = n.clone().into();
        let next = match outcome.kind {
            OutcomeKind::Final | OutcomeKind::DoNotCall => {
                am.done = Set(true);
                None
            }
            OutcomeKind::Retry => Some(now + Duration::minutes(i64::from(outcome.retry_minutes))),
            OutcomeKind::Callback => {
                let at = callback_at
                    .filter(|t| *t > now && *t < now + Duration::days(366))
                    .ok_or(CrmError::invalid("callback_at", "err-callback-time"))?;
                am.agent_id = Set(Some(user.id.0));
                am.owned_until = Set(Some(at + Duration::minutes(i64::from(settings.callback_owner_minutes))));
                Some(at)
            }
        };
        am.next_call_at = Set(next);
        am.outcome_id = Set(Some(outcome.id));
        am.attempts = Set(n.attempts + 1);
        am.leased_by = Set(None);
        am.leased_at = Set(None);
        am.modified_at = Set(now);
        let txn = self.store.write().await?;
        let saved = am.update(&txn).await?;
        list_attempt::ActiveModel {
            org_id: Set(org.0),
            number_id: Set(n.id),
            user_id: Set(user.id.0),
            at: Set(now),
            outcome_id: Set(outcome.id),
            next_call_at: Set(next),
            call_id: Set(call_id.map(str::to_string)),
            note: Set(note.trim().to_string()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if outcome.kind == OutcomeKind::DoNotCall {
            super::add_dnc(&txn, org, &n.number, Some(user.id.0), "outcome", now).await?;
        }
        txn.commit().await?;
        Ok(saved)
    }

    /// The attempts on a number, oldest first.
    pub async fn number_history(&self, org: OrgId, number_id: i64) -> Result<Vec<list_attempt::Model>, CrmError> {
        Ok(list_attempt::Entity::find()
            .filter(list_attempt::Column::OrgId.eq(org.0))
            .filter(list_attempt::Column::NumberId.eq(number_id))
            .order_by_asc(list_attempt::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Why number `id` is not handed out now (None: it would be, to someone).
    pub async fn why_not_now(&self, org: OrgId, id: i64) -> Result<Option<NotNow>, CrmError> {
        let n = list_number::Entity::find_by_id(id)
            .filter(list_number::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        Ok(self.why_not_now_of(org, std::slice::from_ref(&n)).await?.pop().flatten())
    }

    /// Why each of `numbers` is not handed out now (a page of the number base at once).
    pub async fn why_not_now_of(&self, org: OrgId, numbers: &[ListNumber]) -> Result<Vec<Option<NotNow>>, CrmError> {
        let wanted: Vec<String> = numbers.iter().map(|n| n.number.clone()).collect();
        let dnc: std::collections::HashSet<String> = dnc_number::Entity::find()
            .filter(dnc_number::Column::OrgId.eq(org.0))
            .filter(dnc_number::Column::Number.is_in(wanted))
            .all(self.db())
            .await?
            .into_iter()
            .map(|d| d.number)
            .collect();
        let open: std::collections::HashSet<i64> =
            self.call_lists(org).await?.into_iter().filter(|l| l.active).map(|l| l.id).collect();
        let now = self.now();
        Ok(numbers.iter().map(|n| not_now(n, dnc.contains(&n.number), open.contains(&n.list_id), now)).collect())
    }
}

/// Why `n` is not handed out at `now`, in the order a person would look: done, do-not-call,
/// its list, someone holding it, its time, its owner.
fn not_now(n: &ListNumber, dnc: bool, list_open: bool, now: DateTime<Utc>) -> Option<NotNow> {
    if n.done {
        return Some(NotNow::Done);
    }
    if dnc {
        return Some(NotNow::DoNotCall);
    }
    if !list_open {
        return Some(NotNow::ListInactive);
    }
    if let Some(u) = n.leased_by {
        return Some(NotNow::HeldBy { user: u });
    }
    if let Some(at) = n.next_call_at.filter(|t| *t > now) {
        return Some(NotNow::NotBefore { at });
    }
    if let Some(u) = n.agent_id
        && n.owned_until.is_none_or(|t| t > now)
    {
        return Some(NotNow::OwnedBy { user: u, until: n.owned_until });
    }
    None
}
