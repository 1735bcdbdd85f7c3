//! Calls handing a party to one another (REFER with Replaces: a phone that made two calls joins
//! them): which call talks on which legs, and the channel to ask it on.

use crate::party::Party;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// A request from another call to hand over this call's other party. The answer carries the
/// party, or `None` when the Call-ID is not the agent's leg of this call.
pub(crate) struct Handover {
    /// The Call-ID named in Replaces: the phone's leg of this call.
    pub call_id: String,
    pub reply: tokio::sync::oneshot::Sender<Option<Party>>,
}

/// Where a call hears that another one asks for a party.
type Handovers = mpsc::UnboundedSender<Handover>;

/// The Call-IDs of each call's legs, and where to ask for a handover.
#[derive(Default)]
pub(crate) struct Legs {
    calls: Mutex<HashMap<String, (Vec<String>, Handovers)>>,
}

impl Legs {
    /// The call talks on these legs; handovers reach it on `tx`.
    pub fn set(&self, call_id: &str, legs: Vec<String>, tx: Handovers) {
        self.calls.lock().expect("legs lock").insert(call_id.to_string(), (legs, tx));
    }

    /// The call is over.
    pub fn remove(&self, call_id: &str) {
        self.calls.lock().expect("legs lock").remove(call_id);
    }

    pub fn len(&self) -> usize {
        self.calls.lock().expect("legs lock").len()
    }

    /// Where to ask the call that has a leg with this Call-ID (not `except`) for a handover.
    pub fn by_leg(&self, leg: &str, except: &str) -> Option<Handovers> {
        let calls = self.calls.lock().expect("legs lock");
        calls
            .iter()
            .find(|(id, (l, _))| id.as_str() != except && l.iter().any(|x| x == leg))
            .map(|(_, (_, tx))| tx.clone())
    }
}
