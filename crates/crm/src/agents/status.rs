//! Agent availability: available, or unavailable for a reason that managers keep (break,
//! lunch, training…), as stretches of time; and the shift statistics of a day in the
//! organization's time zone (availability per reason, calls each way, average call, answer rate).

use crate::calls::log::CallKind;
use crate::queues::desk::Presence;
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;
pub use store::entities::agent_status::AgentState;
use store::entities::{agent_status as st, status_reason as sr};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set};

#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The agent chose to take calls (whatever call they are on now).
    pub available: bool,
    /// The one state across all queues.
    pub state: AgentState,
    pub reason_id: Option<i64>,
    pub reason: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// In after-call work: until when.
    pub wrap_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ShiftStats {
    pub day: String,
    pub available_secs: i64,
    pub unavailable_secs: i64,
    /// Unavailable time per reason, in the order of the reasons.
    pub per_reason: Vec<(String, i64)>,
    pub incoming_secs: i64,
    pub outgoing_secs: i64,
    pub internal_secs: i64,
    pub incoming: u32,
    pub outgoing: u32,
    pub internal: u32,
    pub missed: u32,
    /// Seconds, over answered calls.
    pub average_call_secs: i64,
    /// Answered incoming calls over all incoming ones (answered and missed), 0–100.
    pub answer_rate: Option<u32>,
}

impl ShiftStats {
    pub fn available_pct(&self) -> u32 {
        let all = self.available_secs + self.unavailable_secs;
        if all == 0 { 0 } else { (self.available_secs * 100 / all) as u32 }
    }
}

/// `12:34:56` for a number of seconds.
pub fn hms(secs: &i64) -> String {
    let s = (*secs).max(0);
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

impl Crm {
    pub async fn status_reasons(&self, org: OrgId) -> Result<Vec<Reason>, CrmError> {
        Ok(sr::Entity::find()
            .filter(sr::Column::OrgId.eq(org.0))
            .order_by_asc(sr::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|r| Reason { id: r.id, name: r.name, active: r.active })
            .collect())
    }

    /// Managers add reasons; names are unique among the active ones.
    pub async fn add_status_reason(&self, by: &User, name: &str) -> Result<Reason, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(CrmError::invalid("name", "err-reason-name"));
        }
        if self.status_reasons(by.org_id).await?.iter().any(|r| r.active && r.name.eq_ignore_ascii_case(name)) {
            return Err(CrmError::Conflict(crate::FieldError { field: "name", code: "err-reason-taken" }));
        }
        let r = sr::ActiveModel {
            org_id: Set(by.org_id.0),
            name: Set(name.into()),
            active: Set(true),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(Reason { id: r.id, name: r.name, active: r.active })
    }

    /// Managers retire a reason (kept for the statistics that name it).
    pub async fn retire_status_reason(&self, by: &User, id: i64) -> Result<(), CrmError> {
        let r = sr::Entity::find_by_id(id)
            .filter(sr::Column::OrgId.eq(by.org_id.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let mut am: sr::ActiveModel = r.into();
        am.active = Set(false);
        am.update(self.db()).await?;
        Ok(())
    }

    /// The agent's one state across all queues, with their chosen availability and reason.
    pub async fn agent_status(&self, user: &User) -> Result<Status, CrmError> {
        let (ext, name) = (user.extension.as_str().to_string(), user.full_name.clone());
        let a = self
            .on_desk(user.org_id, |d, now, _| {
                d.know(user.id.0, &ext, &name, now);
                d.agent(user.id.0).cloned()
            })
            .await?
            .ok_or(CrmError::NotFound)?;
        let reasons = self.status_reasons(user.org_id).await?;
        let reason_id = a.reason();
        Ok(Status {
            available: a.presence == Presence::Available,
            state: a.state,
            reason_id,
            reason: reason_id.and_then(|id| reasons.into_iter().find(|r| r.id == id).map(|r| r.name)),
            since: (a.state != AgentState::LoggedOut).then_some(a.since),
            wrap_until: a.wrap_until().filter(|_| a.state == AgentState::WrapUp),
        })
    }

    /// Available (no reason), or unavailable for one of the organization's active reasons.
    pub async fn set_agent_status(
        &self,
        user: &User,
        available: bool,
        reason: Option<i64>,
    ) -> Result<Status, CrmError> {
        let presence = if available {
            Presence::Available
        } else {
            let id = reason.ok_or(CrmError::invalid("reason", "err-reason-needed"))?;
            let reasons = self.status_reasons(user.org_id).await?;
            if !reasons.iter().any(|r| r.id == id && r.active) {
                return Err(CrmError::invalid("reason", "err-reason-needed"));
            }
            Presence::Unavailable(id)
        };
        self.set_presence(user, presence).await
    }

    /// The agent stops taking queue calls (their phone still rings for calls to them).
    pub async fn log_out_agent(&self, user: &User) -> Result<Status, CrmError> {
        self.set_presence(user, Presence::LoggedOut).await
    }

    /// A manager sets an agent's availability (available, unavailable for a reason, or logged
    /// out of the queues), as the agent could.
    pub async fn set_status_of(
        &self,
        by: &User,
        agent: crate::UserId,
        available: Option<bool>,
        reason: Option<i64>,
    ) -> Result<Status, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let user = self.user(by.org_id, agent).await?;
        if !user.active {
            return Err(CrmError::NotFound);
        }
        match available {
            None => self.log_out_agent(&user).await,
            Some(a) => self.set_agent_status(&user, a, reason).await,
        }
    }

    /// The agent is ready before their after-call work time is up.
    pub async fn end_wrap_up(&self, user: &User) -> Result<Status, CrmError> {
        self.agent_status(user).await?;
        self.on_desk(user.org_id, |d, now, fx| d.end_wrap_up(user.id.0, now, fx)).await?;
        self.flush_queue_journal().await;
        self.agent_status(user).await
    }

    async fn set_presence(&self, user: &User, presence: Presence) -> Result<Status, CrmError> {
        self.agent_status(user).await?;
        self.on_desk(user.org_id, |d, now, fx| d.set_presence(user.id.0, presence, now, fx)).await?;
        self.flush_queue_journal().await;
        self.agent_status(user).await
    }

    /// The start and end of `day` (today when None) in the organization's time zone, in UTC.
    pub async fn org_day(
        &self,
        org: OrgId,
        day: Option<NaiveDate>,
    ) -> Result<(NaiveDate, DateTime<Utc>, DateTime<Utc>), CrmError> {
        let tz = self.org_tz(org).await?;
        let day = day.unwrap_or_else(|| self.now().with_timezone(&tz).date_naive());
        let start = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        };
        Ok((day, start(day), start(day + Duration::days(1))))
    }

    /// The user's shift statistics for `day` (today when None) in the organization's time zone.
    pub async fn shift_stats(&self, user: &User, day: Option<NaiveDate>) -> Result<ShiftStats, CrmError> {
        self.flush_queue_journal().await;
        let (day, from, to) = self.org_day(user.org_id, day).await?;
        let now = self.now().min(to);
        let mut s = ShiftStats { day: day.to_string(), ..Default::default() };
        let spans = st::Entity::find()
            .filter(st::Column::OrgId.eq(user.org_id.0))
            .filter(st::Column::UserId.eq(user.id.0))
            .filter(st::Column::StartedAt.lt(to))
            .filter(Condition::any().add(st::Column::EndedAt.is_null()).add(st::Column::EndedAt.gt(from)))
            .all(self.db())
            .await?;
        let reasons = self.status_reasons(user.org_id).await?;
        let mut per: std::collections::BTreeMap<i64, i64> = Default::default();
        for sp in spans {
            let a = sp.started_at.max(from);
            let b = sp.ended_at.unwrap_or(now).min(now);
            let secs = (b - a).num_seconds().max(0);
            if sp.available {
                s.available_secs += secs;
            } else {
                s.unavailable_secs += secs;
                *per.entry(sp.reason_id.unwrap_or(0)).or_default() += secs;
            }
        }
        s.per_reason = reasons.iter().filter_map(|r| per.get(&r.id).map(|secs| (r.name.clone(), *secs))).collect();
        let mut answered = 0i64;
        let mut talk = 0i64;
        for c in self.call_rows(user, from, to).await? {
            let t = i64::from(c.talk_seconds);
            match c.kind {
                CallKind::Incoming => {
                    s.incoming += 1;
                    s.incoming_secs += t;
                }
                CallKind::Outgoing => {
                    s.outgoing += 1;
                    s.outgoing_secs += t;
                }
                CallKind::Internal => {
                    s.internal += 1;
                    s.internal_secs += t;
                }
                CallKind::Missed => s.missed += 1,
                CallKind::Test => continue,
            }
            if c.answered_at.is_some() {
                answered += 1;
                talk += t;
            }
        }
        s.average_call_secs = if answered == 0 { 0 } else { talk / answered };
        let offered = s.incoming + s.missed;
        s.answer_rate = (offered > 0).then(|| s.incoming * 100 / offered);
        Ok(s)
    }
}
