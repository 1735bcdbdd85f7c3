//! What a call in a queue and the CRM's distributor say to each other. The call's task holds
//! the caller (answered, hearing music) and rings whom it is told; the distributor (the CRM,
//! through `SipDirectory`) decides whom, when, and when the caller must leave.

use std::time::Duration;
use tokio::sync::mpsc;

/// Where a caller goes who leaves a queue without an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueExit {
    /// Told the line is busy and hung up.
    HangUp,
    /// Rung through to one extension.
    Extension(String),
    /// Into another queue.
    Queue(i64),
}

/// The distributor's answer to a caller entering a queue.
#[derive(Debug)]
pub enum QueueTicket {
    /// Wait (with music) and follow the orders.
    Wait(mpsc::UnboundedReceiver<QueueOrder>),
    /// Leave at once (full, closed, nobody logged in).
    Leave(QueueExit),
}

/// What the distributor tells a waiting call to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueOrder {
    /// Ring these agents' phones at once for `ring`; the first to answer takes the caller.
    Ring { extensions: Vec<String>, ring: Duration },
    /// Leave the queue (waited too long).
    Leave(QueueExit),
    /// Tell the caller their place and the expected wait (then the music goes on).
    Announce(Announcement),
    /// The caller asked to be called back: tell them so in `language`, then hang up (the
    /// distributor keeps their place and calls them back).
    CallBackLater { language: String },
}

/// What a waiting caller is told, in the queue's language (`en`, `pl`, `he`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub language: String,
    /// 1: next; none when the queue tells no places (it only offers the callback).
    pub position: Option<u32>,
    /// Rounded up; none when nothing can be said.
    pub wait_minutes: Option<u32>,
    /// "To be called back without losing your place, press 1."
    pub callback: bool,
}

/// The key a waiting caller presses to be called back.
pub const CALLBACK_KEY: char = '1';

/// What the waiting call tells the distributor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueReport {
    /// The last `Ring` is over: answered by this extension, or by nobody.
    Rang { answered_by: Option<String> },
    /// The caller hung up while waiting (or ringing).
    CallerLeft,
    /// The caller pressed a key while waiting.
    Key(char),
}
