//! The calls in progress and their command channels: how the CRM reaches a call's actor.

pub use crate::events::ActiveCall;
use crate::events::CallCommand;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallError {
    #[error("no such call in progress")]
    NoSuchCall,
    #[error("refused: {0}")]
    Refused(String),
    /// The agent's extension has no phone registered to ring.
    #[error("refused: the extension has no registered phone")]
    NoPhone,
}

/// Where a call's commands go.
type Commands = mpsc::UnboundedSender<CallCommand>;

#[derive(Default)]
pub(crate) struct Calls {
    live: Mutex<HashMap<String, (ActiveCall, Commands)>>,
}

impl Calls {
    pub fn add(&self, call: ActiveCall, tx: mpsc::UnboundedSender<CallCommand>) {
        self.live.lock().expect("calls lock").insert(call.call_id.clone(), (call, tx));
    }

    pub fn remove(&self, call_id: &str) {
        self.live.lock().expect("calls lock").remove(call_id);
    }

    pub fn len(&self) -> usize {
        self.live.lock().expect("calls lock").len()
    }

    /// The call changed (answered, moved to another extension, held…): the list shows it so.
    pub fn update(&self, call: &ActiveCall) {
        if let Some((c, _)) = self.live.lock().expect("calls lock").get_mut(&call.call_id) {
            *c = call.clone();
        }
    }

    pub fn send(&self, tenant: i64, call_id: &str, cmd: CallCommand) -> Result<(), CallError> {
        let live = self.live.lock().expect("calls lock");
        match live.get(call_id) {
            // Another organization's call does not exist, as far as this one can tell.
            Some((c, tx)) if c.tenant == tenant => tx.send(cmd).map_err(|_| CallError::NoSuchCall),
            _ => Err(CallError::NoSuchCall),
        }
    }

    pub fn list(&self, tenant: i64) -> Vec<ActiveCall> {
        self.live
            .lock()
            .expect("calls lock")
            .values()
            .filter(|(c, _)| c.tenant == tenant)
            .map(|(c, _)| c.clone())
            .collect()
    }
}

/// Lists a call for as long as it lives: removed from the list when dropped, on every way out.
pub(crate) struct Listed<'a> {
    calls: &'a Calls,
    call_id: String,
}

impl<'a> Listed<'a> {
    pub fn new(calls: &'a Calls, call: ActiveCall) -> (Listed<'a>, mpsc::UnboundedReceiver<CallCommand>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let call_id = call.call_id.clone();
        calls.add(call, tx);
        (Listed { calls, call_id }, rx)
    }
}

impl Drop for Listed<'_> {
    fn drop(&mut self) {
        self.calls.remove(&self.call_id);
    }
}
