//! Call queues (ACD): the queues managers set up with their members (`mod.rs`), the strategies
//! and their explanations (`select.rs`), each organization's desk — agents' one state across
//! all queues, callers waiting, the one selector (`desk.rs`) — and the desks wired to calls,
//! the store and the browsers (`acd.rs`); the figures computed from the queue event log
//! (`figures.rs`) and the live wallboard (`board.rs`).

pub mod acd;
pub mod board;
pub mod desk;
pub mod exit;
pub mod figures;
pub mod select;
pub mod why;

use crate::{Crm, CrmError, FieldError, OrgId, User, UserId};
pub use desk::{QueueConf, WaitingCaller};
pub use store::entities::queue::{ExitKind, Model as Queue, Strategy};
use store::entities::{queue, queue_event, queue_member, user};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use telephony::queue::{QueueExit, QueueReport, QueueTicket};

/// What a manager sets for a queue.
#[derive(Debug, Clone)]
pub struct QueueForm {
    pub name: String,
    pub strategy: Strategy,
    pub ring_seconds: i32,
    pub max_wait_seconds: i32,
    pub max_waiting: i32,
    pub wrap_up_seconds: i32,
    pub priority: i32,
    pub service_level_seconds: i32,
    pub service_level_target: i32,
    pub leave_when_empty: bool,
    /// Where callers go who wait too long, find the queue full, or (`leave_when_empty`) no
    /// member logged in.
    pub exit: QueueExit,
    /// Waiting callers are told their place and the expected wait every this many seconds
    /// (0: never; else 15 to 600).
    pub announce_seconds: i32,
    /// The language the queue speaks in.
    pub language: crate::Language,
    /// Waiting callers may press 1 to be called back, keeping their place, for this many
    /// minutes (0: not offered; else 5 to 1440).
    pub callback_minutes: i32,
}

impl Default for QueueForm {
    fn default() -> QueueForm {
        QueueForm {
            name: String::new(),
            strategy: Strategy::LongestIdle,
            ring_seconds: 15,
            max_wait_seconds: 300,
            max_waiting: 50,
            wrap_up_seconds: 10,
            priority: 0,
            service_level_seconds: 20,
            service_level_target: 80,
            leave_when_empty: true,
            exit: QueueExit::HangUp,
            announce_seconds: 0,
            language: crate::Language::En,
            callback_minutes: 0,
        }
    }
}

/// A member as a manager sets it: the agent and their penalty (0 is offered first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct MemberForm {
    pub user_id: UserId,
    pub penalty: i32,
}

impl From<&Queue> for QueueForm {
    /// The form showing a queue's settings as they are.
    fn from(q: &Queue) -> QueueForm {
        QueueForm {
            name: q.name.clone(),
            strategy: q.strategy,
            ring_seconds: q.ring_seconds,
            max_wait_seconds: q.max_wait_seconds,
            max_waiting: q.max_waiting,
            wrap_up_seconds: q.wrap_up_seconds,
            priority: q.priority,
            service_level_seconds: q.service_level_seconds,
            service_level_target: q.service_level_target,
            leave_when_empty: q.leave_when_empty,
            exit: exit::exit_of(q),
            announce_seconds: q.announce_seconds,
            language: crate::Language::parse(&q.language).unwrap_or(crate::Language::En),
            callback_minutes: q.callback_minutes,
        }
    }
}

fn check_range(field: &'static str, v: i32, lo: i32, hi: i32) -> Result<(), CrmError> {
    if (lo..=hi).contains(&v) { Ok(()) } else { Err(CrmError::invalid(field, "err-out-of-range")) }
}

impl Crm {
    /// The organization's queues with their members (in the members' order).
    pub async fn queue_confs(&self, org: OrgId) -> Result<Vec<QueueConf>, CrmError> {
        let queues = queue::Entity::find()
            .filter(queue::Column::OrgId.eq(org.0))
            .order_by_asc(queue::Column::Id)
            .all(self.db())
            .await?;
        let mut members = queue_member::Entity::find()
            .filter(queue_member::Column::OrgId.eq(org.0))
            .order_by_asc(queue_member::Column::Position)
            .order_by_asc(queue_member::Column::Id)
            .all(self.db())
            .await?;
        Ok(queues
            .into_iter()
            .map(|q| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut members).into_iter().partition(|m| m.queue_id == q.id);
                members = rest;
                QueueConf { queue: q, members: mine }
            })
            .collect())
    }

    pub async fn queue_conf(&self, org: OrgId, id: i64) -> Result<QueueConf, CrmError> {
        self.queue_confs(org).await?.into_iter().find(|q| q.queue.id == id).ok_or(CrmError::NotFound)
    }

    /// Managers create a queue (`id` None) or change one.
    pub async fn save_queue(&self, by: &User, id: Option<i64>, f: QueueForm) -> Result<Queue, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let org = by.org_id;
        let name = f.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(CrmError::invalid("name", "err-queue-name"));
        }
        check_range("ring_seconds", f.ring_seconds, 5, 120)?;
        check_range("max_wait_seconds", f.max_wait_seconds, 10, 7200)?;
        check_range("max_waiting", f.max_waiting, 0, 10_000)?;
        check_range("wrap_up_seconds", f.wrap_up_seconds, 0, 3600)?;
        check_range("priority", f.priority, 0, 100)?;
        check_range("service_level_seconds", f.service_level_seconds, 1, 600)?;
        check_range("service_level_target", f.service_level_target, 1, 100)?;
        if f.announce_seconds != 0 {
            check_range("announce_seconds", f.announce_seconds, 15, 600)?;
        }
        if f.callback_minutes != 0 {
            check_range("callback_minutes", f.callback_minutes, 5, 1440)?;
        }
        let others = self.queue_confs(org).await?;
        if others
            .iter()
            .any(|q| q.queue.active && Some(q.queue.id) != id && q.queue.name.to_lowercase() == name.to_lowercase())
        {
            return Err(CrmError::Conflict(FieldError { field: "name", code: "err-queue-taken" }));
        }
        match &f.exit {
            QueueExit::HangUp => {}
            QueueExit::Extension(t) => {
                if t.is_empty() || self.find_user_by_login(org, t).await?.is_none_or(|u| u.extension.as_str() != t) {
                    return Err(CrmError::invalid("exit_target", "err-extension-unknown"));
                }
            }
            QueueExit::Queue(q) => {
                if Some(*q) == id || !others.iter().any(|o| o.queue.id == *q && o.queue.active) {
                    return Err(CrmError::invalid("exit_target", "err-queue-unknown"));
                }
                // Queues that send each other their callers would pass a caller round for ever.
                let exits: Vec<(i64, QueueExit)> = others
                    .iter()
                    .filter(|o| Some(o.queue.id) != id && o.queue.active)
                    .map(|o| (o.queue.id, exit::exit_of(&o.queue)))
                    .collect();
                if let Some(me) = id
                    && exit::closes_loop(me, &f.exit, &exits)
                {
                    return Err(CrmError::invalid("exit_target", "err-queue-loop"));
                }
            }
        }
        let (exit_kind, exit_target) = exit::columns(&f.exit);
        let mut am = match id {
            Some(id) => {
                let q = others.into_iter().find(|q| q.queue.id == id && q.queue.active).ok_or(CrmError::NotFound)?;
                let am: queue::ActiveModel = q.queue.into();
                am
            }
            None => queue::ActiveModel {
                org_id: Set(org.0),
                active: Set(true),
                created_at: Set(self.now()),
                ..Default::default()
            },
        };
        am.name = Set(name);
        am.strategy = Set(f.strategy);
        am.ring_seconds = Set(f.ring_seconds);
        am.max_wait_seconds = Set(f.max_wait_seconds);
        am.max_waiting = Set(f.max_waiting);
        am.wrap_up_seconds = Set(f.wrap_up_seconds);
        am.priority = Set(f.priority);
        am.service_level_seconds = Set(f.service_level_seconds);
        am.service_level_target = Set(f.service_level_target);
        am.leave_when_empty = Set(f.leave_when_empty);
        am.exit_kind = Set(exit_kind);
        am.exit_target = Set(exit_target);
        am.announce_seconds = Set(f.announce_seconds);
        am.language = Set(f.language.as_str().into());
        am.callback_minutes = Set(f.callback_minutes);
        let q = if id.is_some() { am.update(self.db()).await? } else { am.insert(self.db()).await? };
        self.reload_desk_queues(org).await?;
        Ok(q)
    }

    /// Managers remove a queue no number rings and no other queue sends its callers to. Its
    /// history stays (reports and "Why?" still name it): the queue is only put out of use, and
    /// its name is free for a new one.
    pub async fn delete_queue(&self, by: &User, id: i64) -> Result<(), CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let org = by.org_id;
        let confs = self.queue_confs(org).await?;
        let q = confs.iter().find(|c| c.queue.id == id && c.queue.active).ok_or(CrmError::NotFound)?;
        let rung = self.numbers(org).await?.iter().any(|n| n.route_queue_id == Some(id));
        let exit_of_another =
            confs.iter().any(|c| c.queue.active && c.queue.id != id && exit::exit_of(&c.queue) == QueueExit::Queue(id));
        if rung || exit_of_another {
            return Err(CrmError::Conflict(FieldError { field: "queue", code: "err-queue-in-use" }));
        }
        let mut am: queue::ActiveModel = q.queue.clone().into();
        am.active = Set(false);
        am.update(self.db()).await?;
        queue_member::Entity::delete_many()
            .filter(queue_member::Column::OrgId.eq(org.0))
            .filter(queue_member::Column::QueueId.eq(id))
            .exec(self.db())
            .await?;
        self.reload_desk_queues(org).await?;
        self.routing_changed();
        Ok(())
    }

    /// Managers set a queue's members, in the order given (the order in-order and round-robin
    /// follow), each with a penalty.
    pub async fn set_queue_members(&self, by: &User, queue_id: i64, members: &[MemberForm]) -> Result<(), CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let org = by.org_id;
        self.queue_conf(org, queue_id).await?;
        self.check_queue_members(by, members).await?;
        let txn = self.store.write().await?;
        queue_member::Entity::delete_many()
            .filter(queue_member::Column::OrgId.eq(org.0))
            .filter(queue_member::Column::QueueId.eq(queue_id))
            .exec(&txn)
            .await?;
        for (i, m) in members.iter().enumerate() {
            queue_member::ActiveModel {
                org_id: Set(org.0),
                queue_id: Set(queue_id),
                user_id: Set(m.user_id.0),
                penalty: Set(m.penalty),
                position: Set(i as i32),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        self.reload_desk_queues(org).await
    }

    /// Whether `members` can be a queue's members: the organization's users, each once, with a
    /// penalty from 0 to 99.
    pub async fn check_queue_members(&self, by: &User, members: &[MemberForm]) -> Result<(), CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let org = by.org_id;
        let users: std::collections::HashSet<i64> = user::Entity::find()
            .filter(user::Column::OrgId.eq(org.0))
            .all(self.db())
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect();
        let mut seen = std::collections::HashSet::new();
        for m in members {
            if !users.contains(&m.user_id.0) || !seen.insert(m.user_id) {
                return Err(CrmError::invalid("members", "err-member-unknown"));
            }
            check_range("penalty", m.penalty, 0, 99)?;
        }
        Ok(())
    }

    /// The callers waiting in the organization's queues now (this node's).
    pub async fn waiting_callers(&self, org: OrgId) -> Result<Vec<WaitingCaller>, CrmError> {
        self.on_desk(org, |d, _, _| d.waiting()).await
    }

    /// Manager `by` gives a waiting caller to an agent of the organization now.
    pub async fn hand_waiting_call(&self, by: &User, call_id: &str, agent: UserId) -> Result<(), CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let u = self.user(by.org_id, agent).await?;
        if !u.active {
            return Err(CrmError::NotFound);
        }
        let (ext, name) = (u.extension.as_str().to_string(), u.full_name.clone());
        let r = self
            .on_desk(by.org_id, |d, now, fx| {
                d.know(u.id.0, &ext, &name, now);
                d.hand_to(call_id, u.id.0, by.id.0, now, fx)
            })
            .await?;
        match r {
            Ok(()) => Ok(()),
            Err(desk::HandRefused::NoCaller) => Err(CrmError::NotFound),
            Err(desk::HandRefused::Ringing) => Err(CrmError::invalid("call", "err-hand-ringing")),
            Err(desk::HandRefused::Busy) => Err(CrmError::invalid("agent", "err-hand-busy")),
        }
    }

    /// Why each offer of a call went where it did: the queue's offer events with their
    /// explanations, in order.
    pub async fn queue_decisions(&self, org: OrgId, call_id: &str) -> Result<Vec<queue_event::Model>, CrmError> {
        self.flush_queue_journal().await;
        Ok(queue_event::Entity::find()
            .filter(queue_event::Column::OrgId.eq(org.0))
            .filter(queue_event::Column::CallId.eq(call_id))
            .order_by_asc(queue_event::Column::Id)
            .all(self.db())
            .await?)
    }

    /// A caller enters a queue (asked by the SIP side).
    pub(crate) async fn enter_queue(&self, call: &telephony::events::ActiveCall, queue: i64) -> QueueTicket {
        let step = |d: &mut desk::Desk, now, fx: &mut Vec<desk::Effect>| {
            d.enter(&call.call_id, &call.from, &call.to, queue, now, fx)
        };
        match self.on_desk(OrgId(call.tenant), step).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("a caller could not enter queue {queue}: {e}");
                QueueTicket::Leave(QueueExit::HangUp)
            }
        }
    }

    /// How a waiting call's last order went (told by the SIP side).
    pub(crate) fn queue_reported(&self, org: OrgId, call_id: &str, report: QueueReport) {
        self.on_loaded_desk(org, |d, now, fx| d.report(call_id, report, now, fx));
    }
}

/// An agent's state as managers see it now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AgentNow {
    pub user_id: UserId,
    pub name: String,
    pub extension: String,
    pub state: crate::agents::status::AgentState,
    pub since: chrono::DateTime<chrono::Utc>,
    /// The reason's name, when unavailable.
    pub reason: Option<String>,
}

impl Crm {
    /// Every active user's state now, by name (managers only).
    pub async fn agents_now(&self, by: &User) -> Result<Vec<AgentNow>, CrmError> {
        if !by.is_manager() {
            return Err(CrmError::Forbidden);
        }
        let users = self.users(by.org_id).await?;
        let reasons = self.status_reasons(by.org_id).await?;
        let mut out = self
            .on_desk(by.org_id, |d, now, _| {
                users
                    .iter()
                    .filter(|u| u.active)
                    .map(|u| {
                        d.know(u.id.0, u.extension.as_str(), &u.full_name, now);
                        let a = d.agent(u.id.0).expect("known just now");
                        AgentNow {
                            user_id: u.id,
                            name: u.full_name.clone(),
                            extension: u.extension.as_str().to_string(),
                            state: a.state,
                            since: a.since,
                            reason: a.reason().and_then(|r| reasons.iter().find(|x| x.id == r)).map(|r| r.name.clone()),
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
        out.sort_by_key(|a| a.name.to_lowercase());
        Ok(out)
    }
}
