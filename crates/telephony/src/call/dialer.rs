//! The automatic dialer's calls: the customer first, through the dial rules; answered, the CRM
//! names a free agent, whose phones ring answering by themselves. An answered customer no agent
//! took within the drop time hears the recorded information message (who called, the number to
//! call back) and is hung up: an abandoned call, told with how long after the answer the
//! message began.

use super::conversation::{Live, talk};
use super::*;
use media::Music;
use tokio::sync::oneshot;

/// A call the dialer places, as the CRM asks for it.
#[derive(Debug, Clone)]
pub struct DialOut {
    pub tenant: Tenant,
    /// The customer's number (through the dial rules).
    pub number: String,
    /// One of the organization's numbers to present; the route's default when `None`.
    pub caller_id: Option<String>,
    /// The call id (made by `new_call_id`).
    pub call_id: String,
    /// How long the customer's phone rings.
    pub ring: Duration,
    /// An answered customer no agent took within this long hears the message.
    pub drop_after: Duration,
    /// The recorded information message.
    pub message: Music,
}

/// What became of a dialer's call, told as it happens.
#[derive(Debug)]
pub enum DialReport {
    /// The customer answered: the extension of the agent to connect, or None (nobody free).
    Answered(oneshot::Sender<Option<String>>),
    /// The agent's phone answered: they talk.
    Connected { extension: String },
    /// No agent within the drop time: the message begins now, this long after the answer (None:
    /// the customer hung up before it). `Ended` follows once it was played.
    Abandoned { message_after: Option<Duration> },
    /// Rang out, busy, refused on the way, or cancelled.
    Unanswered { busy: bool },
    /// The connected call, or the abandoned call's message, ended.
    Ended,
}

/// Places a dialer's call; its reports come on the returned channel.
pub(crate) async fn dial(srv: Arc<Shared>, d: DialOut) -> Result<mpsc::UnboundedReceiver<DialReport>, CallError> {
    let Some(route) = srv.directory.route_outbound(&d.tenant, "", &d.number).await else {
        return Err(CallError::Refused("the dial rules do not allow this number".into()));
    };
    let target = trunk_target(&route.trunk, &route.number)
        .ok_or(CallError::Refused("the trunk's address is not valid".into()))?;
    let caller_id = d.caller_id.clone().unwrap_or(route.caller_id);
    let meta =
        ActiveCall::new(d.call_id.clone(), d.tenant.id, Direction::Outbound, caller_id.clone(), d.number.clone(), None);
    let host = srv.contact.host_with_port.to_string();
    let customer = Plan {
        meta,
        caller_uri: uri(&format!("sip:{caller_id}@{host}")),
        stages: vec![(vec![target], d.ring)],
        credential: credential_for(&route.trunk),
        headers: vec![],
    };
    let (reports, rx) = mpsc::unbounded_channel();
    tokio::spawn(run_dial(srv, d, customer, reports));
    Ok(rx)
}

async fn run_dial(srv: Arc<Shared>, d: DialOut, customer: Plan, reports: mpsc::UnboundedSender<DialReport>) {
    let mut meta = customer.meta.clone();
    let (_listed, mut cmds) = Listed::new(&srv.calls, meta.clone());
    let (sock_agent, sock_customer) = match (srv.ports.bind().await, srv.ports.bind().await) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            let _ = reports.send(DialReport::Unanswered { busy: false });
            meta.end(&srv, EndCause::Failed);
            return;
        }
    };
    let port = |s: &tokio::net::UdpSocket| s.local_addr().map(|a| a.port()).unwrap_or(0);
    let (a_local, b_local) =
        (SocketAddr::new(srv.media_ip, port(&sock_agent)), SocketAddr::new(srv.media_ip, port(&sock_customer)));
    let session = rand::random::<u32>() as u64;
    let codecs = [media::rtp::PT_PCMU, media::rtp::PT_PCMA];
    let offer_b = sdp::build(b_local, &codecs, Some(media::rtp::PT_EVENT_DEFAULT), SdpDirection::SendRecv, session, 1);

    // 1. The customer.
    let (_keep, mut nobody) = mpsc::unbounded_channel();
    let mut rang = false;
    let r = Ring {
        plan: &customer,
        dialog_a: None,
        a_state: &mut nobody,
        a_call_id: None,
        offer: &offer_b,
        targets: customer.stages[0].0.clone(),
        ring: d.ring,
        rang: &mut rang,
        cmds: Some(&mut cmds),
        answerable: false,
    };
    let (dialog, response, mut states, signal) = match ring_stage(&srv, r).await {
        Stage::Answered { dialog, response, states, signal, .. } => (dialog, response, states, signal),
        Stage::Failed { busy } => {
            let _ = reports.send(DialReport::Unanswered { busy });
            meta.end(&srv, if busy { EndCause::Busy } else { EndCause::NoAnswer });
            return;
        }
        Stage::Refused | Stage::CallerLeft | Stage::AutoAnswer(_) => {
            let _ = reports.send(DialReport::Unanswered { busy: false });
            meta.end(&srv, EndCause::Cancelled);
            return;
        }
    };
    let answered = tokio::time::Instant::now();
    let deadline = answered + d.drop_after;
    let Some(answer) = sdp::parse(&response.body).filter(|m| m.codecs.iter().any(|c| codecs.contains(c))) else {
        hang_up(&srv, &dialog).await;
        let _ = reports.send(DialReport::Unanswered { busy: false });
        meta.end(&srv, EndCause::Failed);
        return;
    };
    let pt = answer.codecs.iter().copied().find(|c| codecs.contains(c)).unwrap_or(media::rtp::PT_PCMU);
    meta.answered(&srv);
    let customer_call_id = dialog.id().call_id.clone();

    // 2. An agent, named by the CRM, within the drop time.
    let (ask, named) = oneshot::channel();
    let _ = reports.send(DialReport::Answered(ask));
    let extension = tokio::time::timeout_at(deadline, named).await.ok().and_then(|r| r.ok()).flatten();
    let targets = extension.as_deref().map(|e| phones(&srv, &d.tenant, e)).unwrap_or_default();
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    let mut taken = None;
    if !targets.is_empty() && !left.is_zero() {
        let agent_plan = Plan {
            meta: meta.clone(),
            caller_uri: uri(&format!("sip:{}@{host}", d.number, host = srv.contact.host_with_port)),
            stages: vec![],
            credential: None,
            headers: auto_answer_headers(&srv),
        };
        let offer_a = sdp::build(
            a_local,
            &[pt],
            answer.event_pt.map(|_| media::rtp::PT_EVENT_DEFAULT),
            SdpDirection::SendRecv,
            session,
            1,
        );
        let r = Ring {
            plan: &agent_plan,
            dialog_a: None,
            a_state: &mut states,
            a_call_id: Some(&customer_call_id),
            offer: &offer_a,
            targets,
            ring: left,
            rang: &mut rang,
            cmds: Some(&mut cmds),
            answerable: false,
        };
        match ring_stage(&srv, r).await {
            Stage::Answered {
                dialog: agent, response: agent_answer, states: agent_states, signal: agent_ip, ..
            } => {
                taken = Some((agent, agent_answer, agent_states, agent_ip));
            }
            Stage::CallerLeft => {
                let _ = reports.send(DialReport::Abandoned { message_after: None });
                meta.end(&srv, EndCause::Answered);
                return;
            }
            _ => {}
        }
    }
    let Some((agent, agent_answer, agent_states, agent_ip)) = taken else {
        // 3. Nobody: the message, then the end.
        abandon(&srv, &d.message, answered, sock_customer, answer.addr, pt, &mut states, &dialog, &reports).await;
        meta.end(&srv, EndCause::Answered);
        return;
    };
    let Some(agent_media) = sdp::parse(&agent_answer.body).filter(|m| m.codecs.contains(&pt)) else {
        hang_up(&srv, &agent).await;
        abandon(&srv, &d.message, answered, sock_customer, answer.addr, pt, &mut states, &dialog, &reports).await;
        meta.end(&srv, EndCause::Answered);
        return;
    };
    let extension = extension.unwrap_or_default();
    let _ = reports.send(DialReport::Connected { extension: extension.clone() });
    meta.extension = Some(extension);
    let (media_tx, media_rx) = mpsc::unbounded_channel();
    let relay = Relay::start_with_events(
        Leg::new(sock_agent, agent_media.addr, pt).with_events(agent_media.event_pt).signalled_from(agent_ip),
        Leg::new(sock_customer, answer.addr, pt).with_events(answer.event_pt).signalled_from(signal),
        srv.music.clone(),
        Some(media_tx.clone()),
    );
    meta.emit(&srv, CallEventKind::Answered);
    let sdps = [
        LegSdp { local: a_local, codecs: vec![pt], event_pt: agent_media.event_pt, session },
        LegSdp { local: b_local, codecs: vec![pt], event_pt: answer.event_pt, session },
    ];
    let live =
        Live::new(srv.clone(), meta, relay, [agent, dialog], [agent_states, states], sdps, 0, (media_tx, media_rx));
    let (mut meta, cause) = talk(live, cmds).await;
    meta.end(&srv, cause);
    let _ = reports.send(DialReport::Ended);
}

/// An answered customer nobody took: told as abandoned the moment the information message
/// begins (the customer waits for no agent any more), who then hears it whole — or until they
/// hang up — and is hung up; the end is told after.
#[allow(clippy::too_many_arguments)]
async fn abandon(
    srv: &Shared,
    message: &Music,
    answered: tokio::time::Instant,
    socket: tokio::net::UdpSocket,
    to: Option<SocketAddr>,
    pt: u8,
    states: &mut DialogStateReceiver,
    dialog: &InviteDialog,
    reports: &mpsc::UnboundedSender<DialReport>,
) {
    let began = tokio::time::Instant::now();
    let _ = reports.send(DialReport::Abandoned { message_after: Some(began - answered) });
    let length = message.duration() + Duration::from_millis(200);
    let play = media::music::play(message.clone(), Arc::new(socket), move || to, pt, move || began.elapsed() < length);
    tokio::pin!(play);
    loop {
        tokio::select! {
            _ = &mut play => break,
            st = states.recv() => match st {
                Some(DialogState::Terminated(..)) | None => break,
                _ => {}
            },
        }
    }
    hang_up(srv, dialog).await;
    let _ = reports.send(DialReport::Ended);
}
