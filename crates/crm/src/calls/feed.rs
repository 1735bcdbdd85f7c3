//! The one way call events enter the CRM: `Crm::attach` (this node's SIP server) or
//! `Crm::follow` (any stream of call events, which is what tests feed). A ringing call is
//! published at once, on its own, so an agent never waits behind the log of earlier events;
//! every event is then recorded in order (missed calls, call log) and published to the
//! browsers of the users on the call.

use super::view::{CallMessage, CallNews, CallView, PanelState};
use crate::{Audience, Crm, CrmError, Event, OrgId, User, UserId};
use std::sync::Arc;
use telephony::SipServer;
use telephony::events::{CallEvent, CallEventKind, Direction};
use tokio::sync::{broadcast, mpsc, watch};

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
        self.follow(events)
    }

    /// Follows a stream of call events (the SIP server's, or a test's).
    pub fn follow(&self, mut events: broadcast::Receiver<CallEvent>) -> Following {
        let (in_order, mut queue) = mpsc::unbounded_channel::<CallEvent>();
        let crm = self.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(ev) => {
                        crm.desk_call_event(&ev).await;
                        if ev.kind == CallEventKind::Ringing {
                            let (crm, ev) = (crm.clone(), ev.clone());
                            tokio::spawn(async move {
                                if let Err(e) = crm.publish_call_event(&ev).await {
                                    tracing::warn!("publishing a ringing call: {e}");
                                }
                            });
                        }
                        if in_order.send(ev).is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!("{n} call events were dropped"),
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        let (done, recorded) = watch::channel(0u64);
        let crm = self.clone();
        tokio::spawn(async move {
            while let Some(ev) = queue.recv().await {
                if let Err(e) = crm.record_call_event(&ev).await {
                    tracing::warn!("recording a call event: {e}");
                }
                done.send_modify(|n| *n += 1);
            }
        });
        Following { recorded }
    }

    /// The missed-call list and the call log learn from the event; then the browsers hear of
    /// it (a ringing call was published already).
    async fn record_call_event(&self, ev: &CallEvent) -> Result<(), CrmError> {
        self.missed_on_call_event(ev).await?;
        self.log_call_event(ev).await?;
        self.log_supervision_event(ev).await?;
        self.board_changed(OrgId(ev.call.tenant));
        if matches!(ev.kind, CallEventKind::Supervised { .. } | CallEventKind::SupervisionEnded { .. }) {
            return Ok(()); // the agent is not told: the supervision log told managers
        }
        if ev.kind != CallEventKind::Ringing {
            self.publish_call_event(ev).await?;
        }
        Ok(())
    }

    /// Sends the call, as each user on it sees it, to their browsers (the whole organization's
    /// when no user is known): a ringing call with its screen pop, an answered one with the
    /// handling window opened for users who chose so.
    async fn publish_call_event(&self, ev: &CallEvent) -> Result<(), CrmError> {
        let call = &ev.call;
        let org = OrgId(call.tenant);
        let routing = self.routing().await?;
        let mut exts: Vec<String> = call.extension.iter().cloned().collect();
        if matches!(ev.kind, CallEventKind::Ringing | CallEventKind::Queued | CallEventKind::Ended { .. }) {
            exts.extend(call.ringing.iter().cloned());
            if call.direction == Direction::Internal {
                exts.push(call.from.clone());
            }
        }
        if ev.kind != CallEventKind::Ringing {
            // Everyone who had the call hears how it goes on (a transfer, its end).
            exts.extend(self.call_extensions(org, &call.call_id).await?);
        }
        exts.sort();
        exts.dedup();
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
            return self.publish(event(Audience::Organization, CallView::of(call, Some(&ev.kind), ""))).await;
        }
        for (ext, id) in users {
            let mut view = CallView::of(call, Some(&ev.kind), &ext);
            match (&ev.kind, view.state) {
                (CallEventKind::Ringing, PanelState::Ringing) => {
                    view.pop = Some(self.screen_pop(org, &call.from).await?);
                }
                (CallEventKind::Answered, PanelState::Talking) if call.extension.as_deref() == Some(ext.as_str()) => {
                    let user = self.user(org, id).await?;
                    view.handling = self.auto_handling(&user, &view).await?;
                }
                (CallEventKind::Ended { .. }, _) if self.handling_open(org, id, &call.call_id).await? => {
                    view.state = PanelState::WrapUp;
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
        self.open_handling(user, &view.call_id, &view.number).await?;
        Ok(true)
    }
}
