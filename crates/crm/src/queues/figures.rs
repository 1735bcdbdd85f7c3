//! A queue's figures over any period, computed from its event log alone (so the wallboard,
//! the reports and anyone with the log get the same numbers).
//!
//! Decisions: the service level is the share of callers answered within the queue's threshold
//! among those answered, abandoned after the first `SHORT_ABANDON_SECS` seconds, or sent to the
//! exit after waiting too long or whose callback came to nothing (callers who hung up in the first seconds did not give anybody a
//! chance, and a caller refused at the door never waited). The average speed of answer is the
//! mean wait of the answered callers; the handle time is the mean talk time of the completed
//! calls.

use serde::Serialize;
use store::entities::queue_event::{self, QueueEventKind};
use store::queue_stats::QueueBucket;

/// Callers who hang up within this many seconds are "abandoned in the first seconds".
pub const SHORT_ABANDON_SECS: i64 = store::queue_stats::SHORT_MS / 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueFigures {
    /// Callers who entered the queue.
    pub received: u32,
    pub answered: u32,
    /// Answered within the service-level threshold.
    pub answered_in_time: u32,
    pub abandoned: u32,
    /// Of the abandoned: within the first `SHORT_ABANDON_SECS` seconds.
    pub short_abandoned: u32,
    /// Waited the longest wait and left by the exit.
    pub timeouts: u32,
    /// Found the queue full (or nobody logged in) and left by the exit at once.
    pub refused: u32,
    /// Offers that rang out or were refused by the agent.
    pub unanswered_offers: u32,
    pub wait_answered_ms: i64,
    pub completed: u32,
    pub talk_ms: i64,
    /// Callers who pressed 1 to be called back (answered later, they count as answered then).
    pub callbacks: u32,
    /// Callbacks that came to nothing (unanswered, not placed, expired).
    pub callbacks_missed: u32,
}

impl QueueFigures {
    /// Counts one event; `sl_secs` is the queue's service-level threshold (as the database
    /// counts a bucket of one).
    pub fn add(&mut self, e: &queue_event::Model, sl_secs: i64) {
        let wait = e.wait_ms.unwrap_or(0);
        self.add_bucket(&QueueBucket {
            queue_id: e.queue_id,
            start: 0,
            kind: e.kind.as_str().to_string(),
            count: 1,
            wait_ms: wait,
            in_time: i64::from(wait <= sl_secs * 1000),
            short: i64::from(wait < SHORT_ABANDON_SECS * 1000),
        });
    }

    /// Counts one bucket of events counted in the database (`store::queue_stats`).
    pub fn add_bucket(&mut self, b: &QueueBucket) {
        let Some(kind) = QueueEventKind::parse(&b.kind) else { return };
        let n = u32::try_from(b.count).unwrap_or(u32::MAX);
        match kind {
            QueueEventKind::Enter => self.received += n,
            QueueEventKind::Connect => {
                self.answered += n;
                self.wait_answered_ms += b.wait_ms;
                self.answered_in_time += u32::try_from(b.in_time).unwrap_or(0);
            }
            QueueEventKind::Abandon => {
                self.abandoned += n;
                self.short_abandoned += u32::try_from(b.short).unwrap_or(0);
            }
            QueueEventKind::Timeout => self.timeouts += n,
            QueueEventKind::Refused => self.refused += n,
            QueueEventKind::NoAnswer => self.unanswered_offers += n,
            QueueEventKind::Complete => {
                self.completed += n;
                self.talk_ms += b.wait_ms;
            }
            QueueEventKind::Callback => self.callbacks += n,
            QueueEventKind::CallbackMissed => self.callbacks_missed += n,
            QueueEventKind::Offer => {}
        }
    }

    /// Figures of one queue from a list of events (of any queues: the others are skipped).
    pub fn of(queue: i64, sl_secs: i64, events: &[queue_event::Model]) -> QueueFigures {
        let mut f = QueueFigures::default();
        for e in events.iter().filter(|e| e.queue_id == queue) {
            f.add(e, sl_secs);
        }
        f
    }

    /// Percent answered in time (see the module's note); None before anybody counted.
    pub fn service_level(&self) -> Option<u32> {
        let counted = self.answered + self.abandoned - self.short_abandoned + self.timeouts + self.callbacks_missed;
        (counted > 0).then(|| (self.answered_in_time * 100 + counted / 2) / counted)
    }

    /// Average speed of answer, in seconds.
    pub fn asa_secs(&self) -> Option<i64> {
        (self.answered > 0).then(|| self.wait_answered_ms / 1000 / i64::from(self.answered))
    }

    /// Average handle (talk) time, in seconds.
    pub fn aht_secs(&self) -> Option<i64> {
        (self.completed > 0).then(|| self.talk_ms / 1000 / i64::from(self.completed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: QueueEventKind, wait_s: i64) -> queue_event::Model {
        queue_event::Model {
            id: 0,
            org_id: 1,
            queue_id: 7,
            call_id: "c".into(),
            kind,
            user_id: None,
            at: chrono::Utc::now(),
            wait_ms: Some(wait_s * 1000),
            detail: None,
        }
    }

    #[test]
    fn the_service_level_leaves_out_short_abandons_and_counts_timeouts() {
        use QueueEventKind::*;
        let events = [
            ev(Enter, 0),
            ev(Enter, 0),
            ev(Enter, 0),
            ev(Enter, 0),
            ev(Enter, 0),
            ev(Connect, 10),   // in time
            ev(Connect, 30),   // late
            ev(Abandon, 2),    // short: not counted
            ev(Abandon, 40),   // counted, not in time
            ev(Timeout, 120),  // counted, not in time
            ev(Complete, 100), // talk
            ev(Complete, 50),
        ];
        let f = QueueFigures::of(7, 20, &events);
        assert_eq!((f.received, f.answered, f.abandoned, f.short_abandoned, f.timeouts), (5, 2, 2, 1, 1));
        assert_eq!(f.service_level(), Some(25), "1 in time of 4 counted");
        assert_eq!(f.asa_secs(), Some(20));
        assert_eq!(f.aht_secs(), Some(75));
        assert_eq!(QueueFigures::of(8, 20, &events), QueueFigures::default(), "another queue's events");
        assert_eq!(QueueFigures::default().service_level(), None);
    }
}
