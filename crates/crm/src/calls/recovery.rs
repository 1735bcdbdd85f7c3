//! Calls a stopped node leaves behind. Each node records the calls in progress as their last
//! event left them (`live_calls`, in the event's transaction) and says it is alive every few
//! seconds (`nodes`). When a node starts it closes what its previous run left open; every node
//! also closes the calls of a node silent for `DEAD_AFTER` (another machine that died). Closing
//! a call records an `Ended` event with the cause `Interrupted` at the node's last sign of life
//! through the ordinary path — so the call log ends the rows, an unanswered inbound call becomes
//! a missed call, an open supervision stretch ends — and then the queue stay gets its exit and
//! the agents on the call leave their "in call" state.

use crate::queues::acd::put_agent_state;
use crate::queues::desk::QueueLog;
use crate::{Crm, CrmError, OrgId};
use chrono::{DateTime, Datelike, Utc};
use std::time::Duration;
use store::entities::agent_status::{self as st, AgentState};
use store::entities::queue_event::{self as qe, QueueEventKind};
use store::entities::{live_call, node, queue};
use store::sea_orm::sea_query::OnConflict;
use store::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use telephony::events::{ActiveCall, CallEvent, CallEventKind, EndCause};

/// How often a node says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long a node may stay silent before the others close its calls.
pub const DEAD_AFTER: Duration = Duration::from_secs(60);

impl Crm {
    /// Keeps the call in `live_calls` as the event leaves it (gone when it ends), with `db`
    /// (the event's transaction).
    pub(crate) async fn keep_live_call(&self, db: &impl ConnectionTrait, ev: &CallEvent) -> Result<(), CrmError> {
        let (org, call_id) = (ev.call.tenant, ev.call.call_id.clone());
        if matches!(ev.kind, CallEventKind::Ended { .. }) {
            live_call::Entity::delete_many()
                .filter(live_call::Column::OrgId.eq(org))
                .filter(live_call::Column::CallId.eq(call_id))
                .exec(db)
                .await?;
            return Ok(());
        }
        let row = live_call::ActiveModel {
            org_id: Set(org),
            call_id: Set(call_id),
            node: Set(self.node.clone()),
            call: Set(serde_json::to_string(&ev.call).unwrap_or_default()),
            updated_at: Set(ev.at),
        };
        live_call::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([live_call::Column::OrgId, live_call::Column::CallId])
                    .update_columns([live_call::Column::Node, live_call::Column::Call, live_call::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    /// This node's name (`CrmSettings::node`).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// At start, before any call: closes the calls this node's previous run left open (at its
    /// last sign of life) and marks the node alive. Returns how many calls were closed.
    pub async fn recover_calls(&self) -> Result<usize, CrmError> {
        let last = node::Entity::find_by_id(self.node.clone()).one(self.db()).await?.map(|n| n.seen_at);
        let closed = self.close_calls_of(&self.node, last).await?;
        let now = self.now();
        let me = node::ActiveModel { name: Set(self.node.clone()), started_at: Set(now), seen_at: Set(now) };
        node::Entity::insert(me)
            .on_conflict(
                OnConflict::column(node::Column::Name)
                    .update_columns([node::Column::StartedAt, node::Column::SeenAt])
                    .to_owned(),
            )
            .exec_without_returning(self.db())
            .await?;
        if closed > 0 {
            tracing::warn!(calls = closed, "calls left open by the previous run were closed as interrupted");
        }
        Ok(closed)
    }

    /// Says every `HEARTBEAT` that this node is alive, and closes the calls of nodes silent for
    /// `DEAD_AFTER` (each claimed by one node only).
    pub fn keep_heartbeat(&self) {
        let crm = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                let now = crm.now();
                let beat = node::Entity::update_many()
                    .col_expr(node::Column::SeenAt, store::sea_orm::sea_query::Expr::value(now))
                    .filter(node::Column::Name.eq(crm.node.clone()))
                    .exec(crm.db())
                    .await;
                if let Err(e) = beat {
                    tracing::warn!("the node's heartbeat was not written: {e}");
                }
                if let Err(e) = crm.close_dead_nodes().await {
                    tracing::warn!("looking for stopped nodes: {e}");
                }
            }
        });
    }

    /// Closes the calls of the nodes that have been silent too long.
    pub async fn close_dead_nodes(&self) -> Result<usize, CrmError> {
        let limit = self.now() - chrono::Duration::from_std(DEAD_AFTER).unwrap_or_default();
        let dead = node::Entity::find()
            .filter(node::Column::SeenAt.lt(limit))
            .filter(node::Column::Name.ne(self.node.clone()))
            .all(self.db())
            .await?;
        let mut closed = 0;
        for n in dead {
            // Claimed by whoever deletes it first (the row must still be as it was read).
            let gone = node::Entity::delete_many()
                .filter(node::Column::Name.eq(n.name.clone()))
                .filter(node::Column::SeenAt.eq(n.seen_at))
                .exec(self.db())
                .await?;
            if gone.rows_affected == 1 {
                tracing::warn!(node = %n.name, "a node stopped answering: closing its calls");
                closed += self.close_calls_of(&n.name, Some(n.seen_at)).await?;
            }
        }
        Ok(closed)
    }

    /// Closes every call `node` left in `live_calls`, at `last` (its last sign of life; the
    /// call's own last event when later or unknown).
    async fn close_calls_of(&self, node: &str, last: Option<DateTime<Utc>>) -> Result<usize, CrmError> {
        let left = live_call::Entity::find()
            .filter(live_call::Column::Node.eq(node))
            .order_by_asc(live_call::Column::UpdatedAt)
            .all(self.db())
            .await?;
        let mut n = 0;
        for row in left {
            let at = last.map_or(row.updated_at, |l| l.max(row.updated_at));
            let call: ActiveCall = match serde_json::from_str(&row.call) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(call_id = %row.call_id, "a call left open cannot be read back ({e}): {}", row.call);
                    continue;
                }
            };
            let ev = CallEvent { call, at, kind: CallEventKind::Ended { cause: EndCause::Interrupted } };
            // One call that cannot be closed does not keep the others (or the start) back: it
            // stays in `live_calls` and is tried again at the next start.
            let closed = async {
                self.record_call_events(std::slice::from_ref(&ev)).await?;
                self.close_queue_stay(&ev.call, at).await?;
                self.end_agent_calls(&ev.call, at).await
            };
            match closed.await {
                Ok(()) => n += 1,
                Err(e) => tracing::error!(call_id = %ev.call.call_id, "a call left open could not be closed: {e}"),
            }
        }
        Ok(n)
    }

    /// A call that was in a queue gets its exit: abandoned when nobody had answered (the caller
    /// is called back from the missed calls), complete when an agent had.
    async fn close_queue_stay(&self, call: &ActiveCall, at: DateTime<Utc>) -> Result<(), CrmError> {
        let Some(queue_id) = call.queue else { return Ok(()) };
        let org = call.tenant;
        let events = qe::Entity::find()
            .filter(qe::Column::OrgId.eq(org))
            .filter(qe::Column::CallId.eq(call.call_id.as_str()))
            .order_by_asc(qe::Column::Id)
            .all(self.db())
            .await?;
        use QueueEventKind as K;
        if events.iter().any(|e| matches!(e.kind, K::Abandon | K::Timeout | K::Refused | K::Complete)) {
            return Ok(());
        }
        let since =
            |kind: K| events.iter().rev().find(|e| e.kind == kind).map(|e| (at - e.at).num_milliseconds().max(0));
        let (kind, wait_ms, user) = match events.iter().rev().find(|e| e.kind == K::Connect) {
            Some(c) => (K::Complete, since(K::Connect), c.user_id),
            None => (K::Abandon, since(K::Enter), None),
        };
        let q = queue::Entity::find_by_id(queue_id).filter(queue::Column::OrgId.eq(org)).one(self.db()).await?;
        let sl = q.map_or(20, |q| i64::from(q.service_level_seconds));
        let day = at.with_timezone(&self.org_tz(OrgId(org)).await?).date_naive().num_days_from_ce();
        let log = QueueLog {
            queue: queue_id,
            call_id: call.call_id.clone(),
            kind,
            user,
            at,
            wait_ms,
            detail: Some("interrupted".into()),
        };
        self.add_queue_log(org, log, sl, day).await
    }

    /// The agents on the call leave the states the call gave them (ringing, in call), keeping
    /// their availability.
    async fn end_agent_calls(&self, call: &ActiveCall, at: DateTime<Utc>) -> Result<(), CrmError> {
        let routing = self.routing().await?;
        let mut exts: Vec<&String> = call.extension.iter().chain(call.ringing.iter()).collect();
        exts.sort();
        exts.dedup();
        for ext in exts {
            let Some(user) = routing.extensions.get(&(call.tenant, ext.clone())).copied() else { continue };
            let txn = self.store.write().await?;
            let open = st::Entity::find()
                .filter(st::Column::OrgId.eq(call.tenant))
                .filter(st::Column::UserId.eq(user))
                .filter(st::Column::EndedAt.is_null())
                .all(&txn)
                .await?;
            if let Some(s) = open.iter().find(|s| matches!(s.state, AgentState::Reserved | AgentState::InCall)) {
                let state = if s.available { AgentState::Available } else { AgentState::Unavailable };
                put_agent_state(&txn, call.tenant, user, state, s.reason_id, s.available, at).await?;
            }
            txn.commit().await?;
        }
        Ok(())
    }
}
