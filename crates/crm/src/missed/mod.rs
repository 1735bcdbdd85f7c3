//! Missed calls: every inbound call that ends unanswered creates or updates ONE row per
//! organization and caller (latest time, how many misses, which number was called), with a
//! history of everything done about it. The row leaves the list by itself when the caller
//! calls again and gets through, when a callback from the row is answered long enough
//! (`callbacks.rs`), or when the retention period runs out. Browsers are told when the list
//! changes (`missed.changed`); users who asked get an e-mail (`notify.rs`).

mod callbacks;
mod notify;
pub mod settings;
pub mod stats;

pub use settings::MissedSettings;
pub use stats::{LastStatus, MissedStats};

use crate::sip::trunks::digits;
use crate::{Audience, Crm, CrmError, Event, OrgId, User};
use chrono::{DateTime, Utc};
use serde::Serialize;
pub use store::entities::missed_call::{LastAction, MissedState, RemovalCause};
pub use store::entities::missed_call_history::{StepKind, StepResult};
use store::entities::{missed_call as mc, missed_call_history as mh};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Select, Set,
};
use telephony::events::{CallEvent, CallEventKind, Direction, EndCause};

/// What recording a call event changed in the list, to tell once it is committed.
pub(crate) struct MissedNews {
    org: OrgId,
    changed: bool,
    miss: Option<MissedCall>,
}

impl MissedNews {
    /// Tells browsers what a batch of recorded events changed: the count of listed rows is read
    /// once per organization, then each new miss is announced (and e-mailed to who asked).
    pub(crate) async fn tell(news: Vec<MissedNews>, crm: &Crm) -> Result<(), CrmError> {
        let mut orgs: Vec<OrgId> = news.iter().filter(|n| n.changed).map(|n| n.org).collect();
        orgs.sort_by_key(|o| o.0);
        orgs.dedup();
        for org in orgs {
            let visible = crm.missed_visible(org).await?;
            let country = crm.org_country(org).await?;
            let misses: Vec<&MissedCall> =
                news.iter().filter(|n| n.org == org).filter_map(|n| n.miss.as_ref()).collect();
            if misses.is_empty() {
                crm.publish(missed_changed_event(org, visible, None, &country)).await?;
            }
            for m in misses {
                crm.publish(missed_changed_event(org, visible, Some(m), &country)).await?;
            }
        }
        for n in news {
            if let Some(row) = n.miss {
                crm.notify_missed_by_email(n.org, row);
            }
        }
        Ok(())
    }
}

fn missed_changed_event(org: OrgId, visible: u64, new_miss: Option<&MissedCall>, country: &str) -> Event {
    let mut data = serde_json::json!({ "visible": visible });
    if let Some(m) = new_miss {
        let shown = crate::contacts::phone::display(&m.caller, country);
        data["missed"] = serde_json::json!({ "id": m.id, "caller": m.caller, "shown": shown, "count": m.count });
    }
    Event { org_id: org, audience: Audience::Organization, kind: "missed.changed".into(), data }
}

/// Which rows a list shows: those in one state, or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissedView {
    In(MissedState),
    All,
}

impl Default for MissedView {
    fn default() -> MissedView {
        MissedView::In(MissedState::Visible)
    }
}

impl MissedView {
    pub const ALL: [MissedView; 4] = [
        MissedView::In(MissedState::Visible),
        MissedView::In(MissedState::Hidden),
        MissedView::In(MissedState::Removed),
        MissedView::All,
    ];

    /// A view named in a query (none: the listed rows).
    pub fn parse(s: &str) -> Option<MissedView> {
        match s {
            "" => Some(MissedView::default()),
            "all" => Some(MissedView::All),
            s => MissedState::parse(s).map(MissedView::In),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MissedView::In(state) => state.as_str(),
            MissedView::All => "all",
        }
    }
}

/// What a list shows: a view, optionally one last status and a period of the latest miss, one
/// page of it.
#[derive(Debug, Clone, Default)]
pub struct MissedFilter {
    pub view: MissedView,
    pub status: Option<LastStatus>,
    /// Latest miss at or after.
    pub from: Option<DateTime<Utc>>,
    /// Latest miss before.
    pub to: Option<DateTime<Utc>>,
    /// From 1.
    pub page: u64,
    pub per_page: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MissedPage {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub items: Vec<MissedCall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MissedCall {
    pub id: i64,
    pub caller: String,
    pub called_number: String,
    pub count: i32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub state: MissedState,
    pub removed_cause: Option<RemovalCause>,
    pub removed_at: Option<DateTime<Utc>>,
    pub last_status: LastStatus,
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
            last_status: LastStatus::from_action(m.last_action),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MissedStep {
    pub id: i64,
    pub missed_call_id: i64,
    pub at: DateTime<Utc>,
    pub kind: StepKind,
    pub user_id: Option<i64>,
    pub detail: String,
    /// A callback's result (none while it runs); an SMS's.
    pub result: Option<StepResult>,
}

impl From<mh::Model> for MissedStep {
    fn from(s: mh::Model) -> Self {
        MissedStep {
            id: s.id,
            missed_call_id: s.missed_call_id,
            at: s.at,
            kind: s.kind,
            user_id: s.user_id,
            detail: s.detail,
            result: s.result,
        }
    }
}

impl Crm {
    /// What a call event means for the list: a missed inbound call is added (or counted on the
    /// caller's row); an inbound call from a listed caller that is answered removes the row; a
    /// callback started from a row gets its result.
    /// What a call event means for the list, written with `db` (the event's transaction);
    /// the browsers and the users who asked for e-mail are told by `MissedNews::tell` once it
    /// is committed.
    pub(crate) async fn missed_on_call_event(
        &self,
        db: &impl ConnectionTrait,
        ev: &CallEvent,
    ) -> Result<MissedNews, CrmError> {
        let org = OrgId(ev.call.tenant);
        let mut news = MissedNews { org, changed: self.callback_on_call_event(db, ev).await?, miss: None };
        if ev.call.direction != Direction::Inbound {
            return Ok(news);
        }
        let caller = digits(&ev.call.from);
        if caller.is_empty() {
            return Ok(news);
        }
        match &ev.kind {
            CallEventKind::Ended { .. } if ev.is_missed() => {
                news.miss = Some(add_miss(db, org, &caller, &digits(&ev.call.to), ev.at).await?);
                news.changed = true;
            }
            CallEventKind::Ended { cause: EndCause::Answered | EndCause::AgentGone } => {
                let open = open_rows(db, org, &caller).await?;
                if !open.is_empty() {
                    let why = "the caller called again and was answered";
                    remove_rows(db, org, open, RemovalCause::AnsweredAgain, why, ev.at).await?;
                    news.changed = true;
                }
            }
            _ => {}
        }
        Ok(news)
    }

    /// A caller whose callback in queue came to nothing (unanswered, not placed, expired) is a
    /// missed call of `called` now.
    pub(crate) async fn queue_callback_missed(
        &self,
        org: OrgId,
        caller: &str,
        called: &str,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError> {
        let caller = digits(caller);
        if caller.is_empty() {
            return Ok(());
        }
        let txn = self.store.write().await?;
        let miss = add_miss(&txn, org, &caller, &digits(called), at).await?;
        txn.commit().await?;
        MissedNews::tell(vec![MissedNews { org, changed: true, miss: Some(miss) }], self).await
    }

    fn filtered(org: OrgId, f: &MissedFilter) -> Select<mc::Entity> {
        let mut q = mc::Entity::find().filter(mc::Column::OrgId.eq(org.0));
        q = match f.view {
            MissedView::All => q,
            MissedView::In(state) => q.filter(mc::Column::State.eq(state)),
        };
        if let Some(s) = f.status {
            q = q.filter(mc::Column::LastAction.eq(s.action()));
        }
        if let Some(from) = f.from {
            q = q.filter(mc::Column::LastAt.gte(from));
        }
        if let Some(to) = f.to {
            q = q.filter(mc::Column::LastAt.lt(to));
        }
        q
    }

    /// One page of the organization's missed calls, latest first, and how many match.
    pub async fn missed_page(&self, org: OrgId, f: &MissedFilter) -> Result<MissedPage, CrmError> {
        let per_page = f.per_page.clamp(1, 500);
        let page = crate::search::check_page(f.page)?;
        let pages = Self::filtered(org, f)
            .order_by_desc(mc::Column::LastAt)
            .order_by_desc(mc::Column::Id)
            .paginate(self.db(), per_page);
        let total = pages.num_items().await?;
        let items = pages.fetch_page(page - 1).await?.into_iter().map(Into::into).collect();
        Ok(MissedPage { total, page, per_page, items })
    }

    /// The organization's missed calls in `view`, latest first (at most `limit`).
    pub async fn missed_calls(&self, org: OrgId, view: MissedView, limit: u64) -> Result<Vec<MissedCall>, CrmError> {
        let f = MissedFilter { view, per_page: limit, ..Default::default() };
        Ok(self.missed_page(org, &f).await?.items)
    }

    /// Hides a listed row, with the reason in its history (users with the role the
    /// organization's settings ask for).
    pub async fn hide_missed(&self, by: &User, id: i64, reason: &str) -> Result<MissedCall, CrmError> {
        self.set_missed_state(by, id, MissedState::Visible, MissedState::Hidden, reason).await
    }

    /// Brings a hidden row back to the list.
    pub async fn restore_missed(&self, by: &User, id: i64) -> Result<MissedCall, CrmError> {
        self.set_missed_state(by, id, MissedState::Hidden, MissedState::Visible, "").await
    }

    /// Whether `user` may hide and restore rows.
    pub async fn may_hide_missed(&self, user: &User) -> Result<bool, CrmError> {
        Ok(user.role.at_least(self.missed_settings(user.org_id).await?.hide_role))
    }

    async fn set_missed_state(
        &self,
        by: &User,
        id: i64,
        from: MissedState,
        to: MissedState,
        reason: &str,
    ) -> Result<MissedCall, CrmError> {
        let org = by.org_id;
        let m = self.missed_row(org, id).await?;
        if !self.may_hide_missed(by).await? {
            return Err(CrmError::Forbidden);
        }
        let reason = reason.trim();
        if reason.chars().count() > 500 {
            return Err(CrmError::invalid("reason", "err-missed-reason"));
        }
        if m.state != from {
            return Err(CrmError::Conflict(crate::FieldError { field: "state", code: "err-missed-state" }));
        }
        let txn = self.store.write().await?;
        let mut am: mc::ActiveModel = m.into();
        am.state = Set(to);
        let m = am.update(&txn).await?;
        let kind = if to == MissedState::Hidden { StepKind::Hidden } else { StepKind::Restored };
        step(&txn, org, id, self.now(), kind, Some(by.id.0), reason).await?;
        txn.commit().await?;
        self.missed_changed(org, None).await?;
        Ok(m.into())
    }

    async fn missed_row(&self, org: OrgId, id: i64) -> Result<mc::Model, CrmError> {
        missed_row(self.db(), org, id).await
    }

    /// Removes the rows whose latest miss is older than the organization's retention period,
    /// with the cause `RemovalCause::Retention`; returns how many.
    pub async fn expire_missed(&self, org: OrgId) -> Result<usize, CrmError> {
        let now = self.now();
        let days = self.missed_settings(org).await?.retention_days;
        let old = mc::Entity::find()
            .filter(mc::Column::OrgId.eq(org.0))
            .filter(mc::Column::State.ne(MissedState::Removed))
            .filter(mc::Column::LastAt.lt(now - chrono::Duration::days(days.into())))
            .all(self.db())
            .await?;
        let n = old.len();
        if n > 0 {
            let why = format!("older than the retention period ({days} days)");
            let txn = self.store.write().await?;
            remove_rows(&txn, org, old, RemovalCause::Retention, &why, now).await?;
            txn.commit().await?;
            self.missed_changed(org, None).await?;
        }
        Ok(n)
    }

    /// `expire_missed` for every organization (the daily housekeeping job).
    pub async fn expire_all_missed(&self) -> Result<usize, CrmError> {
        let orgs: Vec<i64> =
            store::entities::organization::Entity::find().all(self.db()).await?.into_iter().map(|o| o.id).collect();
        let mut n = 0;
        for org in orgs {
            n += self.expire_missed(OrgId(org)).await?;
        }
        Ok(n)
    }

    /// How many rows the organization's list shows now (the badge).
    pub async fn missed_visible(&self, org: OrgId) -> Result<u64, CrmError> {
        Ok(mc::Entity::find()
            .filter(mc::Column::OrgId.eq(org.0))
            .filter(mc::Column::State.eq(MissedState::Visible))
            .count(self.db())
            .await?)
    }

    /// Tells the organization's browsers how many rows are listed now (the badge), and which
    /// caller was just missed, if one was (the notification).
    async fn missed_changed(&self, org: OrgId, new_miss: Option<&MissedCall>) -> Result<(), CrmError> {
        let visible = self.missed_visible(org).await?;
        let country = self.org_country(org).await?;
        self.publish(missed_changed_event(org, visible, new_miss, &country)).await
    }

    /// One missed call of the organization, with its history (oldest first).
    pub async fn missed_call(&self, org: OrgId, id: i64) -> Result<(MissedCall, Vec<MissedStep>), CrmError> {
        let m = self.missed_row(org, id).await?;
        let mut steps = self.missed_histories(org, &[id]).await?;
        Ok((m.into(), steps.remove(&id).unwrap_or_default()))
    }

    /// The histories of several rows at once (oldest step first).
    pub async fn missed_histories(
        &self,
        org: OrgId,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<MissedStep>>, CrmError> {
        let mut out: std::collections::HashMap<i64, Vec<MissedStep>> = Default::default();
        if ids.is_empty() {
            return Ok(out);
        }
        let steps = mh::Entity::find()
            .filter(mh::Column::OrgId.eq(org.0))
            .filter(mh::Column::MissedCallId.is_in(ids.iter().copied()))
            .order_by_asc(mh::Column::Id)
            .all(self.db())
            .await?;
        for s in steps {
            out.entry(s.missed_call_id).or_default().push(s.into());
        }
        Ok(out)
    }
}

async fn step(
    db: &impl store::sea_orm::ConnectionTrait,
    org: OrgId,
    id: i64,
    at: DateTime<Utc>,
    kind: StepKind,
    user: Option<i64>,
    detail: &str,
) -> Result<mh::Model, CrmError> {
    Ok(mh::ActiveModel {
        org_id: Set(org.0),
        missed_call_id: Set(id),
        at: Set(at),
        kind: Set(kind),
        user_id: Set(user),
        detail: Set(detail.into()),
        call_id: Set(None),
        result: Set(None),
        answered_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

async fn add_miss(
    db: &impl ConnectionTrait,
    org: OrgId,
    caller: &str,
    called: &str,
    at: DateTime<Utc>,
) -> Result<MissedCall, CrmError> {
    let open = mc::Entity::find()
        .filter(mc::Column::OrgId.eq(org.0))
        .filter(mc::Column::Caller.eq(caller))
        .filter(mc::Column::State.ne(MissedState::Removed))
        .order_by_desc(mc::Column::Id)
        .one(db)
        .await?;
    let row = match open {
        Some(m) => {
            let count = m.count;
            let mut am: mc::ActiveModel = m.into();
            am.count = Set(count + 1);
            am.last_at = Set(at);
            am.called_number = Set(called.into());
            // Trying again brings a hidden caller back to the list.
            am.state = Set(MissedState::Visible);
            am.update(db).await?
        }
        None => {
            mc::ActiveModel {
                org_id: Set(org.0),
                caller: Set(caller.into()),
                called_number: Set(called.into()),
                count: Set(1),
                first_at: Set(at),
                last_at: Set(at),
                state: Set(MissedState::Visible),
                removed_cause: Set(None),
                removed_at: Set(None),
                last_action: Set(LastAction::None),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    step(db, org, row.id, at, StepKind::Missed, None, called).await?;
    Ok(row.into())
}

/// The caller's rows that are still listed (visible or hidden).
async fn open_rows(db: &impl ConnectionTrait, org: OrgId, caller: &str) -> Result<Vec<mc::Model>, CrmError> {
    Ok(mc::Entity::find()
        .filter(mc::Column::OrgId.eq(org.0))
        .filter(mc::Column::Caller.eq(caller))
        .filter(mc::Column::State.ne(MissedState::Removed))
        .all(db)
        .await?)
}

/// Removes `rows` with `cause` (which is also the step's detail in each history; `why`
/// goes to the log).
pub(super) async fn remove_rows(
    db: &impl ConnectionTrait,
    org: OrgId,
    rows: Vec<mc::Model>,
    cause: RemovalCause,
    why: &str,
    at: DateTime<Utc>,
) -> Result<(), CrmError> {
    tracing::info!(org = org.0, rows = rows.len(), cause = cause.as_str(), "missed calls removed: {why}");
    for m in rows {
        let id = m.id;
        let mut am: mc::ActiveModel = m.into();
        am.state = Set(MissedState::Removed);
        am.removed_cause = Set(Some(cause));
        am.removed_at = Set(Some(at));
        am.update(db).await?;
        step(db, org, id, at, StepKind::Removed, None, cause.as_str()).await?;
    }
    Ok(())
}

/// One row of the organization's list, read with `db`.
async fn missed_row(db: &impl ConnectionTrait, org: OrgId, id: i64) -> Result<mc::Model, CrmError> {
    mc::Entity::find_by_id(id).filter(mc::Column::OrgId.eq(org.0)).one(db).await?.ok_or(CrmError::NotFound)
}
