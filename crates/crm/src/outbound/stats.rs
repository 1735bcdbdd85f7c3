//! The call lists' statistics (seed 003): per day for all agents — numbers worked (outcomes
//! given), calls, talk time, each outcome, successes (outcomes a manager marked so); per agent
//! for a month by day; per list — its dialer's calls and abandonment over the profile's window,
//! the occupancy and idle time of the agents who worked it, calls per agent-hour; and the
//! evidence of every abandoned call (when, the number, when its message began). Days are the
//! organization's.

use super::dialer::{Abandonment, DialResult};
use super::managers;
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use store::entities::call_log::{self as cl, CallKind};
use store::entities::{dialer_call, list_attempt, list_number};
use store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// Days in one statistics view at most.
pub const MAX_DAYS: i64 = 92;

/// What was done on a day (or by an agent on a day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Worked {
    /// Outcomes given.
    pub worked: u64,
    /// Calls made for the lists, and their talk time.
    pub calls: u64,
    pub talk_seconds: i64,
    pub successes: u64,
    /// Outcome id → how many.
    pub outcomes: BTreeMap<i64, u64>,
}

/// One list's dialing over the period.
#[derive(Debug, Clone, Serialize)]
pub struct ListStats {
    pub list_id: i64,
    pub name: String,
    pub placed: u64,
    pub answered: u64,
    pub connected: u64,
    pub abandoned: u64,
    /// Over the profile's window (not the period): what the cap is measured on.
    pub abandonment: Abandonment,
    /// Of the agents who worked it: the share of their ready time spent in calls and after-call
    /// work, and their ready time in no call.
    pub occupancy: Option<u32>,
    pub idle_seconds: i64,
    /// Calls for the list per hour the agents who worked it were logged in.
    pub calls_per_agent_hour: Option<f64>,
}

/// An abandoned call, kept as evidence.
#[derive(Debug, Clone, Serialize)]
pub struct AbandonedCall {
    pub list_id: i64,
    pub number: String,
    pub answered_at: Option<DateTime<Utc>>,
    /// From the answer to the first word of the information message.
    pub message_after_ms: Option<i64>,
}

/// The statistics of a period.
#[derive(Debug, Clone, Serialize)]
pub struct ListStatistics {
    pub days: Vec<(NaiveDate, Worked)>,
    pub total: Worked,
    pub lists: Vec<ListStats>,
    pub abandoned: Vec<AbandonedCall>,
}

impl Worked {
    fn outcome(&mut self, id: i64, success: bool) {
        self.worked += 1;
        *self.outcomes.entry(id).or_default() += 1;
        if success {
            self.successes += 1;
        }
    }

    fn call(&mut self, talk: i64) {
        self.calls += 1;
        self.talk_seconds += talk;
    }
}

impl Crm {
    /// The call list each call of the period was for: the dialer's calls, and the calls of the
    /// numbers agents worked (by call id).
    pub(crate) async fn lists_of_calls(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<String, i64>, CrmError> {
        let mut list_of: HashMap<String, i64> = HashMap::new();
        for d in dialer_call::Entity::find()
            .filter(dialer_call::Column::OrgId.eq(org.0))
            .filter(dialer_call::Column::PlacedAt.gte(from - chrono::Duration::hours(1)))
            .filter(dialer_call::Column::PlacedAt.lt(to))
            .filter(dialer_call::Column::CallId.is_not_null())
            .all(self.db())
            .await?
        {
            list_of.insert(d.call_id.unwrap_or_default(), d.list_id);
        }
        let attempts = list_attempt::Entity::find()
            .filter(list_attempt::Column::OrgId.eq(org.0))
            .filter(list_attempt::Column::At.gte(from))
            .filter(list_attempt::Column::CallId.is_not_null())
            .all(self.db())
            .await?;
        let lists = self.lists_of_numbers(org, attempts.iter().map(|a| a.number_id)).await?;
        for a in attempts {
            if let (Some(c), Some(l)) = (a.call_id, lists.get(&a.number_id)) {
                list_of.entry(c).or_insert(*l);
            }
        }
        Ok(list_of)
    }

    /// The list of each number.
    async fn lists_of_numbers(
        &self,
        org: OrgId,
        ids: impl Iterator<Item = i64>,
    ) -> Result<HashMap<i64, i64>, CrmError> {
        let ids: Vec<i64> = ids.collect::<HashSet<_>>().into_iter().collect();
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            for n in list_number::Entity::find()
                .filter(list_number::Column::OrgId.eq(org.0))
                .filter(list_number::Column::Id.is_in(chunk.to_vec()))
                .all(self.db())
                .await?
            {
                out.insert(n.id, n.list_id);
            }
        }
        Ok(out)
    }

    /// The statistics of days `from`..=`to` (managers), of one agent when `agent` is given.
    pub async fn list_statistics(
        &self,
        by: &User,
        from: NaiveDate,
        to: NaiveDate,
        agent: Option<i64>,
    ) -> Result<ListStatistics, CrmError> {
        managers(by)?;
        if to < from {
            return Err(CrmError::invalid("to", "err-report-order"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(CrmError::invalid("to", "err-stats-too-long"));
        }
        let org = by.org_id;
        let tz = self.org_tz(org).await?;
        let (_, start, _) = self.org_day(org, Some(from)).await?;
        let (_, _, end) = self.org_day(org, Some(to)).await?;
        let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
        let success: HashSet<i64> =
            self.list_outcomes(org).await?.into_iter().filter(|o| o.success).map(|o| o.id).collect();
        let mut days: BTreeMap<NaiveDate, Worked> = BTreeMap::new();
        let mut d = from;
        while d <= to {
            days.insert(d, Worked::default());
            d = d.succ_opt().unwrap_or(d + chrono::Duration::days(1));
        }
        let mut q = list_attempt::Entity::find()
            .filter(list_attempt::Column::OrgId.eq(org.0))
            .filter(list_attempt::Column::At.gte(start))
            .filter(list_attempt::Column::At.lt(end));
        if let Some(a) = agent {
            q = q.filter(list_attempt::Column::UserId.eq(a));
        }
        let attempts = q.all(self.db()).await?;
        let number_lists = self.lists_of_numbers(org, attempts.iter().map(|a| a.number_id)).await?;
        // Per list: the agents who worked it.
        let mut workers: HashMap<i64, HashSet<i64>> = HashMap::new();
        for a in &attempts {
            days.entry(day(a.at)).or_default().outcome(a.outcome_id, success.contains(&a.outcome_id));
            if let Some(l) = number_lists.get(&a.number_id) {
                workers.entry(*l).or_default().insert(a.user_id);
            }
        }
        let list_of = self.lists_of_calls(org, start, end).await?;
        let mut q = cl::Entity::find()
            .filter(cl::Column::OrgId.eq(org.0))
            .filter(cl::Column::Kind.eq(CallKind::Outgoing))
            .filter(cl::Column::StartedAt.gte(start))
            .filter(cl::Column::StartedAt.lt(end));
        if let Some(a) = agent {
            q = q.filter(cl::Column::UserId.eq(a));
        }
        let mut calls_of_list: HashMap<i64, u64> = HashMap::new();
        for c in q.all(self.db()).await? {
            let Some(l) = list_of.get(&c.call_id) else { continue };
            days.entry(day(c.started_at)).or_default().call(i64::from(c.talk_seconds));
            *calls_of_list.entry(*l).or_default() += 1;
            if let Some(u) = c.user_id {
                workers.entry(*l).or_default().insert(u);
            }
        }
        let mut total = Worked::default();
        for w in days.values() {
            total.worked += w.worked;
            total.calls += w.calls;
            total.talk_seconds += w.talk_seconds;
            total.successes += w.successes;
            for (o, n) in &w.outcomes {
                *total.outcomes.entry(*o).or_default() += n;
            }
        }

        // Per list: the dialer's calls, and the time of the agents who worked it.
        let agent_time = self.agent_rows(org, start, end).await?;
        let dialer = dialer_call::Entity::find()
            .filter(dialer_call::Column::OrgId.eq(org.0))
            .filter(dialer_call::Column::PlacedAt.gte(start))
            .filter(dialer_call::Column::PlacedAt.lt(end))
            .order_by_asc(dialer_call::Column::Id)
            .all(self.db())
            .await?;
        let mut lists = vec![];
        for l in self.call_lists(org).await? {
            let placed: Vec<_> = dialer.iter().filter(|c| c.list_id == l.id).collect();
            let who = workers.get(&l.id).cloned().unwrap_or_default();
            if placed.is_empty() && who.is_empty() {
                continue;
            }
            let (mut ready, mut busy, mut logged) = (0i64, 0i64, 0i64);
            for u in &who {
                if let Some(r) = agent_time.get(u) {
                    ready += r.available_secs;
                    busy += r.in_call_secs + r.wrap_up_secs;
                    logged += r.logged_secs;
                }
            }
            let calls = calls_of_list.get(&l.id).copied().unwrap_or(0);
            lists.push(ListStats {
                list_id: l.id,
                name: l.name.clone(),
                placed: placed.len() as u64,
                answered: placed.iter().filter(|c| c.answered_at.is_some()).count() as u64,
                connected: placed.iter().filter(|c| c.connected_at.is_some()).count() as u64,
                abandoned: placed.iter().filter(|c| c.result == DialResult::Abandoned).count() as u64,
                abandonment: self.abandonment(org, l.id).await?,
                occupancy: (ready + busy > 0).then(|| (busy * 100 / (ready + busy)) as u32),
                idle_seconds: ready,
                calls_per_agent_hour: (logged > 0).then(|| calls as f64 * 3600.0 / logged as f64),
            });
        }
        let abandoned = dialer
            .iter()
            .filter(|c| c.result == DialResult::Abandoned)
            .map(|c| AbandonedCall {
                list_id: c.list_id,
                number: c.number.clone(),
                answered_at: c.answered_at,
                message_after_ms: c.message_at.zip(c.answered_at).map(|(m, a)| (m - a).num_milliseconds()),
            })
            .collect();
        Ok(ListStatistics { days: days.into_iter().collect(), total, lists, abandoned })
    }
}
