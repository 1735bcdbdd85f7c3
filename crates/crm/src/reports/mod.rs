//! The managers' reports for any period, by hour, day or month of the organization's time
//! zone: every call through a queue or not, with the missed calls and what came of them
//! (`calls.rs`), per campaign (`campaigns.rs`), per queue (from the queue event log, counted in the database by quarter hour as the
//! events are written, see `store::queue_stats`, with the figures' one definition in
//! `queues::figures`) and per agent (from the state stretches and the call log). Every figure
//! can be computed again from those logs (`recount_queue_events`).

pub mod calls;
pub mod campaigns;
pub mod export;

use crate::agents::status::AgentState;
use crate::calls::log::CallKind;
use crate::queues::figures::QueueFigures;
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use store::entities::{agent_status as st, call_log as cl};
use store::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

/// How a report's period is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    Hour,
    Day,
    Month,
}

impl Grouping {
    pub const ALL: [Grouping; 3] = [Grouping::Hour, Grouping::Day, Grouping::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Hour => "hour",
            Grouping::Day => "day",
            Grouping::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Grouping> {
        Grouping::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// A report's period: whole days of the organization's time zone, `from` to `to` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: Grouping,
}

/// At most this many days in one report (and, by hour, at most `MAX_HOURLY_DAYS`).
pub const MAX_DAYS: i64 = 366;
pub const MAX_HOURLY_DAYS: i64 = 31;

impl Period {
    /// Refuses an end before the start, a period over a year, an hourly one over a month.
    pub fn check(&self) -> Result<(), CrmError> {
        let days = (self.to - self.from).num_days() + 1;
        if days < 1 {
            return Err(CrmError::invalid("to", "err-report-order"));
        }
        if days > MAX_DAYS || (self.by == Grouping::Hour && days > MAX_HOURLY_DAYS) {
            return Err(CrmError::invalid("to", "err-report-too-long"));
        }
        Ok(())
    }

    /// The label of the bucket a moment falls in, in `tz` (sorts as it reads).
    pub fn label(&self, tz: chrono_tz::Tz, t: DateTime<Utc>) -> String {
        let l = t.with_timezone(&tz);
        match self.by {
            Grouping::Hour => l.format("%Y-%m-%d %H:00").to_string(),
            Grouping::Day => l.format("%Y-%m-%d").to_string(),
            Grouping::Month => format!("{:04}-{:02}", l.year(), l.month()),
        }
    }
}

/// The day (`num_days_from_ce`) in `tz` of a moment given in seconds since the epoch.
pub(crate) fn day_of(tz: chrono_tz::Tz) -> impl Fn(i64) -> i32 {
    move |secs| DateTime::from_timestamp(secs, 0).unwrap_or_default().with_timezone(&tz).date_naive().num_days_from_ce()
}

/// One queue's figures in one bucket (or, with an empty `bucket`, over the whole period).
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub bucket: String,
    pub queue_id: i64,
    pub queue: String,
    pub figures: QueueFigures,
    pub service_level: Option<u32>,
    pub asa_secs: Option<i64>,
    pub aht_secs: Option<i64>,
}

impl QueueRow {
    fn new(bucket: String, queue_id: i64, queue: String, figures: QueueFigures) -> QueueRow {
        QueueRow {
            bucket,
            queue_id,
            queue,
            service_level: figures.service_level(),
            asa_secs: figures.asa_secs(),
            aht_secs: figures.aht_secs(),
            figures,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueReport {
    pub period: Period,
    /// Per bucket (in order), then per queue by name.
    pub rows: Vec<QueueRow>,
    /// Per queue over the whole period.
    pub totals: Vec<QueueRow>,
}

/// One agent over the period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AgentRow {
    pub user_id: i64,
    pub name: String,
    pub extension: String,
    /// Logged in to the queues (any state but logged out).
    pub logged_secs: i64,
    pub available_secs: i64,
    /// Ringing or in a call.
    pub in_call_secs: i64,
    pub wrap_up_secs: i64,
    pub unavailable_secs: i64,
    /// Unavailable per reason (by name), largest first.
    pub pauses: Vec<(String, i64)>,
    /// Share of the time they could take calls spent in calls and after-call work.
    pub occupancy: Option<u32>,
    pub incoming: u32,
    pub outgoing: u32,
    pub internal: u32,
    pub missed: u32,
    /// Calls answered (any way).
    pub answered: u32,
    pub talk_secs: i64,
}

impl Crm {
    /// Per queue, per bucket of the period (managers).
    pub async fn report_queues(&self, by: &User, period: Period) -> Result<QueueReport, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        period.check()?;
        self.flush_queue_journal().await;
        let tz = self.org_tz(by.org_id).await?;
        let (from, to) = self.period_span(by.org_id, period).await?;
        let names: HashMap<i64, String> =
            self.queue_confs(by.org_id).await?.into_iter().map(|c| (c.queue.id, c.queue.name)).collect();
        // By hour: UTC quarter hours, each labelled once; by day or month: the zone's days.
        let buckets = match period.by {
            Grouping::Hour => self.store.queue_buckets(by.org_id.0, from, to).await?,
            Grouping::Day | Grouping::Month => {
                let (a, b) = (period.from.num_days_from_ce(), period.to.num_days_from_ce());
                self.store.queue_days(by.org_id.0, a, b).await?
            }
        };
        let mut labels: HashMap<i64, String> = HashMap::new();
        let mut per: HashMap<(String, i64), QueueFigures> = HashMap::new();
        let mut totals: HashMap<i64, QueueFigures> = HashMap::new();
        for b in &buckets {
            let label = labels.entry(b.start).or_insert_with(|| match period.by {
                Grouping::Hour => period.label(tz, DateTime::from_timestamp(b.start, 0).unwrap_or(from)),
                Grouping::Day | Grouping::Month => {
                    let d = NaiveDate::from_num_days_from_ce_opt(b.start as i32).unwrap_or(period.from);
                    if period.by == Grouping::Day { d.to_string() } else { format!("{:04}-{:02}", d.year(), d.month()) }
                }
            });
            match per.get_mut(&(label.clone(), b.queue_id)) {
                Some(f) => f.add_bucket(b),
                None => per.entry((label.clone(), b.queue_id)).or_default().add_bucket(b),
            }
            totals.entry(b.queue_id).or_default().add_bucket(b);
        }
        let key = |q: &i64| names.get(q).map(|n| n.to_lowercase()).unwrap_or_default();
        let mut per: Vec<((String, i64), QueueFigures)> = per.into_iter().collect();
        per.sort_by_cached_key(|((l, q), _)| (l.clone(), key(q), *q));
        let mut totals: Vec<(i64, QueueFigures)> = totals.into_iter().collect();
        totals.sort_by_cached_key(|(q, _)| (key(q), *q));
        let name = |id: &i64| names.get(id).cloned().unwrap_or_default();
        Ok(QueueReport {
            period,
            rows: per.into_iter().map(|((bucket, q), f)| QueueRow::new(bucket, q, name(&q), f)).collect(),
            totals: totals.into_iter().map(|(q, f)| QueueRow::new(String::new(), q, name(&q), f)).collect(),
        })
    }

    /// Counts the organization's queue events again from the event log (after events were
    /// written by other means, or a queue's service-level threshold changed) (managers).
    pub async fn recount_queue_events(&self, by: &User) -> Result<(), CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        self.flush_queue_journal().await;
        let tz = self.org_tz(by.org_id).await?;
        Ok(self.store.rebuild_queue_stats(by.org_id.0, day_of(tz)).await?)
    }

    /// Organizations whose queue days were never counted (a store migrated from before they
    /// were) get them counted, once, when the CRM starts.
    pub(crate) async fn count_missing_queue_days(&self) -> Result<(), CrmError> {
        use store::sea_orm::EntityTrait;
        for o in store::entities::organization::Entity::find().all(self.db()).await? {
            if self.store.queue_days_missing(o.id).await? {
                let tz: chrono_tz::Tz = o.time_zone.parse().unwrap_or(chrono_tz::UTC);
                self.store.rebuild_queue_days(o.id, day_of(tz)).await?;
            }
        }
        Ok(())
    }

    /// Per agent over the period: time in each state, pauses, occupancy, calls (managers).
    pub async fn report_agents(&self, by: &User, period: Period) -> Result<Vec<AgentRow>, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        period.check()?;
        self.flush_queue_journal().await;
        let org = by.org_id;
        let (from, to) = self.period_span(org, period).await?;
        let mut rows = self.agent_rows(org, from, to).await?;
        let mut out = Vec::new();
        for u in self.users(org).await? {
            let r = match rows.remove(&u.id.0) {
                Some(r) => r,
                None if u.active => AgentRow::default(),
                None => continue,
            };
            out.push(AgentRow { user_id: u.id.0, name: u.full_name, extension: u.extension.to_string(), ..r });
        }
        out.sort_by_key(|r| r.name.to_lowercase());
        Ok(out)
    }

    /// The period's days in the organization's zone, as UTC: the first one's start, the end of
    /// the last.
    async fn period_span(&self, org: OrgId, period: Period) -> Result<(DateTime<Utc>, DateTime<Utc>), CrmError> {
        let (_, from, _) = self.org_day(org, Some(period.from)).await?;
        let (_, _, to) = self.org_day(org, Some(period.to)).await?;
        Ok((from, to))
    }

    /// Each user's time per state (from their stretches, up to now), pauses by reason, occupancy
    /// and calls between `from` and `to`, by user id (names not filled in). The reports' and the
    /// wallboard's one reading of the agents' logs.
    pub(crate) async fn agent_rows(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<i64, AgentRow>, CrmError> {
        let until = self.now().min(to);
        let reasons: HashMap<i64, String> =
            self.status_reasons(org).await?.into_iter().map(|r| (r.id, r.name)).collect();
        let mut rows: HashMap<i64, AgentRow> = HashMap::new();
        let mut pauses: HashMap<i64, HashMap<String, i64>> = HashMap::new();
        let spans = st::Entity::find()
            .filter(st::Column::OrgId.eq(org.0))
            .filter(st::Column::StartedAt.lt(to))
            .filter(Condition::any().add(st::Column::EndedAt.is_null()).add(st::Column::EndedAt.gt(from)))
            .all(self.db())
            .await?;
        for sp in spans {
            let secs = (sp.ended_at.unwrap_or(until).min(until) - sp.started_at.max(from)).num_seconds().max(0);
            let r = rows.entry(sp.user_id).or_default();
            r.logged_secs += secs;
            match sp.state {
                AgentState::Available => r.available_secs += secs,
                AgentState::Reserved | AgentState::InCall => r.in_call_secs += secs,
                AgentState::WrapUp => r.wrap_up_secs += secs,
                AgentState::Unavailable => {
                    r.unavailable_secs += secs;
                    let name = sp.reason_id.and_then(|id| reasons.get(&id).cloned()).unwrap_or_default();
                    *pauses.entry(sp.user_id).or_default().entry(name).or_default() += secs;
                }
                AgentState::LoggedOut => r.logged_secs -= secs,
            }
        }
        let calls = cl::Entity::find()
            .filter(cl::Column::OrgId.eq(org.0))
            .filter(cl::Column::StartedAt.gte(from))
            .filter(cl::Column::StartedAt.lt(to))
            .all(self.db())
            .await?;
        // Talk time is summed to the millisecond, then rounded once (whole seconds per call
        // summed lost up to a second a call).
        let mut talk_ms: HashMap<i64, i64> = HashMap::new();
        for c in calls {
            let Some(u) = c.user_id else { continue };
            let r = rows.entry(u).or_default();
            match c.kind {
                CallKind::Incoming => r.incoming += 1,
                CallKind::Outgoing => r.outgoing += 1,
                CallKind::Internal => r.internal += 1,
                CallKind::Missed => r.missed += 1,
                CallKind::Test => continue,
            }
            r.answered += u32::from(c.answered_at.is_some());
            let ms = match (c.answered_at, c.ended_at) {
                (Some(a), Some(e)) if e > a => (e - a).num_milliseconds(),
                _ => i64::from(c.talk_seconds) * 1000,
            };
            *talk_ms.entry(u).or_default() += ms;
        }
        for (user, r) in rows.iter_mut() {
            r.user_id = *user;
            r.talk_secs = (talk_ms.get(user).copied().unwrap_or(0) + 500) / 1000;
            let mut p: Vec<(String, i64)> = pauses.remove(user).unwrap_or_default().into_iter().collect();
            p.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            r.pauses = p;
            let could = r.available_secs + r.in_call_secs + r.wrap_up_secs;
            r.occupancy = (could > 0).then(|| ((r.in_call_secs + r.wrap_up_secs) * 100 / could) as u32);
        }
        Ok(rows)
    }
}
