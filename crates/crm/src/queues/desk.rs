//! One organization's distribution desk, in memory: its queues, its agents with their one
//! state across all queues, and the callers waiting. Every change (a caller enters, an offer
//! rings out, a call event, an agent's choice, a timer) is one synchronous step that returns
//! its effects — orders to waiting calls, queue events and state stretches to write, timers to
//! set — so the decisions are quick, ordered, and testable without a network.

use super::exit::{Leaving, Refusal};
use super::select::{self, Candidate, Choice};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};
use store::entities::agent_status::AgentState;
use store::entities::queue;
use store::entities::queue_event::QueueEventKind;
use store::entities::queue_member;
use telephony::events::{CallEvent, CallEventKind, Direction};
use telephony::queue::{Announcement, CALLBACK_KEY, QueueExit, QueueOrder, QueueReport, QueueTicket};
use tokio::sync::mpsc;

/// A caller whose every free member let the offer ring out waits this long before the same
/// members are offered the call again.
pub const RETRY: Duration = Duration::seconds(3);

/// What the agent chose: not taking calls (logged out), taking them, or away for a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    LoggedOut,
    Available,
    Unavailable(i64),
}

/// An agent's part in one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Ringing,
    Talking,
}

/// A queue with its members, as configured.
#[derive(Debug, Clone)]
pub struct QueueConf {
    pub queue: queue::Model,
    pub members: Vec<queue_member::Model>,
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub user: i64,
    pub extension: String,
    pub name: String,
    pub presence: Presence,
    calls: HashMap<String, Part>,
    /// After-call work until then (ended early by the agent).
    wrap_until: Option<DateTime<Utc>>,
    /// The queue call offered to the agent now.
    offered: Option<String>,
    /// When the agent last became free (a call ended, or they became available).
    idle_since: DateTime<Utc>,
    /// Calls of each queue answered on `day`.
    answered: HashMap<i64, u32>,
    day: Option<NaiveDate>,
    /// The state last told (and stored), and since when.
    pub state: AgentState,
    pub since: DateTime<Utc>,
}

impl Agent {
    pub fn new(user: i64, extension: String, name: String, presence: Presence, since: DateTime<Utc>) -> Agent {
        let state = presence_state(presence);
        Agent {
            user,
            extension,
            name,
            presence,
            calls: HashMap::new(),
            wrap_until: None,
            offered: None,
            idle_since: since,
            answered: HashMap::new(),
            day: None,
            state,
            since,
        }
    }

    /// The one state: a call they talk on, then one ringing them (or a queue's offer), then
    /// after-call work, then what they chose.
    pub fn state_at(&self, now: DateTime<Utc>) -> AgentState {
        if self.calls.values().any(|p| *p == Part::Talking) {
            AgentState::InCall
        } else if self.offered.is_some() || !self.calls.is_empty() {
            AgentState::Reserved
        } else if self.wrap_until.is_some_and(|t| t > now) {
            AgentState::WrapUp
        } else {
            presence_state(self.presence)
        }
    }

    pub fn reason(&self) -> Option<i64> {
        match self.presence {
            Presence::Unavailable(r) => Some(r),
            _ => None,
        }
    }

    pub fn wrap_until(&self) -> Option<DateTime<Utc>> {
        self.wrap_until
    }
}

fn presence_state(p: Presence) -> AgentState {
    match p {
        Presence::LoggedOut => AgentState::LoggedOut,
        Presence::Available => AgentState::Available,
        Presence::Unavailable(_) => AgentState::Unavailable,
    }
}

struct Caller {
    call_id: String,
    queue: i64,
    from: String,
    /// The number the caller called.
    to: String,
    entered: DateTime<Utc>,
    orders: mpsc::UnboundedSender<QueueOrder>,
    /// The agents its current offer rings.
    ringing: Vec<i64>,
    /// Agents who let it ring out this round.
    tried: HashSet<i64>,
    not_before: Option<DateTime<Utc>>,
    /// When the caller is next told their place and the expected wait (queues that say so).
    next_announce: Option<DateTime<Utc>>,
    /// Set once the caller pressed 1: they left the line, keep their place, and are called back.
    callback: Option<Callback>,
}

/// A caller who waits off the line to be called back.
#[derive(Debug, Clone)]
struct Callback {
    /// Whom to call (the caller's number, through the dial rules).
    number: String,
    /// The offer holds until then; after, the caller is a missed call.
    until: DateTime<Utc>,
    /// The call placed for it now: the agent's phone rings first, then the caller's.
    attempt: Option<String>,
    /// The agent answered the attempt: the caller's phone rings.
    agent_answered: bool,
}

/// A queue that offers callbacks but tells no places offers them this often.
pub const CALLBACK_OFFER_EVERY: Duration = Duration::seconds(60);

/// The first announcement comes this soon after a caller entered; then at the queue's interval.
pub const FIRST_ANNOUNCEMENT: Duration = Duration::seconds(5);

/// The handle time assumed for the expected wait before a queue has answered calls.
pub const DEFAULT_HANDLE: Duration = Duration::seconds(180);

/// A queue event to write.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueLog {
    pub queue: i64,
    pub call_id: String,
    pub kind: QueueEventKind,
    pub user: Option<i64>,
    pub at: DateTime<Utc>,
    pub wait_ms: Option<i64>,
    pub detail: Option<String>,
}

/// What a step asks the world to do.
#[derive(Debug)]
pub enum Effect {
    Order(mpsc::UnboundedSender<QueueOrder>, QueueOrder),
    Log(QueueLog),
    /// The agent's state changed: a new stretch from `at`.
    State {
        user: i64,
        state: AgentState,
        reason: Option<i64>,
        available: bool,
        at: DateTime<Utc>,
    },
    /// Call `wake` at this time.
    WakeAt(DateTime<Utc>),
    /// Call a waiting caller back: ring the agent's `extension` for `ring` (no auto-answer), then
    /// `number` through the dial rules, as call `call_id`.
    CallBack {
        call_id: String,
        queue: i64,
        extension: String,
        number: String,
        ring: std::time::Duration,
    },
    /// A caller whose callback came to nothing is a missed call of `called` now.
    Missed {
        caller: String,
        called: String,
        at: DateTime<Utc>,
    },
}

pub struct Desk {
    pub queues: HashMap<i64, QueueConf>,
    pub(crate) agents: HashMap<i64, Agent>,
    by_ext: HashMap<String, i64>,
    waiting: Vec<Caller>,
    /// Round-robin memory: the place of the member each queue offered last.
    last_position: HashMap<i64, i32>,
    /// Answered calls being talked: queue, when connected, and the call id the queue knows the
    /// caller by (a callback's call has an id of its own) — for the complete event.
    connected: HashMap<String, (i64, DateTime<Utc>, String)>,
    /// Each queue's handle time as its answered calls went (a moving average), for the
    /// expected wait it announces.
    handle_time: HashMap<i64, Duration>,
    /// After-call work after a call outside any queue.
    pub org_wrap_up: Duration,
    pub tz: chrono_tz::Tz,
    /// The node this desk runs on (written with each callback asked for, so that the node's
    /// next start takes its callbacks back).
    pub node: String,
}

/// Why a manager could not give a waiting caller to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandRefused {
    /// The caller is no longer waiting here.
    NoCaller,
    /// The caller's phone call is ringing an agent already.
    Ringing,
    /// The agent is ringing or in a call.
    Busy,
}

/// A caller waiting, as the wallboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WaitingCaller {
    pub call_id: String,
    pub queue: i64,
    pub from: String,
    pub entered: DateTime<Utc>,
    pub ringing: bool,
    /// Off the line, to be called back.
    pub callback: bool,
}

impl Desk {
    pub fn new(queues: Vec<QueueConf>, agents: Vec<Agent>, org_wrap_up: Duration, tz: chrono_tz::Tz) -> Desk {
        Desk {
            queues: queues.into_iter().map(|q| (q.queue.id, q)).collect(),
            by_ext: agents.iter().map(|a| (a.extension.clone(), a.user)).collect(),
            agents: agents.into_iter().map(|a| (a.user, a)).collect(),
            waiting: Vec::new(),
            last_position: HashMap::new(),
            connected: HashMap::new(),
            handle_time: HashMap::new(),
            org_wrap_up,
            tz,
            node: String::new(),
        }
    }

    /// A callback asked for before this node stopped, not yet placed: the caller waits for it
    /// again in their place (off the line), until it runs out.
    #[allow(clippy::too_many_arguments)]
    pub fn restore_callback(
        &mut self,
        call_id: &str,
        queue: i64,
        number: &str,
        called: &str,
        entered: DateTime<Utc>,
        until: DateTime<Utc>,
    ) {
        if self.waiting.iter().any(|c| c.call_id == call_id) {
            return;
        }
        // Nobody listens on the line any more: orders to it go nowhere.
        let (orders, _) = mpsc::unbounded_channel();
        let callback = Callback { number: number.into(), until, attempt: None, agent_answered: false };
        self.waiting.push(Caller {
            call_id: call_id.into(),
            queue,
            from: number.into(),
            to: called.into(),
            entered,
            orders,
            ringing: vec![],
            tried: HashSet::new(),
            not_before: None,
            next_announce: None,
            callback: Some(callback),
        });
        self.waiting.sort_by_key(|c| c.entered);
    }

    /// An agent the desk did not know yet (a new user), or one whose name or extension changed.
    pub fn know(&mut self, user: i64, extension: &str, name: &str, now: DateTime<Utc>) {
        let a = self
            .agents
            .entry(user)
            .or_insert_with(|| Agent::new(user, extension.into(), name.into(), Presence::LoggedOut, now));
        a.name = name.into();
        if a.extension != extension {
            self.by_ext.remove(&a.extension);
            a.extension = extension.into();
        }
        self.by_ext.insert(extension.into(), user);
    }

    pub fn agent(&self, user: i64) -> Option<&Agent> {
        self.agents.get(&user)
    }

    pub fn waiting(&self) -> Vec<WaitingCaller> {
        self.waiting
            .iter()
            .map(|c| WaitingCaller {
                call_id: c.call_id.clone(),
                queue: c.queue,
                from: c.from.clone(),
                entered: c.entered,
                ringing: !c.ringing.is_empty(),
                callback: c.callback.is_some(),
            })
            .collect()
    }

    fn exit_of(&self, q: &queue::Model) -> QueueExit {
        match super::exit::exit_of(q) {
            QueueExit::Queue(id) if id == q.id || !self.queues.get(&id).is_some_and(|n| n.queue.active) => {
                QueueExit::HangUp
            }
            exit => exit,
        }
    }

    /// A caller arrives at `queue`.
    #[allow(clippy::too_many_arguments)]
    pub fn enter(
        &mut self,
        call_id: &str,
        from: &str,
        to: &str,
        queue: i64,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) -> QueueTicket {
        let log = |kind, detail: Option<String>| {
            Effect::Log(QueueLog {
                queue,
                call_id: call_id.into(),
                kind,
                user: None,
                at: now,
                wait_ms: Some(0),
                detail,
            })
        };
        let Some(conf) = self.queues.get(&queue).filter(|c| c.queue.active) else {
            return QueueTicket::Leave(QueueExit::HangUp);
        };
        let q = &conf.queue;
        fx.push(log(QueueEventKind::Enter, None));
        let logged_in =
            conf.members.iter().any(|m| self.agents.get(&m.user_id).is_some_and(|a| a.presence != Presence::LoggedOut));
        let waiting = self.waiting.iter().filter(|c| c.queue == queue).count();
        let why = if q.leave_when_empty && !logged_in {
            Some(Refusal::NobodyLoggedIn)
        } else if q.max_waiting > 0 && waiting >= q.max_waiting as usize {
            Some(Refusal::Full)
        } else {
            None
        };
        if let Some(why) = why {
            let exit = self.exit_of(q);
            let detail = Leaving { refusal: Some(why), exit: Some(exit.clone()) };
            fx.push(log(QueueEventKind::Refused, Some(detail.stored())));
            return QueueTicket::Leave(exit);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        fx.push(Effect::WakeAt(now + Duration::seconds(i64::from(q.max_wait_seconds.max(1)))));
        let speaks = q.announce_seconds > 0 || offers_callback(q, from);
        self.waiting.push(Caller {
            call_id: call_id.into(),
            queue,
            from: from.into(),
            to: to.into(),
            entered: now,
            orders: tx,
            ringing: vec![],
            tried: HashSet::new(),
            not_before: None,
            next_announce: speaks.then(|| now + FIRST_ANNOUNCEMENT),
            callback: None,
        });
        if speaks {
            fx.push(Effect::WakeAt(now + FIRST_ANNOUNCEMENT));
        }
        self.settle(now, fx);
        QueueTicket::Wait(rx)
    }

    /// How an offer went, or the caller left.
    pub fn report(&mut self, call_id: &str, report: QueueReport, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let Some(i) = self.waiting.iter().position(|c| c.call_id == call_id) else { return };
        if let QueueReport::Key(digit) = report {
            self.key_pressed(i, digit, now, fx);
            return;
        }
        if self.waiting[i].callback.is_some() {
            // Off the line already (a hang-up crossing the callback's confirmation): the place
            // is kept.
            return;
        }
        let rung = std::mem::take(&mut self.waiting[i].ringing);
        for u in &rung {
            if let Some(a) = self.agents.get_mut(u)
                && a.offered.as_deref() == Some(call_id)
            {
                a.offered = None;
            }
        }
        let (queue, entered) = (self.waiting[i].queue, self.waiting[i].entered);
        let log = |kind, user| {
            Effect::Log(QueueLog {
                queue,
                call_id: call_id.into(),
                kind,
                user,
                at: now,
                wait_ms: Some((now - entered).num_milliseconds()),
                detail: None,
            })
        };
        match report {
            QueueReport::Rang { answered_by: Some(ext) } => {
                self.waiting.remove(i);
                let user = self.by_ext.get(&ext).copied();
                fx.push(log(QueueEventKind::Connect, user));
                self.connected.insert(call_id.into(), (queue, now, call_id.into()));
                let day = now.with_timezone(&self.tz).date_naive();
                if let Some(a) = user.and_then(|u| self.agents.get_mut(&u)) {
                    a.calls.insert(call_id.into(), Part::Talking);
                    if a.day != Some(day) {
                        a.day = Some(day);
                        a.answered.clear();
                    }
                    *a.answered.entry(queue).or_default() += 1;
                }
            }
            QueueReport::Rang { answered_by: None } => {
                for u in rung {
                    fx.push(log(QueueEventKind::NoAnswer, Some(u)));
                    self.waiting[i].tried.insert(u);
                }
                if self.timed_out(i, now) {
                    self.leave(i, QueueEventKind::Timeout, now, fx);
                }
            }
            QueueReport::CallerLeft => {
                self.waiting.remove(i);
                fx.push(log(QueueEventKind::Abandon, None));
            }
            QueueReport::Key(_) => {}
        }
        self.settle(now, fx);
    }

    /// The caller at `i` pressed `digit`: 1, in a queue that offers it, and the caller is called
    /// back instead of waiting on the line — told so, let go, their place kept.
    fn key_pressed(&mut self, i: usize, digit: char, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let c = &mut self.waiting[i];
        let Some(conf) = self.queues.get(&c.queue) else { return };
        if digit != CALLBACK_KEY
            || c.callback.is_some()
            || !c.ringing.is_empty()
            || !offers_callback(&conf.queue, &c.from)
        {
            return;
        }
        let number = crate::sip::trunks::digits(&c.from);
        let until = now + Duration::minutes(i64::from(conf.queue.callback_minutes));
        c.callback = Some(Callback { number: number.clone(), until, attempt: None, agent_answered: false });
        c.next_announce = None;
        fx.push(Effect::Log(QueueLog {
            queue: c.queue,
            call_id: c.call_id.clone(),
            kind: QueueEventKind::Callback,
            user: None,
            at: now,
            wait_ms: Some((now - c.entered).num_milliseconds()),
            detail: Some(
                serde_json::json!({ "number": number, "until": until, "called": c.to, "node": self.node }).to_string(),
            ),
        }));
        let language = conf.queue.language.clone();
        fx.push(Effect::Order(c.orders.clone(), QueueOrder::CallBackLater { language }));
        fx.push(Effect::WakeAt(until));
        self.settle(now, fx);
    }

    /// The callback at `i` came to nothing: the caller leaves the queue as a missed call.
    fn callback_missed(&mut self, i: usize, why: &str, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let c = self.waiting.remove(i);
        for u in &c.ringing {
            if let Some(a) = self.agents.get_mut(u)
                && a.offered.as_deref() == Some(c.call_id.as_str())
            {
                a.offered = None;
            }
        }
        fx.push(Effect::Log(QueueLog {
            queue: c.queue,
            call_id: c.call_id.clone(),
            kind: QueueEventKind::CallbackMissed,
            user: None,
            at: now,
            wait_ms: Some((now - c.entered).num_milliseconds()),
            detail: Some(serde_json::json!({ "why": why }).to_string()),
        }));
        fx.push(Effect::Missed { caller: c.from, called: c.to, at: now });
    }

    /// A callback's call could not be placed: `no_phone`, the agent's phone is not registered
    /// (the next agent is tried); otherwise the caller's number cannot be called (a missed call).
    pub fn callback_not_placed(&mut self, attempt: &str, no_phone: bool, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let Some(i) = self.callback_of(attempt) else { return };
        if no_phone {
            self.callback_not_taken(i, now, fx);
        } else {
            self.callback_missed(i, "not_placed", now, fx);
        }
        self.settle(now, fx);
    }

    fn callback_of(&self, attempt: &str) -> Option<usize> {
        self.waiting.iter().position(|c| c.callback.as_ref().and_then(|b| b.attempt.as_deref()) == Some(attempt))
    }

    /// The agent offered the callback at `i` did not take it: the caller waits for the next.
    fn callback_not_taken(&mut self, i: usize, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let c = &mut self.waiting[i];
        let rung = std::mem::take(&mut c.ringing);
        if let Some(b) = c.callback.as_mut() {
            b.attempt = None;
            b.agent_answered = false;
        }
        for u in rung {
            if let Some(a) = self.agents.get_mut(&u)
                && a.offered.as_deref() == Some(c.call_id.as_str())
            {
                a.offered = None;
            }
            c.tried.insert(u);
            fx.push(Effect::Log(QueueLog {
                queue: c.queue,
                call_id: c.call_id.clone(),
                kind: QueueEventKind::NoAnswer,
                user: Some(u),
                at: now,
                wait_ms: Some((now - c.entered).num_milliseconds()),
                detail: None,
            }));
        }
    }

    /// What an event of a callback's call means for the caller waiting for it.
    fn callback_event(&mut self, i: usize, ev: &CallEvent, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        match &ev.kind {
            // The agent answered: the caller's phone rings now.
            CallEventKind::Ringing if ev.call.ringing.is_empty() => {
                if let Some(b) = self.waiting[i].callback.as_mut() {
                    b.agent_answered = true;
                }
            }
            CallEventKind::Answered => {
                let c = self.waiting.remove(i);
                let user = c.ringing.first().copied();
                if let Some(a) = user.and_then(|u| self.agents.get_mut(&u)) {
                    a.offered = None;
                    let day = now.with_timezone(&self.tz).date_naive();
                    if a.day != Some(day) {
                        a.day = Some(day);
                        a.answered.clear();
                    }
                    *a.answered.entry(c.queue).or_default() += 1;
                }
                fx.push(Effect::Log(QueueLog {
                    queue: c.queue,
                    call_id: c.call_id.clone(),
                    kind: QueueEventKind::Connect,
                    user,
                    at: now,
                    wait_ms: Some((now - c.entered).num_milliseconds()),
                    detail: Some(serde_json::json!({ "callback": ev.call.call_id }).to_string()),
                }));
                self.connected.insert(ev.call.call_id.clone(), (c.queue, now, c.call_id));
            }
            CallEventKind::Ended { cause } => {
                if self.waiting[i].callback.as_ref().is_some_and(|b| b.agent_answered) {
                    let why = match cause {
                        telephony::events::EndCause::Busy => "busy",
                        _ => "unanswered",
                    };
                    self.callback_missed(i, why, now, fx);
                } else {
                    self.callback_not_taken(i, now, fx);
                }
            }
            _ => {}
        }
    }

    fn timed_out(&self, i: usize, now: DateTime<Utc>) -> bool {
        let c = &self.waiting[i];
        if c.callback.is_some() {
            // Off the line: the callback's own time holds.
            return false;
        }
        let max = self.queues.get(&c.queue).map(|q| q.queue.max_wait_seconds).unwrap_or(0);
        now - c.entered >= Duration::seconds(i64::from(max.max(1)))
    }

    /// The caller at `i` leaves by its queue's exit.
    fn leave(&mut self, i: usize, kind: QueueEventKind, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let c = self.waiting.remove(i);
        let exit = self.queues.get(&c.queue).map(|q| self.exit_of(&q.queue)).unwrap_or(QueueExit::HangUp);
        fx.push(Effect::Log(QueueLog {
            queue: c.queue,
            call_id: c.call_id.clone(),
            kind,
            user: None,
            at: now,
            wait_ms: Some((now - c.entered).num_milliseconds()),
            detail: Some(Leaving { refusal: None, exit: Some(exit.clone()) }.stored()),
        }));
        fx.push(Effect::Order(c.orders, QueueOrder::Leave(exit)));
    }

    /// What a call event means for the agents on it.
    pub fn call_event(&mut self, ev: &CallEvent, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let call = &ev.call;
        let id = call.call_id.as_str();
        let user_of = |ext: &str, by_ext: &HashMap<String, i64>| by_ext.get(ext).copied();
        let placing = match call.direction {
            Direction::Outbound => call.extension.clone(),
            Direction::Internal => Some(call.from.clone()),
            Direction::Inbound => None,
        };
        if let Some(i) = self.callback_of(id) {
            self.callback_event(i, ev, now, fx);
        }
        match &ev.kind {
            CallEventKind::Ringing => {
                for ext in &call.ringing {
                    if let Some(a) = user_of(ext, &self.by_ext).and_then(|u| self.agents.get_mut(&u)) {
                        a.calls.entry(id.into()).or_insert(Part::Ringing);
                    }
                }
                if let Some(a) = placing.and_then(|e| user_of(&e, &self.by_ext)).and_then(|u| self.agents.get_mut(&u)) {
                    a.calls.insert(id.into(), Part::Talking);
                }
            }
            CallEventKind::Queued => {
                for a in self.agents.values_mut() {
                    if a.calls.get(id) == Some(&Part::Ringing) {
                        a.calls.remove(id);
                    }
                }
            }
            CallEventKind::Answered | CallEventKind::Transferred { .. } => {
                let on = call.extension.as_deref().and_then(|e| user_of(e, &self.by_ext));
                let placer = placing.as_deref().and_then(|e| user_of(e, &self.by_ext));
                let wrap = self.wrap_up_of(call.queue);
                for a in self.agents.values_mut() {
                    if Some(a.user) == on || Some(a.user) == placer {
                        a.calls.insert(id.into(), Part::Talking);
                    } else if let Some(part) = a.calls.remove(id)
                        && part == Part::Talking
                    {
                        // Transferred away: their part of the call is over.
                        after_call(a, wrap, now, fx);
                    }
                }
            }
            CallEventKind::Ended { .. } => {
                let wrap = self.wrap_up_of(call.queue);
                for a in self.agents.values_mut() {
                    if a.calls.remove(id) == Some(Part::Talking) {
                        after_call(a, wrap, now, fx);
                    }
                }
                if let Some((queue, at, queue_call)) = self.connected.remove(id) {
                    // A moving average: each call weighs a fifth.
                    let took = now - at;
                    let h = self.handle_time.entry(queue).or_insert(took);
                    *h = (*h * 4 + took) / 5;
                    let on = call.extension.as_deref().and_then(|e| user_of(e, &self.by_ext));
                    fx.push(Effect::Log(QueueLog {
                        queue,
                        call_id: queue_call,
                        kind: QueueEventKind::Complete,
                        user: on,
                        at: now,
                        wait_ms: Some((now - at).num_milliseconds()),
                        detail: None,
                    }));
                }
                // A caller whose call ended without a word from it (it failed) waits no more
                // (unless they left it to be called back).
                if self.waiting.iter().any(|c| c.call_id == id && c.callback.is_none()) {
                    self.report(id, QueueReport::CallerLeft, now, fx);
                }
            }
            _ => return,
        }
        self.settle(now, fx);
    }

    fn wrap_up_of(&self, queue: Option<i64>) -> Duration {
        match queue.and_then(|q| self.queues.get(&q)) {
            Some(q) => Duration::seconds(i64::from(q.queue.wrap_up_seconds.max(0))),
            None => self.org_wrap_up,
        }
    }

    /// The agent's own choice (or a manager's for them).
    pub fn set_presence(&mut self, user: i64, presence: Presence, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let Some(a) = self.agents.get_mut(&user) else { return };
        if presence == Presence::Available && a.presence != Presence::Available {
            a.idle_since = now;
        }
        a.presence = presence;
        if presence == Presence::LoggedOut {
            a.wrap_until = None;
        }
        self.settle(now, fx);
    }

    /// The agent is ready before their after-call work time is up.
    pub fn end_wrap_up(&mut self, user: i64, now: DateTime<Utc>, fx: &mut Vec<Effect>) -> bool {
        let Some(a) = self.agents.get_mut(&user) else { return false };
        let was = a.wrap_until.is_some_and(|t| t > now);
        a.wrap_until = None;
        self.settle(now, fx);
        was
    }

    /// A manager gives waiting caller `call_id` to agent `user` now, whatever the queue's
    /// strategy (logged with who asked): only a caller not ringing anyone, to an agent who is
    /// neither ringing nor in a call. Unanswered, it goes back to waiting as any offer.
    pub fn hand_to(
        &mut self,
        call_id: &str,
        user: i64,
        by: i64,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) -> Result<(), HandRefused> {
        let i = self.waiting.iter().position(|c| c.call_id == call_id).ok_or(HandRefused::NoCaller)?;
        if !self.waiting[i].ringing.is_empty() {
            return Err(HandRefused::Ringing);
        }
        let Some(a) = self.agents.get_mut(&user) else { return Err(HandRefused::Busy) };
        if matches!(a.state_at(now), AgentState::InCall | AgentState::Reserved) {
            return Err(HandRefused::Busy);
        }
        a.offered = Some(call_id.to_string());
        let ext = a.extension.clone();
        let caller = &mut self.waiting[i];
        let ring = self.queues.get(&caller.queue).map(|c| c.queue.ring_seconds).unwrap_or(20);
        caller.ringing = vec![user];
        fx.push(Effect::Log(QueueLog {
            queue: caller.queue,
            call_id: caller.call_id.clone(),
            kind: QueueEventKind::Offer,
            user: Some(user),
            at: now,
            wait_ms: Some((now - caller.entered).num_milliseconds()),
            detail: Some(serde_json::json!({ "handed_by": by, "chosen": [user] }).to_string()),
        }));
        let ring = std::time::Duration::from_secs(ring.max(1) as u64);
        match caller.callback.as_mut() {
            Some(b) => {
                let call_id = telephony::new_call_id();
                b.attempt = Some(call_id.clone());
                b.agent_answered = false;
                let number = b.number.clone();
                fx.push(Effect::CallBack { call_id, queue: caller.queue, extension: ext, number, ring });
            }
            None => fx.push(Effect::Order(caller.orders.clone(), QueueOrder::Ring { extensions: vec![ext], ring })),
        }
        self.settle(now, fx);
        Ok(())
    }

    /// Timers: callers who waited too long leave; after-call work ends; retries come due.
    /// When the desk must next be woken (`wake`): the earliest of a waiting caller's longest
    /// wait (unless an agent is being rung for it: the ringing's end steps the desk), a new
    /// round after everyone let a caller ring out, and an agent's after-call work ending.
    /// Computed from what is here now, so a caller who left or an agent who came back early
    /// leaves no timer behind. Only times after `now`: what is due was done by this step.
    pub fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let callers = self.waiting.iter().flat_map(|c| {
            let max = self.queues.get(&c.queue).map(|q| q.queue.max_wait_seconds).unwrap_or(0);
            let deadline = c.ringing.is_empty().then(|| match &c.callback {
                Some(b) => b.until,
                None => c.entered + Duration::seconds(i64::from(max.max(1))),
            });
            deadline.into_iter().chain(c.not_before).chain(c.next_announce.filter(|_| c.ringing.is_empty()))
        });
        callers.chain(self.agents.values().filter_map(|a| a.wrap_until)).filter(|t| *t > now).min()
    }

    pub fn wake(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let mut i = 0;
        while i < self.waiting.len() {
            let c = &self.waiting[i];
            if c.ringing.is_empty() && c.callback.as_ref().is_some_and(|b| b.until <= now) {
                self.callback_missed(i, "expired", now, fx);
            } else if c.ringing.is_empty() && self.timed_out(i, now) {
                self.leave(i, QueueEventKind::Timeout, now, fx);
            } else {
                i += 1;
            }
        }
        self.settle(now, fx);
    }

    /// Tells each caller whose time has come their place in the queue and the expected wait (a
    /// caller whose phone rings an agent is told nothing: the next time comes after).
    fn announce(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        for i in 0..self.waiting.len() {
            let c = &self.waiting[i];
            if !c.ringing.is_empty() || c.next_announce.is_none_or(|t| t > now) {
                continue;
            }
            let Some(conf) = self.queues.get(&c.queue) else { continue };
            let tells_places = conf.queue.announce_seconds > 0;
            let every = if tells_places {
                Duration::seconds(i64::from(conf.queue.announce_seconds))
            } else {
                CALLBACK_OFFER_EVERY
            };
            let position = self.waiting.iter().filter(|o| o.queue == c.queue && o.entered <= c.entered).count() as u32;
            let staffed = conf
                .members
                .iter()
                .filter(|m| self.agents.get(&m.user_id).is_some_and(|a| a.presence != Presence::LoggedOut))
                .count()
                .max(1) as i64;
            let handle = self.handle_time.get(&c.queue).copied().unwrap_or(DEFAULT_HANDLE);
            let wait_secs = handle.num_seconds() * i64::from(position) / staffed;
            let announcement = Announcement {
                language: conf.queue.language.clone(),
                position: tells_places.then_some(position),
                wait_minutes: Some(u32::try_from((wait_secs + 59) / 60).unwrap_or(u32::MAX).max(1)),
                callback: offers_callback(&conf.queue, &c.from),
            };
            fx.push(Effect::Order(c.orders.clone(), QueueOrder::Announce(announcement)));
            let next = now + every;
            self.waiting[i].next_announce = Some(next);
            fx.push(Effect::WakeAt(next));
        }
    }

    /// Offers waiting callers to free agents, tells those whose time has come their place, then
    /// tells every agent's new state.
    fn settle(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        self.dispatch(now, fx);
        self.announce(now, fx);
        for a in self.agents.values_mut() {
            let s = a.state_at(now);
            if s != a.state {
                a.state = s;
                a.since = now;
                fx.push(Effect::State {
                    user: a.user,
                    state: s,
                    reason: a.reason(),
                    available: a.presence == Presence::Available,
                    at: now,
                });
            }
        }
    }

    /// One selector over every queue: the callers in order of queue priority, then of how long
    /// they have waited; each is offered to its queue's free members by the queue's strategy.
    fn dispatch(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let mut free: HashSet<i64> =
            self.agents.values().filter(|a| a.state_at(now) == AgentState::Available).map(|a| a.user).collect();
        if free.is_empty() {
            return;
        }
        let priority = |q: i64| self.queues.get(&q).map(|c| c.queue.priority).unwrap_or(0);
        let mut order: Vec<usize> = (0..self.waiting.len())
            .filter(|&i| self.waiting[i].ringing.is_empty() && self.waiting[i].not_before.is_none_or(|t| t <= now))
            .collect();
        order.sort_by_key(|&i| (-priority(self.waiting[i].queue), self.waiting[i].entered));
        for i in order {
            if free.is_empty() {
                break;
            }
            let Some(conf) = self.queues.get(&self.waiting[i].queue) else { continue };
            let members: Vec<&queue_member::Model> =
                conf.members.iter().filter(|m| free.contains(&m.user_id)).collect();
            if members.is_empty() {
                continue;
            }
            let caller = &mut self.waiting[i];
            let untried: Vec<&queue_member::Model> =
                members.iter().copied().filter(|m| !caller.tried.contains(&m.user_id)).collect();
            if untried.is_empty() {
                // Every free member let it ring out: a new round after a pause.
                caller.tried.clear();
                caller.not_before = Some(now + RETRY);
                fx.push(Effect::WakeAt(now + RETRY));
                continue;
            }
            let day = now.with_timezone(&self.tz).date_naive();
            let candidates: Vec<Candidate> = untried
                .iter()
                .filter_map(|m| {
                    let a = self.agents.get(&m.user_id)?;
                    Some(Candidate {
                        user: a.user,
                        name: a.name.clone(),
                        penalty: m.penalty,
                        position: m.position,
                        idle_secs: (now - a.idle_since).num_seconds().max(0),
                        calls_today: if a.day == Some(day) {
                            a.answered.get(&conf.queue.id).copied().unwrap_or(0)
                        } else {
                            0
                        },
                    })
                })
                .collect();
            let choice = select::pick(
                conf.queue.strategy,
                &candidates,
                self.last_position.get(&conf.queue.id).copied(),
                rand::random(),
            );
            let Some(first) = choice.users.first().copied() else { continue };
            if let Some(c) = candidates.iter().find(|c| c.user == first) {
                self.last_position.insert(conf.queue.id, c.position);
            }
            let mut users = choice.users.clone();
            if caller.callback.is_some() {
                // A callback rings one agent: the caller's phone rings once they answered.
                users.truncate(1);
            }
            let detail = explain(&choice, caller, priority(caller.queue), now);
            let ring = std::time::Duration::from_secs(conf.queue.ring_seconds.max(1) as u64);
            let mut extensions = Vec::new();
            for u in &users {
                free.remove(u);
                if let Some(a) = self.agents.get_mut(u) {
                    a.offered = Some(caller.call_id.clone());
                    extensions.push(a.extension.clone());
                }
                fx.push(Effect::Log(QueueLog {
                    queue: caller.queue,
                    call_id: caller.call_id.clone(),
                    kind: QueueEventKind::Offer,
                    user: Some(*u),
                    at: now,
                    wait_ms: Some((now - caller.entered).num_milliseconds()),
                    detail: Some(detail.clone()),
                }));
            }
            caller.ringing = users;
            match caller.callback.as_mut() {
                Some(b) => {
                    let call_id = telephony::new_call_id();
                    b.attempt = Some(call_id.clone());
                    b.agent_answered = false;
                    let (extension, number) = (extensions.first().cloned().unwrap_or_default(), b.number.clone());
                    fx.push(Effect::CallBack { call_id, queue: caller.queue, extension, number, ring });
                }
                None => fx.push(Effect::Order(caller.orders.clone(), QueueOrder::Ring { extensions, ring })),
            }
        }
    }
}

/// Whether the queue offers its waiting callers to be called back — and can, to this caller (a
/// caller without a number cannot be called back).
fn offers_callback(q: &queue::Model, from: &str) -> bool {
    q.callback_minutes > 0 && !crate::sip::trunks::digits(from).is_empty()
}

/// The agent's part of a call ended: after-call work for `wrap`, and idle from now.
fn after_call(a: &mut Agent, wrap: Duration, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    a.idle_since = now;
    if wrap > Duration::zero() && a.presence != Presence::LoggedOut {
        a.wrap_until = Some(now + wrap);
        fx.push(Effect::WakeAt(now + wrap));
    }
}

/// Why this caller went to these agents, as JSON for the queue event log.
fn explain(choice: &Choice, caller: &Caller, priority: i32, now: DateTime<Utc>) -> String {
    serde_json::json!({
        "strategy": choice.strategy,
        "chosen": choice.users,
        "penalty": choice.penalty,
        "candidates": choice.candidates,
        "queue_priority": priority,
        "waited_secs": (now - caller.entered).num_seconds(),
        "passed_over": caller.tried.iter().collect::<Vec<_>>(),
    })
    .to_string()
}
