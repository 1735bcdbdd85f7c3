//! One call through the B2BUA. A call is planned first (who calls, which phones or which trunk
//! to ring, in which stages), then run by one function that owns its legs: the caller's dialog,
//! the forked INVITEs, the relay, and the events.

use crate::control::{ActiveCall, CallError, Handover, Listed};
use crate::directory::{InboundRoute, Tenant, Trunk};
use crate::events::{CallCommand, CallEvent, CallEventKind, Direction, EndCause};
use crate::sdp::{self, Direction as SdpDirection, Media};
use crate::server::Shared;
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

/// What is known of a call for its events.
struct Meta {
    call_id: String,
    tenant: i64,
    direction: Direction,
    from: String,
    to: String,
    extension: Option<String>,
}

impl Meta {
    fn emit(&self, srv: &Shared, kind: CallEventKind) {
        let ev = CallEvent {
            call_id: self.call_id.clone(),
            tenant: self.tenant,
            direction: self.direction,
            from: self.from.clone(),
            to: self.to.clone(),
            extension: self.extension.clone(),
            at: chrono::Utc::now(),
            kind,
        };
        let _ = srv.events.send(ev);
    }
}

struct Plan {
    meta: Meta,
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
    let meta = |direction, to: &str, extension| Meta {
        call_id: call_id_of(&req),
        tenant: tenant.id,
        direction,
        from: caller.clone(),
        to: to.to_string(),
        extension,
    };
    let plan = if srv.directory.extension_secret(&tenant, &dialled).await.is_some() {
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
pub(crate) async fn from_trunk(srv: Arc<Shared>, mut tx: Transaction, trunk: Trunk) {
    let req = tx.original.clone();
    let Some(did) = uri_user(&req.uri) else {
        let _ = tx.reply(StatusCode::NotFound).await;
        return;
    };
    let Some(route) = srv.directory.route_inbound(&trunk.tenant, &did).await else {
        let _ = tx.reply(StatusCode::NotFound).await;
        return;
    };
    let Some(offer) = offer_of(&mut tx).await else { return };
    let from = req.from_header().ok().and_then(|f| f.typed().ok()).and_then(|f| uri_user(&f.uri)).unwrap_or_default();
    let stages = match route {
        InboundRoute::Extension(e) => vec![(phones(&srv, &trunk.tenant, &e), srv.ring_timeout)],
        InboundRoute::Group { members, parallel: true, ring } => {
            vec![(members.iter().flat_map(|m| phones(&srv, &trunk.tenant, m)).collect(), ring)]
        }
        InboundRoute::Group { members, parallel: false, ring } => {
            members.iter().map(|m| (phones(&srv, &trunk.tenant, m), ring)).collect()
        }
    };
    let plan = Plan {
        meta: Meta {
            call_id: call_id_of(&req),
            tenant: trunk.tenant.id,
            direction: Direction::Inbound,
            from: from.clone(),
            to: did,
            extension: None,
        },
        caller_uri: uri(&format!("sip:{from}@{}", srv.contact.host_with_port)),
        stages,
        credential: None,
        headers: vec![],
    };
    run(srv, tx, plan, offer).await;
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
    srv.location
        .lookup(tenant.id, extension)
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

async fn run(srv: Arc<Shared>, mut tx: Transaction, mut plan: Plan, offer: Media) {
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
    let port = |s: &tokio::net::UdpSocket| s.local_addr().map(|a| a.port()).unwrap_or(0);
    let a_local = SocketAddr::new(srv.media_ip, port(&sock_a));
    let b_local = SocketAddr::new(srv.media_ip, port(&sock_b));
    let session = rand::random::<u32>() as u64;
    let offer_b = sdp::build(b_local, &offer.codecs, offer.event_pt, SdpDirection::SendRecv, session, 1);

    let mut busy = false;
    let mut rang = false;
    let mut stages: std::collections::VecDeque<_> = std::mem::take(&mut plan.stages).into();
    let ringing = stages.iter().flat_map(|(t, _)| t.iter().filter_map(|t| t.extension.clone())).collect();
    let listed = ActiveCall {
        call_id: plan.meta.call_id.clone(),
        tenant: plan.meta.tenant,
        extension: plan.meta.extension.clone(),
        ringing,
    };
    let (_listed, mut cmds) = Listed::new(&srv.calls, listed);
    while let Some((targets, ring)) = stages.pop_front() {
        let stage = ring_stage(
            &srv,
            &plan,
            Some(&dialog_a),
            &mut a_state,
            None,
            &offer_b,
            targets.clone(),
            ring,
            &mut rang,
            Some(&mut cmds),
        )
        .await;
        match stage {
            Stage::CallerLeft => {
                plan.meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Cancelled });
                return;
            }
            Stage::Failed { busy: b } => busy |= b,
            Stage::Refused => {
                let _ = dialog_a.reject(Some(StatusCode::BusyHere), None);
                plan.meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Busy });
                return;
            }
            Stage::AutoAnswer(again) => {
                plan.headers = auto_answer_headers(&srv);
                stages.push_front((again, ring));
            }
            Stage::Answered { dialog, response, extension, states } => {
                if plan.meta.direction == Direction::Inbound {
                    plan.meta.extension = extension;
                }
                let Some(answer) =
                    sdp::parse(&response.body).filter(|m| m.codecs.iter().any(|c| offer.codecs.contains(c)))
                else {
                    let _ = dialog.bye().await;
                    let _ = dialog_a.reject(Some(StatusCode::NotAcceptableHere), None);
                    plan.meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Failed });
                    return;
                };
                // Answered: audio flows through our two sockets, and the caller gets our answer.
                let codecs: Vec<u8> = answer.codecs.iter().copied().filter(|c| offer.codecs.contains(c)).collect();
                let pt = codecs[0];
                let (media_tx, media_rx) = mpsc::unbounded_channel();
                let relay = Relay::start_with_events(
                    Leg::new(sock_a, offer.addr, pt).with_events(offer.event_pt),
                    Leg::new(sock_b, answer.addr, pt).with_events(answer.event_pt),
                    srv.music.clone(),
                    Some(media_tx.clone()),
                );
                let event_pt = answer.event_pt.and(offer.event_pt);
                let answer_a = sdp::build(a_local, &codecs, event_pt, SdpDirection::SendRecv, session, 1);
                let headers = vec![Header::ContentType(ContentType::new("application/sdp"))];
                if dialog_a.accept(Some(headers), Some(answer_a.into_bytes())).is_err() {
                    let _ = dialog.bye().await;
                    plan.meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Failed });
                    return;
                }
                plan.meta.emit(&srv, CallEventKind::Answered);
                let agent = if plan.meta.direction == Direction::Inbound { 1 } else { 0 };
                let sdps = [
                    LegSdp { local: a_local, codecs: codecs.clone(), event_pt: offer.event_pt, session },
                    LegSdp { local: b_local, codecs, event_pt: answer.event_pt, session },
                ];
                let live = Live {
                    srv: &srv,
                    meta: plan.meta,
                    relay,
                    dialogs: [dialog_a, dialog],
                    states: [a_state, states],
                    sdps,
                    agent,
                    held: [false; 2],
                    media_tx,
                    media_rx,
                    recording: None,
                    consult: None,
                    conference: None,
                    handover_tx: mpsc::unbounded_channel().0,
                };
                srv.calls.answered(&live.meta.call_id, live.meta.extension.clone());
                srv.calls.answered(&live.meta.call_id, live.meta.extension.clone());
                talk(live, cmds).await.emit(&srv, CallEventKind::Ended { cause: EndCause::Answered });
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
    plan.meta.emit(&srv, CallEventKind::Ended { cause });
}

/// Rings `targets` at once for `ring`: until one answers, all refuse, or the caller gives up.
#[allow(clippy::too_many_arguments)]
async fn ring_stage(
    srv: &Shared,
    plan: &Plan,
    dialog_a: Option<&InviteDialog>,
    a_state: &mut DialogStateReceiver,
    // When side A's channel carries several dialogs, the Call-ID of the one that counts.
    a_call_id: Option<&str>,
    offer_b: &str,
    targets: Vec<Target>,
    ring: Duration,
    rang: &mut bool,
    mut cmds: Option<&mut mpsc::UnboundedReceiver<CallCommand>>,
) -> Stage {
    let (b_state_tx, mut b_state) = mpsc::unbounded_channel();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(usize, Option<Response>)>();
    let mut forks: Vec<(InviteDialog, Option<String>)> = Vec::new();
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
                forks.push((dialog, t.extension));
                let done = done_tx.clone();
                tokio::spawn(async move {
                    let resp = join.await.ok().and_then(|r| r.ok()).and_then(|(_, resp)| resp);
                    let _ = done.send((i, resp));
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
    loop {
        tokio::select! {
            Some(st) = a_state.recv() => {
                if let DialogState::Terminated(id, _) = st {
                    if a_call_id.is_none_or(|c| c == id.call_id) {
                        cancel_all(&forks, None).await;
                        return Stage::CallerLeft;
                    }
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
                        cancel_all(&forks, Some(i)).await;
                        let (dialog, extension) = forks[i].clone();
                        return Stage::Answered { dialog, response: r, extension, states: b_state };
                    }
                    Some(r) if matches!(r.status_code, StatusCode::BusyHere | StatusCode::BusyEverywhere) => busy = true,
                    _ => {}
                }
                if pending == 0 {
                    return Stage::Failed { busy };
                }
            }
            _ = &mut deadline => {
                cancel_all(&forks, None).await;
                return Stage::Failed { busy };
            }
            Some(cmd) = async {
                match cmds.as_deref_mut() {
                    Some(c) => c.recv().await,
                    None => std::future::pending().await,
                }
            } => match cmd {
                CallCommand::Hangup => {
                    cancel_all(&forks, None).await;
                    return Stage::Refused;
                }
                CallCommand::Answer if plan.headers.is_empty() && dialog_a.is_some() => {
                    cancel_all(&forks, None).await;
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

/// Our SDP for one leg, to answer the party's re-INVITEs.
#[derive(Clone)]
struct LegSdp {
    local: SocketAddr,
    codecs: Vec<u8>,
    event_pt: Option<u8>,
    session: u64,
}

/// One side of a call, handed from one call to another (REFER with Replaces).
pub(crate) struct Party {
    dialog: InviteDialog,
    states: DialogStateReceiver,
    socket: Arc<tokio::net::UdpSocket>,
    remote: Option<SocketAddr>,
    sdp: LegSdp,
    /// Who the party is: its number or extension.
    name: String,
    extension: Option<String>,
}

/// A call in conversation: its two sides, each with its dialog, state channel and SDP, and the
/// relay between them. Side 0 faced the caller at first, side 1 the callee; a transfer replaces
/// the agent's side.
struct Live<'a> {
    srv: &'a Shared,
    meta: Meta,
    relay: Relay,
    dialogs: [InviteDialog; 2],
    states: [DialogStateReceiver; 2],
    sdps: [LegSdp; 2],
    /// The side of the organization's agent (hold puts the other one on hold).
    agent: usize,
    held: [bool; 2],
    /// What the relay notices (DTMF); the sender goes to every relay of the call.
    media_tx: mpsc::UnboundedSender<MediaEvent>,
    media_rx: mpsc::UnboundedReceiver<MediaEvent>,
    recording: Option<Recording>,
    /// An attended transfer in progress: the agent talking to a third party.
    consult: Option<Consult>,
    /// A three-way conference: the mixer and the third party's dialog.
    conference: Option<Conference>,
    /// Where other calls ask this one to hand over a party.
    handover_tx: mpsc::UnboundedSender<Handover>,
}

struct Conference {
    /// Members: the other party (0), the agent (1), the third party (2).
    mixer: Mixer,
    dialog: InviteDialog,
    states: DialogStateReceiver,
}

/// The agent's consultation with a third party while the other party waits with music.
struct Consult {
    dialog: InviteDialog,
    states: DialogStateReceiver,
    /// Agent (side 0) and the consulted party (side 1).
    relay: Relay,
    _music: media::music::Player,
    to: String,
    local: SocketAddr,
    event_pt: Option<u8>,
    extension: Option<String>,
}

impl Live<'_> {
    /// Starts recording both sides into `RECORDINGS/TENANT/CALL.wav`.
    fn record_start(&mut self) {
        let Some(dir) = &self.srv.recordings else {
            tracing::info!("SIP: recording refused: no recordings folder is set");
            return;
        };
        if self.recording.is_some() {
            return;
        }
        let name: String = self
            .meta
            .call_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
            .collect();
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let path = dir.join(self.meta.tenant.to_string()).join(format!("{stamp}-{name}.wav"));
        let rec = Recording::start(path.clone());
        self.relay.record(Some(rec.tap()));
        self.recording = Some(rec);
        self.meta.emit(self.srv, CallEventKind::RecordingStarted { path: path.display().to_string() });
    }

    async fn record_stop(&mut self) {
        let Some(rec) = self.recording.take() else { return };
        self.relay.record(None);
        match rec.stop().await {
            Ok(path) => self.meta.emit(self.srv, CallEventKind::RecordingStopped { path: path.display().to_string() }),
            Err(e) => tracing::error!("SIP: writing a recording: {e}"),
        }
    }

    fn hold(&mut self, leg: usize, on: bool) {
        if self.held[leg] != on {
            self.held[leg] = on;
            self.relay.hold(leg, on);
            self.meta.emit(self.srv, if on { CallEventKind::Held } else { CallEventKind::Resumed });
        }
    }

    /// A re-INVITE from the party on `leg`: sendonly or inactive means it holds the other side
    /// (who then hears music); sendrecv takes it off hold.
    async fn reinvite(&mut self, leg: usize, req: &rsipstack::sip::Request, handle: TransactionHandle) {
        let dir = sdp::parse(&req.body).map(|m| m.direction).unwrap_or(SdpDirection::SendRecv);
        self.hold(1 - leg, matches!(dir, SdpDirection::SendOnly | SdpDirection::Inactive));
        let ours = match dir {
            SdpDirection::SendOnly => SdpDirection::RecvOnly,
            SdpDirection::Inactive => SdpDirection::Inactive,
            _ => SdpDirection::SendRecv,
        };
        let s = &self.sdps[leg];
        let body = sdp::build(s.local, &s.codecs, s.event_pt, ours, s.session, 2 + rand::random::<u16>() as u64);
        let headers = vec![Header::ContentType(ContentType::new("application/sdp"))];
        let _ = handle.respond(StatusCode::OK, Some(headers), Some(body.into_bytes())).await;
    }

    /// What happened on side `leg`'s dialog; true when that side hung up (and the other was).
    async fn on_state(&mut self, leg: usize, st: DialogState) -> bool {
        let call_id = self.dialogs[leg].id().call_id.clone();
        match st {
            DialogState::Terminated(id, _) if id.call_id == call_id => {
                let _ = self.dialogs[1 - leg].bye().await;
                true
            }
            DialogState::Updated(id, req, handle) if id.call_id == call_id => {
                self.reinvite(leg, &req, handle).await;
                false
            }
            // A phone's own transfer button: a blind transfer in which that phone leaves.
            DialogState::Refer(id, req, handle) if id.call_id == call_id => {
                let to = req
                    .refer_to_header()
                    .and_then(|h| rsipstack::sip::typed::Contact::parse(h.value()).ok())
                    .and_then(|c| uri_user(&c.uri));
                let Some(to) = to else {
                    let _ = handle.reply(StatusCode::BadRequest).await;
                    return false;
                };
                if let Some(replaces) = replaces_call_id(req.refer_to_header().map(|h| h.value()).unwrap_or("")) {
                    return self.join_replaced(leg, &replaces, handle).await;
                }
                let _ = handle.reply(StatusCode::Accepted).await;
                // The 202 goes out through the REFER's transaction task: let it leave before
                // the BYE that hangs this phone up.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                self.agent = leg;
                self.blind_transfer(&to).await
            }
            DialogState::Info(_, _, handle) | DialogState::Options(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
                false
            }
            _ => false,
        }
    }

    /// Whom to ring for `to` (an extension's phones, or the trunk through the dial rules), the
    /// caller to show them, and the carrier's credentials; `None` when nothing can be rung.
    async fn targets_for(&self, to: &str) -> Option<(Vec<Target>, String, Option<Credential>)> {
        // Only the id names the organization to the directory.
        let tenant = Tenant { id: self.meta.tenant, realm: String::new() };
        let from_ext = self.meta.extension.clone().unwrap_or_default();
        let found = if self.srv.directory.extension_secret(&tenant, to).await.is_some() {
            (phones(self.srv, &tenant, to), self.meta.from.clone(), None)
        } else {
            let r = self.srv.directory.route_outbound(&tenant, &from_ext, to).await?;
            (trunk_target(&r.trunk, &r.number).into_iter().collect(), r.caller_id.clone(), credential_for(&r.trunk))
        };
        (!found.0.is_empty()).then_some(found)
    }

    /// Rings `targets` for a transfer while the staying party waits; its hang-up ends the wait.
    async fn ring_for(
        &mut self,
        targets: Vec<Target>,
        caller: &str,
        credential: Option<Credential>,
        offer: &str,
    ) -> Stage {
        let stays = 1 - self.agent;
        let host = self.srv.contact.host_with_port.to_string();
        let plan = Plan {
            meta: clone_meta(&self.meta),
            caller_uri: uri(&format!("sip:{caller}@{host}")),
            stages: vec![],
            credential,
            headers: vec![],
        };
        let stays_call_id = self.dialogs[stays].id().call_id.clone();
        let mut rang = true; // the call rang before: no second ringing event
        let ring = self.srv.ring_timeout;
        ring_stage(
            self.srv,
            &plan,
            None,
            &mut self.states[stays],
            Some(&stays_call_id),
            offer,
            targets,
            ring,
            &mut rang,
            None,
        )
        .await
    }

    /// Replaces the relay by one between the staying party and `other` (on the agent's side).
    fn rejoin(&mut self, other: Leg) {
        let stays = 1 - self.agent;
        let pt = self.sdps[stays].codecs[0];
        let stays_leg =
            Leg::shared(self.relay.socket(stays), self.relay.remote(stays), pt).with_events(self.sdps[stays].event_pt);
        self.relay.stop();
        let (music, events) = (self.srv.music.clone(), Some(self.media_tx.clone()));
        self.relay = if stays == 0 {
            Relay::start_with_events(stays_leg, other, music, events)
        } else {
            Relay::start_with_events(other, stays_leg, music, events)
        };
        if let Some(rec) = &self.recording {
            self.relay.record(Some(rec.tap()));
        }
        self.held = [false; 2];
    }

    /// Attended transfer, first press: ring `to` while the other party hears music; answered,
    /// the agent talks to it. Returns true when the call ended meanwhile.
    async fn consult_start(&mut self, to: &str) -> bool {
        if self.consult.is_some() {
            return false;
        }
        let stays = 1 - self.agent;
        let Some((targets, caller, credential)) = self.targets_for(to).await else {
            tracing::info!(%to, "SIP: consultation refused: nothing to ring");
            return false;
        };
        let Ok(sock) = self.srv.ports.bind().await else { return false };
        self.hold(stays, true);
        let local = SocketAddr::new(self.srv.media_ip, sock.local_addr().map(|a| a.port()).unwrap_or(0));
        let a = &self.sdps[self.agent];
        let offer = sdp::build(local, &a.codecs, a.event_pt, SdpDirection::SendRecv, a.session, 1);
        match self.ring_for(targets, &caller, credential, &offer).await {
            Stage::CallerLeft => {
                let _ = self.dialogs[self.agent].bye().await;
                true
            }
            Stage::Failed { .. } | Stage::Refused | Stage::AutoAnswer(_) => {
                self.hold(stays, false);
                false
            }
            Stage::Answered { dialog, response, extension, states } => {
                let Some(answer) = sdp::parse(&response.body).filter(|m| !m.codecs.is_empty()) else {
                    let _ = dialog.bye().await;
                    self.hold(stays, false);
                    return false;
                };
                let pt = self.sdps[self.agent].codecs[0];
                // The waiting party's music now comes from a player of its own; the agent's socket
                // moves to the consultation.
                let music = media::music::Player::start(
                    self.srv.music.clone(),
                    self.relay.socket(stays),
                    self.relay.remote(stays),
                    self.sdps[stays].codecs[0],
                );
                let agent_leg = Leg::shared(self.relay.socket(self.agent), self.relay.remote(self.agent), pt);
                self.relay.stop();
                let relay = Relay::start(
                    agent_leg,
                    Leg::new(sock, answer.addr, pt).with_events(answer.event_pt),
                    self.srv.music.clone(),
                );
                self.consult = Some(Consult {
                    dialog,
                    states,
                    relay,
                    _music: music,
                    to: to.to_string(),
                    local,
                    event_pt: answer.event_pt,
                    extension,
                });
                false
            }
        }
    }

    /// Second press: the waiting party talks to the consulted one; the agent is hung up.
    async fn consult_complete(&mut self) {
        let Some(c) = self.consult.take() else { return };
        let pt = self.sdps[1 - self.agent].codecs[0];
        let other = Leg::shared(c.relay.socket(1), c.relay.remote(1), pt).with_events(c.event_pt);
        c.relay.stop();
        let _ = self.dialogs[self.agent].bye().await;
        self.rejoin(other);
        let agent = self.agent;
        self.dialogs[agent] = c.dialog;
        self.states[agent] = c.states;
        self.sdps[agent] =
            LegSdp { local: c.local, codecs: vec![pt], event_pt: c.event_pt, session: self.sdps[agent].session };
        if c.extension.is_some() {
            self.meta.extension = c.extension;
        }
        self.srv.calls.answered(&self.meta.call_id, self.meta.extension.clone());
        self.publish_legs();
        self.meta.emit(self.srv, CallEventKind::Transferred { to: c.to });
    }

    /// Conference, second press: the waiting party, the agent and the consulted party all hear
    /// each other.
    fn conference_merge(&mut self) {
        let Some(c) = self.consult.take() else { return };
        let stays = 1 - self.agent;
        let (pt_s, pt_a) = (self.sdps[stays].codecs[0], self.sdps[self.agent].codecs[0]);
        let legs = vec![
            Leg::shared(self.relay.socket(stays), self.relay.remote(stays), pt_s),
            Leg::shared(c.relay.socket(0), c.relay.remote(0), pt_a),
            Leg::shared(c.relay.socket(1), c.relay.remote(1), pt_a),
        ];
        c.relay.stop();
        self.relay.stop();
        drop(c._music);
        self.conference = Some(Conference { mixer: Mixer::start(legs), dialog: c.dialog, states: c.states });
        self.held = [false; 2];
        self.meta.emit(self.srv, CallEventKind::ConferenceJoined { party: c.to });
    }

    /// The third party left the conference: the other two talk on.
    fn conference_end(&mut self) {
        let Some(c) = self.conference.take() else { return };
        let pt = self.sdps[self.agent].codecs[0];
        let agent = Leg::shared(c.mixer.socket(1), c.mixer.remote(1), pt).with_events(self.sdps[self.agent].event_pt);
        c.mixer.stop();
        self.rejoin(agent);
        self.meta.emit(self.srv, CallEventKind::Resumed);
    }

    /// The consultation ends (cancelled, or the consulted party hung up): back to the other party.
    async fn consult_end(&mut self, hang_up: bool) {
        let Some(c) = self.consult.take() else { return };
        if hang_up {
            let _ = c.dialog.bye().await;
        }
        let pt = self.sdps[self.agent].codecs[0];
        let agent = Leg::shared(c.relay.socket(0), c.relay.remote(0), pt).with_events(self.sdps[self.agent].event_pt);
        c.relay.stop();
        self.rejoin(agent);
        self.meta.emit(self.srv, CallEventKind::Resumed);
    }

    /// The legs of this call, for other calls that name one of them (Replaces).
    fn publish_legs(&self) {
        let legs = self.dialogs.iter().map(|d| d.id().call_id.clone()).collect();
        self.srv.calls.set_legs(&self.meta.call_id, legs, self.handover_tx.clone());
    }

    /// REFER with Replaces on `leg`: the phone on that leg joins its two calls. The call that
    /// has the replaced leg hands over its other party, who then talks to this call's other
    /// party; the phone is hung up on both. True when this call ended.
    async fn join_replaced(&mut self, leg: usize, replaces: &str, handle: TransactionHandle) -> bool {
        let Some(tx) = self.srv.calls.by_leg(replaces, &self.meta.call_id) else {
            let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await;
            return false;
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let _ = tx.send(Handover { call_id: replaces.to_string(), reply });
        let Ok(Ok(Some(party))) = tokio::time::timeout(Duration::from_secs(3), answer).await else {
            let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await;
            return false;
        };
        let _ = handle.reply(StatusCode::Accepted).await;
        tokio::time::sleep(Duration::from_millis(100)).await; // let the 202 leave before the BYE
        let _ = self.dialogs[leg].bye().await;
        self.agent = leg;
        let pt = self.sdps[1 - leg].codecs[0];
        self.rejoin(Leg::shared(party.socket, party.remote, pt).with_events(party.sdp.event_pt));
        self.dialogs[leg] = party.dialog;
        self.states[leg] = party.states;
        self.sdps[leg] = party.sdp;
        self.meta.extension = party.extension.or(self.meta.extension.take());
        self.srv.calls.answered(&self.meta.call_id, self.meta.extension.clone());
        self.publish_legs();
        self.meta.emit(self.srv, CallEventKind::Transferred { to: party.name });
        false
    }

    /// Another call asks for the party facing the leg it names: hand it over, hang up the
    /// named leg (the phone's), and end this call. True when handed over.
    async fn hand_over(&mut self, h: Handover) -> bool {
        let Some(leg) = self.dialogs.iter().position(|d| d.id().call_id == h.call_id) else {
            let _ = h.reply.send(None);
            return false;
        };
        let other = 1 - leg;
        self.relay.stop();
        let (_gone, empty) = mpsc::unbounded_channel();
        let party = Party {
            dialog: self.dialogs[other].clone(),
            states: std::mem::replace(&mut self.states[other], empty),
            socket: self.relay.socket(other),
            remote: self.relay.remote(other),
            sdp: self.sdps[other].clone(),
            name: if other == 0 { self.meta.from.clone() } else { self.meta.to.clone() },
            extension: if other == 0 { None } else { self.meta.extension.clone() },
        };
        let _ = self.dialogs[leg].bye().await;
        let _ = h.reply.send(Some(party));
        true
    }

    /// Blind transfer: the other party hears music while `to` rings; the agent is hung up at
    /// once. Answered: the other party talks to `to`. Not answered: the other party is hung
    /// up too (true). A `to` that cannot be reached is refused and changes nothing (false).
    async fn blind_transfer(&mut self, to: &str) -> bool {
        let stays = 1 - self.agent;
        let Some((targets, caller, credential)) = self.targets_for(to).await else {
            tracing::info!(%to, "SIP: blind transfer refused: nothing to ring");
            return false;
        };
        let Ok(sock) = self.srv.ports.bind().await else { return false };
        self.hold(stays, true);
        let _ = self.dialogs[self.agent].bye().await;
        let local = SocketAddr::new(self.srv.media_ip, sock.local_addr().map(|a| a.port()).unwrap_or(0));
        let s = &self.sdps[stays];
        let offer = sdp::build(local, &s.codecs, s.event_pt, SdpDirection::SendRecv, s.session, 1);
        match self.ring_for(targets, &caller, credential, &offer).await {
            Stage::Answered { dialog, response, extension, states } => {
                let Some(answer) = sdp::parse(&response.body).filter(|m| !m.codecs.is_empty()) else {
                    let _ = dialog.bye().await;
                    let _ = self.dialogs[stays].bye().await;
                    return true;
                };
                let pt = self.sdps[stays].codecs[0];
                self.rejoin(Leg::new(sock, answer.addr, pt).with_events(answer.event_pt));
                let agent = self.agent;
                self.dialogs[agent] = dialog;
                self.states[agent] = states;
                self.sdps[agent] =
                    LegSdp { local, codecs: vec![pt], event_pt: answer.event_pt, session: self.sdps[stays].session };
                if extension.is_some() {
                    self.meta.extension = extension;
                }
                self.srv.calls.answered(&self.meta.call_id, self.meta.extension.clone());
                self.publish_legs();
                self.meta.emit(self.srv, CallEventKind::Transferred { to: to.to_string() });
                false
            }
            Stage::CallerLeft => true,
            Stage::Failed { .. } | Stage::Refused | Stage::AutoAnswer(_) => {
                let _ = self.dialogs[stays].bye().await;
                true
            }
        }
    }
}

/// The conversation: until either side hangs up (the other is then hung up too) or the CRM
/// hangs up; meanwhile hold, mute, transfers and the parties' re-INVITEs. Returns the call's
/// description for its last event.
async fn talk(mut live: Live<'_>, mut cmds: mpsc::UnboundedReceiver<CallCommand>) -> Meta {
    let (handover_tx, mut handovers) = mpsc::unbounded_channel();
    live.handover_tx = handover_tx;
    live.publish_legs();
    enum Ev {
        Handover(Option<Handover>),
        State(usize, Option<DialogState>),
        Command(Option<CallCommand>),
        Media(Option<MediaEvent>),
        Consult(Option<DialogState>),
        Third(Option<DialogState>),
    }
    loop {
        let ev = {
            let [s0, s1] = &mut live.states;
            let consult = async {
                match live.consult.as_mut() {
                    Some(c) => c.states.recv().await,
                    None => std::future::pending().await,
                }
            };
            let third = async {
                match live.conference.as_mut() {
                    Some(c) => c.states.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                h = handovers.recv() => Ev::Handover(h),
                st = consult => Ev::Consult(st),
                st = third => Ev::Third(st),
                st = s0.recv() => Ev::State(0, st),
                st = s1.recv() => Ev::State(1, st),
                c = cmds.recv() => Ev::Command(c),
                m = live.media_rx.recv() => Ev::Media(m),
            }
        };
        let (agent, other) = (live.agent, 1 - live.agent);
        let done = match ev {
            Ev::Handover(Some(h)) => live.hand_over(h).await,
            Ev::Handover(None) => false,
            Ev::State(leg, Some(st)) => live.on_state(leg, st).await,
            Ev::Media(Some(MediaEvent::Dtmf { digit, .. })) => {
                live.meta.emit(live.srv, CallEventKind::Dtmf { digit });
                false
            }
            Ev::Media(None) => false,
            Ev::Third(st) => {
                let gone = match (&st, &live.conference) {
                    (Some(DialogState::Terminated(id, _)), Some(c)) => id.call_id == c.dialog.id().call_id,
                    (None, _) => true,
                    _ => false,
                };
                if gone {
                    live.conference_end();
                }
                false
            }
            Ev::Consult(st) => {
                let gone = match (&st, &live.consult) {
                    (Some(DialogState::Terminated(id, _)), Some(c)) => id.call_id == c.dialog.id().call_id,
                    (None, _) => true,
                    _ => false,
                };
                if gone {
                    live.consult_end(false).await;
                }
                false
            }
            // A dialog that is gone cannot talk any more.
            Ev::State(_, None) | Ev::Command(None) => true,
            Ev::Command(Some(cmd)) => match cmd {
                CallCommand::Hangup => {
                    let _ = live.dialogs[0].bye().await;
                    let _ = live.dialogs[1].bye().await;
                    true
                }
                CallCommand::Answer => false,
                CallCommand::Hold => {
                    live.hold(other, true);
                    false
                }
                CallCommand::Resume => {
                    live.hold(other, false);
                    false
                }
                CallCommand::Mute => {
                    live.relay.set_passes(agent, false);
                    false
                }
                CallCommand::Unmute => {
                    live.relay.set_passes(agent, !live.held[agent]);
                    false
                }
                CallCommand::BlindTransfer { to } => live.blind_transfer(&to).await,
                CallCommand::RecordStart => {
                    live.record_start();
                    false
                }
                CallCommand::RecordStop => {
                    live.record_stop().await;
                    false
                }
                CallCommand::ConsultStart { to } => live.consult_start(&to).await,
                CallCommand::ConsultComplete => {
                    live.consult_complete().await;
                    false
                }
                CallCommand::ConsultCancel => {
                    live.consult_end(true).await;
                    false
                }
                CallCommand::ConferenceMerge => {
                    live.conference_merge();
                    false
                }
                CallCommand::SendDtmf { digits } => {
                    if live.consult.is_some() || live.conference.is_some() || !live.relay.send_dtmf(other, &digits) {
                        tracing::info!("SIP: DTMF not sent: the other party takes no events now");
                    }
                    false
                }
            },
        };
        if done {
            break;
        }
    }
    if let Some(c) = live.consult.take() {
        let _ = c.dialog.bye().await;
    }
    if let Some(c) = live.conference.take() {
        c.mixer.stop();
        let _ = c.dialog.bye().await;
    }
    live.record_stop().await;
    live.relay.stop();
    for d in &live.dialogs {
        live.srv.dialogs.remove_dialog(&d.id());
    }
    live.meta
}

/// A click-to-call, as the CRM asks for it.
#[derive(Debug, Clone)]
pub struct Originate {
    pub tenant: Tenant,
    /// The agent's extension: its phones ring first (answering by themselves where they can).
    pub extension: String,
    /// Whom to call: another extension, or an outside number (through the dial rules).
    pub number: String,
    /// One of the organization's numbers to present; the route's default when `None`.
    pub caller_id: Option<String>,
}

/// Checks a click-to-call, starts it, and returns its call id at once.
pub(crate) async fn originate(srv: Arc<Shared>, o: Originate) -> Result<String, CallError> {
    let agent_phones = phones(&srv, &o.tenant, &o.extension);
    if agent_phones.is_empty() {
        return Err(CallError::Refused("the extension has no registered phone".into()));
    }
    let internal = srv.directory.extension_secret(&o.tenant, &o.number).await.is_some();
    let (direction, targets, caller_id, credential) = if internal {
        let t = phones(&srv, &o.tenant, &o.number);
        if t.is_empty() {
            return Err(CallError::Refused("the called extension has no registered phone".into()));
        }
        (Direction::Internal, t, o.extension.clone(), None)
    } else {
        let Some(route) = srv.directory.route_outbound(&o.tenant, &o.extension, &o.number).await else {
            return Err(CallError::Refused("the dial rules do not allow this number".into()));
        };
        let target = trunk_target(&route.trunk, &route.number)
            .ok_or(CallError::Refused("the trunk's address is not valid".into()))?;
        let credential = credential_for(&route.trunk);
        (Direction::Outbound, vec![target], o.caller_id.clone().unwrap_or(route.caller_id), credential)
    };
    let call_id = format!("sb-{:016x}", rand::random::<u64>());
    let meta = Meta {
        call_id: call_id.clone(),
        tenant: o.tenant.id,
        direction,
        from: o.extension.clone(),
        to: o.number.clone(),
        extension: Some(o.extension.clone()),
    };
    let host = srv.contact.host_with_port.to_string();
    let agent_plan = Plan {
        meta,
        // The agent's phone shows whom it is about to call.
        caller_uri: uri(&format!("sip:{}@{host}", o.number)),
        stages: vec![(agent_phones, srv.ring_timeout)],
        credential: None,
        headers: auto_answer_headers(&srv),
    };
    let customer = Plan {
        meta: Meta {
            call_id: String::new(),
            tenant: 0,
            direction,
            from: String::new(),
            to: String::new(),
            extension: None,
        },
        caller_uri: uri(&format!("sip:{caller_id}@{host}")),
        stages: vec![(targets, srv.ring_timeout)],
        credential,
        headers: vec![],
    };
    tokio::spawn(run_originate(srv, agent_plan, customer));
    Ok(call_id)
}

async fn run_originate(srv: Arc<Shared>, agent_plan: Plan, mut customer: Plan) {
    let meta = &agent_plan.meta;
    let listed = ActiveCall {
        call_id: meta.call_id.clone(),
        tenant: meta.tenant,
        extension: meta.extension.clone(),
        ringing: meta.extension.clone().into_iter().collect(),
    };
    let (_listed, mut cmds) = Listed::new(&srv.calls, listed);
    let (sock_a, sock_b) = match (srv.ports.bind().await, srv.ports.bind().await) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Failed });
            return;
        }
    };
    let port = |s: &tokio::net::UdpSocket| s.local_addr().map(|a| a.port()).unwrap_or(0);
    let (a_local, b_local) =
        (SocketAddr::new(srv.media_ip, port(&sock_a)), SocketAddr::new(srv.media_ip, port(&sock_b)));
    let session = rand::random::<u32>() as u64;
    let mut rang = false;
    let ring = |plan: &Plan| plan.stages.first().map(|s| (s.0.clone(), s.1)).unwrap_or_default();

    // 1. The agent's phones.
    let offer_a = sdp::build(
        a_local,
        &[media::rtp::PT_PCMU, media::rtp::PT_PCMA],
        Some(media::rtp::PT_EVENT_DEFAULT),
        SdpDirection::SendRecv,
        session,
        1,
    );
    let (_keep, mut nobody) = mpsc::unbounded_channel();
    let (targets, secs) = ring(&agent_plan);
    let (agent, agent_answer, mut agent_states) = match ring_stage(
        &srv,
        &agent_plan,
        None,
        &mut nobody,
        None,
        &offer_a,
        targets,
        secs,
        &mut rang,
        Some(&mut cmds),
    )
    .await
    {
        Stage::Answered { dialog, response, states, .. } => (dialog, response, states),
        Stage::Failed { busy } => {
            meta.emit(&srv, CallEventKind::Ended { cause: if busy { EndCause::Busy } else { EndCause::NoAnswer } });
            return;
        }
        Stage::Refused => {
            meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Cancelled });
            return;
        }
        Stage::CallerLeft | Stage::AutoAnswer(_) => return,
    };
    let Some(agent_media) = sdp::parse(&agent_answer.body).filter(|m| !m.codecs.is_empty()) else {
        let _ = agent.bye().await;
        meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Failed });
        return;
    };

    // 2. The customer, while the agent waits; the agent hanging up cancels it.
    customer.meta = clone_meta(meta);
    let offer_b = sdp::build(b_local, &agent_media.codecs, agent_media.event_pt, SdpDirection::SendRecv, session, 1);
    let agent_call_id = agent.id().call_id.clone();
    let (targets, secs) = ring(&customer);
    match ring_stage(
        &srv,
        &customer,
        None,
        &mut agent_states,
        Some(&agent_call_id),
        &offer_b,
        targets,
        secs,
        &mut rang,
        Some(&mut cmds),
    )
    .await
    {
        Stage::CallerLeft => meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Cancelled }),
        Stage::Refused | Stage::AutoAnswer(_) => {
            let _ = agent.bye().await;
            meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Cancelled });
        }
        Stage::Failed { busy } => {
            let _ = agent.bye().await;
            meta.emit(&srv, CallEventKind::Ended { cause: if busy { EndCause::Busy } else { EndCause::NoAnswer } });
        }
        Stage::Answered { dialog, response, states, .. } => {
            let Some(answer) =
                sdp::parse(&response.body).filter(|m| m.codecs.iter().any(|c| agent_media.codecs.contains(c)))
            else {
                let _ = dialog.bye().await;
                let _ = agent.bye().await;
                meta.emit(&srv, CallEventKind::Ended { cause: EndCause::Failed });
                return;
            };
            let pt =
                answer.codecs.iter().copied().find(|c| agent_media.codecs.contains(c)).unwrap_or(media::rtp::PT_PCMU);
            let (media_tx, media_rx) = mpsc::unbounded_channel();
            let relay = Relay::start_with_events(
                Leg::new(sock_a, agent_media.addr, pt).with_events(agent_media.event_pt),
                Leg::new(sock_b, answer.addr, pt).with_events(answer.event_pt),
                srv.music.clone(),
                Some(media_tx.clone()),
            );
            meta.emit(&srv, CallEventKind::Answered);
            let sdps = [
                LegSdp { local: a_local, codecs: vec![pt], event_pt: agent_media.event_pt, session },
                LegSdp { local: b_local, codecs: vec![pt], event_pt: answer.event_pt, session },
            ];
            let live = Live {
                srv: &srv,
                meta: clone_meta(meta),
                relay,
                dialogs: [agent, dialog],
                states: [agent_states, states],
                sdps,
                agent: 0,
                held: [false; 2],
                media_tx,
                media_rx,
                recording: None,
                consult: None,
                conference: None,
                handover_tx: mpsc::unbounded_channel().0,
            };
            srv.calls.answered(&live.meta.call_id, live.meta.extension.clone());
            talk(live, cmds).await.emit(&srv, CallEventKind::Ended { cause: EndCause::Answered });
        }
    }
}

fn clone_meta(m: &Meta) -> Meta {
    Meta {
        call_id: m.call_id.clone(),
        tenant: m.tenant,
        direction: m.direction,
        from: m.from.clone(),
        to: m.to.clone(),
        extension: m.extension.clone(),
    }
}

/// Cancels every ringing fork but `keep`.
async fn cancel_all(forks: &[(InviteDialog, Option<String>)], keep: Option<usize>) {
    for (i, (d, _)) in forks.iter().enumerate() {
        if Some(i) != keep {
            let _ = d.cancel().await;
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
    let end = raw.find(|c| c == '>' || c == '&' || c == ';').unwrap_or(raw.len());
    let raw = &raw[..end];
    let raw = raw.split("%3B").next().unwrap_or(raw).split("%3b").next().unwrap_or(raw);
    // Undo the URI escaping of the Call-ID (%40 for @, …).
    let mut out = String::new();
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&raw[i + 1..i + 3], 16) {
                out.push(v as char);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    (!out.is_empty()).then_some(out)
}

fn uri(s: &str) -> Uri {
    Uri::try_from(s).unwrap_or_default()
}

fn uri_user(u: &Uri) -> Option<String> {
    u.auth.as_ref().map(|a| a.user.clone()).filter(|u| !u.is_empty())
}

fn call_id_of(req: &rsipstack::sip::Request) -> String {
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
