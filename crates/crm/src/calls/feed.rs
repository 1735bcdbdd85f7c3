//! The one way call events enter the CRM: `Crm::attach` (this node's SIP server) or
//! `Crm::follow` (any stream of call events, which is what tests feed). Each event goes first
//! to the queue desk (in memory), then down two independent paths:
//! - the browsers of the users on the call hear of it at once, in order (a ringing call with its
//!   screen pop), from the event itself and memory — never held up, or lost, by the store;
//! - it is recorded (missed calls, call log, supervision log, the calls in progress), in order,
//!   one transaction per event: a passing store failure is retried with back-off, and an event
//!   that still cannot be written waits in the spool (`spool.rs`, on disk) until the store
//!   answers again, or the next start.

use super::spool;
use super::view::{CallMessage, CallNews, CallView, PanelState};
use crate::{Audience, Crm, CrmError, Event, OrgId, User, UserId};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use telephony::SipServer;
use telephony::events::{CallEvent, CallEventKind, Direction};
use tokio::sync::{broadcast, mpsc, watch};

/// How often recording an event is tried before it goes to the spool, and the first wait
/// (doubled after each try: 50 ms … 800 ms, about 1.5 s in all).
const TRIES: u32 = 5;
/// The most events recorded in one transaction.
const BATCH: usize = 64;
const FIRST_WAIT: Duration = Duration::from_millis(50);
/// How often the spool's first event is tried again while the store fails.
const SPOOL_RETRY: Duration = Duration::from_millis(500);
/// The longest a ringing call's publication waits for its screen pop (the store may be slow).
const POP_WAIT: Duration = Duration::from_secs(1);

/// The CRM following a stream of call events: how many it has recorded so far.
pub struct Following {
    recorded: watch::Receiver<u64>,
}

impl Following {
    /// Waits until `n` events of the stream have been recorded (and published).
    pub async fn recorded(&mut self, n: u64) {
        let _ = self.recorded.wait_for(|done| *done >= n).await;
    }
}

impl Crm {
    /// Attaches this node's SIP server: calls are placed and commanded through it, and its call
    /// events feed the CRM. Once per node.
    pub fn attach(&self, sip: Arc<SipServer>) -> Following {
        let events = sip.subscribe();
        if self.telephony.set(sip).is_err() {
            tracing::warn!("a second SIP server was attached; the first one stays");
        }
        // Callbacks promised before a restart are placed again now that calls can be.
        let crm = self.clone();
        tokio::spawn(async move {
            if let Err(e) = crm.resume_queue_callbacks().await {
                tracing::warn!("the callbacks asked for before the restart could not be taken back: {e}");
            }
        });
        self.follow(events)
    }

    /// Follows a stream of call events (the SIP server's, or a test's).
    pub fn follow(&self, mut events: broadcast::Receiver<CallEvent>) -> Following {
        let (to_publish, mut publish) = mpsc::unbounded_channel::<CallEvent>();
        let (to_record, record) = mpsc::unbounded_channel::<CallEvent>();
        let crm = self.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(ev) => {
                        crm.desk_call_event(&ev).await;
                        let _ = to_publish.send(ev.clone());
                        if to_record.send(ev).is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::error!("{n} call events were dropped: the CRM fell behind the SIP server")
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        let crm = self.clone();
        tokio::spawn(async move {
            // Who had each call in progress (a transfer's earlier parties hear how it ends).
            let mut had: HashMap<String, Vec<String>> = HashMap::new();
            while let Some(ev) = publish.recv().await {
                if let Err(e) = crm.publish_call_event(&ev, &mut had).await {
                    tracing::warn!(call_id = %ev.call.call_id, "publishing a call event: {e}");
                }
            }
        });
        let (done, recorded) = watch::channel(0u64);
        tokio::spawn(self.clone().recorder(record, done));
        Following { recorded }
    }

    /// Records the events in order (see the module's notes): the spool first, then what comes.
    /// The spool is locked only while it is used, so several streams may be followed.
    async fn recorder(self, mut queue: mpsc::UnboundedReceiver<CallEvent>, done: watch::Sender<u64>) {
        let count = |n: usize| done.send_modify(|d| *d += n as u64);
        let left = self.spool.lock().await.len();
        if left > 0 {
            tracing::warn!(events = left, "call events left in the spool by an earlier run: recording them");
        }
        loop {
            let waiting = self.spool.lock().await.front().cloned();
            if let Some(ev) = waiting {
                match self.record_call_events(std::slice::from_ref(&ev)).await {
                    Ok(()) => {
                        let mut spool = self.spool.lock().await;
                        spool.pop_front();
                        if spool.len() == 0 {
                            tracing::info!("the store answers again: every spooled call event is recorded");
                        }
                        count(1);
                    }
                    Err(e) if e.is_transient() => {
                        tracing::debug!("the store still fails: {e}");
                        // Wait a little; what arrives meanwhile queues behind, on disk.
                        let pause = tokio::time::sleep(SPOOL_RETRY);
                        tokio::pin!(pause);
                        loop {
                            tokio::select! {
                                _ = &mut pause => break,
                                ev = queue.recv() => match ev {
                                    Some(ev) => self.spool.lock().await.push(ev),
                                    None => return,
                                },
                            }
                        }
                    }
                    Err(e) => {
                        self.spool.lock().await.give_up_front(&e.to_string());
                        count(1);
                    }
                }
                continue;
            }
            let Some(first) = queue.recv().await else { return };
            // What else waits goes in the same transaction (up to BATCH events): a burst costs
            // one BEGIN and one COMMIT, not one per event.
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match queue.try_recv() {
                    Ok(ev) => batch.push(ev),
                    Err(_) => break,
                }
            }
            if batch.len() > 1 && self.record_call_events(&batch).await.is_ok() {
                count(batch.len());
                continue;
            }
            // One at a time (a failed batch is tried again event by event).
            for ev in batch {
                if self.call_events_spooled() > 0 {
                    self.spool.lock().await.push(ev); // behind the ones already waiting
                    continue;
                }
                if self.record_with_retries(ev).await {
                    count(1);
                }
            }
        }
    }

    /// Records one event, trying again while the store fails for a moment; then it waits in
    /// the spool (false), or, refused for good, goes to the failed file.
    async fn record_with_retries(&self, ev: CallEvent) -> bool {
        let mut wait = FIRST_WAIT;
        for attempt in 1..=TRIES {
            match self.record_call_events(std::slice::from_ref(&ev)).await {
                Ok(()) => return true,
                Err(e) if !e.is_transient() => {
                    spool::give_up(self.spool.lock().await.dir(), &ev, &e.to_string());
                    return true;
                }
                Err(e) if attempt < TRIES => {
                    tracing::warn!(call_id = %ev.call.call_id, attempt, "recording a call event failed, trying again: {e}");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => {
                    tracing::error!(call_id = %ev.call.call_id, "the store keeps failing ({e}): the call event waits in the spool");
                    break;
                }
            }
        }
        self.spool.lock().await.push(ev);
        false
    }

    /// How many call events wait in the spool for the store (0 when all is well).
    pub fn call_events_spooled(&self) -> u64 {
        self.spooled.load(Ordering::Relaxed)
    }

    /// Records events in one transaction: for each, the missed-call list, the call log, the
    /// supervision log, the calls in progress (`recovery.rs`); once committed, the pages that
    /// show them are told.
    pub(crate) async fn record_call_events(&self, events: &[CallEvent]) -> Result<(), CrmError> {
        let txn = self.store.write().await?;
        let mut news = Vec::with_capacity(events.len());
        for ev in events {
            let missed = self.missed_on_call_event(&txn, ev).await?;
            self.log_call_event(&txn, ev).await?;
            let supervision = self.log_supervision_event(&txn, ev).await?;
            self.keep_live_call(&txn, ev).await?;
            news.push((missed, supervision));
        }
        txn.commit().await?;
        let mut orgs: Vec<i64> = events.iter().map(|e| e.call.tenant).collect();
        orgs.sort();
        orgs.dedup();
        let mut missed = Vec::with_capacity(news.len());
        for (ev, (m, supervision)) in events.iter().zip(news) {
            missed.push(m);
            if supervision && let Err(e) = self.supervision_changed(&ev.call).await {
                tracing::warn!("telling managers of a supervision: {e}");
            }
        }
        if let Err(e) = crate::missed::MissedNews::tell(missed, self).await {
            tracing::warn!("telling browsers of the missed calls: {e}");
        }
        for org in orgs {
            self.board_changed(OrgId(org));
        }
        Ok(())
    }

    /// Sends the call, as each user on it sees it, to their browsers (the whole organization's
    /// when no user is known): a ringing call with its screen pop, an answered one with the
    /// handling window opened for users who chose so. `had` keeps who had each call in
    /// progress. What needs the store (the pop, the handling window) is left out when the store
    /// fails or is slow: the call's state always goes out.
    async fn publish_call_event(&self, ev: &CallEvent, had: &mut HashMap<String, Vec<String>>) -> Result<(), CrmError> {
        let call = &ev.call;
        if call.from == telephony::ECHO_EXTENSION || call.to == telephony::ECHO_EXTENSION {
            return Ok(()); // an echo test: the phone shows it; it is in the call log, no call of the desk
        }
        let org = OrgId(call.tenant);
        let mut exts: Vec<String> = call.extension.iter().cloned().collect();
        exts.extend(call.ringing.iter().cloned());
        if call.direction == Direction::Internal {
            exts.push(call.from.clone());
        }
        let ended = matches!(ev.kind, CallEventKind::Ended { .. });
        let before = if ended { had.remove(&call.call_id) } else { had.get(&call.call_id).cloned() };
        if !ended {
            let known = had.entry(call.call_id.clone()).or_default();
            known.extend(exts.iter().cloned());
            known.sort();
            known.dedup();
        }
        if matches!(ev.kind, CallEventKind::Supervised { .. } | CallEventKind::SupervisionEnded { .. }) {
            return Ok(()); // the agent is not told: the supervision log tells managers
        }
        self.board_changed(org);
        if !matches!(ev.kind, CallEventKind::Ringing | CallEventKind::Queued | CallEventKind::Ended { .. }) {
            // Only the parties now (and those who had it) hear of a change mid-call.
            exts.retain(|e| {
                Some(e) == call.extension.as_ref() || (call.direction == Direction::Internal && *e == call.from)
            });
        }
        if ev.kind != CallEventKind::Ringing {
            // Everyone who had the call hears how it goes on (a transfer, its end).
            exts.extend(before.unwrap_or_default());
        }
        exts.sort();
        exts.dedup();
        let routing = self.routing().await?;
        let country = routing.countries.get(&call.tenant).map(String::as_str).unwrap_or_default();
        let kind = CallNews::of(&ev.kind);
        let event = |audience, view: CallView| Event {
            org_id: org,
            audience,
            kind: format!("call.{}", kind.as_str()),
            data: serde_json::to_value(CallMessage { kind, call: view }).unwrap_or_default(),
        };
        let users: Vec<(String, UserId)> = exts
            .into_iter()
            .filter_map(|e| routing.extensions.get(&(call.tenant, e.clone())).map(|id| (e, UserId(*id))))
            .collect();
        if users.is_empty() {
            if ev.kind == CallEventKind::Queued {
                return Ok(()); // a caller waiting is nobody's call yet
            }
            let view = CallView::of(call, Some(&ev.kind), "").shown_in(country);
            return self.publish(event(Audience::Organization, view)).await;
        }
        for (ext, id) in users {
            let mut view = CallView::of(call, Some(&ev.kind), &ext).shown_in(country);
            match (&ev.kind, view.state) {
                (CallEventKind::Ringing, PanelState::Ringing) => {
                    view.pop = match tokio::time::timeout(POP_WAIT, self.screen_pop(org, &call.from)).await {
                        Ok(Ok(pop)) => Some(pop),
                        Ok(Err(e)) => {
                            tracing::warn!("a ringing call goes out without its screen pop: {e}");
                            None
                        }
                        Err(_) => {
                            tracing::warn!("a ringing call goes out without its screen pop: the store is slow");
                            None
                        }
                    };
                }
                (CallEventKind::Answered, PanelState::Talking) if call.extension.as_deref() == Some(ext.as_str()) => {
                    let opened = async { self.auto_handling(&self.user(org, id).await?, &view).await };
                    view.handling = opened.await.unwrap_or_else(|e| {
                        tracing::warn!("the handling window was not opened: {e}");
                        false
                    });
                }
                (CallEventKind::Ended { .. }, _)
                    if self.handling_open(org, id, &call.call_id).await.unwrap_or(false) =>
                {
                    view.set_state(PanelState::WrapUp);
                }
                _ => {}
            }
            self.publish(event(Audience::User(id), view)).await?;
        }
        Ok(())
    }

    /// The answering user's handling window opens by itself when they chose so.
    async fn auto_handling(&self, user: &User, view: &CallView) -> Result<bool, CrmError> {
        if !self.preferences(user).await?.auto_handling {
            return Ok(false);
        }
        self.open_window(user, &view.call_id, &view.number).await?;
        Ok(true)
    }
}
