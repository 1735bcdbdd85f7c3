//! A call as one user's panel shows it: the message the browser renders (what happened and
//! the state to draw), and the same view of each call for a page loaded mid-call. The rules
//! of who sees what (dialing or ringing, answered elsewhere, transferred away) live here, not
//! in the page's script.

use chrono::{DateTime, Utc};
use serde::Serialize;
use telephony::events::{ActiveCall, CallEventKind, CallState, Direction};

/// What the user's panel shows for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelState {
    /// It rings the user.
    Ringing,
    /// The user placed it; the other side rings.
    Dialing,
    Talking,
    Held,
    Consulting,
    Conference,
    /// Over, with the user's handling window still open (until "Save and finish").
    WrapUp,
    /// No longer the user's: ended, answered by a colleague, or transferred away.
    Gone,
}

/// What the user may do with a call now; the pages show a button for each (and only those).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallAction {
    Answer,
    Hangup,
    Hold,
    Resume,
    Mute,
    Unmute,
    /// Bring the consulted colleague into a conference (or consult one first).
    Conference,
    ConferenceLeave,
    /// Consult a colleague, then hand the caller over.
    Attended,
    ConsultCancel,
    BlindTransfer,
    /// The call handling window (tags, notes).
    Handling,
    /// A new case from the call.
    Case,
}

impl CallAction {
    /// What the user may do with a call in `state` (muted or not).
    pub fn of(state: PanelState, muted: bool) -> Vec<CallAction> {
        use CallAction::*;
        let mut v = match state {
            PanelState::Ringing => vec![Answer, Hangup],
            PanelState::Dialing => vec![Hangup],
            PanelState::Talking => vec![Hangup, Hold, Conference, Attended, BlindTransfer, Handling, Case],
            PanelState::Held => vec![Hangup, Resume, Handling, Case],
            // Consulting: hand the caller over, bring everyone together, or go back to the caller.
            PanelState::Consulting => vec![Hangup, ConsultCancel, Attended, Conference, Handling, Case],
            // Hang up ends it for all; leaving lets the other two talk on.
            PanelState::Conference => vec![Hangup, ConferenceLeave, Handling, Case],
            PanelState::WrapUp | PanelState::Gone => vec![],
        };
        if matches!(state, PanelState::Talking | PanelState::Consulting | PanelState::Conference) {
            v.push(if muted { Unmute } else { Mute });
        }
        v
    }
}

/// What happened to a call; `call.{as_str}` is the name of its browser event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallNews {
    /// Back in its queue (an offer rang out): no longer the rung agents'.
    Queued,
    Ringing,
    Answered,
    Held,
    Resumed,
    Muted,
    Unmuted,
    Transferred,
    Conference,
    RecordingStarted,
    RecordingStopped,
    Dtmf,
    /// A supervisor joined, switched or left (told to managers only, never to the agent).
    Supervision,
    Ended,
}

impl CallNews {
    /// Every kind, in the order of the enum: the pages listen to each `call.{kind}`.
    pub const ALL: [CallNews; 14] = [
        CallNews::Queued,
        CallNews::Ringing,
        CallNews::Answered,
        CallNews::Held,
        CallNews::Resumed,
        CallNews::Muted,
        CallNews::Unmuted,
        CallNews::Transferred,
        CallNews::Conference,
        CallNews::RecordingStarted,
        CallNews::RecordingStopped,
        CallNews::Dtmf,
        CallNews::Supervision,
        CallNews::Ended,
    ];

    pub fn of(kind: &CallEventKind) -> CallNews {
        match kind {
            CallEventKind::Queued => CallNews::Queued,
            CallEventKind::Ringing => CallNews::Ringing,
            CallEventKind::Answered => CallNews::Answered,
            CallEventKind::Held => CallNews::Held,
            CallEventKind::Resumed => CallNews::Resumed,
            CallEventKind::Muted => CallNews::Muted,
            CallEventKind::Unmuted => CallNews::Unmuted,
            CallEventKind::Transferred { .. } => CallNews::Transferred,
            CallEventKind::ConferenceJoined { .. } => CallNews::Conference,
            CallEventKind::RecordingStarted { .. } => CallNews::RecordingStarted,
            CallEventKind::RecordingStopped { .. } => CallNews::RecordingStopped,
            CallEventKind::Dtmf { .. } => CallNews::Dtmf,
            CallEventKind::Supervised { .. } | CallEventKind::SupervisionEnded { .. } => CallNews::Supervision,
            CallEventKind::Ended { .. } => CallNews::Ended,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallNews::Queued => "queued",
            CallNews::Ringing => "ringing",
            CallNews::Answered => "answered",
            CallNews::Held => "held",
            CallNews::Resumed => "resumed",
            CallNews::Muted => "muted",
            CallNews::Unmuted => "unmuted",
            CallNews::Transferred => "transferred",
            CallNews::Conference => "conference",
            CallNews::RecordingStarted => "recording_started",
            CallNews::RecordingStopped => "recording_stopped",
            CallNews::Dtmf => "dtmf",
            CallNews::Supervision => "supervision",
            CallNews::Ended => "ended",
        }
    }
}

/// A contact the screen pop offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PopContact {
    pub id: crate::ContactId,
    pub name: String,
    pub company: String,
}

/// What opens on an incoming call: the contacts with the caller's number (a choice when
/// several), the number to fill a new contact with when none, or the organization's URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenPop {
    pub e164: Option<String>,
    pub contacts: Vec<PopContact>,
    pub url: Option<String>,
}

/// One call as one user sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallView {
    pub call_id: String,
    pub direction: Direction,
    pub from: String,
    pub to: String,
    /// The organization's extension on the call.
    pub extension: Option<String>,
    /// The other party, for this user.
    pub number: String,
    /// That number as the organization's people read it (`shown_in`; the number itself until
    /// then).
    pub shown: String,
    pub state: PanelState,
    pub muted: bool,
    pub answered_at: Option<DateTime<Utc>>,
    /// On a call ringing the user: what to open.
    pub pop: Option<ScreenPop>,
    /// The user's handling window was opened for the call (their choice): the page shows it.
    pub handling: bool,
    /// What the user may do with it now (`CallAction::of`).
    pub actions: Vec<CallAction>,
}

impl CallView {
    /// The call as the user with extension `ext` sees it, after `kind` happened (`None`: as it
    /// stands, for a page loaded mid-call).
    pub fn of(call: &ActiveCall, kind: Option<&CallEventKind>, ext: &str) -> CallView {
        let placed_it = call.from == ext && call.direction != Direction::Inbound;
        let number = match call.direction {
            Direction::Inbound => &call.from,
            Direction::Outbound => &call.to,
            Direction::Internal if call.from == ext => &call.to,
            Direction::Internal => &call.from,
        };
        let elsewhere = call.extension.as_deref().is_some_and(|e| e != ext);
        let state = match kind {
            Some(CallEventKind::Ended { .. } | CallEventKind::Queued) => PanelState::Gone,
            // Rung here, answered by a colleague (or the call moved on to one).
            Some(CallEventKind::Answered) if call.direction == Direction::Inbound && elsewhere => PanelState::Gone,
            Some(CallEventKind::Transferred { .. }) if elsewhere => PanelState::Gone,
            _ => match call.state {
                CallState::Queued => PanelState::Gone,
                CallState::Ringing if placed_it => PanelState::Dialing,
                CallState::Ringing => PanelState::Ringing,
                CallState::Talking => PanelState::Talking,
                CallState::Held => PanelState::Held,
                CallState::Consulting => PanelState::Consulting,
                CallState::Conference => PanelState::Conference,
            },
        };
        CallView {
            call_id: call.call_id.clone(),
            direction: call.direction,
            from: call.from.clone(),
            to: call.to.clone(),
            extension: call.extension.clone(),
            number: number.clone(),
            shown: number.clone(),
            state,
            muted: call.muted,
            answered_at: call.answered_at,
            pop: None,
            handling: false,
            actions: CallAction::of(state, call.muted),
        }
    }

    /// The view with its number shown for an organization in `country`.
    pub fn shown_in(mut self, country: &str) -> CallView {
        self.shown = crate::contacts::phone::display(&self.number, country);
        self
    }

    /// The view in another state (its actions with it).
    pub fn set_state(&mut self, state: PanelState) {
        self.state = state;
        self.actions = CallAction::of(state, self.muted);
    }
}

/// What a browser receives about a call (as the event `call.{kind}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallMessage {
    pub kind: CallNews,
    pub call: CallView,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(direction: Direction, from: &str, to: &str, extension: Option<&str>, state: CallState) -> ActiveCall {
        ActiveCall {
            call_id: "c".into(),
            tenant: 1,
            direction,
            from: from.into(),
            to: to.into(),
            extension: extension.map(str::to_string),
            ringing: vec![],
            state,
            muted: false,
            answered_at: None,
            queue: None,
            queued_at: None,
            supervisor: None,
        }
    }

    #[test]
    fn who_dials_and_who_is_rung() {
        let internal = call(Direction::Internal, "101", "102", Some("102"), CallState::Ringing);
        assert_eq!(CallView::of(&internal, Some(&CallEventKind::Ringing), "101").state, PanelState::Dialing);
        let rung = CallView::of(&internal, Some(&CallEventKind::Ringing), "102");
        assert_eq!((rung.state, rung.number.as_str()), (PanelState::Ringing, "101"));
        let out = call(Direction::Outbound, "101", "48600111222", Some("101"), CallState::Ringing);
        let v = CallView::of(&out, None, "101");
        assert_eq!((v.state, v.number.as_str()), (PanelState::Dialing, "48600111222"));
    }

    #[test]
    fn a_call_answered_or_transferred_elsewhere_leaves_the_panel() {
        let answered = call(Direction::Inbound, "48600111222", "4822", Some("102"), CallState::Talking);
        assert_eq!(CallView::of(&answered, Some(&CallEventKind::Answered), "101").state, PanelState::Gone);
        assert_eq!(CallView::of(&answered, Some(&CallEventKind::Answered), "102").state, PanelState::Talking);
        let moved = CallEventKind::Transferred { to: "102".into() };
        assert_eq!(CallView::of(&answered, Some(&moved), "101").state, PanelState::Gone);
        assert_eq!(CallView::of(&answered, Some(&moved), "102").state, PanelState::Talking);
    }

    #[test]
    fn a_page_loaded_mid_call_shows_hold_and_consultation() {
        for (st, shown) in [(CallState::Held, PanelState::Held), (CallState::Consulting, PanelState::Consulting)] {
            let c = call(Direction::Inbound, "48600111222", "4822", Some("101"), st);
            assert_eq!(CallView::of(&c, None, "101").state, shown);
        }
    }
}

#[cfg(test)]
mod action_tests {
    use super::{CallAction as A, CallNews, PanelState as S};

    #[test]
    fn the_buttons_follow_the_state() {
        assert_eq!(A::of(S::Ringing, false), [A::Answer, A::Hangup]);
        assert!(A::of(S::Talking, false).contains(&A::Mute) && !A::of(S::Talking, false).contains(&A::Unmute));
        assert!(A::of(S::Talking, true).contains(&A::Unmute) && !A::of(S::Talking, true).contains(&A::Mute));
        assert!(!A::of(S::Held, true).contains(&A::Unmute), "a held call is not muted or unmuted");
        assert!(A::of(S::Gone, false).is_empty() && A::of(S::WrapUp, false).is_empty());
        // Every kind is listed once for the pages, "queued" too (an offer that rang out).
        let names: Vec<&str> = CallNews::ALL.iter().map(|k| k.as_str()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(names.contains(&"queued"));
    }
}
