//! What the telephony side tells the CRM (call events) and what the CRM asks of it (commands).
//! Plain data: the CRM writes call logs, missed calls and statistics from these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndCause {
    /// It was answered and then hung up.
    Answered,
    Busy,
    NoAnswer,
    /// The caller gave up before anyone answered.
    Cancelled,
    Failed,
    /// It was answered, then the agent's browser phone stayed away (a page that did not come
    /// back) and gave the call up.
    AgentGone,
    /// The node that carried the call stopped (a crash, a kill): never said by a live call,
    /// but by the CRM when it closes the calls a stopped node left open.
    Interrupted,
    /// The caller left a queue asking to be called back: their place is kept and the queue
    /// calls them back (an unanswered callback becomes a missed call then).
    CallbackRequested,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallEventKind {
    /// The caller waits in a queue (answered, hearing music): on entering it, and again when an
    /// offer to agents rang out (then `ringing` still names who was rung).
    Queued,
    Ringing,
    Answered,
    Held,
    Resumed,
    Transferred {
        to: String,
    },
    ConferenceJoined {
        party: String,
    },
    Muted,
    Unmuted,
    RecordingStarted {
        path: String,
    },
    RecordingStopped {
        path: String,
    },
    Dtmf {
        digit: char,
    },
    /// A supervisor joined the call, or changed how (on joining and on every change).
    Supervised {
        supervisor: String,
        mode: SuperviseMode,
    },
    /// The supervisor left the call (hung up, stopped, or the agent held or transferred it).
    SupervisionEnded {
        supervisor: String,
    },
    Ended {
        cause: EndCause,
    },
}

/// Where a call stands, as its task knows it. Who dials and who is rung is the CRM's view of
/// the same `Ringing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// In a queue: the caller hears music until an agent is free.
    Queued,
    /// Not answered yet: the phones (or the trunk) ring.
    Ringing,
    Talking,
    /// The agent holds the other party, who hears music.
    Held,
    /// The agent talks to (or rings) a third party while the other one waits with music.
    Consulting,
    /// All three talk together.
    Conference,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Queued => "queued",
            CallState::Ringing => "ringing",
            CallState::Talking => "talking",
            CallState::Held => "held",
            CallState::Consulting => "consulting",
            CallState::Conference => "conference",
        }
    }
}

/// How a supervisor takes part in a call. The supervisor always hears both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuperviseMode {
    /// Nobody hears the supervisor.
    Listen,
    /// Only the agent hears the supervisor.
    Whisper,
    /// Both sides hear the supervisor.
    Barge,
}

impl SuperviseMode {
    pub const ALL: [SuperviseMode; 3] = [SuperviseMode::Listen, SuperviseMode::Whisper, SuperviseMode::Barge];

    pub fn as_str(self) -> &'static str {
        match self {
            SuperviseMode::Listen => "listen",
            SuperviseMode::Whisper => "whisper",
            SuperviseMode::Barge => "barge",
        }
    }

    pub fn parse(s: &str) -> Option<SuperviseMode> {
        SuperviseMode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the agent hears the supervisor.
    pub fn agent_hears(self) -> bool {
        self != SuperviseMode::Listen
    }

    /// Whether the other party (the customer) hears the supervisor.
    pub fn customer_hears(self) -> bool {
        self == SuperviseMode::Barge
    }
}

/// Who supervises a call, and how (also while their phones ring: `joined` is false then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supervisor {
    pub extension: String,
    pub mode: SuperviseMode,
    pub joined: bool,
}

/// A call as it stands: who is on it, what it rings, and its state. Every event carries it,
/// and the list of calls in progress holds the same value, so the two never disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveCall {
    pub call_id: String,
    pub tenant: i64,
    pub direction: Direction,
    /// The calling number (E.164 or extension).
    pub from: String,
    /// The called number (E.164, DID or extension).
    pub to: String,
    /// The extension of the organization's side of the call, when there is one.
    pub extension: Option<String>,
    /// While it rings: the extensions being rung.
    pub ringing: Vec<String>,
    pub state: CallState,
    /// The agent's microphone is cut off (the other party hears nothing from them).
    pub muted: bool,
    pub answered_at: Option<DateTime<Utc>>,
    /// The queue the call came through, when it did.
    #[serde(default)]
    pub queue: Option<i64>,
    /// When the caller entered the first queue (the call log counts the wait from there).
    #[serde(default)]
    pub queued_at: Option<DateTime<Utc>>,
    /// The manager supervising the call, when one is.
    #[serde(default)]
    pub supervisor: Option<Supervisor>,
}

impl ActiveCall {
    /// A call that is about to ring: nobody answered, nothing held.
    pub fn new(
        call_id: String,
        tenant: i64,
        direction: Direction,
        from: String,
        to: String,
        extension: Option<String>,
    ) -> ActiveCall {
        ActiveCall {
            call_id,
            tenant,
            direction,
            from,
            to,
            extension,
            ringing: vec![],
            state: CallState::Ringing,
            muted: false,
            answered_at: None,
            queue: None,
            queued_at: None,
            supervisor: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEvent {
    #[serde(flatten)]
    pub call: ActiveCall,
    pub at: DateTime<Utc>,
    pub kind: CallEventKind,
}

impl CallEvent {
    /// An inbound call that ended without being answered is a missed call (also when the
    /// node carrying it stopped before anyone answered).
    pub fn is_missed(&self) -> bool {
        self.call.direction == Direction::Inbound
            && match self.kind {
                CallEventKind::Ended { cause: EndCause::NoAnswer | EndCause::Cancelled | EndCause::Busy } => true,
                CallEventKind::Ended { cause: EndCause::Interrupted } => self.call.answered_at.is_none(),
                _ => false,
            }
    }
}

/// What the CRM asks of a call. "The agent" is the organization's side of the call (the
/// extension); hold puts the other party on hold with music.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CallCommand {
    /// While the call rings: the agent's phones are rung again with auto-answer headers, so a
    /// phone that honours them picks up by itself.
    Answer,
    /// Ringing: the caller is refused (busy). Answered: both sides are hung up.
    Hangup,
    Hold,
    Resume,
    Mute,
    Unmute,
    /// Hands the other party to an extension or an outside number, and drops the agent.
    BlindTransfer {
        to: String,
    },
    /// Records both sides into a stereo WAV until RecordStop or the end of the call.
    RecordStart,
    RecordStop,
    /// Attended transfer, first press: the other party waits with music while the agent talks
    /// to `to`.
    ConsultStart {
        to: String,
    },
    /// Second press: the other party talks to the consulted one; the agent leaves.
    ConsultComplete,
    /// The consultation ends; the agent is back with the other party.
    ConsultCancel,
    /// Conference, second press (after ConsultStart): all three talk together.
    ConferenceMerge,
    /// The agent leaves the conference: the other two talk on (as after an attended transfer).
    ConferenceLeave,
    /// Keys the agent presses (0-9, *, #, A-D), played to the other party as RFC 4733 events.
    SendDtmf {
        digits: String,
    },
    /// A manager supervises the call: their extension's phones ring (answering by themselves
    /// where they can) and, answered, join it in `mode`. Only while the two sides talk, and one
    /// supervisor at a time.
    Supervise {
        extension: String,
        mode: SuperviseMode,
    },
    /// The supervisor changes how they take part.
    SupervisionMode {
        mode: SuperviseMode,
    },
    /// The supervisor leaves (their phone is hung up); the two sides talk on.
    SupervisionEnd,
}
