//! The desks wired to the world: each organization's desk is loaded on first use (its queues,
//! its active users with the state their open stretch says), every step runs under one lock,
//! and its effects are applied outside it — orders to the waiting calls at once, queue events
//! and state stretches through one journal task (in order; `flush` waits for it), and one
//! timer per desk, set after every step to the desk's `next_wake` (a caller who left takes
//! their timer with them). One desk per organization per node: callers and agents of one node.

use super::desk::{Agent, Desk, Effect, Presence, QueueLog};
use crate::{Audience, Crm, CrmError, Event, OrgId, UserId};
use chrono::{DateTime, Datelike, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use store::entities::agent_status::{self as st, AgentState};
use store::entities::{organization, queue_event, user};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use tokio::sync::{mpsc, oneshot};

#[derive(Debug)]
enum Write {
    /// A queue event, with its queue's service-level threshold and its day in the organization's
    /// zone (what its counts need).
    Log(i64, QueueLog, i64, i32),
    State {
        org: i64,
        user: i64,
        state: AgentState,
        reason: Option<i64>,
        available: bool,
        at: DateTime<Utc>,
    },
    Flush(oneshot::Sender<()>),
}

pub struct Acd {
    desks: Mutex<HashMap<i64, Desk>>,
    /// Each desk's one timer: when it fires, and its sleeping task.
    timers: Mutex<HashMap<i64, (DateTime<Utc>, tokio::task::AbortHandle)>>,
    /// Organizations whose wallboards will be told of a change shortly (changes coalesce).
    pub(super) board_pending: Mutex<std::collections::HashSet<i64>>,
    journal: mpsc::UnboundedSender<Write>,
    journal_rx: Mutex<Option<mpsc::UnboundedReceiver<Write>>>,
}

impl Default for Acd {
    fn default() -> Acd {
        let (journal, rx) = mpsc::unbounded_channel();
        Acd {
            desks: Mutex::default(),
            timers: Mutex::default(),
            board_pending: Mutex::default(),
            journal,
            journal_rx: Mutex::new(Some(rx)),
        }
    }
}

/// Why a queue's callback was not placed.
#[derive(Debug, thiserror::Error)]
enum CallbackError {
    #[error("the agent's phone is not registered")]
    NoPhone,
    #[error("{0}")]
    Other(String),
}

/// How often a journal write is tried when the store fails for a moment (about 10 s in all).
const JOURNAL_TRIES: u32 = 10;

impl Crm {
    /// Starts the journal that writes the desks' queue events and state stretches (once).
    pub(crate) fn start_journal(&self) {
        let Some(mut rx) = self.acd.journal_rx.lock().expect("journal lock").take() else { return };
        let crm = self.clone();
        tokio::spawn(async move {
            while let Some(w) = rx.recv().await {
                if let Write::Flush(done) = w {
                    let _ = done.send(());
                    continue;
                }
                // A passing store failure (busy, disconnected) is tried again, in order.
                let mut wait = std::time::Duration::from_millis(50);
                for attempt in 1..=JOURNAL_TRIES {
                    match crm.write(&w).await {
                        Ok(()) => break,
                        Err(e) if e.is_transient() && attempt < JOURNAL_TRIES => {
                            tracing::warn!(attempt, "writing the queues' journal failed, trying again: {e}");
                            tokio::time::sleep(wait).await;
                            wait = (wait * 2).min(std::time::Duration::from_secs(2));
                        }
                        Err(e) => {
                            tracing::error!("writing the queues' journal failed for good ({e}): {w:?}");
                            break;
                        }
                    }
                }
            }
        });
    }

    async fn write(&self, w: &Write) -> Result<(), CrmError> {
        match *w {
            Write::Flush(_) => {}
            Write::Log(org, ref l, sl_secs, day) => self.add_queue_log(org, l.clone(), sl_secs, day).await?,
            Write::State { org, user, state, reason, available, at } => {
                let txn = self.store.write().await?;
                put_agent_state(&txn, org, user, state, reason, available, at).await?;
                txn.commit().await?;
                let u = self.user(OrgId(org), UserId(user)).await?;
                let status = self.agent_status(&u).await?;
                let data = serde_json::to_value(&status).unwrap_or_default();
                let ev = Event {
                    org_id: OrgId(org),
                    audience: Audience::User(UserId(user)),
                    kind: "agent.status".into(),
                    data,
                };
                self.publish(ev).await?;
            }
        }
        Ok(())
    }

    /// Writes a queue event and counts it; `sl_secs` is its queue's service-level threshold,
    /// `day` its day in the organization's zone.
    pub(crate) async fn add_queue_log(&self, org: i64, l: QueueLog, sl_secs: i64, day: i32) -> Result<(), CrmError> {
        let e = queue_event::ActiveModel {
            org_id: Set(org),
            queue_id: Set(l.queue),
            call_id: Set(l.call_id),
            kind: Set(l.kind),
            user_id: Set(l.user),
            at: Set(l.at),
            wait_ms: Set(l.wait_ms),
            detail: Set(l.detail),
            ..Default::default()
        };
        Ok(self.store.add_queue_event(e, sl_secs, day).await?)
    }

    /// Waits until everything the desks asked to write so far is written.
    pub async fn flush_queue_journal(&self) {
        let (tx, rx) = oneshot::channel();
        if self.acd.journal.send(Write::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Runs one step on the organization's desk (loading it first if need be) and applies
    /// its effects.
    pub(crate) async fn on_desk<R>(
        &self,
        org: OrgId,
        step: impl FnOnce(&mut Desk, DateTime<Utc>, &mut Vec<Effect>) -> R,
    ) -> Result<R, CrmError> {
        if !self.acd.desks.lock().expect("desk lock").contains_key(&org.0) {
            let desk = self.load_desk(org).await?;
            let mut desks = self.acd.desks.lock().expect("desk lock");
            desks.entry(org.0).or_insert(desk);
        }
        Ok(self.on_loaded_desk(org, step).expect("the desk was just loaded"))
    }

    /// Runs a step on a desk that is loaded (`None` when it is not).
    pub(crate) fn on_loaded_desk<R>(
        &self,
        org: OrgId,
        step: impl FnOnce(&mut Desk, DateTime<Utc>, &mut Vec<Effect>) -> R,
    ) -> Option<R> {
        let mut fx = Vec::new();
        let r = {
            let mut desks = self.acd.desks.lock().expect("desk lock");
            let desk = desks.get_mut(&org.0)?;
            let r = step(desk, self.now(), &mut fx);
            self.apply(org, fx, desk);
            r
        };
        Some(r)
    }

    /// Applies a step's effects (sending only: nothing here waits); `desk` gives the queue
    /// events their threshold and day.
    fn apply(&self, org: OrgId, fx: Vec<Effect>, desk: &Desk) {
        if fx.iter().any(|e| matches!(e, Effect::Log(_) | Effect::State { .. })) {
            self.board_changed(org);
        }
        for e in fx {
            match e {
                Effect::Order(to, order) => {
                    let _ = to.send(order);
                }
                Effect::Log(l) => {
                    let sl = desk.queues.get(&l.queue).map(|c| c.queue.service_level_seconds).unwrap_or(20);
                    let day = l.at.with_timezone(&desk.tz).date_naive().num_days_from_ce();
                    let _ = self.acd.journal.send(Write::Log(org.0, l, i64::from(sl), day));
                }
                Effect::State { user, state, reason, available, at } => {
                    let _ = self.acd.journal.send(Write::State { org: org.0, user, state, reason, available, at });
                }
                // The desk's timer is set from its state below.
                Effect::WakeAt(_) => {}
                Effect::CallBack { call_id, queue, extension, number, ring } => {
                    let crm = self.clone();
                    tokio::spawn(async move {
                        let placed = crm.place_queue_callback(org, &call_id, queue, extension, number, ring).await;
                        if let Err(e) = placed {
                            tracing::info!(%call_id, "a queue's callback could not be placed: {e}");
                            let no_phone = matches!(e, CallbackError::NoPhone);
                            crm.on_loaded_desk(org, |d, now, fx| d.callback_not_placed(&call_id, no_phone, now, fx));
                        }
                    });
                }
                Effect::Missed { caller, called, at } => {
                    let crm = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = crm.queue_callback_missed(org, &caller, &called, at).await {
                            tracing::error!("a queue's unanswered callback could not be listed as missed: {e}");
                        }
                    });
                }
            }
        }
        self.set_desk_timer(org, desk.next_wake(self.now()));
    }

    /// Sets the desk's one timer to `at` (none: no timer), replacing the one set before.
    fn set_desk_timer(&self, org: OrgId, at: Option<DateTime<Utc>>) {
        let mut timers = self.acd.timers.lock().expect("timers lock");
        if timers.get(&org.0).map(|(t, _)| Some(*t)) == Some(at) {
            return;
        }
        if let Some((_, task)) = timers.remove(&org.0) {
            task.abort();
        }
        let Some(at) = at else { return };
        let crm = self.clone();
        let wait = (at - self.now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(5);
        let task = tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            // This timer has fired: the step below sets the next one.
            let mut timers = crm.acd.timers.lock().expect("timers lock");
            if timers.get(&org.0).is_some_and(|(t, _)| *t == at) {
                timers.remove(&org.0);
            }
            drop(timers);
            crm.on_loaded_desk(org, |d, now, fx| d.wake(now, fx));
        });
        timers.insert(org.0, (at, task.abort_handle()));
    }

    /// Places a queue's callback: the agent's phone rings (as any call: no auto-answer), then
    /// the caller's number through the dial rules.
    async fn place_queue_callback(
        &self,
        org: OrgId,
        call_id: &str,
        queue: i64,
        extension: String,
        number: String,
        ring: std::time::Duration,
    ) -> Result<(), CallbackError> {
        let o = self.org(org).await.map_err(|e| CallbackError::Other(e.to_string()))?;
        let sip = self.sip().map_err(|e| CallbackError::Other(e.to_string()))?;
        let call = telephony::Originate {
            tenant: telephony::Tenant { id: org.0, realm: o.sip_domain },
            extension,
            number,
            caller_id: None,
            call_id: Some(call_id.to_string()),
            auto_answer: false,
            ring: Some(ring),
            queue: Some(queue),
        };
        match sip.originate(call).await {
            Ok(_) => Ok(()),
            Err(telephony::CallError::NoPhone) => Err(CallbackError::NoPhone),
            Err(e) => Err(CallbackError::Other(e.to_string())),
        }
    }

    async fn load_desk(&self, org: OrgId) -> Result<Desk, CrmError> {
        let queues = self.queue_confs(org).await?;
        let o = organization::Entity::find_by_id(org.0).one(self.db()).await?.ok_or(CrmError::NotFound)?;
        let open: HashMap<i64, st::Model> = st::Entity::find()
            .filter(st::Column::OrgId.eq(org.0))
            .filter(st::Column::EndedAt.is_null())
            .order_by_asc(st::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|s| (s.user_id, s))
            .collect();
        let now = self.now();
        let users = user::Entity::find()
            .filter(user::Column::OrgId.eq(org.0))
            .filter(user::Column::Active.eq(true))
            .all(self.db())
            .await?;
        let agents = users
            .into_iter()
            .map(|u| {
                let s = open.get(&u.id);
                let presence = match s {
                    None => Presence::LoggedOut,
                    Some(s) if s.available => Presence::Available,
                    Some(s) => Presence::Unavailable(s.reason_id.unwrap_or(0)),
                };
                let mut a =
                    Agent::new(u.id, u.extension, u.full_name, presence, s.map(|s| s.started_at).unwrap_or(now));
                // A stretch left open by a node that stopped mid-call is closed by the first step.
                a.state = s.map(|s| s.state).unwrap_or(AgentState::LoggedOut);
                a
            })
            .collect();
        let tz = o.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let mut desk = Desk::new(queues, agents, Duration::seconds(i64::from(o.wrap_up_seconds.max(0))), tz);
        desk.node = self.node.clone();
        self.restore_callbacks(org, &mut desk, now).await?;
        let mut fx = Vec::new();
        desk.wake(now, &mut fx);
        self.apply(org, fx, &desk);
        Ok(desk)
    }

    /// Does now what the desk's timer does when it fires (callers who waited too long leave,
    /// callbacks expire, after-call work ends): for a clock moved by hand.
    pub fn wake_desk(&self, org: OrgId) {
        self.on_loaded_desk(org, |d, now, fx| d.wake(now, fx));
    }

    /// Loads the desk of every organization with a callback asked for in the last day, so that
    /// those this node promised before it stopped are placed without waiting for a first call.
    pub(crate) async fn resume_queue_callbacks(&self) -> Result<(), CrmError> {
        use store::entities::queue_event::QueueEventKind as K;
        let mut orgs: Vec<i64> = queue_event::Entity::find()
            .filter(queue_event::Column::Kind.eq(K::Callback))
            .filter(queue_event::Column::At.gte(self.now() - Duration::days(1)))
            .all(self.db())
            .await?
            .into_iter()
            .map(|e| e.org_id)
            .collect();
        orgs.sort_unstable();
        orgs.dedup();
        for org in orgs {
            self.on_desk(OrgId(org), |_, _, _| ()).await?;
        }
        Ok(())
    }

    /// The callbacks this node was asked for before it stopped (the last day's), not placed
    /// since, back in their places; those that ran out meanwhile expire at the desk's first step
    /// (a missed call each). Nothing promised to a caller is forgotten by a restart.
    async fn restore_callbacks(&self, org: OrgId, desk: &mut Desk, now: DateTime<Utc>) -> Result<(), CrmError> {
        use store::entities::queue_event::QueueEventKind as K;
        let asked = queue_event::Entity::find()
            .filter(queue_event::Column::OrgId.eq(org.0))
            .filter(queue_event::Column::Kind.eq(K::Callback))
            .filter(queue_event::Column::At.gte(now - Duration::days(1)))
            .all(self.db())
            .await?;
        if asked.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = asked.iter().map(|e| e.call_id.clone()).collect();
        let settled: std::collections::HashSet<String> = queue_event::Entity::find()
            .filter(queue_event::Column::OrgId.eq(org.0))
            .filter(queue_event::Column::CallId.is_in(ids))
            .filter(queue_event::Column::Kind.is_in([K::Connect, K::CallbackMissed]))
            .all(self.db())
            .await?
            .into_iter()
            .map(|e| e.call_id)
            .collect();
        for e in asked.iter().filter(|e| !settled.contains(&e.call_id)) {
            let d: serde_json::Value =
                e.detail.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
            if d["node"].as_str() != Some(self.node.as_str()) {
                continue;
            }
            let (Some(number), Some(until)) =
                (d["number"].as_str(), d["until"].as_str().and_then(|u| u.parse::<DateTime<Utc>>().ok()))
            else {
                continue;
            };
            let entered = e.at - Duration::milliseconds(e.wait_ms.unwrap_or(0));
            let called = d["called"].as_str().unwrap_or_default();
            desk.restore_callback(&e.call_id, e.queue_id, number, called, entered, until);
            tracing::info!(call_id = %e.call_id, "a callback asked for before the restart waits again in its queue");
        }
        Ok(())
    }

    /// The organization's queues changed: the desk (if loaded) takes them at once.
    pub(crate) async fn reload_desk_queues(&self, org: OrgId) -> Result<(), CrmError> {
        let queues = self.queue_confs(org).await?;
        self.on_loaded_desk(org, |d, now, fx| {
            d.queues = queues.into_iter().map(|q| (q.queue.id, q)).collect();
            d.wake(now, fx);
        });
        Ok(())
    }

    /// The organization's settings changed (its after-call work time).
    pub(crate) fn reload_desk_org(&self, o: &organization::Model) {
        let wrap = Duration::seconds(i64::from(o.wrap_up_seconds.max(0)));
        let tz = o.time_zone.parse().unwrap_or(chrono_tz::UTC);
        self.on_loaded_desk(OrgId(o.id), |d, _, _| {
            d.org_wrap_up = wrap;
            d.tz = tz;
        });
    }

    /// A call event, for the agents on the call (before it is recorded: a free agent is
    /// offered the next caller at once).
    pub(crate) async fn desk_call_event(&self, ev: &telephony::events::CallEvent) {
        if let Err(e) = self.on_desk(OrgId(ev.call.tenant), |d, now, fx| d.call_event(ev, now, fx)).await {
            tracing::warn!("the queue desk could not follow a call event: {e}");
        }
    }
}

/// The agent's state from `at`: their open stretch ends, a new one starts (none when logged out).
pub(crate) async fn put_agent_state(
    db: &impl ConnectionTrait,
    org: i64,
    user: i64,
    state: AgentState,
    reason: Option<i64>,
    available: bool,
    at: DateTime<Utc>,
) -> Result<(), CrmError> {
    let open = st::Entity::find()
        .filter(st::Column::OrgId.eq(org))
        .filter(st::Column::UserId.eq(user))
        .filter(st::Column::EndedAt.is_null())
        .all(db)
        .await?;
    for o in open {
        let mut am: st::ActiveModel = o.into();
        am.ended_at = Set(Some(at));
        am.update(db).await?;
    }
    if state != AgentState::LoggedOut {
        st::ActiveModel {
            org_id: Set(org),
            user_id: Set(user),
            available: Set(available),
            state: Set(state),
            reason_id: Set(reason),
            started_at: Set(at),
            ended_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
