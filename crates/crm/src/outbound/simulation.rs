//! A dialing session simulated second by second on the crm's own clock: the real pick, rules,
//! records and pacer, with callees drawn from set proportions (answer after a delay, busy, ring
//! out after at least 15 s) and agents who talk and wrap up for drawn times. It measures what the
//! law and the manager look at — abandonment, the delay to each abandoned callee's message,
//! occupancy, connected calls per agent-hour — and counts any number dialled on the do-not-call
//! list or outside its window (which must stay 0). Used by the tests and `bench/dialer.sh`; the
//! telephony's part (placing calls, the message itself) is tested with sipp.

use super::compliance;
use super::dialer::{DROP_AFTER, DialMode, MIN_RING, Settled};
use super::pacer::{Pace, Why, calls_to_place};
use crate::{Crm, CrmError, User};
use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// The traffic and the session.
#[derive(Debug, Clone)]
pub struct Traffic {
    pub seconds: u32,
    /// Shares of callees who answer and who are busy (the rest ring out).
    pub answer: f64,
    pub busy: f64,
    /// An answering callee picks up this many seconds after the call is placed (uniform).
    pub answer_after: (u32, u32),
    /// An unanswered call rings this long before it is given up (at least `MIN_RING`).
    pub ring_out: u32,
    /// Talk time (exponential, mean seconds) and wrap-up (seconds).
    pub talk: f64,
    pub wrap: u32,
    pub seed: u64,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            seconds: 3600,
            answer: 0.3,
            busy: 0.1,
            answer_after: (4, 12),
            ring_out: 20,
            talk: 80.0,
            wrap: 10,
            seed: 7,
        }
    }
}

/// What the session did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub placed: u32,
    pub answered: u32,
    pub connected: u32,
    pub abandoned: u32,
    /// Abandoned ÷ answered.
    pub abandonment: f64,
    /// The longest wait from an abandoned callee's answer to their message, in seconds.
    pub longest_message_delay: f64,
    /// Agents' time in calls and wrap-up ÷ their time.
    pub occupancy: f64,
    pub calls_per_agent_hour: f64,
    /// Numbers dialled that the do-not-call list or their window forbade (must be 0).
    pub dialled_dnc: u32,
    pub dialled_outside_window: u32,
    /// Seconds the pacer spent in each state.
    pub predictive_seconds: u32,
    pub fallback_seconds: u32,
}

enum Fate {
    Answer(u32),
    Settle(u32, Settled),
}

struct Flight {
    id: i64,
    /// The second it was placed.
    placed: u32,
    fate: Fate,
    /// Progressive: the agent whose phone rang first.
    agent: Option<usize>,
}

/// Runs the session of `mode` on `list` with `agents` (their numbers' outcomes given with
/// `outcome`) on `crm`, whose clock it moves.
pub async fn run(
    crm: &Crm,
    agents: &[User],
    list: i64,
    outcome: i64,
    mode: DialMode,
    t: &Traffic,
) -> Result<Report, CrmError> {
    let org = agents.first().map(|a| a.org_id).ok_or(CrmError::NotFound)?;
    let mut rng = StdRng::seed_from_u64(t.seed);
    let mut r = Report::default();
    // Each agent: busy until (second), or idle; reserved for a progressive call in flight.
    let mut busy_until: Vec<Option<u32>> = vec![None; agents.len()];
    let mut reserved: Vec<bool> = vec![false; agents.len()];
    let mut held: Vec<Option<i64>> = vec![None; agents.len()];
    let mut flights: Vec<Flight> = vec![];
    // Answered callees waiting for an agent: (dialer call, answered at).
    let mut waiting: Vec<(i64, u32)> = vec![];
    let (mut busy_seconds, mut handle_sum, mut handled) = (0u64, 0.0f64, 0u32);
    let (mut answer_sum, mut answers) = (0.0f64, 0u32);
    let ring_out = t.ring_out.max(MIN_RING.as_secs() as u32);
    let drop = DROP_AFTER.as_secs() as u32;
    let profile = match crm.call_list(org, list).await?.profile_id {
        Some(p) => crm.compliance_profiles(org).await?.into_iter().find(|x| x.id == p),
        None => None,
    };
    let mut ab = crm.abandonment(org, list).await?;
    for now in 0..t.seconds {
        crm.clock().advance(Duration::seconds(1));
        // Agents whose call and wrap-up ended give the outcome and are free.
        for (i, until) in busy_until.iter_mut().enumerate() {
            if until.is_some_and(|u| u <= now) {
                *until = None;
                if let Some(n) = held[i].take() {
                    crm.give_outcome(&agents[i], n, outcome, None, "", None).await?;
                }
            }
        }
        // Calls in flight: answered, or settled unanswered.
        let mut still = vec![];
        for f in flights.drain(..) {
            match f.fate {
                Fate::Answer(at) if at <= now => {
                    crm.dialer_answered(org, f.id).await?;
                    r.answered += 1;
                    answers += 1;
                    answer_sum += f64::from(at - f.placed);
                    match f.agent {
                        // Progressive: the agent is on the line already.
                        Some(i) => {
                            reserved[i] = false;
                            let took = connect(crm, &agents[i], f.id, t, &mut rng).await?;
                            (busy_until[i], held[i]) = (Some(now + took.0), Some(took.1));
                            (handle_sum, handled) = (handle_sum + f64::from(took.0), handled + 1);
                            r.connected += 1;
                        }
                        None => waiting.push((f.id, now)),
                    }
                }
                Fate::Settle(at, how) if at <= now => {
                    crm.dialer_unanswered(org, f.id, how).await?;
                    if let Some(i) = f.agent {
                        reserved[i] = false;
                    }
                }
                _ => still.push(f),
            }
        }
        flights = still;
        // Answered callees meet free agents in order; those left past the drop time hear the
        // message and are let go.
        let mut left = vec![];
        for (id, at) in waiting.drain(..) {
            let free = (0..agents.len()).find(|i| busy_until[*i].is_none() && !reserved[*i]);
            match free {
                Some(i) => {
                    let took = connect(crm, &agents[i], id, t, &mut rng).await?;
                    (busy_until[i], held[i]) = (Some(now + took.0), Some(took.1));
                    (handle_sum, handled) = (handle_sum + f64::from(took.0), handled + 1);
                    r.connected += 1;
                }
                None if now >= at + drop => {
                    let message_at = crm.clock().now();
                    crm.dialer_abandoned(org, id, message_at, None).await?;
                    r.abandoned += 1;
                    r.longest_message_delay = r.longest_message_delay.max(f64::from(now - at));
                }
                None => left.push((id, at)),
            }
        }
        waiting = left;
        busy_seconds += busy_until.iter().filter(|b| b.is_some()).count() as u64;
        // The pacer.
        let idle: Vec<usize> = (0..agents.len()).filter(|i| busy_until[*i].is_none() && !reserved[*i]).collect();
        // The rate over the window moves slowly: read every 5 s.
        if now % 5 == 0 {
            ab = crm.abandonment(org, list).await?;
        }
        let pace = Pace {
            idle: idle.len() as u32,
            busy: (agents.len() - idle.len()) as u32,
            in_flight: flights.iter().filter(|f| f.agent.is_none()).count() as u32,
            waiting: waiting.len() as u32,
            placed: r.placed,
            answered: r.answered,
            answer_after: if answers > 0 { answer_sum / f64::from(answers) } else { 8.0 },
            handle: if handled > 0 { handle_sum / f64::from(handled) } else { t.talk + f64::from(t.wrap) },
            abandon_rate: ab.rate,
            cap: ab.cap,
        };
        let (n, why) = calls_to_place(mode, &pace);
        match why {
            Why::Predictive => r.predictive_seconds += 1,
            Why::TooLittleHistory | Why::AbandonmentGate => r.fallback_seconds += 1,
            _ => {}
        }
        for (call, number) in crm.dialer_take(org, list, n, &[]).await? {
            r.placed += 1;
            if crm.is_dnc(org, &number.number).await? {
                r.dialled_dnc += 1;
            }
            if profile.as_ref().is_some_and(|p| !compliance::open_for(p, &number.country, crm.clock().now())) {
                r.dialled_outside_window += 1;
            }
            let draw: f64 = rng.random();
            let fate = if draw < t.answer {
                Fate::Answer(now + rng.random_range(t.answer_after.0..=t.answer_after.1))
            } else if draw < t.answer + t.busy {
                Fate::Settle(now + 1, Settled::Busy)
            } else {
                Fate::Settle(now + ring_out, Settled::NoAnswer)
            };
            let agent = match mode {
                DialMode::Progressive => {
                    let i = (0..agents.len()).find(|i| busy_until[*i].is_none() && !reserved[*i]);
                    if let Some(i) = i {
                        reserved[i] = true;
                    }
                    i
                }
                _ => None,
            };
            flights.push(Flight { id: call.id, placed: now, fate, agent });
        }
    }
    let agent_seconds = (agents.len() as f64) * f64::from(t.seconds);
    r.abandonment = if r.answered > 0 { f64::from(r.abandoned) / f64::from(r.answered) } else { 0.0 };
    r.occupancy = busy_seconds as f64 / agent_seconds;
    r.calls_per_agent_hour = f64::from(r.connected) / (agent_seconds / 3600.0);
    Ok(r)
}

/// `agent` takes dialer call `id`: how long they are busy with it (a drawn talk time and the
/// wrap-up), and the number they hold.
async fn connect(crm: &Crm, agent: &User, id: i64, t: &Traffic, rng: &mut StdRng) -> Result<(u32, i64), CrmError> {
    let number = crm.dialer_connected(agent.org_id, id, agent).await?;
    let u: f64 = rng.random::<f64>().max(1e-9);
    let talk = (-t.talk * u.ln()).round().max(1.0) as u32;
    Ok((talk + t.wrap, number))
}
