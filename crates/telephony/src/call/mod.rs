//! One call through the B2BUA. A call is planned first (who calls, which phones or which trunk
//! to ring, in which stages), then run by one function that owns its legs: the caller's dialog,
//! the forked INVITEs, the relay, and the events.

use crate::control::{CallError, Listed};
use crate::directory::{InboundRoute, Tenant, Trunk};
use crate::events::{ActiveCall, CallCommand, CallEvent, CallEventKind, CallState, Direction, EndCause};
use crate::sdp::{self, Direction as SdpDirection, Media};
use crate::shared::Shared;
use media::{Leg, MediaEvent, Mixer, Recording, Relay};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::TransactionHandle;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::headers::untyped::{AlertInfo, CallInfo, ContentType};
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Response, StatusCode, StatusCodeKind, Transport, Uri};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

mod conversation;
mod dialer;
mod echo;
mod originate;
mod queue;
mod supervision;

use crate::handover::Handover;
use crate::party::{LegSdp, Party};
use conversation::{Live, talk};
pub(crate) use dialer::dial;
pub use dialer::{DialOut, DialReport};
pub use echo::ECHO_EXTENSION;
pub(crate) use echo::test_call;
pub(crate) use originate::originate;
pub use originate::{Originate, new_call_id};
pub use queue::MAX_QUEUE_HOPS;

/// One phone or trunk to ring.
#[derive(Clone)]
struct Target {
    uri: Uri,
    dest: SipAddr,
    /// The extension this phone belongs to (none for a trunk).
    extension: Option<String>,
    /// Rung again after a cancel (answered from the CRM): the same Call-ID, so the phone sees
    /// the same call come back.
    call_id: Option<String>,
}

impl ActiveCall {
    /// Tells the CRM what happened, and the list of calls in progress how the call stands now
    /// (one value for both, so they never disagree).
    fn emit(&self, srv: &Shared, kind: CallEventKind) {
        srv.calls.update(self);
        let _ = srv.events.send(CallEvent { call: self.clone(), at: chrono::Utc::now(), kind });
    }

    /// Answered: it rings nobody any more, and the two sides talk.
    fn answered(&mut self, srv: &Shared) {
        self.ringing.clear();
        self.state = CallState::Talking;
        self.answered_at = Some(chrono::Utc::now());
        self.emit(srv, CallEventKind::Answered);
    }

    /// The call is over (it rings nobody any more).
    fn end(&mut self, srv: &Shared, cause: EndCause) {
        self.ringing.clear();
        self.emit(srv, CallEventKind::Ended { cause });
    }
}

struct Plan {
    meta: ActiveCall,
    /// The From of the INVITEs we send.
    caller_uri: Uri,
    /// Rung one after another; the targets of one stage all at once, for its time.
    stages: Vec<(Vec<Target>, Duration)>,
    credential: Option<Credential>,
    /// Extra headers for the INVITEs (auto-answer when ringing the agent of a click-to-call).
    headers: Vec<Header>,
}

/// An INVITE from a registered phone: to another extension, or out through a trunk.
pub(crate) async fn from_phone(srv: Arc<Shared>, mut tx: Transaction) {
    let req = tx.original.clone();
    let domain = req.uri.host_with_port.host.to_string();
    let Some(tenant) = srv.directory.tenant_for_domain(&domain).await else {
        let _ = tx.reply(StatusCode::NotFound).await;
        return;
    };
    let Some(caller) = crate::auth::authenticate(&srv, &mut tx, &tenant, None).await else { return };
    let Some(dialled) = uri_user(&req.uri) else {
        let _ = tx.reply(StatusCode::NotFound).await;
        return;
    };
    let Some(offer) = offer_of(&mut tx).await else { return };
    if dialled == echo::ECHO_EXTENSION {
        let Ok(slot) = echo::Slot::take(&srv, tenant.id, &caller) else {
            let _ = tx.reply(StatusCode::BusyHere).await;
            return;
        };
        echo::answer(srv, tx, offer, slot).await;
        return;
    }
    let meta = |direction, to: &str, extension| {
        ActiveCall::new(call_id_of(&req), tenant.id, direction, caller.clone(), to.to_string(), extension)
    };
    let internal = srv.directory.extension_secret(&tenant, &dialled).await.is_some();
    let parties: Vec<&str> = if internal { vec![caller.as_str(), dialled.as_str()] } else { vec![caller.as_str()] };
    let Some(_admitted) = admit(&srv, &mut tx, tenant.id, &parties).await else { return };
    // One of the organization's own numbers, dialled by a colleague: it rings where it rings
    // for a customer (its queue, group or extension), never out through a trunk.
    let own_number = if internal { None } else { srv.directory.route_inbound(&tenant, &dialled).await };
    if let Some(route) = own_number {
        let meta = meta(Direction::Internal, &dialled, None);
        let caller_uri = uri(&format!("sip:{caller}@{domain}"));
        let stages = match stages_of(&srv, &tenant, route) {
            Err(q) => return queue::run(srv, tx, meta, caller_uri, offer, q).await,
            Ok(stages) => stages,
        };
        run(srv, tx, Plan { meta, caller_uri, stages, credential: None, headers: vec![] }, offer).await;
        return;
    }
    let plan = if internal {
        let targets = phones(&srv, &tenant, &dialled);
        if targets.is_empty() {
            let _ = tx.reply(StatusCode::TemporarilyUnavailable).await;
            return;
        }
        Plan {
            meta: meta(Direction::Internal, &dialled, Some(dialled.clone())),
            caller_uri: uri(&format!("sip:{caller}@{domain}")),
            stages: vec![(targets, srv.ring_timeout)],
            credential: None,
            headers: vec![],
        }
    } else {
        let Some(route) = srv.directory.route_outbound(&tenant, &caller, &dialled).await else {
            tracing::info!(%caller, %dialled, realm = %tenant.realm, "SIP: outbound call refused by the dial rules");
            let _ = tx.reply(StatusCode::Forbidden).await;
            return;
        };
        let Some(target) = trunk_target(&route.trunk, &route.number) else {
            let _ = tx.reply(StatusCode::ServerInternalError).await;
            return;
        };
        Plan {
            meta: meta(Direction::Outbound, &route.number, Some(caller.clone())),
            caller_uri: uri(&format!("sip:{}@{}", route.caller_id, srv.contact.host_with_port)),
            stages: vec![(vec![target], srv.ring_timeout)],
            credential: credential_for(&route.trunk),
            headers: vec![],
        }
    };
    run(srv, tx, plan, offer).await;
}

/// An INVITE from a carrier's trunk to one of the organization's numbers.
pub(crate) async fn from_trunk(srv: Arc<Shared>, mut tx: Transaction, trunks: Vec<Trunk>) {
    let req = tx.original.clone();
    let Some(did) = uri_user(&req.uri) else {
        let _ = tx.reply(StatusCode::NotFound).await;
        return;
    };
    // The organization whose number it is, among those that use this carrier.
    let mut routed = None;
    for t in trunks {
        if let Some(route) = srv.directory.route_inbound(&t.tenant, &did).await {
            routed = Some((t, route));
            break;
        }
    }
    let Some((trunk, route)) = routed else {
        let _ = tx.reply(StatusCode::NotFound).await;
        return;
    };
    let rung: Vec<&str> = match &route {
        InboundRoute::Extension(e) => vec![e.as_str()],
        _ => vec![],
    };
    let Some(_admitted) = admit(&srv, &mut tx, trunk.tenant.id, &rung).await else { return };
    let Some(offer) = offer_of(&mut tx).await else { return };
    let from = req.from_header().ok().and_then(|f| f.typed().ok()).and_then(|f| uri_user(&f.uri)).unwrap_or_default();
    let meta = ActiveCall::new(call_id_of(&req), trunk.tenant.id, Direction::Inbound, from.clone(), did, None);
    let caller_uri = uri(&format!("sip:{from}@{}", srv.contact.host_with_port));
    let stages = match stages_of(&srv, &trunk.tenant, route) {
        Err(q) => return queue::run(srv, tx, meta, caller_uri, offer, q).await,
        Ok(stages) => stages,
    };
    let plan = Plan { meta, caller_uri, stages, credential: None, headers: vec![] };
    run(srv, tx, plan, offer).await;
}

/// The phones a number of the organization rings, stage by stage; or its queue (`Err`).
fn stages_of(srv: &Shared, tenant: &Tenant, route: InboundRoute) -> Result<Vec<(Vec<Target>, Duration)>, i64> {
    Ok(match route {
        InboundRoute::Queue(q) => return Err(q),
        InboundRoute::Extension(e) => vec![(phones(srv, tenant, &e), srv.ring_timeout)],
        InboundRoute::Group { members, parallel: true, ring } => {
            vec![(members.iter().flat_map(|m| phones(srv, tenant, m)).collect(), ring)]
        }
        InboundRoute::Group { members, parallel: false, ring } => {
            members.iter().map(|m| (phones(srv, tenant, m), ring)).collect()
        }
    })
}

/// A place for the call within its organization's and extensions' shares; refused at once
/// when there is none (486 for an extension, 503 for the organization).
async fn admit(
    srv: &Shared,
    tx: &mut Transaction,
    tenant: i64,
    extensions: &[&str],
) -> Option<crate::admission::Admitted> {
    match srv.admission.admit(tenant, extensions) {
        Ok(a) => Some(a),
        Err(full) => {
            tracing::info!(tenant, ?extensions, ?full, "SIP: call refused, over its share of calls at once");
            let status = match full {
                crate::admission::Full::Extension => StatusCode::BusyHere,
                crate::admission::Full::Organization => StatusCode::ServiceUnavailable,
            };
            let _ = tx.reply(status).await;
            None
        }
    }
}

/// The caller's audio offer; answers 488 itself when there is none we can speak.
async fn offer_of(tx: &mut Transaction) -> Option<Media> {
    match sdp::parse(&tx.original.body) {
        Some(m) if !m.codecs.is_empty() => Some(m),
        _ => {
            // No offer (late offer) or no common codec.
            let _ = tx.reply(StatusCode::NotAcceptableHere).await;
            None
        }
    }
}

/// Every registered phone of an extension.
fn phones(srv: &Shared, tenant: &Tenant, extension: &str) -> Vec<Target> {
    phones_of(srv, tenant.id, extension)
}

/// Every registered phone of an extension of organization `tenant`.
fn phones_of(srv: &Shared, tenant: i64, extension: &str) -> Vec<Target> {
    srv.location
        .lookup(tenant, extension)
        .into_iter()
        .filter_map(|b| {
            let uri = Uri::try_from(b.contact.as_str()).ok()?;
            let transport = if b.transport.eq_ignore_ascii_case("TCP") { Transport::Tcp } else { Transport::Udp };
            Some(Target {
                uri,
                dest: SipAddr { r#type: Some(transport), addr: b.source.into() },
                extension: Some(extension.into()),
                call_id: None,
            })
        })
        .collect()
}

fn trunk_target(trunk: &Trunk, number: &str) -> Option<Target> {
    let transport = if trunk.tcp { ";transport=tcp" } else { "" };
    let uri = Uri::try_from(format!("sip:{number}@{}:{}{transport}", trunk.host, trunk.port).as_str()).ok()?;
    let dest = SipAddr {
        r#type: Some(if trunk.tcp { Transport::Tcp } else { Transport::Udp }),
        addr: uri.host_with_port.clone(),
    };
    Some(Target { uri, dest, extension: None, call_id: None })
}

enum Stage {
    Answered {
        dialog: InviteDialog,
        response: Response,
        extension: Option<String>,
        states: DialogStateReceiver,
        /// Where the answering phone's signalling went (its media comes from there behind NAT).
        signal: Option<std::net::IpAddr>,
    },
    CallerLeft,
    Failed {
        busy: bool,
    },
    /// The CRM hung up the ringing call.
    Refused,
    /// The CRM answered: ring the same phones again (same Call-IDs), with auto-answer headers.
    AutoAnswer(Vec<Target>),
}

/// Hangs a leg up (BYE) and takes its dialog out of the dialog layer: a leg left behind by a
/// transfer, a conference, a consultation or a supervision would otherwise stay there for good
/// (the conversation's own end removes only the two legs it holds then).
pub(crate) async fn hang_up(srv: &Shared, dialog: &InviteDialog) {
    let _ = dialog.bye().await;
    srv.dialogs.remove_dialog(&dialog.id());
}

/// A dialog in the dialog layer, taken out of it when this is dropped: on every way a call ends
/// before its conversation takes the dialog over (`keep`; the conversation removes its dialogs
/// when it ends). Without it, each call that was never answered left its caller's dialog in the
/// layer for good.
pub(crate) struct Registered {
    layer: Arc<rsipstack::dialog::dialog_layer::DialogLayer>,
    id: Option<rsipstack::dialog::DialogId>,
}

impl Registered {
    pub(crate) fn new(srv: &Shared, dialog: &InviteDialog) -> Registered {
        Registered { layer: srv.dialogs.clone(), id: Some(dialog.id()) }
    }

    /// The conversation owns the dialog from now on.
    pub(crate) fn keep(mut self) {
        self.id = None;
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.layer.remove_dialog(&id);
        }
    }
}

/// Leg A: the caller's dialog, its INVITE transaction running in its own task; it leaves the
/// dialog layer when the returned `Registered` is dropped (unless kept).
async fn caller_dialog(srv: &Shared, mut tx: Transaction) -> Option<(InviteDialog, DialogStateReceiver, Registered)> {
    let (a_state_tx, a_state) = mpsc::unbounded_channel();
    let dialog_a = match srv.dialogs.get_or_create_server_invite(&tx, a_state_tx, None, Some(srv.contact.clone())) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("SIP: cannot make a dialog: {e}");
            let _ = tx.reply(StatusCode::ServerInternalError).await;
            return None;
        }
    };
    let registered = Registered::new(srv, &dialog_a);
    let mut d = dialog_a.clone();
    tokio::spawn(async move {
        let _ = d.handle(&mut tx).await;
    });
    Some((dialog_a, a_state, registered))
}

/// The call's two RTP sockets (facing the caller, facing the called); the caller is refused
/// when there are none.
async fn media_sockets(
    srv: &Shared,
    dialog_a: &InviteDialog,
) -> Option<(tokio::net::UdpSocket, tokio::net::UdpSocket)> {
    match (srv.ports.bind().await, srv.ports.bind().await) {
        (Ok(a), Ok(b)) => Some((a, b)),
        _ => {
            tracing::error!("SIP: no free RTP ports");
            let _ = dialog_a.reject(Some(StatusCode::ServiceUnavailable), None);
            None
        }
    }
}

async fn run(srv: Arc<Shared>, tx: Transaction, mut plan: Plan, offer: Media) {
    let caller_ip = crate::shared::source_of(&tx).map(|a| a.ip());
    let Some((dialog_a, mut a_state, registered_a)) = caller_dialog(&srv, tx).await else { return };
    let Some((sock_a, sock_b)) = media_sockets(&srv, &dialog_a).await else { return };
    let port = |s: &tokio::net::UdpSocket| s.local_addr().map(|a| a.port()).unwrap_or(0);
    let a_local = SocketAddr::new(srv.media_ip, port(&sock_a));
    let b_local = SocketAddr::new(srv.media_ip, port(&sock_b));
    let session = rand::random::<u32>() as u64;
    let offer_b = sdp::build(b_local, &offer.codecs, offer.event_pt, SdpDirection::SendRecv, session, 1);

    let mut busy = false;
    let mut rang = false;
    let mut stages: std::collections::VecDeque<_> = std::mem::take(&mut plan.stages).into();
    plan.meta.ringing = stages.iter().flat_map(|(t, _)| t.iter().filter_map(|t| t.extension.clone())).collect();
    let (_listed, mut cmds) = Listed::new(&srv.calls, plan.meta.clone());
    while let Some((targets, ring)) = stages.pop_front() {
        let r = Ring {
            plan: &plan,
            dialog_a: Some(&dialog_a),
            a_state: &mut a_state,
            a_call_id: None,
            offer: &offer_b,
            targets: targets.clone(),
            ring,
            rang: &mut rang,
            cmds: Some(&mut cmds),
            answerable: true,
        };
        let stage = ring_stage(&srv, r).await;
        match stage {
            Stage::CallerLeft => {
                plan.meta.end(&srv, EndCause::Cancelled);
                return;
            }
            Stage::Failed { busy: b } => busy |= b,
            Stage::Refused => {
                let _ = dialog_a.reject(Some(StatusCode::BusyHere), None);
                plan.meta.end(&srv, EndCause::Busy);
                return;
            }
            Stage::AutoAnswer(again) => {
                plan.headers = auto_answer_headers(&srv);
                stages.push_front((again, ring));
            }
            Stage::Answered { dialog, response, extension, states, signal } => {
                if plan.meta.direction == Direction::Inbound {
                    plan.meta.extension = extension;
                }
                let Some(answer) =
                    sdp::parse(&response.body).filter(|m| m.codecs.iter().any(|c| offer.codecs.contains(c)))
                else {
                    let _ = dialog.bye().await;
                    srv.dialogs.remove_dialog(&dialog.id());
                    let _ = dialog_a.reject(Some(StatusCode::NotAcceptableHere), None);
                    plan.meta.end(&srv, EndCause::Failed);
                    return;
                };
                // Answered: audio flows through our two sockets, and the caller gets our answer.
                let codecs: Vec<u8> = answer.codecs.iter().copied().filter(|c| offer.codecs.contains(c)).collect();
                let pt = codecs[0];
                let (media_tx, media_rx) = mpsc::unbounded_channel();
                let relay = Relay::start_with_events(
                    Leg::new(sock_a, offer.addr, pt).with_events(offer.event_pt).signalled_from(caller_ip),
                    Leg::new(sock_b, answer.addr, pt).with_events(answer.event_pt).signalled_from(signal),
                    srv.music.clone(),
                    Some(media_tx.clone()),
                );
                let event_pt = answer.event_pt.and(offer.event_pt);
                let answer_a = sdp::build(a_local, &codecs, event_pt, SdpDirection::SendRecv, session, 1);
                let headers = vec![Header::ContentType(ContentType::new("application/sdp"))];
                if dialog_a.accept(Some(headers), Some(answer_a.into_bytes())).is_err() {
                    let _ = dialog.bye().await;
                    srv.dialogs.remove_dialog(&dialog.id());
                    plan.meta.end(&srv, EndCause::Failed);
                    return;
                }
                plan.meta.answered(&srv);
                let agent = if plan.meta.direction == Direction::Inbound { 1 } else { 0 };
                let sdps = [
                    LegSdp { local: a_local, codecs: codecs.clone(), event_pt: offer.event_pt, session },
                    LegSdp { local: b_local, codecs, event_pt: answer.event_pt, session },
                ];
                registered_a.keep();
                let live = Live::new(
                    srv.clone(),
                    plan.meta,
                    relay,
                    [dialog_a, dialog],
                    [a_state, states],
                    sdps,
                    agent,
                    (media_tx, media_rx),
                );
                let (mut meta, cause) = talk(live, cmds).await;
                meta.end(&srv, cause);
                return;
            }
        }
    }
    let (code, cause) = if busy {
        (StatusCode::BusyHere, EndCause::Busy)
    } else {
        (StatusCode::TemporarilyUnavailable, EndCause::NoAnswer)
    };
    let _ = dialog_a.reject(Some(code), None);
    plan.meta.end(&srv, cause);
}

/// One stage of ringing: whom to ring with which offer, and what to listen to meanwhile.
struct Ring<'a> {
    plan: &'a Plan,
    /// The caller's ringing INVITE, told when a phone rings (none when side A is answered).
    dialog_a: Option<&'a InviteDialog>,
    /// Side A's dialog states: its hang-up ends the ringing.
    a_state: &'a mut DialogStateReceiver,
    /// When side A's channel carries several dialogs, the Call-ID of the one that counts.
    a_call_id: Option<&'a str>,
    offer: &'a str,
    targets: Vec<Target>,
    ring: Duration,
    /// Set once the call has rung: there is one ringing event per call.
    rang: &'a mut bool,
    /// The call's commands while it rings (none while a transfer rings).
    cmds: Option<&'a mut mpsc::UnboundedReceiver<CallCommand>>,
    /// The CRM's Answer rings the phones again with auto-answer headers (a call to an agent;
    /// not a click-to-call's own legs).
    answerable: bool,
}

/// Rings the targets at once for the stage's time: until one answers, all refuse, or the
/// caller gives up.
async fn ring_stage(srv: &Shared, r: Ring<'_>) -> Stage {
    let Ring { plan, dialog_a, a_state, a_call_id, offer: offer_b, targets, ring, rang, mut cmds, answerable } = r;
    let (b_state_tx, mut b_state) = mpsc::unbounded_channel();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(usize, Option<Response>)>();
    let mut forks: Vec<Fork> = Vec::new();
    let mut signals: Vec<Option<std::net::IpAddr>> = Vec::new();
    let mut rung: Vec<Target> = Vec::new();
    for t in targets {
        let opt = InviteOption {
            caller: plan.caller_uri.clone(),
            callee: t.uri.clone(),
            destination: Some(t.dest.clone()),
            content_type: Some("application/sdp".into()),
            offer: Some(offer_b.as_bytes().to_vec()),
            contact: srv.contact.clone(),
            credential: plan.credential.clone(),
            headers: (!plan.headers.is_empty()).then(|| plan.headers.clone()),
            call_id: t.call_id.clone(),
            ..Default::default()
        };
        match srv.dialogs.do_invite_async(opt, b_state_tx.clone()) {
            Ok((dialog, join)) => {
                let i = forks.len();
                rung.push(Target { call_id: Some(dialog.id().call_id.clone()), ..t.clone() });
                let (fork, layer) = (dialog.clone(), srv.dialogs.clone());
                let given_up = CancellationToken::new();
                forks.push(Fork { dialog, extension: t.extension, given_up: given_up.clone() });
                signals.push(t.dest.addr.to_string().parse::<SocketAddr>().ok().map(|a| a.ip()));
                let done = done_tx.clone();
                let mut join = join;
                tokio::spawn(async move {
                    // A phone that does not answer our CANCEL (a lost CANCEL, a phone that lost
                    // the call) is given up (RFC 3261 §9.1), not held until Timer C three
                    // minutes on: 32 × T1 after the CANCEL its INVITE is abandoned, which
                    // CANCELs it once more and ends its transaction and dialog 64 × T1 later
                    // at most (a late answer is hung up).
                    let resp = tokio::select! {
                        r = &mut join => r.ok().and_then(|r| r.ok()).and_then(|(_, resp)| resp),
                        _ = async {
                            given_up.cancelled().await;
                            tokio::time::sleep(T1X64 / 2).await;
                        } => {
                            tracing::info!(call_id = %fork.id().call_id, "SIP: no final answer to our CANCEL; the INVITE is given up");
                            join.abort();
                            None
                        }
                    };
                    let answered = resp.as_ref().is_some_and(|r| r.status_code.kind() == StatusCodeKind::Successful);
                    // An answer nobody waits for any more (it crossed our CANCEL, or another
                    // phone answered first, or the caller left): that phone is hung up, and its
                    // dialog leaves the layer.
                    if done.send((i, resp)).is_err() {
                        if answered {
                            let _ = fork.bye().await;
                        }
                        layer.remove_dialog(&fork.id());
                    }
                });
            }
            Err(e) => tracing::warn!("SIP: INVITE to {} failed: {e}", t.uri),
        }
    }
    if forks.is_empty() {
        return Stage::Failed { busy: false };
    }
    let deadline = tokio::time::sleep(ring);
    tokio::pin!(deadline);
    let (mut pending, mut busy) = (forks.len(), false);
    let stage = async {
        loop {
            tokio::select! {
                Some(st) = a_state.recv() => {
                    if let DialogState::Terminated(id, _) = st
                        && a_call_id.is_none_or(|c| c == id.call_id) {
                            cancel_all(&forks, None);
                            return Stage::CallerLeft;
                        }
                }
                Some(st) = b_state.recv() => {
                    if matches!(st, DialogState::Early(..)) && !*rang {
                        *rang = true;
                        if let Some(a) = dialog_a {
                            let _ = a.ringing(None, None);
                        }
                        plan.meta.emit(srv, CallEventKind::Ringing);
                    }
                }
                Some((i, resp)) = done_rx.recv() => {
                    pending -= 1;
                    match resp {
                        Some(r) if r.status_code.kind() == StatusCodeKind::Successful => {
                            cancel_all(&forks, Some(i));
                            let Fork { dialog, extension, .. } = forks[i].clone();
                            return Stage::Answered { dialog, response: r, extension, states: b_state, signal: signals[i] };
                        }
                        Some(r) if matches!(r.status_code, StatusCode::BusyHere | StatusCode::BusyEverywhere) => busy = true,
                        _ => {}
                    }
                    if pending == 0 {
                        return Stage::Failed { busy };
                    }
                }
                _ = &mut deadline => {
                    cancel_all(&forks, None);
                    return Stage::Failed { busy };
                }
                Some(cmd) = async {
                    match cmds.as_deref_mut() {
                        Some(c) => c.recv().await,
                        None => std::future::pending().await,
                    }
                } => match cmd {
                    CallCommand::Hangup => {
                        cancel_all(&forks, None);
                        return Stage::Refused;
                    }
                    CallCommand::Answer if plan.headers.is_empty() && answerable => {
                        cancel_all(&forks, None);
                        // The phones must finish the cancelled INVITE (487, ACK) before they see the
                        // same call come back.
                        let _ = tokio::time::timeout(Duration::from_secs(2), async {
                            while pending > 0 && done_rx.recv().await.is_some() {
                                pending -= 1;
                            }
                        })
                        .await;
                        return Stage::AutoAnswer(rung);
                    }
                    other => tracing::info!(?other, "SIP: command ignored while the call rings"),
                },
            }
        }
    }
    .await;
    // The forks nobody took: an answer that arrived meanwhile is hung up, and each leaves the
    // dialog layer (answers still to come are the waiting tasks' part: they find no one here).
    done_rx.close();
    let taken = match &stage {
        Stage::Answered { dialog, .. } => Some(dialog.id()),
        _ => None,
    };
    while let Ok((i, resp)) = done_rx.try_recv() {
        let fork = &forks[i].dialog;
        if taken.as_ref() == Some(&fork.id()) {
            continue;
        }
        if resp.is_some_and(|r| r.status_code.kind() == StatusCodeKind::Successful) {
            let _ = fork.bye().await;
        }
        srv.dialogs.remove_dialog(&fork.id());
    }
    stage
}

/// A party rung on a socket of its own (the echo test, a supervisor): what the ringing came to,
/// the socket, its address in our offer, and the offer's SDP session.
struct Rung {
    stage: Stage,
    socket: tokio::net::UdpSocket,
    local: SocketAddr,
    session: u64,
}

/// Rings `targets` with a G.711 offer (PCMU, PCMA, no events) on a fresh RTP socket, nobody
/// waiting on side A and no ringing event (the call it belongs to rang before, or none does);
/// `cmds` can cancel it with `Hangup`. None when no RTP port is free.
async fn ring_party(
    srv: &Shared,
    plan: &Plan,
    targets: Vec<Target>,
    cmds: Option<&mut mpsc::UnboundedReceiver<CallCommand>>,
) -> Option<Rung> {
    let socket = srv.ports.bind().await.ok()?;
    let local = SocketAddr::new(srv.media_ip, socket.local_addr().map(|a| a.port()).unwrap_or(0));
    let session = rand::random::<u32>() as u64;
    let offer =
        sdp::build(local, &[media::rtp::PT_PCMU, media::rtp::PT_PCMA], None, SdpDirection::SendRecv, session, 1);
    let (_keep, mut nobody) = mpsc::unbounded_channel();
    let mut rang = true;
    let r = Ring {
        plan,
        dialog_a: None,
        a_state: &mut nobody,
        a_call_id: None,
        offer: &offer,
        targets,
        ring: srv.ring_timeout,
        rang: &mut rang,
        cmds,
        answerable: false,
    };
    let stage = ring_stage(srv, r).await;
    Some(Rung { stage, socket, local, session })
}

/// One phone rung by a stage.
#[derive(Clone)]
struct Fork {
    dialog: InviteDialog,
    extension: Option<String>,
    /// Cancelled with the CANCEL: the INVITE waits 64 × T1 more for its final answer.
    given_up: CancellationToken,
}

/// RFC 3261's 64 × T1: how long a transaction waits for a peer that went silent.
const T1X64: Duration = Duration::from_secs(32);

/// Cancels every ringing fork but `keep`. The CANCELs run on their own: a phone that does not
/// answer one holds up nothing of the call.
fn cancel_all(forks: &[Fork], keep: Option<usize>) {
    for (i, f) in forks.iter().enumerate() {
        if Some(i) != keep {
            f.given_up.cancel();
            let d = f.dialog.clone();
            tokio::spawn(async move {
                let _ = d.cancel().await;
            });
        }
    }
}

/// Headers that make phones that honour them answer by themselves.
fn auto_answer_headers(srv: &Shared) -> Vec<Header> {
    let host = srv.contact.host_with_port.to_string();
    vec![
        Header::CallInfo(CallInfo::new(format!("<sip:{host}>;answer-after=0"))),
        Header::AlertInfo(AlertInfo::new("<http://localhost>;info=alert-autoanswer")),
    ]
}

/// The credentials to answer a carrier's digest challenges with, when the trunk has them.
fn credential_for(trunk: &Trunk) -> Option<Credential> {
    trunk.username.clone().map(|username| Credential {
        username,
        password: trunk.password.clone().unwrap_or_default(),
        realm: None,
        ..Default::default()
    })
}

/// The Call-ID named by a Refer-To's `Replaces` (`<sip:x@h?Replaces=CALLID%3Bto-tag%3D…>`).
fn replaces_call_id(refer_to: &str) -> Option<String> {
    let at = refer_to.find("Replaces=")? + "Replaces=".len();
    let raw = &refer_to[at..];
    let end = raw.find(['>', '&', ';']).unwrap_or(raw.len());
    let raw = &raw[..end];
    let raw = raw.split("%3B").next().unwrap_or(raw).split("%3b").next().unwrap_or(raw);
    // Undo the URI escaping of the Call-ID (%40 for @, …).
    let mut out = String::new();
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&raw[i + 1..i + 3], 16)
        {
            out.push(v as char);
            i += 3;
            continue;
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    (!out.is_empty()).then_some(out)
}

fn uri(s: &str) -> Uri {
    Uri::try_from(s).unwrap_or_default()
}

pub(crate) fn uri_user(u: &Uri) -> Option<String> {
    u.auth.as_ref().map(|a| a.user.clone()).filter(|u| !u.is_empty())
}

pub(crate) fn call_id_of(req: &rsipstack::sip::Request) -> String {
    req.call_id_header().map(|c| c.value().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::replaces_call_id;

    #[test]
    fn the_replaced_call_id_is_read_from_refer_to() {
        let r = "<sip:1003@127.0.0.1?Replaces=attended-y%40test%3Bto-tag%3Dabc%3Bfrom-tag%3Ddef>";
        assert_eq!(replaces_call_id(r).as_deref(), Some("attended-y@test"));
        assert_eq!(replaces_call_id("<sip:1003@127.0.0.1>"), None);
        assert_eq!(replaces_call_id("<sip:1003@h?Replaces=>"), None);
    }
}
