//! The live wallboard: each queue now (callers waiting, the longest wait, its members by
//! state) and today (answered, abandoned, service level, speed of answer, handle time, from
//! the queue event log); each agent's state and time in it, calls, talk time and pauses by
//! reason today; the calls in progress a manager can listen to, whisper in or barge into; and
//! today's supervision log. "Today" is the organization's day in its time zone.

use super::figures::QueueFigures;
use crate::agents::status::AgentState;
use crate::calls::supervision::SupervisionRow;
use crate::{Audience, Crm, CrmError, Event, OrgId, Role, User, UserId};
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use std::collections::HashMap;
use telephony::events::{CallState, Direction, Supervisor};

/// The states a wallboard counts members in, in the order it shows them.
pub const BOARD_STATES: [AgentState; 6] = [
    AgentState::Available,
    AgentState::Reserved,
    AgentState::InCall,
    AgentState::WrapUp,
    AgentState::Unavailable,
    AgentState::LoggedOut,
];

#[derive(Debug, Clone, Serialize)]
pub struct QueueBoard {
    pub id: i64,
    pub name: String,
    pub waiting: u32,
    pub longest_wait_secs: i64,
    /// How many members are in each of `BOARD_STATES`, in that order.
    pub members: Vec<(AgentState, u32)>,
    pub today: QueueFigures,
    pub service_level: Option<u32>,
    pub service_level_target: i32,
    pub service_level_seconds: i32,
    pub asa_secs: Option<i64>,
    pub aht_secs: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentBoard {
    pub user_id: UserId,
    pub name: String,
    pub extension: String,
    pub state: AgentState,
    pub since: DateTime<Utc>,
    pub reason: Option<String>,
    /// Calls answered today, and their talk time.
    pub calls: u32,
    pub talk_secs: i64,
    /// Time unavailable today, per reason (by name), largest first.
    pub pauses: Vec<(String, i64)>,
}

/// A call in progress, as a manager may supervise it.
#[derive(Debug, Clone, Serialize)]
pub struct LiveCall {
    pub call_id: String,
    pub extension: Option<String>,
    /// The agent on it, by name.
    pub agent: Option<String>,
    /// The other party.
    pub number: String,
    pub direction: Direction,
    pub state: CallState,
    pub answered_at: Option<DateTime<Utc>>,
    pub queue: Option<String>,
    pub supervisor: Option<Supervisor>,
    /// The manager looking at the board supervises it.
    pub mine: bool,
    /// The manager may start supervising it now.
    pub can_supervise: bool,
}

/// A caller waiting in a queue, as a manager may give them to an agent.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingRow {
    pub call_id: String,
    pub queue: String,
    pub from: String,
    pub entered: DateTime<Utc>,
    /// An offer rings an agent now.
    pub ringing: bool,
    /// Off the line, to be called back.
    pub callback: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Wallboard {
    pub queues: Vec<QueueBoard>,
    /// Callers waiting, the longest first.
    pub waiting: Vec<WaitingRow>,
    pub agents: Vec<AgentBoard>,
    pub calls: Vec<LiveCall>,
    pub supervision: Vec<SupervisionRow>,
    pub at: DateTime<Utc>,
}

/// Changes within this long reach the wallboards as one `board.changed` event.
const COALESCE: std::time::Duration = std::time::Duration::from_millis(250);

impl Crm {
    /// Something the organization's wallboards show changed (a call, a caller, an agent's
    /// state): managers' pages hear of it once for every burst of changes.
    pub(crate) fn board_changed(&self, org: OrgId) {
        if !self.acd.board_pending.lock().expect("board lock").insert(org.0) {
            return;
        }
        let crm = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(COALESCE).await;
            crm.acd.board_pending.lock().expect("board lock").remove(&org.0);
            let ev = Event {
                org_id: org,
                audience: Audience::Role(Role::Manager),
                kind: "board.changed".into(),
                data: serde_json::Value::Null,
            };
            if let Err(e) = crm.publish(ev).await {
                tracing::warn!("telling the wallboards: {e}");
            }
        });
    }

    /// The wallboard as manager `by` sees it now.
    pub async fn wallboard(&self, by: &User) -> Result<Wallboard, CrmError> {
        let agents_now = self.agents_now(by).await?; // checks the manager
        self.flush_queue_journal().await;
        let org = by.org_id;
        let (today, from, to) = self.org_day(org, None).await?;
        let now = self.now();
        let confs = self.queue_confs(org).await?;
        let waiting = self.waiting_callers(org).await?;
        let buckets = self.store.queue_days(org.0, today.num_days_from_ce(), today.num_days_from_ce()).await?;
        let state_of: HashMap<i64, AgentState> = agents_now.iter().map(|a| (a.user_id.0, a.state)).collect();
        let queues = confs
            .iter()
            .filter(|c| c.queue.active)
            .map(|c| {
                let q = &c.queue;
                let here: Vec<_> = waiting.iter().filter(|w| w.queue == q.id).collect();
                let mut today = QueueFigures::default();
                buckets.iter().filter(|b| b.queue_id == q.id).for_each(|b| today.add_bucket(b));
                let members = BOARD_STATES
                    .iter()
                    .map(|s| {
                        let n = c.members.iter().filter(|m| state_of.get(&m.user_id) == Some(s)).count();
                        (*s, n as u32)
                    })
                    .collect();
                QueueBoard {
                    id: q.id,
                    name: q.name.clone(),
                    waiting: here.len() as u32,
                    longest_wait_secs: here.iter().map(|w| (now - w.entered).num_seconds()).max().unwrap_or(0).max(0),
                    members,
                    service_level: today.service_level(),
                    service_level_target: q.service_level_target,
                    service_level_seconds: q.service_level_seconds,
                    asa_secs: today.asa_secs(),
                    aht_secs: today.aht_secs(),
                    today,
                }
            })
            .collect();

        // Each agent's day, read as the reports read it.
        let mut days = self.agent_rows(org, from, to).await?;
        let agents: Vec<AgentBoard> = agents_now
            .iter()
            .map(|a| {
                let d = days.remove(&a.user_id.0).unwrap_or_default();
                AgentBoard {
                    user_id: a.user_id,
                    name: a.name.clone(),
                    extension: a.extension.clone(),
                    state: a.state,
                    since: a.since,
                    reason: a.reason.clone(),
                    calls: d.answered,
                    talk_secs: d.talk_secs,
                    pauses: d.pauses,
                }
            })
            .collect();

        let names: HashMap<&str, &str> = agents.iter().map(|a| (a.extension.as_str(), a.name.as_str())).collect();
        let queue_names: HashMap<i64, &str> = confs.iter().map(|c| (c.queue.id, c.queue.name.as_str())).collect();
        let me = by.extension.as_str();
        let mut live: Vec<LiveCall> = self
            .calls_of(by)
            .into_iter()
            .filter(|c| c.state != CallState::Queued)
            .map(|c| {
                let number = if c.direction == Direction::Outbound { c.to.clone() } else { c.from.clone() };
                let mine = c.supervisor.as_ref().is_some_and(|s| s.extension == me);
                LiveCall {
                    agent: c.extension.as_deref().and_then(|e| names.get(e)).map(|n| n.to_string()),
                    can_supervise: c.state == CallState::Talking
                        && c.supervisor.is_none()
                        && c.extension.as_deref().is_some_and(|e| e != me),
                    queue: c.queue.and_then(|q| queue_names.get(&q)).map(|n| n.to_string()),
                    call_id: c.call_id,
                    extension: c.extension,
                    number,
                    direction: c.direction,
                    state: c.state,
                    answered_at: c.answered_at,
                    supervisor: c.supervisor,
                    mine,
                }
            })
            .collect();
        live.sort_by_key(|c| c.answered_at);
        let supervision = self.supervision_log(by, from, to).await?;
        let mut waiting: Vec<WaitingRow> = waiting
            .into_iter()
            .map(|w| WaitingRow {
                queue: queue_names.get(&w.queue).map(|n| n.to_string()).unwrap_or_default(),
                call_id: w.call_id,
                from: w.from,
                entered: w.entered,
                ringing: w.ringing,
                callback: w.callback,
            })
            .collect();
        waiting.sort_by_key(|w| w.entered);
        Ok(Wallboard { queues, waiting, agents, calls: live, supervision, at: now })
    }
}
