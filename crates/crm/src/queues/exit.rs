//! Where a caller goes who leaves a queue unanswered, as one type (`QueueExit`: hang up, an
//! extension, another queue) read from and written to the queue's two columns; and what the
//! queue event log says about a caller who left (`Leaving`: why the queue refused them, if it
//! did, and where they went), written by the desk and read by the "Why?" page.

use store::entities::queue::{self, ExitKind};
pub use telephony::queue::QueueExit;

/// The queue's exit as stored.
pub fn exit_of(q: &queue::Model) -> QueueExit {
    let target = q.exit_target.as_deref().map(str::trim).filter(|t| !t.is_empty());
    match (q.exit_kind, target) {
        (ExitKind::Extension, Some(e)) => QueueExit::Extension(e.to_string()),
        (ExitKind::Queue, Some(t)) => t.parse().map(QueueExit::Queue).unwrap_or(QueueExit::HangUp),
        _ => QueueExit::HangUp,
    }
}

/// The exit as the two columns hold it.
pub fn columns(exit: &QueueExit) -> (ExitKind, Option<String>) {
    match exit {
        QueueExit::HangUp => (ExitKind::HangUp, None),
        QueueExit::Extension(e) => (ExitKind::Extension, Some(e.clone())),
        QueueExit::Queue(q) => (ExitKind::Queue, Some(q.to_string())),
    }
}

/// The exit a form's kind and target name (a queue that is no number is queue 0, which does not
/// exist and is refused as such).
pub fn from_form(kind: ExitKind, target: &str) -> QueueExit {
    let target = target.trim();
    match kind {
        ExitKind::HangUp => QueueExit::HangUp,
        ExitKind::Extension => QueueExit::Extension(target.to_string()),
        ExitKind::Queue => QueueExit::Queue(target.parse().unwrap_or(0)),
    }
}

/// Why a queue refused a caller at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// As many callers as the queue takes were waiting.
    Full,
    /// No member was logged in (and the queue sends callers on then).
    NobodyLoggedIn,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Full => "full",
            Refusal::NobodyLoggedIn => "nobody_logged_in",
        }
    }

    fn parse(s: &str) -> Option<Refusal> {
        match s {
            "full" => Some(Refusal::Full),
            "nobody_logged_in" => Some(Refusal::NobodyLoggedIn),
            _ => None,
        }
    }
}

/// A caller leaving a queue unanswered, as its event's detail says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaving {
    /// Refused at the door (none: waited too long).
    pub refusal: Option<Refusal>,
    /// Where they went (none in events written before exits were logged with refusals).
    pub exit: Option<QueueExit>,
}

impl Leaving {
    /// The stored detail: the refusal, if any, then the exit ("full queue 5", "hang_up").
    pub fn stored(&self) -> String {
        let exit = self.exit.as_ref().map(|e| match e {
            QueueExit::HangUp => "hang_up".to_string(),
            QueueExit::Extension(x) => format!("extension {x}"),
            QueueExit::Queue(q) => format!("queue {q}"),
        });
        [self.refusal.map(|r| r.as_str().to_string()), exit].into_iter().flatten().collect::<Vec<_>>().join(" ")
    }

    /// Reads a stored detail, whatever its age: "full", "hang_up", "extension 109",
    /// "nobody_logged_in queue 5".
    pub fn read(detail: &str) -> Leaving {
        let mut words = detail.split_whitespace().peekable();
        let refusal = words.peek().and_then(|w| Refusal::parse(w));
        if refusal.is_some() {
            words.next();
        }
        let exit = match (words.next(), words.next()) {
            (Some("hang_up"), _) => Some(QueueExit::HangUp),
            (Some("extension"), Some(e)) => Some(QueueExit::Extension(e.to_string())),
            (Some("queue"), Some(q)) => q.parse().ok().map(QueueExit::Queue),
            _ => None,
        };
        Leaving { refusal, exit }
    }
}

/// Whether sending callers of queue `from` to `exit` closes a loop: following the exits of the
/// queues (`exits`: each queue's id and exit) from `exit` comes back to `from`.
pub fn closes_loop(from: i64, exit: &QueueExit, exits: &[(i64, QueueExit)]) -> bool {
    let mut at = match exit {
        QueueExit::Queue(q) => *q,
        _ => return false,
    };
    for _ in 0..=exits.len() {
        if at == from {
            return true;
        }
        match exits.iter().find(|(id, _)| *id == at).map(|(_, e)| e) {
            Some(QueueExit::Queue(next)) => at = *next,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_old_and_new_read_back() {
        for (stored, refusal, exit) in [
            ("full", Some(Refusal::Full), None),
            ("nobody_logged_in", Some(Refusal::NobodyLoggedIn), None),
            ("hang_up", None, Some(QueueExit::HangUp)),
            ("extension 109", None, Some(QueueExit::Extension("109".into()))),
            ("full queue 5", Some(Refusal::Full), Some(QueueExit::Queue(5))),
            ("nobody_logged_in hang_up", Some(Refusal::NobodyLoggedIn), Some(QueueExit::HangUp)),
        ] {
            let l = Leaving::read(stored);
            assert_eq!(l, Leaving { refusal, exit }, "{stored}");
            if l.exit.is_some() {
                assert_eq!(l.stored(), stored);
            }
        }
    }

    #[test]
    fn a_chain_of_exits_back_to_the_queue_is_a_loop() {
        let exits =
            [(1, QueueExit::Queue(2)), (2, QueueExit::Queue(3)), (3, QueueExit::HangUp), (4, QueueExit::Queue(4))];
        assert!(closes_loop(3, &QueueExit::Queue(1), &exits), "3 → 1 → 2 → 3");
        assert!(closes_loop(1, &QueueExit::Queue(1), &exits), "to itself");
        assert!(!closes_loop(5, &QueueExit::Queue(1), &exits), "1 → 2 → 3 ends");
        assert!(!closes_loop(5, &QueueExit::Queue(4), &exits), "a loop elsewhere is not this one's");
        assert!(!closes_loop(3, &QueueExit::Extension("1".into()), &exits));
    }
}
