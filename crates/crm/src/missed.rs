//! Missed calls: every inbound call that ends unanswered creates or updates ONE row per
//! organization and caller (latest time, how many misses, which number was called), with a
//! history of everything done about it. The row leaves the list by itself when the caller
//! calls again and gets through. Browsers are told when the list changes (`missed.changed`).

use crate::trunks::digits;
use crate::{Audience, Crm, CrmError, Event, OrgId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::entities::{missed_call as mc, missed_call_history as mh};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use telephony::events::{CallEvent, CallEventKind, Direction, EndCause};

/// Which rows a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissedView {
    Visible,
    Hidden,
    Removed,
    All,
}

impl MissedView {
    pub fn parse(s: &str) -> Option<MissedView> {
        match s {
            "" | "visible" => Some(MissedView::Visible),
            "hidden" => Some(MissedView::Hidden),
            "removed" => Some(MissedView::Removed),
            "all" => Some(MissedView::All),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MissedCall {
    pub id: i64,
    pub caller: String,
    pub called_number: String,
    pub count: i32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// visible | hidden | removed
    pub state: String,
    pub removed_cause: Option<String>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl From<mc::Model> for MissedCall {
    fn from(m: mc::Model) -> Self {
        MissedCall {
            id: m.id,
            caller: m.caller,
            called_number: m.called_number,
            count: m.count,
            first_at: m.first_at,
            last_at: m.last_at,
            state: m.state,
            removed_cause: m.removed_cause,
            removed_at: m.removed_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MissedStep {
    pub at: DateTime<Utc>,
    /// missed | callback | sms | hidden | restored | removed
    pub kind: String,
    pub user_id: Option<i64>,
    pub detail: String,
}

impl Crm {
    /// What a call event means for the list: a missed inbound call is added (or counted on the
    /// caller's row); an inbound call from a listed caller that is answered removes the row.
    pub async fn missed_on_call_event(&self, ev: &CallEvent) -> Result<(), CrmError> {
        if ev.direction != Direction::Inbound {
            return Ok(());
        }
        let caller = digits(&ev.from);
        if caller.is_empty() {
            return Ok(());
        }
        let org = OrgId(ev.tenant);
        let changed = match &ev.kind {
            CallEventKind::Ended { .. } if ev.is_missed() => {
                self.add_miss(org, &caller, &digits(&ev.to), ev.at).await?;
                true
            }
            CallEventKind::Ended { cause: EndCause::Answered } => {
                self.remove_missed(org, &caller, "answered_again", "the caller called again and was answered", ev.at)
                    .await?
            }
            _ => false,
        };
        if changed {
            self.missed_changed(org).await?;
        }
        Ok(())
    }

    async fn add_miss(&self, org: OrgId, caller: &str, called: &str, at: DateTime<Utc>) -> Result<(), CrmError> {
        let txn = self.db().begin().await?;
        let open = mc::Entity::find()
            .filter(mc::Column::OrgId.eq(org.0))
            .filter(mc::Column::Caller.eq(caller))
            .filter(mc::Column::State.ne("removed"))
            .order_by_desc(mc::Column::Id)
            .one(&txn)
            .await?;
        let id = match open {
            Some(m) => {
                let id = m.id;
                let count = m.count;
                let mut am: mc::ActiveModel = m.into();
                am.count = Set(count + 1);
                am.last_at = Set(at);
                am.called_number = Set(called.into());
                // Trying again brings a hidden caller back to the list.
                am.state = Set("visible".into());
                am.update(&txn).await?;
                id
            }
            None => {
                mc::ActiveModel {
                    org_id: Set(org.0),
                    caller: Set(caller.into()),
                    called_number: Set(called.into()),
                    count: Set(1),
                    first_at: Set(at),
                    last_at: Set(at),
                    state: Set("visible".into()),
                    removed_cause: Set(None),
                    removed_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id
            }
        };
        step(&txn, org, id, at, "missed", None, &format!("called {called}")).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Removes the caller's listed row, if any, with `cause`; true when one was removed.
    async fn remove_missed(
        &self,
        org: OrgId,
        caller: &str,
        cause: &str,
        why: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, CrmError> {
        let txn = self.db().begin().await?;
        let open = mc::Entity::find()
            .filter(mc::Column::OrgId.eq(org.0))
            .filter(mc::Column::Caller.eq(caller))
            .filter(mc::Column::State.ne("removed"))
            .all(&txn)
            .await?;
        let removed = !open.is_empty();
        for m in open {
            let id = m.id;
            let mut am: mc::ActiveModel = m.into();
            am.state = Set("removed".into());
            am.removed_cause = Set(Some(cause.into()));
            am.removed_at = Set(Some(at));
            am.update(&txn).await?;
            step(&txn, org, id, at, "removed", None, why).await?;
        }
        txn.commit().await?;
        Ok(removed)
    }

    /// The organization's missed calls in `view`, latest first (at most `limit`).
    pub async fn missed_calls(&self, org: OrgId, view: MissedView, limit: u64) -> Result<Vec<MissedCall>, CrmError> {
        let mut q = mc::Entity::find().filter(mc::Column::OrgId.eq(org.0));
        q = match view {
            MissedView::Visible => q.filter(mc::Column::State.eq("visible")),
            MissedView::Hidden => q.filter(mc::Column::State.eq("hidden")),
            MissedView::Removed => q.filter(mc::Column::State.eq("removed")),
            MissedView::All => q,
        };
        Ok(q.order_by_desc(mc::Column::LastAt)
            .limit(limit.min(1000))
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Hides a listed row (managers and admins), with the reason in its history.
    pub async fn hide_missed(&self, by: &crate::User, id: i64, reason: &str) -> Result<MissedCall, CrmError> {
        self.set_missed_state(by, id, "visible", "hidden", reason).await
    }

    /// Brings a hidden row back to the list (managers and admins).
    pub async fn restore_missed(&self, by: &crate::User, id: i64) -> Result<MissedCall, CrmError> {
        self.set_missed_state(by, id, "hidden", "visible", "").await
    }

    async fn set_missed_state(
        &self,
        by: &crate::User,
        id: i64,
        from: &str,
        to: &str,
        reason: &str,
    ) -> Result<MissedCall, CrmError> {
        let org = by.org_id;
        let m = mc::Entity::find_by_id(id)
            .filter(mc::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let reason = reason.trim();
        if reason.chars().count() > 500 {
            return Err(CrmError::invalid("reason", "err-missed-reason"));
        }
        if m.state != from {
            return Err(CrmError::Conflict(crate::FieldError { field: "state", code: "err-missed-state" }));
        }
        let txn = self.db().begin().await?;
        let mut am: mc::ActiveModel = m.into();
        am.state = Set(to.into());
        let m = am.update(&txn).await?;
        let kind = if to == "hidden" { "hidden" } else { "restored" };
        step(&txn, org, id, self.now(), kind, Some(by.id.0), reason).await?;
        txn.commit().await?;
        self.missed_changed(org).await?;
        Ok(m.into())
    }

    /// Removes the rows whose latest miss is older than `days` (the retention period), with the
    /// cause "retention"; returns how many.
    pub async fn expire_missed(&self, org: OrgId, days: i64) -> Result<usize, CrmError> {
        let now = self.now();
        let old: Vec<String> = mc::Entity::find()
            .filter(mc::Column::OrgId.eq(org.0))
            .filter(mc::Column::State.ne("removed"))
            .filter(mc::Column::LastAt.lt(now - chrono::Duration::days(days)))
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| m.caller)
            .collect();
        for caller in &old {
            self.remove_missed(
                org,
                caller,
                "retention",
                &format!("older than the retention period ({days} days)"),
                now,
            )
            .await?;
        }
        if !old.is_empty() {
            self.missed_changed(org).await?;
        }
        Ok(old.len())
    }

    /// `expire_missed` for every organization (the housekeeping job).
    pub async fn expire_all_missed(&self, days: i64) -> Result<usize, CrmError> {
        let orgs: Vec<i64> =
            store::entities::organization::Entity::find().all(self.db()).await?.into_iter().map(|o| o.id).collect();
        let mut n = 0;
        for org in orgs {
            n += self.expire_missed(OrgId(org), days).await?;
        }
        Ok(n)
    }

    /// Tells the organization's browsers how many rows are listed now (the badge).
    async fn missed_changed(&self, org: OrgId) -> Result<(), CrmError> {
        let visible = mc::Entity::find()
            .filter(mc::Column::OrgId.eq(org.0))
            .filter(mc::Column::State.eq("visible"))
            .count(self.db())
            .await?;
        let data = serde_json::json!({ "visible": visible });
        self.publish(Event { org_id: org, audience: Audience::Organization, kind: "missed.changed".into(), data }).await
    }

    /// One missed call of the organization, with its history (oldest first).
    pub async fn missed_call(&self, org: OrgId, id: i64) -> Result<(MissedCall, Vec<MissedStep>), CrmError> {
        let m = mc::Entity::find_by_id(id)
            .filter(mc::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)?;
        let steps = mh::Entity::find()
            .filter(mh::Column::OrgId.eq(org.0))
            .filter(mh::Column::MissedCallId.eq(id))
            .order_by_asc(mh::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|s| MissedStep { at: s.at, kind: s.kind, user_id: s.user_id, detail: s.detail })
            .collect();
        Ok((m.into(), steps))
    }
}

async fn step(
    db: &impl store::sea_orm::ConnectionTrait,
    org: OrgId,
    id: i64,
    at: DateTime<Utc>,
    kind: &str,
    user: Option<i64>,
    detail: &str,
) -> Result<(), CrmError> {
    mh::ActiveModel {
        org_id: Set(org.0),
        missed_call_id: Set(id),
        at: Set(at),
        kind: Set(kind.into()),
        user_id: Set(user),
        detail: Set(detail.into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
