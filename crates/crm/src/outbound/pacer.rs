//! How many calls the dialer places now. Progressive: one per free agent (that agent's phone
//! first, so nobody answers into silence). Predictive: ahead of the agents, from the answer rate
//! and the handle time over the recent calls — as many as keep the answers they bring (their
//! mean and two to three standard deviations, more careful as abandonment nears its cap) within
//! the agents expected to be free by then; with too little history, or abandonment at the gate
//! (80% of the cap over the profile's window), it falls back to progressive.

use super::dialer::DialMode;
use serde::Serialize;

/// Calls of history below which predictive paces as progressive.
pub const MIN_HISTORY: u32 = 50;
/// The share of the cap at which predictive falls back to progressive.
pub const GATE: f64 = 0.8;

/// What the pacer knows now.
#[derive(Debug, Clone, Default)]
pub struct Pace {
    /// Agents ready for a call now.
    pub idle: u32,
    /// Agents in a call or its wrap-up.
    pub busy: u32,
    /// Calls placed, not yet answered or settled.
    pub in_flight: u32,
    /// Answered callees waiting for an agent.
    pub waiting: u32,
    /// Over the recent calls: placed, answered, seconds from placing to the answer (mean), and
    /// an agent's seconds per call with wrap-up (mean).
    pub placed: u32,
    pub answered: u32,
    pub answer_after: f64,
    pub handle: f64,
    /// Abandoned ÷ answered over the profile's window, and its cap.
    pub abandon_rate: f64,
    pub cap: f64,
}

/// Why the pacer placed what it placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    Preview,
    Progressive,
    Predictive,
    /// Predictive without enough history yet.
    TooLittleHistory,
    /// Predictive held back: abandonment at the gate.
    AbandonmentGate,
}

/// How many calls to place now, and why.
pub fn calls_to_place(mode: DialMode, p: &Pace) -> (u32, Why) {
    let progressive = p.idle.saturating_sub(p.in_flight + p.waiting);
    match mode {
        DialMode::Preview => (0, Why::Preview),
        DialMode::Progressive => (progressive, Why::Progressive),
        DialMode::Predictive if p.placed < MIN_HISTORY || p.answered == 0 => (progressive, Why::TooLittleHistory),
        DialMode::Predictive if p.abandon_rate >= p.cap * GATE => (progressive, Why::AbandonmentGate),
        DialMode::Predictive => {
            let answer = (f64::from(p.answered) / f64::from(p.placed)).clamp(0.02, 1.0);
            // Agents free by the time a call placed now is answered: the idle ones, and the busy
            // ones whose call ends by then (handle times taken as exponential), less the answered
            // callees already waiting.
            let by = p.answer_after.max(1.0);
            let ending = 1.0 - (-by / p.handle.max(1.0)).exp();
            let free = f64::from(p.idle) + f64::from(p.busy) * ending - f64::from(p.waiting);
            // Calls in flight are added while the answers they bring — their mean and `z`
            // standard deviations (binomial) — still fit the free agents: z is 2 far from the
            // cap (an answer overflows the agents a few times in a hundred) and 3 at the gate.
            let near = if p.cap > 0.0 { (p.abandon_rate / (p.cap * GATE)).clamp(0.0, 1.0) } else { 1.0 };
            let z = 2.0 + near;
            let fits = |n: f64| {
                let mean = n * answer;
                mean + z * (mean * (1.0 - answer)).sqrt() <= free
            };
            // Never more in flight than three per agent.
            let ceiling = ((p.idle + p.busy) * 3).saturating_sub(p.in_flight);
            let mut calls = 0;
            while calls < ceiling && fits(f64::from(p.in_flight + calls + 1)) {
                calls += 1;
            }
            (calls.max(progressive), Why::Predictive)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace() -> Pace {
        Pace {
            idle: 4,
            busy: 6,
            placed: 500,
            answered: 150,
            answer_after: 8.0,
            handle: 100.0,
            cap: 0.03,
            ..Default::default()
        }
    }

    #[test]
    fn predictive_dials_ahead_and_falls_back_when_it_must() {
        assert_eq!(calls_to_place(DialMode::Preview, &pace()), (0, Why::Preview));
        assert_eq!(calls_to_place(DialMode::Progressive, &pace()), (4, Why::Progressive));
        let (n, why) = calls_to_place(DialMode::Predictive, &pace());
        assert_eq!(why, Why::Predictive);
        assert!(n > 4, "ahead of the free agents: {n}");
        let young = Pace { placed: 10, ..pace() };
        assert_eq!(calls_to_place(DialMode::Predictive, &young), (4, Why::TooLittleHistory));
        let over = Pace { abandon_rate: 0.025, ..pace() };
        assert_eq!(calls_to_place(DialMode::Predictive, &over), (4, Why::AbandonmentGate));
        let nearer = Pace { abandon_rate: 0.02, ..pace() };
        assert!(calls_to_place(DialMode::Predictive, &nearer).0 < n, "more careful near the cap");
        let busy = Pace { in_flight: 40, ..pace() };
        assert_eq!(calls_to_place(DialMode::Predictive, &busy).0, 0, "enough in flight");
    }
}
