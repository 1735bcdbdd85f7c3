//! Every call of the organization over a period, through a queue or not (a first-hour
//! organization has no queue, and its calls count all the same), from the call log: each call
//! once, by direction, answered or not, with its talk time; and the missed calls with what came
//! of them (called back, got through by calling again), from the missed calls' histories.

use super::Period;
use crate::calls::log::CallKind;
use crate::{Crm, CrmError, User};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use store::entities::{call_log as cl, missed_call as mc, missed_call_history as mh};
use store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The calls of one bucket (or, with an empty `bucket`, of the whole period).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallRow {
    pub bucket: String,
    pub incoming: u32,
    pub incoming_answered: u32,
    pub outgoing: u32,
    pub outgoing_answered: u32,
    pub internal: u32,
    /// Talk time of the answered calls (each counted once, however many took part).
    pub talk_secs: i64,
}

/// What became of the period's missed calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MissedFigures {
    /// Unanswered inbound calls (each miss, several per caller possible).
    pub misses: u32,
    /// Callers who missed at least once.
    pub callers: u32,
    /// Callbacks placed from the list, and of them answered.
    pub callbacks: u32,
    pub callbacks_answered: u32,
    /// Callers whose row left the list because a callback was answered, or because they called
    /// again and got through.
    pub called_back: u32,
    pub got_through: u32,
    /// Callers still on the list (visible or hidden).
    pub still_listed: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallReport {
    pub period: Period,
    pub rows: Vec<CallRow>,
    pub total: CallRow,
    pub missed: MissedFigures,
}

/// One call, from its rows in the log (one per user who took part).
#[derive(Default)]
struct OneCall {
    kind: Option<CallKind>,
    started: Option<chrono::DateTime<chrono::Utc>>,
    answered_ms: i64,
    answered: bool,
}

impl Crm {
    /// The organization's calls per bucket of the period, and its missed calls (managers).
    pub async fn report_calls(&self, by: &User, period: Period) -> Result<CallReport, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        period.check()?;
        let org = by.org_id;
        let tz = self.org_tz(org).await?;
        let (from, to) = self.period_span(org, period).await?;
        let rows = cl::Entity::find()
            .filter(cl::Column::OrgId.eq(org.0))
            .filter(cl::Column::StartedAt.gte(from))
            .filter(cl::Column::StartedAt.lt(to))
            .all(self.db())
            .await?;
        let mut calls: HashMap<String, OneCall> = HashMap::new();
        for r in rows {
            if r.kind == CallKind::Test {
                continue;
            }
            let c = calls.entry(r.call_id).or_default();
            // An inbound call is one whichever way its rows ended (answered by one, missed by
            // the others); an internal one has a row on each side.
            c.kind = Some(match (c.kind, r.kind) {
                (Some(CallKind::Internal), _) | (_, CallKind::Internal) => CallKind::Internal,
                (Some(CallKind::Outgoing), _) | (_, CallKind::Outgoing) => CallKind::Outgoing,
                _ => CallKind::Incoming,
            });
            c.started = Some(c.started.map_or(r.started_at, |s| s.min(r.started_at)));
            if let (Some(a), Some(e)) = (r.answered_at, r.ended_at) {
                c.answered = true;
                c.answered_ms = c.answered_ms.max((e - a).num_milliseconds().max(0));
            } else if r.answered_at.is_some() {
                c.answered = true;
            }
        }
        let mut buckets: BTreeMap<String, (CallRow, i64)> = BTreeMap::new();
        let mut total = (CallRow::default(), 0i64);
        for c in calls.values() {
            let Some(started) = c.started else { continue };
            let label = period.label(tz, started);
            for (row, ms) in [buckets.entry(label.clone()).or_default(), &mut total] {
                match c.kind {
                    Some(CallKind::Outgoing) => {
                        row.outgoing += 1;
                        row.outgoing_answered += u32::from(c.answered);
                    }
                    Some(CallKind::Internal) => row.internal += 1,
                    _ => {
                        row.incoming += 1;
                        row.incoming_answered += u32::from(c.answered);
                    }
                }
                *ms += c.answered_ms;
            }
        }
        let rows = buckets
            .into_iter()
            .map(|(bucket, (row, ms))| CallRow { bucket, talk_secs: (ms + 500) / 1000, ..row })
            .collect();
        let total = CallRow { talk_secs: (total.1 + 500) / 1000, ..total.0 };
        let missed = self.missed_figures(org, from, to).await?;
        Ok(CallReport { period, rows, total, missed })
    }

    async fn missed_figures(
        &self,
        org: crate::OrgId,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<MissedFigures, CrmError> {
        use store::entities::missed_call::{MissedState, RemovalCause};
        use store::entities::missed_call_history::{StepKind, StepResult};
        let steps = mh::Entity::find()
            .filter(mh::Column::OrgId.eq(org.0))
            .filter(mh::Column::At.gte(from))
            .filter(mh::Column::At.lt(to))
            .all(self.db())
            .await?;
        let mut f = MissedFigures::default();
        let mut callers = std::collections::HashSet::new();
        for s in &steps {
            match s.kind {
                StepKind::Missed => {
                    f.misses += 1;
                    callers.insert(s.missed_call_id);
                }
                StepKind::Callback => {
                    f.callbacks += 1;
                    f.callbacks_answered += u32::from(s.result == Some(StepResult::Answered));
                }
                _ => {}
            }
        }
        f.callers = callers.len() as u32;
        let rows = mc::Entity::find()
            .filter(mc::Column::OrgId.eq(org.0))
            .filter(mc::Column::Id.is_in(callers.iter().copied().collect::<Vec<_>>()))
            .all(self.db())
            .await?;
        for r in rows {
            match (r.state, r.removed_cause) {
                (MissedState::Removed, Some(RemovalCause::CallbackAnswered)) => f.called_back += 1,
                (MissedState::Removed, Some(RemovalCause::AnsweredAgain)) => f.got_through += 1,
                (MissedState::Removed, _) => {}
                _ => f.still_listed += 1,
            }
        }
        Ok(f)
    }
}
