//! One call through the B2BUA, from a registered phone to another extension: authenticate the
//! caller, fork an INVITE to every phone of the callee, anchor the audio in a relay, and tear
//! both sides down together. The task that runs this function owns the call's legs.

use crate::events::{CallEvent, CallEventKind, Direction, EndCause};
use crate::sdp::{self, Direction as SdpDirection};
use crate::server::Shared;
use media::{Leg, Relay};
use rsipstack::dialog::dialog::DialogState;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::headers::untyped::ContentType;
use rsipstack::sip::{Header, Response, StatusCode, StatusCodeKind, Transport, Uri};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What is known of a call for its events.
struct Meta {
    call_id: String,
    tenant: i64,
    from: String,
    to: String,
}

impl Meta {
    fn emit(&self, srv: &Shared, kind: CallEventKind) {
        let ev = CallEvent {
            call_id: self.call_id.clone(),
            tenant: self.tenant,
            direction: Direction::Internal,
            from: self.from.clone(),
            to: self.to.clone(),
            extension: Some(self.to.clone()),
            at: chrono::Utc::now(),
            kind,
        };
        let _ = srv.events.send(ev);
    }
}

pub(crate) async fn from_phone(srv: Arc<Shared>, mut tx: Transaction) {
    let req = tx.original.clone();
    let domain = req.uri.host_with_port.host.to_string();
    let Some(tenant) = srv.directory.tenant_for_domain(&domain).await else {
        let _ = tx.reply(StatusCode::NotFound).await;
        return;
    };
    let Some(caller) = crate::auth::authenticate(&srv, &mut tx, &tenant, None).await else { return };
    let Some(callee) = req.uri.auth.as_ref().map(|a| a.user.clone()).filter(|u| !u.is_empty()) else {
        let _ = tx.reply(StatusCode::NotFound).await;
        return;
    };
    let offer = match sdp::parse(&req.body) {
        Some(m) if !m.codecs.is_empty() => m,
        // No offer (late offer) or no common codec.
        _ => {
            let _ = tx.reply(StatusCode::NotAcceptableHere).await;
            return;
        }
    };
    let targets = srv.location.lookup(tenant.id, &callee);
    if targets.is_empty() {
        let known = srv.directory.extension_secret(&tenant, &callee).await.is_some();
        let _ = tx.reply(if known { StatusCode::TemporarilyUnavailable } else { StatusCode::NotFound }).await;
        return;
    }
    let meta = Meta { call_id: call_id_of(&req), tenant: tenant.id, from: caller.clone(), to: callee.clone() };

    // Leg A: the caller's dialog; its INVITE transaction runs in its own task.
    let (a_state_tx, mut a_state) = mpsc::unbounded_channel();
    let dialog_a = match srv.dialogs.get_or_create_server_invite(&tx, a_state_tx, None, Some(srv.contact.clone())) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("SIP: cannot make a dialog: {e}");
            let _ = tx.reply(StatusCode::ServerInternalError).await;
            return;
        }
    };
    {
        let mut d = dialog_a.clone();
        tokio::spawn(async move {
            let _ = d.handle(&mut tx).await;
        });
    }
    let (sock_a, sock_b) = match (srv.ports.bind().await, srv.ports.bind().await) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            tracing::error!("SIP: no free RTP ports");
            let _ = dialog_a.reject(Some(StatusCode::ServiceUnavailable), None);
            return;
        }
    };
    let a_local = SocketAddr::new(srv.media_ip, sock_a.local_addr().map(|a| a.port()).unwrap_or(0));
    let b_local = SocketAddr::new(srv.media_ip, sock_b.local_addr().map(|a| a.port()).unwrap_or(0));
    let session = rand::random::<u32>() as u64;

    // Leg B: one INVITE per registered phone of the callee.
    let offer_b = sdp::build(b_local, &offer.codecs, offer.event_pt, SdpDirection::SendRecv, session, 1);
    let (b_state_tx, mut b_state) = mpsc::unbounded_channel();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(usize, Option<Response>)>();
    let mut forks: Vec<InviteDialog> = Vec::new();
    for t in &targets {
        let Ok(callee_uri) = Uri::try_from(t.contact.as_str()) else { continue };
        let transport = if t.transport.eq_ignore_ascii_case("TCP") { Transport::Tcp } else { Transport::Udp };
        let opt = InviteOption {
            caller: uri(&format!("sip:{caller}@{domain}")),
            callee: callee_uri,
            destination: Some(SipAddr { r#type: Some(transport), addr: t.source.into() }),
            content_type: Some("application/sdp".into()),
            offer: Some(offer_b.clone().into_bytes()),
            contact: srv.contact.clone(),
            ..Default::default()
        };
        match srv.dialogs.do_invite_async(opt, b_state_tx.clone()) {
            Ok((dialog, join)) => {
                let i = forks.len();
                forks.push(dialog);
                let done = done_tx.clone();
                tokio::spawn(async move {
                    let resp = join.await.ok().and_then(|r| r.ok()).and_then(|(_, resp)| resp);
                    let _ = done.send((i, resp));
                });
            }
            Err(e) => tracing::warn!("SIP: INVITE to {} failed: {e}", t.contact),
        }
    }
    if forks.is_empty() {
        let _ = dialog_a.reject(Some(StatusCode::TemporarilyUnavailable), None);
        return;
    }

    // Ringing: until a phone answers, all refuse, the caller gives up, or the time runs out.
    let ring = tokio::time::sleep(srv.ring_timeout);
    tokio::pin!(ring);
    let (mut pending, mut rang, mut busy) = (forks.len(), false, false);
    let answered = loop {
        tokio::select! {
            Some(st) = a_state.recv() => {
                if matches!(st, DialogState::Terminated(..)) {
                    cancel_all(&forks, None).await;
                    meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Cancelled });
                    return;
                }
            }
            Some(st) = b_state.recv() => {
                if matches!(st, DialogState::Early(..)) && !rang {
                    rang = true;
                    let _ = dialog_a.ringing(None, None);
                    meta.emit(&srv, CallEventKind::Ringing);
                }
            }
            Some((i, resp)) = done_rx.recv() => {
                pending -= 1;
                match resp {
                    Some(r) if r.status_code.kind() == StatusCodeKind::Successful => break Some((i, r)),
                    Some(r) if matches!(r.status_code, StatusCode::BusyHere | StatusCode::BusyEverywhere) => busy = true,
                    _ => {}
                }
                if pending == 0 {
                    break None;
                }
            }
            _ = &mut ring => {
                cancel_all(&forks, None).await;
                let _ = dialog_a.reject(Some(StatusCode::TemporarilyUnavailable), None);
                meta.emit(&srv, CallEventKind::Ended { cause: EndCause::NoAnswer });
                return;
            }
        }
    };
    let Some((winner, resp)) = answered else {
        let (code, cause) = if busy {
            (StatusCode::BusyHere, EndCause::Busy)
        } else {
            (StatusCode::TemporarilyUnavailable, EndCause::NoAnswer)
        };
        let _ = dialog_a.reject(Some(code), None);
        meta.emit(&srv, CallEventKind::Ended { cause });
        return;
    };
    cancel_all(&forks, Some(winner)).await;
    let dialog_b = forks[winner].clone();
    let Some(answer) = sdp::parse(&resp.body).filter(|m| m.codecs.iter().any(|c| offer.codecs.contains(c))) else {
        let _ = dialog_b.bye().await;
        let _ = dialog_a.reject(Some(StatusCode::NotAcceptableHere), None);
        meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Failed });
        return;
    };

    // Answered: audio flows through our two sockets, and the caller gets our answer.
    let relay = Relay::start(Leg::new(sock_a, offer.addr), Leg::new(sock_b, answer.addr));
    let codecs: Vec<u8> = answer.codecs.iter().copied().filter(|c| offer.codecs.contains(c)).collect();
    let event_pt = answer.event_pt.and(offer.event_pt);
    let answer_a = sdp::build(a_local, &codecs, event_pt, SdpDirection::SendRecv, session, 1);
    let headers = vec![Header::ContentType(ContentType::new("application/sdp"))];
    if dialog_a.accept(Some(headers), Some(answer_a.into_bytes())).is_err() {
        let _ = dialog_b.bye().await;
        meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Failed });
        return;
    }
    meta.emit(&srv, CallEventKind::Answered);
    let b_call_id = dialog_b.id().call_id.clone();
    loop {
        tokio::select! {
            Some(st) = a_state.recv() => if let DialogState::Terminated(..) = st {
                let _ = dialog_b.bye().await;
                break;
            },
            Some(st) = b_state.recv() => if let DialogState::Terminated(id, _) = st {
                if id.call_id == b_call_id {
                    let _ = dialog_a.bye().await;
                    break;
                }
            },
            else => break,
        }
    }
    drop(relay);
    srv.dialogs.remove_dialog(&dialog_a.id());
    srv.dialogs.remove_dialog(&dialog_b.id());
    meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Answered });
}

/// Cancels every ringing fork but `keep`.
async fn cancel_all(forks: &[InviteDialog], keep: Option<usize>) {
    for (i, d) in forks.iter().enumerate() {
        if Some(i) != keep {
            let _ = d.cancel().await;
        }
    }
}

fn uri(s: &str) -> Uri {
    Uri::try_from(s).unwrap_or_default()
}

fn call_id_of(req: &rsipstack::sip::Request) -> String {
    use rsipstack::sip::prelude::*;
    req.call_id_header().map(|c| c.value().to_string()).unwrap_or_default()
}
