//! "Next number": each agent is handed the next number to call within their limits (how many
//! they hold at once, their categories), never the same number to two agents — the number is
//! claimed with one conditional update that only one asker can win, on SQLite and PostgreSQL
//! alike. The agent gives it back with an outcome, which decides when (and whether) it is
//! handed out again; numbers held over the end of the organization's day go back to the pool
//! when the settings say so. The list's compliance profile is applied at the moment a number is
//! picked (`compliance.rs`): the calling window of the callee's country, consent, blocks, and
//! the attempts of the last 24 hours and 30 days over every list. Every number can say why it
//! is not handed out now.

use super::ListNumber;
use super::compliance::{self, Profile};
use super::dispenser::{Given, Want};
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;
use store::entities::dialer_call::{self, DialResult};
use store::entities::{call_list, dnc_number, list_attempt, list_number};
use store::sea_orm::sea_query::{Expr, Query};
use store::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

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
    /// Its list's profile calls only callees who agreed, and this one has not.
    NoConsent,
    /// Blocked after a refusal or an abandoned call (in any list) until then.
    Blocked { until: DateTime<Utc> },
    /// Outside its profile's calling window (day, holiday or hour) in its country's time.
    OutsideWindow { country: String },
    /// Its profile's calls per 24 hours or per 30 days are used up until then.
    AttemptsUsed { until: DateTime<Utc> },
}

/// The profiles of the organization's lists, read once per pick.
pub(super) struct Rules {
    /// Each list's profile (lists without one are missing).
    pub(super) of_list: HashMap<i64, Profile>,
    /// The open lists.
    open: Vec<i64>,
}

impl Rules {
    /// The numbers the rules allow now: those of lists without a profile, and of each profile's
    /// lists those of a country inside its window (and with consent when it asks for it).
    pub(super) fn allowed(&self, now: DateTime<Utc>) -> Condition {
        let free: Vec<i64> = self.open.iter().copied().filter(|l| !self.of_list.contains_key(l)).collect();
        let mut any = Condition::any().add(list_number::Column::ListId.is_in(free));
        let mut by_profile: HashMap<i64, (&Profile, Vec<i64>)> = HashMap::new();
        for (l, p) in &self.of_list {
            by_profile.entry(p.id).or_insert((p, vec![])).1.push(*l);
        }
        for (p, ls) in by_profile.into_values() {
            let open = compliance::open_countries(p, now);
            if open.is_empty() {
                continue;
            }
            let mut c = Condition::all()
                .add(list_number::Column::ListId.is_in(ls))
                .add(list_number::Column::Country.is_in(open));
            if p.consent_required {
                c = c.add(list_number::Column::Consent.eq(true));
            }
            any = any.add(c);
        }
        any
    }
}

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
    /// categories, allowed now by its list's compliance profile, and assigned to nobody, to them,
    /// or to someone whose time ran out: their own due callbacks first, then the numbers waiting
    /// longest since their due time, then new ones in the order they were added.
    pub async fn next_number(&self, user: &User) -> Result<Option<ListNumber>, CrmError> {
        self.desk_next(user).await
    }

    /// Takes the next number for `holder` (an agent, or the dialer: `DIALER`) among the open
    /// numbers allowed now (of `lists` only, when given; in `cats` when some): an agent's own due
    /// callbacks first; then numbers due again, longest waiting first; then new ones in the
    /// order they were added — each an index range read in order, never a sort. The dialer takes
    /// only numbers assigned to nobody (or whose owner's time ran out). Served together with
    /// every other ask of the organization at the same time (`dispenser.rs`).
    pub(crate) async fn pick_for(
        &self,
        org: OrgId,
        holder: i64,
        cats: &[i64],
        lists: Option<&[i64]>,
        now: DateTime<Utc>,
    ) -> Result<Option<ListNumber>, CrmError> {
        let want = Want { holder, cats: cats.to_vec(), lists: lists.map(<[i64]>::to_vec) };
        Ok(self.dispense(org, vec![want], now).await?.pop().flatten())
    }

    /// A number taken but not to be called now goes back, not before `at`.
    pub(crate) async fn give_back(&self, org: OrgId, id: i64, at: DateTime<Utc>) -> Result<(), CrmError> {
        let gate = self.list_gate().await;
        list_number::Entity::update_many()
            .col_expr(list_number::Column::LeasedBy, Expr::value(Option::<i64>::None))
            .col_expr(list_number::Column::LeasedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        drop(gate);
        self.not_before(org, id, at).await
    }

    /// The open numbers of the organization's open lists that are due and held by nobody, and
    /// not on its do-not-call list.
    pub(super) fn open_numbers(&self, org: OrgId, now: DateTime<Utc>) -> store::sea_orm::Select<list_number::Entity> {
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
            .filter(
                Condition::any()
                    .add(list_number::Column::BlockedUntil.is_null())
                    .add(list_number::Column::BlockedUntil.lte(now)),
            )
    }

    /// On SQLite, the call lists' writes queue in this process in order: SQLite's own wait for
    /// its write lock is not fair, and 200 agents asking at once left some waiting past the busy
    /// timeout. PostgreSQL locks rows and needs none.
    pub(crate) async fn list_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if self.store.is_postgres() { None } else { Some(self.list_gate.lock().await) }
    }

    /// Each list's profile.
    pub(super) async fn rules(&self, org: OrgId) -> Result<Rules, CrmError> {
        let profiles: HashMap<i64, Profile> =
            self.compliance_profiles(org).await?.into_iter().map(|p| (p.id, p)).collect();
        let lists = self.call_lists(org).await?;
        let of_list = lists
            .iter()
            .filter_map(|l| l.profile_id.and_then(|p| profiles.get(&p)).map(|p| (l.id, p.clone())))
            .collect();
        Ok(Rules { of_list, open: lists.iter().filter(|l| l.active).map(|l| l.id).collect() })
    }

    /// When calls to `number` are allowed again under `p`'s limits, if they are used up now
    /// (attempts on every list's row of the number, over the last 24 hours and 30 days).
    pub(super) async fn attempts_used_until(
        &self,
        org: OrgId,
        p: &Profile,
        number: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, CrmError> {
        if p.max_per_day <= 0 && p.max_per_30_days <= 0 {
            return Ok(None);
        }
        let rows = Query::select()
            .column(list_number::Column::Id)
            .from(list_number::Entity)
            .and_where(list_number::Column::ListId.in_subquery(self.lists_of(org)))
            .and_where(list_number::Column::Number.eq(number))
            .to_owned();
        let mut times: Vec<DateTime<Utc>> = list_attempt::Entity::find()
            .select_only()
            .column(list_attempt::Column::At)
            .filter(list_attempt::Column::OrgId.eq(org.0))
            .filter(list_attempt::Column::NumberId.in_subquery(rows))
            .filter(list_attempt::Column::At.gt(now - Duration::days(30)))
            .into_tuple()
            .all(self.db())
            .await?;
        // The dialer's calls no agent took (those an agent took are their attempts above).
        let dialled: Vec<DateTime<Utc>> = dialer_call::Entity::find()
            .select_only()
            .column(dialer_call::Column::PlacedAt)
            .filter(dialer_call::Column::OrgId.eq(org.0))
            .filter(dialer_call::Column::Number.eq(number))
            .filter(dialer_call::Column::Result.ne(DialResult::Connected))
            .filter(dialer_call::Column::PlacedAt.gt(now - Duration::days(30)))
            .into_tuple()
            .all(self.db())
            .await?;
        times.extend(dialled);
        times.sort_unstable_by(|a, b| b.cmp(a));
        // With `max` calls allowed over `span`, the `max`-th latest call must have left the span.
        let free_at = |max: i32, span: Duration| {
            let max = usize::try_from(max).unwrap_or(0);
            (max > 0).then(|| times.get(max - 1).map(|t| *t + span)).flatten().filter(|t| *t > now)
        };
        Ok([free_at(p.max_per_day, Duration::days(1)), free_at(p.max_per_30_days, Duration::days(30))]
            .into_iter()
            .flatten()
            .max())
    }

    /// Number `id` is not handed out before `at` (kept if it already waits longer).
    pub(super) async fn not_before(&self, org: OrgId, id: i64, at: DateTime<Utc>) -> Result<(), CrmError> {
        let _gate = self.list_gate().await;
        list_number::Entity::update_many()
            .col_expr(list_number::Column::NextCallAt, Expr::value(at))
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::Id.eq(id))
            .filter(
                Condition::any()
                    .add(list_number::Column::NextCallAt.is_null())
                    .add(list_number::Column::NextCallAt.lt(at)),
            )
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// The ids of the organization's lists: a number's rows over every list are found by
    /// `list_id IN (this) AND number = ?`, the lists' unique index (list, number).
    pub(crate) fn lists_of(&self, org: OrgId) -> store::sea_orm::sea_query::SelectStatement {
        Query::select()
            .column(call_list::Column::Id)
            .from(call_list::Entity)
            .and_where(call_list::Column::OrgId.eq(org.0))
            .to_owned()
    }

    /// Every list's rows of `number` are not handed out before `until` (a refusal, an
    /// abandoned call).
    pub(crate) async fn block_number(&self, org: OrgId, number: &str, until: DateTime<Utc>) -> Result<(), CrmError> {
        let _gate = self.list_gate().await;
        list_number::Entity::update_many()
            .col_expr(list_number::Column::BlockedUntil, Expr::value(until))
            .filter(list_number::Column::ListId.in_subquery(self.lists_of(org)))
            .filter(list_number::Column::Number.eq(number))
            .filter(
                Condition::any()
                    .add(list_number::Column::BlockedUntil.is_null())
                    .add(list_number::Column::BlockedUntil.lt(until)),
            )
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Numbers held since before the organization's day began go back to the pool.
    /// Returns when the organization's day ends: until then no number can become one of a
    /// past day (the desk looks again only then).
    pub(super) async fn release_numbers_of_past_days(&self, org: OrgId) -> Result<DateTime<Utc>, CrmError> {
        let (_, day_start, day_end) = self.org_day(org, None).await?;
        // Read first: this runs at every "next number", and a write (even of no row) would
        // queue behind every other writer.
        let stale = list_number::Entity::find()
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::LeasedBy.is_not_null())
            .filter(list_number::Column::LeasedAt.lt(day_start))
            .one(self.db())
            .await?;
        if stale.is_none() {
            return Ok(day_end);
        }
        let _gate = self.list_gate().await;
        let r = list_number::Entity::update_many()
            .col_expr(list_number::Column::LeasedBy, Expr::value(Option::<i64>::None))
            .col_expr(list_number::Column::LeasedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(list_number::Column::OrgId.eq(org.0))
            .filter(list_number::Column::LeasedBy.is_not_null())
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
        Ok(day_end)
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
        let given = Given {
            user: user.clone(),
            number_id,
            outcome_id,
            callback_at,
            note: note.to_string(),
            call_id: call_id.map(str::to_string),
        };
        self.desk_outcome(given).await
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
        let rules = self.rules(org).await?;
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            let mut why = not_now(n, dnc.contains(&n.number), open.contains(&n.list_id), now);
            if let (None, Some(p)) = (&why, rules.of_list.get(&n.list_id)) {
                why = if p.consent_required && !n.consent {
                    Some(NotNow::NoConsent)
                } else if !compliance::open_for(p, &n.country, now) {
                    Some(NotNow::OutsideWindow { country: n.country.clone() })
                } else {
                    self.attempts_used_until(org, p, &n.number, now).await?.map(|until| NotNow::AttemptsUsed { until })
                };
            }
            out.push(why);
        }
        Ok(out)
    }
}

/// Why `n` is not handed out at `now`, in the order a person would look: done, do-not-call,
/// its list, someone holding it, a block, its time, its owner (its profile's rules come after).
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
    if let Some(until) = n.blocked_until.filter(|t| *t > now) {
        return Some(NotNow::Blocked { until });
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
