//! Click-to-call: the agent's phones ring first (answering by themselves where they can),
//! then the customer; answered, the call goes on as any other.

use super::conversation::{Live, talk};
use super::*;

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
    /// The call id to give the call (made by `new_call_id`) when the caller must know it before
    /// anything rings; a new one when `None`.
    pub call_id: Option<String>,
    /// The agent's phones answer by themselves where they can (a click-to-call: the agent asked
    /// for it); false rings them as any call (a queue's callback offered to the agent).
    pub auto_answer: bool,
    /// How long the agent's phones ring; the server's ring time when `None`.
    pub ring: Option<std::time::Duration>,
    /// The queue the call is for (a callback in queue): its after-call work follows.
    pub queue: Option<i64>,
}

/// A new call id for a call Switchboard places.
pub fn new_call_id() -> String {
    format!("sb-{:016x}", rand::random::<u64>())
}

/// Checks a click-to-call, starts it, and returns its call id at once.
pub(crate) async fn originate(srv: Arc<Shared>, o: Originate) -> Result<String, CallError> {
    let agent_phones = phones(&srv, &o.tenant, &o.extension);
    if agent_phones.is_empty() {
        return Err(CallError::NoPhone);
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
    let call_id = o.call_id.clone().unwrap_or_else(new_call_id);
    let mut meta = ActiveCall::new(
        call_id.clone(),
        o.tenant.id,
        direction,
        o.extension.clone(),
        o.number.clone(),
        Some(o.extension.clone()),
    );
    meta.ringing = vec![o.extension.clone()];
    meta.queue = o.queue;
    let host = srv.contact.host_with_port.to_string();
    let agent_plan = Plan {
        meta,
        // The agent's phone shows whom it is about to call.
        caller_uri: uri(&format!("sip:{}@{host}", o.number)),
        stages: vec![(agent_phones, o.ring.unwrap_or(srv.ring_timeout))],
        credential: None,
        headers: if o.auto_answer { auto_answer_headers(&srv) } else { vec![] },
    };
    let customer = Plan {
        meta: ActiveCall::new(String::new(), 0, direction, String::new(), String::new(), None),
        caller_uri: uri(&format!("sip:{caller_id}@{host}")),
        stages: vec![(targets, srv.ring_timeout)],
        credential,
        headers: vec![],
    };
    tokio::spawn(run_originate(srv, agent_plan, customer));
    Ok(call_id)
}

async fn run_originate(srv: Arc<Shared>, agent_plan: Plan, mut customer: Plan) {
    let mut meta = agent_plan.meta.clone();
    let (_listed, mut cmds) = Listed::new(&srv.calls, meta.clone());
    let (sock_a, sock_b) = match (srv.ports.bind().await, srv.ports.bind().await) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            meta.end(&srv, EndCause::Failed);
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
    let r = Ring {
        plan: &agent_plan,
        dialog_a: None,
        a_state: &mut nobody,
        a_call_id: None,
        offer: &offer_a,
        targets,
        ring: secs,
        rang: &mut rang,
        cmds: Some(&mut cmds),
        answerable: false,
    };
    let (agent, agent_answer, mut agent_states, agent_ip) = match ring_stage(&srv, r).await {
        Stage::Answered { dialog, response, states, signal, .. } => (dialog, response, states, signal),
        Stage::Failed { busy } => {
            meta.end(&srv, if busy { EndCause::Busy } else { EndCause::NoAnswer });
            return;
        }
        Stage::Refused => {
            meta.end(&srv, EndCause::Cancelled);
            return;
        }
        Stage::CallerLeft | Stage::AutoAnswer(_) => return,
    };
    let Some(agent_media) = sdp::parse(&agent_answer.body).filter(|m| !m.codecs.is_empty()) else {
        hang_up(&srv, &agent).await;
        meta.end(&srv, EndCause::Failed);
        return;
    };

    // 2. The customer, while the agent waits; the agent hanging up cancels it. The agent's
    // phone rings no more: told, so that whoever follows the call knows the customer rings now.
    meta.ringing.clear();
    meta.emit(&srv, CallEventKind::Ringing);
    rang = true;
    customer.meta = meta.clone();
    let offer_b = sdp::build(b_local, &agent_media.codecs, agent_media.event_pt, SdpDirection::SendRecv, session, 1);
    let agent_call_id = agent.id().call_id.clone();
    let (targets, secs) = ring(&customer);
    let r = Ring {
        plan: &customer,
        dialog_a: None,
        a_state: &mut agent_states,
        a_call_id: Some(&agent_call_id),
        offer: &offer_b,
        targets,
        ring: secs,
        rang: &mut rang,
        cmds: Some(&mut cmds),
        answerable: false,
    };
    match ring_stage(&srv, r).await {
        Stage::CallerLeft => meta.end(&srv, EndCause::Cancelled),
        Stage::Refused | Stage::AutoAnswer(_) => {
            hang_up(&srv, &agent).await;
            meta.end(&srv, EndCause::Cancelled);
        }
        Stage::Failed { busy } => {
            hang_up(&srv, &agent).await;
            meta.end(&srv, if busy { EndCause::Busy } else { EndCause::NoAnswer });
        }
        Stage::Answered { dialog, response, states, signal, .. } => {
            let Some(answer) =
                sdp::parse(&response.body).filter(|m| m.codecs.iter().any(|c| agent_media.codecs.contains(c)))
            else {
                hang_up(&srv, &dialog).await;
                hang_up(&srv, &agent).await;
                meta.end(&srv, EndCause::Failed);
                return;
            };
            let pt =
                answer.codecs.iter().copied().find(|c| agent_media.codecs.contains(c)).unwrap_or(media::rtp::PT_PCMU);
            let (media_tx, media_rx) = mpsc::unbounded_channel();
            let relay = Relay::start_with_events(
                Leg::new(sock_a, agent_media.addr, pt).with_events(agent_media.event_pt).signalled_from(agent_ip),
                Leg::new(sock_b, answer.addr, pt).with_events(answer.event_pt).signalled_from(signal),
                srv.music.clone(),
                Some(media_tx.clone()),
            );
            meta.answered(&srv);
            let sdps = [
                LegSdp { local: a_local, codecs: vec![pt], event_pt: agent_media.event_pt, session },
                LegSdp { local: b_local, codecs: vec![pt], event_pt: answer.event_pt, session },
            ];
            let live = Live::new(
                srv.clone(),
                meta.clone(),
                relay,
                [agent, dialog],
                [agent_states, states],
                sdps,
                0,
                (media_tx, media_rx),
            );
            let (mut meta, cause) = talk(live, cmds).await;
            meta.end(&srv, cause);
        }
    }
}
