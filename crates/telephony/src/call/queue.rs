//! A caller in a queue: answered at once and kept with music while the distributor (the CRM,
//! through `SipDirectory::queue_enter`) says whom to ring. The first agent to answer an offer
//! talks to the caller as on any call; an offer that rings out puts the caller back to the
//! music; an exit takes the caller to an extension, another queue, or a busy end.

use super::{Plan, Ring, Stage, auto_answer_headers, caller_dialog, hang_up, media_sockets, phones_of, ring_stage};
use crate::control::Listed;
use crate::events::{ActiveCall, CallCommand, CallEventKind, CallState, EndCause};
use crate::party::LegSdp;
use crate::queue::{QueueExit, QueueOrder, QueueReport, QueueTicket};
use crate::sdp::{self, Direction as SdpDirection, Media};
use crate::shared::Shared;
use media::{Leg, MediaEvent, Relay};
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::headers::untyped::ContentType;
use rsipstack::sip::{Header, Response, Uri};
use rsipstack::transaction::transaction::Transaction;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How many times one call may be sent on from a queue to another.
pub const MAX_QUEUE_HOPS: usize = 16;

/// How the wait in the queue(s) ended.
enum Waited {
    /// An agent answered.
    Connected {
        dialog: InviteDialog,
        response: Response,
        extension: Option<String>,
        states: DialogStateReceiver,
        signal: Option<std::net::IpAddr>,
    },
    /// The caller hung up, or the call was ended for them.
    Over(EndCause),
}

/// The result of ringing agents for a waiting caller.
enum Offer {
    Answered {
        dialog: InviteDialog,
        response: Response,
        extension: Option<String>,
        states: DialogStateReceiver,
        signal: Option<std::net::IpAddr>,
    },
    CallerLeft,
    /// Nobody answered (or the agent rejected it): the caller waits on.
    NotTaken,
}

pub(super) async fn run(
    srv: Arc<Shared>,
    tx: Transaction,
    mut meta: ActiveCall,
    caller_uri: Uri,
    offer: Media,
    queue: i64,
) {
    let caller_ip = crate::shared::source_of(&tx).map(|a| a.ip());
    let Some((dialog_a, mut a_state, registered_a)) = caller_dialog(&srv, tx).await else { return };
    let Some((sock_a, sock_b)) = media_sockets(&srv, &dialog_a).await else { return };
    let (sock_a, sock_b) = (Arc::new(sock_a), Arc::new(sock_b));
    let port = |s: &tokio::net::UdpSocket| s.local_addr().map(|a| a.port()).unwrap_or(0);
    let a_local = SocketAddr::new(srv.media_ip, port(&sock_a));
    let b_local = SocketAddr::new(srv.media_ip, port(&sock_b));
    // One codec for the whole call: the agent is offered the one the caller got.
    let codecs = vec![offer.codecs[0]];
    let pt = codecs[0];
    let session = rand::random::<u32>() as u64;
    let answer_a = sdp::build(a_local, &codecs, offer.event_pt, SdpDirection::SendRecv, session, 1);
    let headers = vec![Header::ContentType(ContentType::new("application/sdp"))];
    meta.state = CallState::Queued;
    meta.queue = Some(queue);
    meta.queued_at.get_or_insert_with(chrono::Utc::now);
    if dialog_a.accept(Some(headers), Some(answer_a.into_bytes())).is_err() {
        meta.end(&srv, EndCause::Failed);
        return;
    }
    let (media_tx, mut media_rx) = mpsc::unbounded_channel();
    let waiting = Relay::start_with_events(
        Leg::shared(sock_a.clone(), offer.addr, pt).with_events(offer.event_pt).signalled_from(caller_ip),
        Leg::shared(sock_b.clone(), None, pt),
        srv.music.clone(),
        Some(media_tx.clone()),
    );
    waiting.hold(0, true);
    let offer_b = sdp::build(b_local, &codecs, offer.event_pt, SdpDirection::SendRecv, session, 1);
    let (_listed, mut cmds) = Listed::new(&srv.calls, meta.clone());
    meta.emit(&srv, CallEventKind::Queued);
    let mut plan = Plan { meta, caller_uri, stages: vec![], credential: None, headers: vec![] };
    let mut w = Wait {
        srv: &srv,
        plan: &mut plan,
        a_state: &mut a_state,
        offer_b: &offer_b,
        cmds: &mut cmds,
        waiting: &waiting,
        speaking_until: std::time::Instant::now(),
    };
    let waited = w.in_queues(queue, &mut media_rx).await;
    match waited {
        Waited::Over(cause) => {
            waiting.stop();
            // The call is over now: its end is told before the BYE, whose answer may never come
            // (a caller whose own BYE crossed ours has forgotten the call: ours would wait for
            // its timer, 32 s, and the log would end the call that much later).
            plan.meta.end(&srv, cause);
            hang_up(&srv, &dialog_a).await;
        }
        Waited::Connected { dialog, response, extension, states, signal } => {
            let Some(answer) = sdp::parse(&response.body).filter(|m| m.codecs.contains(&pt)) else {
                waiting.stop();
                hang_up(&srv, &dialog).await;
                hang_up(&srv, &dialog_a).await;
                plan.meta.end(&srv, EndCause::Failed);
                return;
            };
            let caller_at = waiting.peer(0);
            waiting.stop();
            let relay = Relay::start_with_events(
                Leg::shared(sock_a, caller_at, pt).with_events(offer.event_pt),
                Leg::shared(sock_b, answer.addr, pt).with_events(answer.event_pt).signalled_from(signal),
                srv.music.clone(),
                Some(media_tx.clone()),
            );
            plan.meta.extension = extension;
            plan.meta.answered(&srv);
            let sdps = [
                LegSdp { local: a_local, codecs: codecs.clone(), event_pt: offer.event_pt, session },
                LegSdp { local: b_local, codecs, event_pt: answer.event_pt, session },
            ];
            registered_a.keep();
            let live = super::Live::new(
                srv.clone(),
                plan.meta,
                relay,
                [dialog_a, dialog],
                [a_state, states],
                sdps,
                1,
                (media_tx, media_rx),
            );
            let (mut meta, cause) = super::talk(live, cmds).await;
            meta.end(&srv, cause);
        }
    }
}

/// The caller waiting, and what the wait needs.
struct Wait<'a> {
    srv: &'a Shared,
    plan: &'a mut Plan,
    a_state: &'a mut DialogStateReceiver,
    offer_b: &'a str,
    cmds: &'a mut mpsc::UnboundedReceiver<CallCommand>,
    /// The caller's music (announcements are played into it).
    waiting: &'a Relay,
    /// When what the caller was told last ends.
    speaking_until: std::time::Instant,
}

impl Wait<'_> {
    /// Waits in `queue` (and the queues its exits lead to) until an agent answers or the call
    /// is over.
    async fn in_queues(&mut self, mut queue: i64, media: &mut mpsc::UnboundedReceiver<MediaEvent>) -> Waited {
        let srv = self.srv;
        let call_id = self.plan.meta.call_id.clone();
        let tenant = self.plan.meta.tenant;
        let mut hops = 0;
        loop {
            self.plan.meta.queue = Some(queue);
            let exit = match srv.directory.queue_enter(&self.plan.meta, queue).await {
                QueueTicket::Leave(exit) => exit,
                QueueTicket::Wait(mut orders) => loop {
                    tokio::select! {
                        st = self.a_state.recv() => {
                            if matches!(st, None | Some(DialogState::Terminated(..))) {
                                srv.directory.queue_report(tenant, &call_id, QueueReport::CallerLeft);
                                return Waited::Over(EndCause::Cancelled);
                            }
                        }
                        order = orders.recv() => match order {
                            None => break QueueExit::HangUp,
                            Some(QueueOrder::Leave(exit)) => break exit,
                            Some(QueueOrder::Announce(a)) => {
                                if let Some(clip) = srv.prompts.announcement(&a.language, &a) {
                                    self.speak(clip);
                                }
                            }
                            Some(QueueOrder::CallBackLater { language }) => {
                                // Told so, the caller is let go: their place stays with the
                                // distributor, which calls them back.
                                if let Some(clip) = srv.prompts.callback_confirmed(&language) {
                                    self.speak(clip);
                                }
                                let done = tokio::time::Instant::from_std(self.speaking_until) + Duration::from_millis(400);
                                let hung_up = loop {
                                    tokio::select! {
                                        _ = tokio::time::sleep_until(done) => break false,
                                        st = self.a_state.recv() => {
                                            if matches!(st, None | Some(DialogState::Terminated(..))) {
                                                break true;
                                            }
                                        }
                                    }
                                };
                                tracing::debug!(%call_id, hung_up, "SIP: the caller will be called back");
                                return Waited::Over(EndCause::CallbackRequested);
                            }
                            Some(QueueOrder::Ring { extensions, ring }) => match self.offer(&extensions, ring).await {
                                Offer::Answered { dialog, response, extension, states, signal } => {
                                    let answered_by = extension.clone();
                                    srv.directory.queue_report(tenant, &call_id, QueueReport::Rang { answered_by });
                                    return Waited::Connected { dialog, response, extension, states, signal };
                                }
                                Offer::CallerLeft => {
                                    srv.directory.queue_report(tenant, &call_id, QueueReport::CallerLeft);
                                    return Waited::Over(EndCause::Cancelled);
                                }
                                Offer::NotTaken => {
                                    srv.directory.queue_report(tenant, &call_id, QueueReport::Rang { answered_by: None });
                                }
                            },
                        },
                        cmd = self.cmds.recv() => {
                            if matches!(cmd, None | Some(CallCommand::Hangup)) {
                                srv.directory.queue_report(tenant, &call_id, QueueReport::CallerLeft);
                                return Waited::Over(EndCause::Cancelled);
                            }
                        }
                        Some(ev) = media.recv() => {
                            let MediaEvent::Dtmf { digit, .. } = ev;
                            srv.directory.queue_report(tenant, &call_id, QueueReport::Key(digit));
                        }
                    }
                },
            };
            match exit {
                QueueExit::Queue(next) => {
                    // A chain of exits that loops (queues that refuse at once, each sending the
                    // caller to the next) ends here instead of spinning.
                    hops += 1;
                    if hops > MAX_QUEUE_HOPS {
                        tracing::warn!(%call_id, queue = next, "SIP: the queue exits loop; the caller is let go");
                        return Waited::Over(EndCause::NoAnswer);
                    }
                    if self.caller_gone() {
                        return Waited::Over(EndCause::Cancelled);
                    }
                    tokio::task::yield_now().await;
                    queue = next;
                }
                QueueExit::HangUp => return Waited::Over(EndCause::NoAnswer),
                QueueExit::Extension(e) => {
                    self.plan.meta.queue = None;
                    return match self.offer(&[e], srv.ring_timeout).await {
                        Offer::Answered { dialog, response, extension, states, signal } => {
                            Waited::Connected { dialog, response, extension, states, signal }
                        }
                        Offer::CallerLeft => Waited::Over(EndCause::Cancelled),
                        Offer::NotTaken => Waited::Over(EndCause::NoAnswer),
                    };
                }
            }
        }
    }

    /// Plays `clip` to the caller after what they are being told now.
    fn speak(&mut self, clip: media::Music) {
        self.speaking_until = self.speaking_until.max(std::time::Instant::now()) + clip.duration();
        self.waiting.announce(0, clip);
    }

    /// Whether the caller hung up (or the call was ended for them) while it moved between queues.
    fn caller_gone(&mut self) -> bool {
        loop {
            match self.a_state.try_recv() {
                Ok(DialogState::Terminated(..)) | Err(mpsc::error::TryRecvError::Disconnected) => return true,
                Ok(_) => continue,
                Err(mpsc::error::TryRecvError::Empty) => break,
            }
        }
        loop {
            match self.cmds.try_recv() {
                Ok(CallCommand::Hangup) | Err(mpsc::error::TryRecvError::Disconnected) => return true,
                Ok(_) => continue,
                Err(mpsc::error::TryRecvError::Empty) => return false,
            }
        }
    }

    /// Rings the agents' phones for `ring` while the caller hears the music.
    async fn offer(&mut self, extensions: &[String], ring: Duration) -> Offer {
        let srv = self.srv;
        let mut targets: Vec<_> = extensions.iter().flat_map(|e| phones_of(srv, self.plan.meta.tenant, e)).collect();
        self.plan.meta.ringing = extensions.to_vec();
        self.plan.meta.state = CallState::Ringing;
        self.plan.headers.clear();
        let stage = loop {
            let mut rang = false;
            let r = Ring {
                plan: self.plan,
                dialog_a: None,
                a_state: self.a_state,
                a_call_id: None,
                offer: self.offer_b,
                targets: std::mem::take(&mut targets),
                ring,
                rang: &mut rang,
                cmds: Some(self.cmds),
                answerable: true,
            };
            match ring_stage(srv, r).await {
                Stage::AutoAnswer(again) if self.plan.headers.is_empty() => {
                    // Answered from the agent's page: ring the same phones with auto-answer.
                    self.plan.headers = auto_answer_headers(srv);
                    targets = again;
                }
                other => break other,
            }
        };
        match stage {
            Stage::Answered { dialog, response, extension, states, signal } => {
                Offer::Answered { dialog, response, extension, states, signal }
            }
            Stage::CallerLeft => Offer::CallerLeft,
            Stage::Failed { .. } | Stage::Refused | Stage::AutoAnswer(_) => {
                // Back to the music; the agents rung hear that the call is no longer theirs.
                self.plan.meta.state = CallState::Queued;
                self.plan.meta.emit(srv, CallEventKind::Queued);
                self.plan.meta.ringing.clear();
                self.srv.calls.update(&self.plan.meta);
                Offer::NotTaken
            }
        }
    }
}
