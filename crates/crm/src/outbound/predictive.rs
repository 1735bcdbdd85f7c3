//! Predictive dialing on the telephony: while agents of an organization dial, its pacer looks at
//! each active list set to predictive every second — the free agents (dialing, holding no
//! number, on no call), the calls in flight, the answered callees waiting, the recent calls'
//! answer rate and handle time, abandonment over the profile's window — and places the calls
//! `pacer::calls_to_place` says, customer first (`telephony::DialOut`). An answered customer
//! goes to a free agent whose categories admit the number (their phones answer by themselves);
//! one nobody takes within the drop time (2 s) hears the information message (`message.rs`)
//! and is kept as abandoned with the moment the message began; an agent chosen for it whose
//! phone did not take it stops dialing. The pacer stops when the last agent of the
//! organization stops dialing.

use super::ListNumber;
use super::dialer::{DROP_AFTER, DialMode, MIN_RING, Settled};

/// The agent's phone must answer this long after the customer did, so that where none does the
/// message is heard within the drop time (the network and the first packet take some of it).
const CONNECT_WITHIN: std::time::Duration = DROP_AFTER.saturating_sub(std::time::Duration::from_millis(300));
use super::pacer::{Pace, Why, calls_to_place};
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use telephony::{DialOut, DialReport, Music, Tenant};

/// How often a dialer's call record is tried when the store fails for a moment (about 10 s
/// in all): a call is never left "dialing" for a passing failure.
const RECORD_TRIES: u32 = 10;

/// Writes a dialer's call record (`write`, each try the whole write: they are idempotent),
/// trying again while the store fails for a moment (busy, disconnected).
async fn kept<T, Fut>(write: impl Fn() -> Fut) -> Result<T, CrmError>
where
    Fut: std::future::Future<Output = Result<T, CrmError>>,
{
    let mut wait = std::time::Duration::from_millis(50);
    let mut attempt = 1;
    loop {
        match write().await {
            Err(e) if e.is_transient() && attempt < RECORD_TRIES => {
                tracing::warn!(attempt, "keeping a dialer's call failed, trying again: {e}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(2));
                attempt += 1;
            }
            r => return r,
        }
    }
}

/// How often the pacer looks.
const PACE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// The recent calls the pacer learns from.
const HISTORY: chrono::Duration = chrono::Duration::hours(1);
/// How long a dialer's call rings the customer (never under the law's 15 s).
const RING: std::time::Duration = std::time::Duration::from_secs(20);

/// An organization's pacer: the agents it is connecting now, its calls placed and not yet
/// answered or settled, and its answered customers waiting for an agent.
#[derive(Debug, Default)]
pub struct Pacer {
    reserved: HashSet<i64>,
    /// The free agents found at the last look, with their categories (none: every one): an
    /// answered customer is given one of them at once, without asking the store.
    free: Vec<(User, Vec<i64>)>,
    in_flight: u32,
    waiting: u32,
    /// Why the pacer placed what it placed last, per list (for the page).
    pub last: Vec<(i64, Why, u32)>,
}

/// Where a dialer's call is, for the pacer's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flight {
    /// Placed, not yet answered or settled.
    Ringing,
    /// Answered, waiting for an agent.
    Waiting,
    /// Connected, abandoned or settled.
    Over,
}

impl Crm {
    /// Starts the pacer of `org` unless it runs.
    pub(super) fn pace_predictive(&self, org: OrgId) {
        {
            let mut pacers = self.dialing.pacers.lock().expect("pacers lock");
            if pacers.contains_key(&org.0) {
                return;
            }
            pacers.insert(org.0, Pacer::default());
        }
        let crm = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PACE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let agents = crm.dialing.dialing_in(org.0);
                if agents.is_empty() {
                    let mut pacers = crm.dialing.pacers.lock().expect("pacers lock");
                    // Calls of its own still up keep it: their reports need it.
                    if pacers.get(&org.0).is_none_or(|p| p.in_flight == 0 && p.waiting == 0 && p.reserved.is_empty()) {
                        pacers.remove(&org.0);
                        break;
                    }
                    continue;
                }
                if let Err(e) = crm.pace_once(org, &agents).await {
                    tracing::warn!(org = org.0, error = %e, "the predictive pacer could not place calls now");
                }
            }
        });
    }

    /// Why predictive dialing placed what it placed last, per list: (list, why, calls).
    pub fn predictive_state(&self, org: OrgId) -> Vec<(i64, Why, u32)> {
        self.dialing.pacers.lock().expect("pacers lock").get(&org.0).map(|p| p.last.clone()).unwrap_or_default()
    }

    /// The dialing agents free for a call now: holding no number, on no call, not being
    /// connected.
    async fn free_agents(&self, org: OrgId, agents: &[User]) -> Result<Vec<User>, CrmError> {
        let calls = self.sip()?.calls(org.0);
        let reserved = self.dialing.pacers.lock().expect("pacers lock").get(&org.0).map(|p| p.reserved.clone());
        let mut free = vec![];
        for a in agents {
            let ext = a.extension.as_str();
            let on_call =
                calls.iter().any(|c| c.extension.as_deref() == Some(ext) || c.ringing.iter().any(|r| r == ext));
            if on_call || reserved.as_ref().is_some_and(|r| r.contains(&a.id.0)) {
                continue;
            }
            if self.held_numbers(a).await?.is_empty() {
                free.push(a.clone());
            }
        }
        Ok(free)
    }

    async fn pace_once(&self, org: OrgId, agents: &[User]) -> Result<(), CrmError> {
        let lists: Vec<_> = self
            .call_lists(org)
            .await?
            .into_iter()
            .filter(|l| l.active && l.dial_mode == DialMode::Predictive)
            .collect();
        if lists.is_empty() {
            return Ok(());
        }
        let free = self.free_agents(org, agents).await?;
        let mut free_cats = vec![];
        for a in &free {
            free_cats.push((a.clone(), self.agent_categories(org, a.id).await?));
        }
        // Only numbers some free agent may take: the union of their categories (none if one of
        // them may take every category).
        let cats: Vec<i64> = if free_cats.iter().any(|(_, c)| c.is_empty()) {
            vec![]
        } else {
            free_cats.iter().flat_map(|(_, c)| c.iter().copied()).collect()
        };
        self.pacer_count(org, |p| p.free = free_cats);
        let mut last = vec![];
        for list in lists {
            let (in_flight, waiting) = {
                let pacers = self.dialing.pacers.lock().expect("pacers lock");
                pacers.get(&org.0).map_or((0, 0), |p| (p.in_flight, p.waiting))
            };
            let history = self.dialer_calls(org, list.id, self.now() - HISTORY).await?;
            let answered: Vec<_> = history.iter().filter(|c| c.answered_at.is_some()).collect();
            let mean = |v: Vec<f64>| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
            let secs = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_milliseconds() as f64 / 1000.0;
            let answer_after = mean(answered.iter().filter_map(|c| Some(secs(c.placed_at, c.answered_at?))).collect());
            let handle =
                mean(history.iter().filter_map(|c| Some(secs(c.connected_at?, c.ended_at?))).collect()).max(30.0);
            let ab = self.abandonment(org, list.id).await?;
            let pace = Pace {
                idle: free.len() as u32,
                busy: (agents.len() - free.len()) as u32,
                in_flight,
                waiting,
                placed: history.len() as u32,
                answered: answered.len() as u32,
                answer_after,
                handle,
                abandon_rate: ab.rate,
                cap: ab.cap,
            };
            let (n, why) = calls_to_place(DialMode::Predictive, &pace);
            last.push((list.id, why, n));
            if n == 0 {
                continue;
            }
            let taken = self.dialer_take(org, list.id, n, &cats).await?;
            if !taken.is_empty() {
                // Made once for the calls placed now: the organization's address and message.
                let tenant = Tenant { id: org.0, realm: self.org(org).await?.sip_domain };
                let message = self.info_message(org).await?;
                for (call, number) in taken {
                    self.place_dialer_call(org, &tenant, &message, call.id, number).await;
                }
            }
        }
        if let Some(p) = self.dialing.pacers.lock().expect("pacers lock").get_mut(&org.0) {
            p.last = last;
        }
        Ok(())
    }

    fn pacer_count(&self, org: OrgId, f: impl FnOnce(&mut Pacer)) {
        if let Some(p) = self.dialing.pacers.lock().expect("pacers lock").get_mut(&org.0) {
            f(p);
        }
    }

    /// Places one dialer's call and follows what becomes of it.
    async fn place_dialer_call(&self, org: OrgId, tenant: &Tenant, message: &Music, id: i64, number: ListNumber) {
        let placed = async {
            let call_id = telephony::new_call_id();
            self.dialer_placed(org, id, &call_id).await?;
            let d = DialOut {
                tenant: tenant.clone(),
                number: number.number.trim_start_matches('+').to_string(),
                caller_id: None,
                call_id,
                ring: RING.max(MIN_RING),
                drop_after: CONNECT_WITHIN,
                message: message.clone(),
            };
            self.sip()?.dial(d).await.map_err(|e| CrmError::CallRefused(e.to_string()))
        };
        let mut reports = match placed.await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(org = org.0, error = %e, "a dialer's call was not placed");
                let _ = kept(|| self.dialer_unanswered(org, id, Settled::Failed)).await;
                return;
            }
        };
        self.pacer_count(org, |p| p.in_flight += 1);
        let crm = self.clone();
        tokio::spawn(async move {
            let mut answered_at = None;
            let mut agent: Option<User> = None;
            let mut flight = Flight::Ringing;
            while let Some(r) = reports.recv().await {
                let done = crm.dialer_report(org, id, &number, r, &mut answered_at, &mut agent, &mut flight).await;
                if let Err(e) = done {
                    tracing::warn!(org = org.0, call = id, error = %e, "a dialer's call was not kept as it went");
                }
            }
            // However it ended, nothing of it stays counted.
            crm.pacer_count(org, |p| {
                match flight {
                    Flight::Ringing => p.in_flight = p.in_flight.saturating_sub(1),
                    Flight::Waiting => p.waiting = p.waiting.saturating_sub(1),
                    Flight::Over => {}
                }
                if let Some(a) = &agent {
                    p.reserved.remove(&a.id.0);
                }
            });
        });
    }

    #[allow(clippy::too_many_arguments)]
    async fn dialer_report(
        &self,
        org: OrgId,
        id: i64,
        number: &ListNumber,
        r: DialReport,
        answered_at: &mut Option<DateTime<Utc>>,
        agent: &mut Option<User>,
        flight: &mut Flight,
    ) -> Result<(), CrmError> {
        match r {
            DialReport::Answered(ask) => {
                *answered_at = Some(self.now());
                *flight = Flight::Waiting;
                self.pacer_count(org, |p| {
                    p.in_flight = p.in_flight.saturating_sub(1);
                    p.waiting += 1;
                });
                // A free agent (of the last look, still dialing) whose categories admit the
                // number, chosen and reserved at once — without waiting for the store, as the
                // drop time runs: two customers answering together get two agents.
                let dialing: HashSet<i64> = self.dialing.dialing_in(org.0).iter().map(|u| u.id.0).collect();
                let admits = |cats: &[i64]| cats.is_empty() || number.category_id.is_some_and(|c| cats.contains(&c));
                let mut chosen = None;
                self.pacer_count(org, |p| {
                    let Pacer { free, reserved, .. } = p;
                    chosen = free
                        .iter()
                        .filter(|(a, cats)| dialing.contains(&a.id.0) && admits(cats))
                        .find(|(a, _)| reserved.insert(a.id.0))
                        .map(|(a, _)| a.clone());
                });
                let _ = ask.send(chosen.as_ref().map(|a| a.extension.to_string()));
                *agent = chosen;
                kept(|| self.dialer_answered(org, id)).await?;
            }
            DialReport::Connected { .. } => {
                *flight = Flight::Over;
                self.pacer_count(org, |p| p.waiting = p.waiting.saturating_sub(1));
                if let Some(a) = agent.as_ref() {
                    // Talking: no longer free, whatever the last look found.
                    self.pacer_count(org, |p| {
                        p.free.retain(|(u, _)| u.id != a.id);
                        p.reserved.remove(&a.id.0);
                    });
                    kept(|| self.dialer_connected(org, id, a)).await?;
                }
            }
            DialReport::Abandoned { message_after } => {
                *flight = Flight::Over;
                self.pacer_count(org, |p| p.waiting = p.waiting.saturating_sub(1));
                let at = answered_at.unwrap_or_else(|| self.now());
                let message_at =
                    message_after.and_then(|d| chrono::Duration::from_std(d).ok()).map_or(self.now(), |d| at + d);
                let offered = agent.clone();
                kept(|| self.dialer_abandoned(org, id, message_at, offered.as_ref())).await?;
                if let Some(a) = agent.take() {
                    self.pacer_count(org, |p| {
                        p.reserved.remove(&a.id.0);
                        p.free.retain(|(u, _)| u.id != a.id);
                    });
                    // Their phone did not take the call in time (away from it, or unreachable):
                    // they stop dialing, so no other customer is abandoned to them. They start
                    // again from their page.
                    tracing::warn!(
                        org = org.0,
                        user = a.id.0,
                        "an agent's phone did not take a dialer's call: dialing paused"
                    );
                    self.stop_dialing(&a);
                }
            }
            DialReport::Unanswered { busy } => {
                *flight = Flight::Over;
                self.pacer_count(org, |p| p.in_flight = p.in_flight.saturating_sub(1));
                let how = if busy { Settled::Busy } else { Settled::NoAnswer };
                kept(|| self.dialer_unanswered(org, id, how)).await?;
            }
            DialReport::Ended => kept(|| self.dialer_ended(org, id)).await?,
        }
        Ok(())
    }
}
