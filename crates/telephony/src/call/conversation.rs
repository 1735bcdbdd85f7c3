//! A call in conversation: hold, mute, re-INVITEs, recording, DTMF, blind and attended
//! transfer, conference, and handing a party over to another call (REFER with Replaces).

use super::*;
use std::ops::ControlFlow;

/// What the agent does besides talking to the other party.
pub(super) enum Phase {
    /// The two sides talk (or one holds the other).
    Two,
    /// A consultation rings while the other party waits with music.
    Calling,
    /// The agent talks to a third party while the other party waits with music.
    Consult(Consult),
    /// All three talk together.
    Conference(Conference),
}

/// A call in conversation: its two sides, each with its dialog, state channel and SDP, and the
/// relay between them. Side 0 faced the caller at first, side 1 the callee; a transfer replaces
/// the agent's side.
pub(super) struct Live {
    pub(super) srv: Arc<Shared>,
    pub(super) meta: ActiveCall,
    pub(super) relay: Relay,
    pub(super) dialogs: [InviteDialog; 2],
    pub(super) states: [DialogStateReceiver; 2],
    pub(super) sdps: [LegSdp; 2],
    /// The side of the organization's agent (hold puts the other one on hold).
    pub(super) agent: usize,
    pub(super) held: [bool; 2],
    /// What the relay notices (DTMF); the sender goes to every relay of the call.
    pub(super) media_tx: mpsc::UnboundedSender<MediaEvent>,
    pub(super) media_rx: mpsc::UnboundedReceiver<MediaEvent>,
    pub(super) recording: Option<Recording>,
    /// The organization's recording policy, read when the call was answered.
    pub(super) policy: crate::directory::RecordingPolicy,
    pub(super) phase: Phase,
    /// Where other calls ask this one to hand over a party.
    pub(super) handover_tx: mpsc::UnboundedSender<Handover>,
    /// The call's supervision, in one place: nobody, a manager's phones ringing, or the manager
    /// in the call (the call's `meta.supervisor` is only ever shown from it).
    pub(super) supervision: super::supervision::Supervising,
}

pub(super) struct Conference {
    /// Members: the other party (0), the agent (1), the third party (2).
    pub(super) mixer: Mixer,
    pub(super) third: Third,
}

/// The agent's consultation with a third party while the other party waits with music.
pub(super) struct Consult {
    pub(super) third: Third,
    /// Agent (side 0) and the consulted party (side 1).
    pub(super) relay: Relay,
    pub(super) _music: media::music::Player,
}

/// The party the agent consulted (then maybe conferenced): what it needs to take the agent's
/// place in the call.
pub(super) struct Third {
    pub(super) dialog: InviteDialog,
    pub(super) states: DialogStateReceiver,
    pub(super) to: String,
    pub(super) local: SocketAddr,
    pub(super) event_pt: Option<u8>,
    pub(super) extension: Option<String>,
}

impl Live {
    /// A call that has just been answered: its two sides and the relay between them.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        srv: Arc<Shared>,
        meta: ActiveCall,
        relay: Relay,
        dialogs: [InviteDialog; 2],
        states: [DialogStateReceiver; 2],
        sdps: [LegSdp; 2],
        agent: usize,
        media: (mpsc::UnboundedSender<MediaEvent>, mpsc::UnboundedReceiver<MediaEvent>),
    ) -> Live {
        Live {
            srv,
            meta,
            relay,
            dialogs,
            states,
            sdps,
            agent,
            held: [false; 2],
            media_tx: media.0,
            media_rx: media.1,
            recording: None,
            policy: Default::default(),
            phase: Phase::Two,
            handover_tx: mpsc::unbounded_channel().0,
            supervision: super::supervision::Supervising::Nobody,
        }
    }
}

impl Live {
    /// Where the call stands, for its events and the list of calls in progress.
    fn state(&self) -> CallState {
        match &self.phase {
            Phase::Conference(_) => CallState::Conference,
            Phase::Calling | Phase::Consult(_) => CallState::Consulting,
            Phase::Two if self.held.iter().any(|h| *h) => CallState::Held,
            Phase::Two => CallState::Talking,
        }
    }

    pub(super) fn emit(&mut self, kind: CallEventKind) {
        self.meta.state = self.state();
        self.meta.emit(&self.srv, kind);
    }

    /// The consultation in progress, taken out of the call (the phase is then `Two`).
    fn take_consult(&mut self) -> Option<Consult> {
        match std::mem::replace(&mut self.phase, Phase::Two) {
            Phase::Consult(c) => Some(c),
            other => {
                self.phase = other;
                None
            }
        }
    }

    fn take_conference(&mut self) -> Option<Conference> {
        match std::mem::replace(&mut self.phase, Phase::Two) {
            Phase::Conference(c) => Some(c),
            other => {
                self.phase = other;
                None
            }
        }
    }

    /// The third party of a consultation or a conference.
    fn third(&self) -> Option<&Third> {
        match &self.phase {
            Phase::Consult(c) => Some(&c.third),
            Phase::Conference(c) => Some(&c.third),
            Phase::Two | Phase::Calling => None,
        }
    }

    /// Where the recorder's copy of both sides comes from: the relay, or the supervision's mixer.
    fn tap(&self, tap: Option<media::recorder::Tap>) {
        match self.supervision.mixer() {
            Some(mixer) => mixer.record(tap.map(|t| (t, vec![Some(0), Some(1), None]))),
            None => self.relay.record(tap),
        }
    }

    /// Starts recording both sides into `RECORDINGS/TENANT/CALL.wav`.
    fn record_start(&mut self) {
        if self.policy == crate::directory::RecordingPolicy::Never {
            tracing::info!("SIP: recording refused: the organization records no calls");
            return;
        }
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
        self.tap(Some(rec.tap()));
        self.recording = Some(rec);
        self.emit(CallEventKind::RecordingStarted { path: path.display().to_string() });
    }

    async fn record_stop(&mut self) {
        if self.policy == crate::directory::RecordingPolicy::Always {
            tracing::info!("SIP: stopping the recording refused: the organization records every call");
            return;
        }
        self.record_end().await;
    }

    /// The recording, if any, is closed and said so.
    async fn record_end(&mut self) {
        let Some(rec) = self.recording.take() else { return };
        self.tap(None);
        match rec.stop().await {
            Ok(path) => self.emit(CallEventKind::RecordingStopped { path: path.display().to_string() }),
            Err(e) => tracing::error!("SIP: writing a recording: {e}"),
        }
    }

    fn hold(&mut self, leg: usize, on: bool) {
        if self.held[leg] != on {
            self.held[leg] = on;
            self.relay.hold(leg, on);
            self.emit(if on { CallEventKind::Held } else { CallEventKind::Resumed });
        }
    }

    /// A re-INVITE from the party on `leg`: sendonly or inactive means it holds the other side
    /// (who then hears music); sendrecv takes it off hold.
    async fn reinvite(&mut self, leg: usize, req: &rsipstack::sip::Request, handle: TransactionHandle) {
        let dir = sdp::parse(&req.body).map(|m| m.direction).unwrap_or(SdpDirection::SendRecv);
        if matches!(dir, SdpDirection::SendOnly | SdpDirection::Inactive) {
            self.supervision_end(true).await;
        }
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

    /// The agent's microphone: cut off or back (back only when their side is not held).
    fn mute(&mut self, on: bool) {
        let agent = self.agent;
        self.meta.muted = on;
        if self.supervision.joined() {
            self.hearing();
        } else {
            self.relay.set_passes(agent, !on && !self.held[agent]);
        }
        self.emit(if on { CallEventKind::Muted } else { CallEventKind::Unmuted });
    }

    /// What happened on side `leg`'s dialog; `Break` when that side hung up (and the other was).
    async fn on_state(&mut self, leg: usize, st: DialogState) -> ControlFlow<()> {
        let call_id = self.dialogs[leg].id().call_id.clone();
        match st {
            DialogState::Terminated(id, _) if id.call_id == call_id => {
                hang_up(&self.srv, &self.dialogs[1 - leg]).await;
                ControlFlow::Break(())
            }
            DialogState::Updated(id, req, handle) if id.call_id == call_id => {
                self.reinvite(leg, &req, handle).await;
                ControlFlow::Continue(())
            }
            // A phone's own transfer button: a blind transfer in which that phone leaves.
            DialogState::Refer(id, req, handle) if id.call_id == call_id => {
                let to = req
                    .refer_to_header()
                    .and_then(|h| rsipstack::sip::typed::Contact::parse(h.value()).ok())
                    .and_then(|c| uri_user(&c.uri));
                let Some(to) = to else {
                    let _ = handle.reply(StatusCode::BadRequest).await;
                    return ControlFlow::Continue(());
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
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Continue(()),
        }
    }

    /// Whom to ring for `to` (an extension's phones, or the trunk through the dial rules), the
    /// caller to show them, and the carrier's credentials; `None` when nothing can be rung.
    async fn targets_for(&self, to: &str) -> Option<(Vec<Target>, String, Option<Credential>)> {
        // Only the id names the organization to the directory.
        let tenant = Tenant { id: self.meta.tenant, realm: String::new() };
        let from_ext = self.meta.extension.clone().unwrap_or_default();
        let found = if self.srv.directory.extension_secret(&tenant, to).await.is_some() {
            (phones(&self.srv, &tenant, to), self.meta.from.clone(), None)
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
            meta: self.meta.clone(),
            caller_uri: uri(&format!("sip:{caller}@{host}")),
            stages: vec![],
            credential,
            headers: vec![],
        };
        let stays_call_id = self.dialogs[stays].id().call_id.clone();
        let mut rang = true; // the call rang before: no second ringing event
        let r = Ring {
            plan: &plan,
            dialog_a: None,
            a_state: &mut self.states[stays],
            a_call_id: Some(&stays_call_id),
            offer,
            targets,
            ring: self.srv.ring_timeout,
            rang: &mut rang,
            cmds: None,
            answerable: false,
        };
        ring_stage(&self.srv, r).await
    }

    /// Replaces the relay by one between the staying party and `other` (on the agent's side).
    fn rejoin(&mut self, other: Leg) {
        let stays = 1 - self.agent;
        let pt = self.sdps[stays].codecs[0];
        let stays_leg =
            Leg::shared(self.relay.socket(stays), self.relay.peer(stays), pt).with_events(self.sdps[stays].event_pt);
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
        self.meta.muted = false;
    }

    /// Attended transfer, first press: ring `to` while the other party hears music; answered,
    /// the agent talks to it. `Break` when the call ended meanwhile.
    async fn consult_start(&mut self, to: &str) -> ControlFlow<()> {
        self.supervision_end(true).await;
        if !matches!(self.phase, Phase::Two) {
            return ControlFlow::Continue(());
        }
        let stays = 1 - self.agent;
        let Some((targets, caller, credential)) = self.targets_for(to).await else {
            tracing::info!(%to, "SIP: consultation refused: nothing to ring");
            return ControlFlow::Continue(());
        };
        let Ok(sock) = self.srv.ports.bind().await else { return ControlFlow::Continue(()) };
        self.phase = Phase::Calling;
        self.hold(stays, true);
        let local = SocketAddr::new(self.srv.media_ip, sock.local_addr().map(|a| a.port()).unwrap_or(0));
        let a = &self.sdps[self.agent];
        let offer = sdp::build(local, &a.codecs, a.event_pt, SdpDirection::SendRecv, a.session, 1);
        match self.ring_for(targets, &caller, credential, &offer).await {
            Stage::CallerLeft => {
                self.phase = Phase::Two;
                hang_up(&self.srv, &self.dialogs[self.agent]).await;
                ControlFlow::Break(())
            }
            Stage::Failed { .. } | Stage::Refused | Stage::AutoAnswer(_) => {
                self.phase = Phase::Two;
                self.hold(stays, false);
                ControlFlow::Continue(())
            }
            Stage::Answered { dialog, response, extension, states, signal } => {
                let Some(answer) = sdp::parse(&response.body).filter(|m| !m.codecs.is_empty()) else {
                    hang_up(&self.srv, &dialog).await;
                    self.phase = Phase::Two;
                    self.hold(stays, false);
                    return ControlFlow::Continue(());
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
                let agent_leg = Leg::shared(self.relay.socket(self.agent), self.relay.peer(self.agent), pt);
                self.relay.stop();
                let relay = Relay::start(
                    agent_leg,
                    Leg::new(sock, answer.addr, pt).with_events(answer.event_pt).signalled_from(signal),
                    self.srv.music.clone(),
                );
                let third = Third { dialog, states, to: to.to_string(), local, event_pt: answer.event_pt, extension };
                self.phase = Phase::Consult(Consult { third, relay, _music: music });
                ControlFlow::Continue(())
            }
        }
    }

    /// Second press: the waiting party talks to the consulted one; the agent is hung up.
    async fn consult_complete(&mut self) {
        let Some(c) = self.take_consult() else { return };
        let pt = self.sdps[1 - self.agent].codecs[0];
        let other = Leg::shared(c.relay.socket(1), c.relay.peer(1), pt).with_events(c.third.event_pt);
        c.relay.stop();
        hang_up(&self.srv, &self.dialogs[self.agent]).await;
        self.rejoin(other);
        self.takes_over(c.third, pt, self.sdps[self.agent].session);
    }

    /// The third party takes the agent's place in this call (the agent is gone); `session` is
    /// the SDP session its offer carried.
    fn takes_over(&mut self, third: Third, pt: u8, session: u64) {
        let agent = self.agent;
        self.dialogs[agent] = third.dialog;
        self.states[agent] = third.states;
        self.sdps[agent] = LegSdp { local: third.local, codecs: vec![pt], event_pt: third.event_pt, session };
        if third.extension.is_some() {
            self.meta.extension = third.extension;
        }
        self.publish_legs();
        self.emit(CallEventKind::Transferred { to: third.to });
    }

    /// Conference, second press: the waiting party, the agent and the consulted party all hear
    /// each other.
    fn conference_merge(&mut self) {
        let Some(c) = self.take_consult() else { return };
        let stays = 1 - self.agent;
        let (pt_s, pt_a) = (self.sdps[stays].codecs[0], self.sdps[self.agent].codecs[0]);
        let legs = vec![
            Leg::shared(self.relay.socket(stays), self.relay.peer(stays), pt_s),
            Leg::shared(c.relay.socket(0), c.relay.peer(0), pt_a),
            Leg::shared(c.relay.socket(1), c.relay.peer(1), pt_a),
        ];
        c.relay.stop();
        self.relay.stop();
        drop(c._music);
        let party = c.third.to.clone();
        self.phase = Phase::Conference(Conference { mixer: Mixer::start(legs), third: c.third });
        self.held = [false; 2];
        self.emit(CallEventKind::ConferenceJoined { party });
    }

    /// The agent leaves the conference: the other party talks on with the third one, who takes
    /// the agent's place in this call (as after an attended transfer).
    async fn conference_leave(&mut self) {
        let Some(c) = self.take_conference() else { return };
        let pt = self.sdps[1 - self.agent].codecs[0];
        let third = Leg::shared(c.mixer.socket(2), c.mixer.peer(2), pt).with_events(c.third.event_pt);
        c.mixer.stop();
        hang_up(&self.srv, &self.dialogs[self.agent]).await;
        self.rejoin(third);
        self.takes_over(c.third, pt, self.sdps[self.agent].session);
    }

    /// The third party left the conference: the other two talk on.
    fn conference_end(&mut self) {
        let Some(c) = self.take_conference() else { return };
        // The third party hung up: its dialog is over.
        self.srv.dialogs.remove_dialog(&c.third.dialog.id());
        let pt = self.sdps[self.agent].codecs[0];
        let agent = Leg::shared(c.mixer.socket(1), c.mixer.peer(1), pt).with_events(self.sdps[self.agent].event_pt);
        c.mixer.stop();
        self.rejoin(agent);
        self.emit(CallEventKind::Resumed);
    }

    /// The consultation ends (cancelled, or the consulted party hung up): back to the other party.
    async fn consult_end(&mut self, hang_up: bool) {
        let Some(c) = self.take_consult() else { return };
        if hang_up {
            super::hang_up(&self.srv, &c.third.dialog).await;
        } else {
            self.srv.dialogs.remove_dialog(&c.third.dialog.id());
        }
        let pt = self.sdps[self.agent].codecs[0];
        let agent = Leg::shared(c.relay.socket(0), c.relay.peer(0), pt).with_events(self.sdps[self.agent].event_pt);
        c.relay.stop();
        self.rejoin(agent);
        self.emit(CallEventKind::Resumed);
    }

    /// The legs of this call, for other calls that name one of them (Replaces).
    fn publish_legs(&self) {
        let legs = self.dialogs.iter().map(|d| d.id().call_id.clone()).collect();
        self.srv.legs.set(&self.meta.call_id, legs, self.handover_tx.clone());
    }

    /// REFER with Replaces on `leg`: the phone on that leg joins its two calls. The call that
    /// has the replaced leg hands over its other party, who then talks to this call's other
    /// party; the phone is hung up on both.
    async fn join_replaced(&mut self, leg: usize, replaces: &str, handle: TransactionHandle) -> ControlFlow<()> {
        self.supervision_end(true).await;
        let Some(tx) = self.srv.legs.by_leg(replaces, &self.meta.call_id) else {
            let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await;
            return ControlFlow::Continue(());
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let _ = tx.send(Handover { call_id: replaces.to_string(), reply });
        let Ok(Ok(Some(party))) = tokio::time::timeout(Duration::from_secs(3), answer).await else {
            let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await;
            return ControlFlow::Continue(());
        };
        let _ = handle.reply(StatusCode::Accepted).await;
        tokio::time::sleep(Duration::from_millis(100)).await; // let the 202 leave before the BYE
        hang_up(&self.srv, &self.dialogs[leg]).await;
        self.agent = leg;
        let pt = self.sdps[1 - leg].codecs[0];
        self.rejoin(Leg::shared(party.socket, party.remote, pt).with_events(party.sdp.event_pt));
        self.dialogs[leg] = party.dialog;
        self.states[leg] = party.states;
        self.sdps[leg] = party.sdp;
        self.meta.extension = party.extension.or(self.meta.extension.take());
        self.publish_legs();
        self.emit(CallEventKind::Transferred { to: party.name });
        ControlFlow::Continue(())
    }

    /// Another call asks for the party facing the leg it names: hand it over, hang up the
    /// named leg (the phone's), and end this call (`Break`: handed over).
    async fn hand_over(&mut self, h: Handover) -> ControlFlow<()> {
        let Some(leg) = self.dialogs.iter().position(|d| d.id().call_id == h.call_id) else {
            let _ = h.reply.send(None);
            return ControlFlow::Continue(());
        };
        let other = 1 - leg;
        self.supervision_end(true).await;
        self.relay.stop();
        let (_gone, empty) = mpsc::unbounded_channel();
        let party = Party {
            dialog: self.dialogs[other].clone(),
            states: std::mem::replace(&mut self.states[other], empty),
            socket: self.relay.socket(other),
            remote: self.relay.peer(other),
            sdp: self.sdps[other].clone(),
            name: if other == 0 { self.meta.from.clone() } else { self.meta.to.clone() },
            extension: if other == 0 { None } else { self.meta.extension.clone() },
        };
        hang_up(&self.srv, &self.dialogs[leg]).await;
        let _ = h.reply.send(Some(party));
        ControlFlow::Break(())
    }

    /// Blind transfer: the other party hears music while `to` rings; the agent is hung up at
    /// once. Answered: the other party talks to `to`. Not answered: the other party is hung
    /// up too (`Break`). A `to` that cannot be reached is refused and changes nothing.
    async fn blind_transfer(&mut self, to: &str) -> ControlFlow<()> {
        self.supervision_end(true).await;
        let stays = 1 - self.agent;
        let Some((targets, caller, credential)) = self.targets_for(to).await else {
            tracing::info!(%to, "SIP: blind transfer refused: nothing to ring");
            return ControlFlow::Continue(());
        };
        let Ok(sock) = self.srv.ports.bind().await else { return ControlFlow::Continue(()) };
        self.hold(stays, true);
        hang_up(&self.srv, &self.dialogs[self.agent]).await;
        let local = SocketAddr::new(self.srv.media_ip, sock.local_addr().map(|a| a.port()).unwrap_or(0));
        let s = &self.sdps[stays];
        let offer = sdp::build(local, &s.codecs, s.event_pt, SdpDirection::SendRecv, s.session, 1);
        match self.ring_for(targets, &caller, credential, &offer).await {
            Stage::Answered { dialog, response, extension, states, signal } => {
                let Some(answer) = sdp::parse(&response.body).filter(|m| !m.codecs.is_empty()) else {
                    hang_up(&self.srv, &dialog).await;
                    hang_up(&self.srv, &self.dialogs[stays]).await;
                    return ControlFlow::Break(());
                };
                let pt = self.sdps[stays].codecs[0];
                self.rejoin(Leg::new(sock, answer.addr, pt).with_events(answer.event_pt).signalled_from(signal));
                let to = to.to_string();
                let third = Third { dialog, states, to, local, event_pt: answer.event_pt, extension };
                self.takes_over(third, pt, self.sdps[stays].session);
                ControlFlow::Continue(())
            }
            Stage::CallerLeft => ControlFlow::Break(()),
            Stage::Failed { .. } | Stage::Refused | Stage::AutoAnswer(_) => {
                hang_up(&self.srv, &self.dialogs[stays]).await;
                ControlFlow::Break(())
            }
        }
    }

    /// A command from the CRM; `Break` when the call is over.
    async fn command(&mut self, cmd: CallCommand) -> ControlFlow<()> {
        let other = 1 - self.agent;
        match cmd {
            CallCommand::Hangup => {
                hang_up(&self.srv, &self.dialogs[0]).await;
                hang_up(&self.srv, &self.dialogs[1]).await;
                return ControlFlow::Break(());
            }
            CallCommand::Answer => {}
            CallCommand::Hold => {
                self.supervision_end(true).await;
                self.hold(other, true)
            }
            CallCommand::Resume => self.hold(other, false),
            CallCommand::Mute => self.mute(true),
            CallCommand::Unmute => self.mute(false),
            CallCommand::BlindTransfer { to } => return self.blind_transfer(&to).await,
            CallCommand::RecordStart => self.record_start(),
            CallCommand::RecordStop => self.record_stop().await,
            CallCommand::ConsultStart { to } => return self.consult_start(&to).await,
            CallCommand::ConsultComplete => self.consult_complete().await,
            CallCommand::ConsultCancel => self.consult_end(true).await,
            CallCommand::ConferenceMerge => self.conference_merge(),
            CallCommand::ConferenceLeave => self.conference_leave().await,
            CallCommand::Supervise { extension, mode } => self.supervise(extension, mode),
            CallCommand::SupervisionMode { mode } => self.supervision_mode(mode),
            CallCommand::SupervisionEnd => self.supervision_end(true).await,
            CallCommand::SendDtmf { digits } => {
                if !matches!(self.phase, Phase::Two)
                    || self.supervision.joined()
                    || !self.relay.send_dtmf(other, &digits)
                {
                    tracing::info!("SIP: DTMF not sent: the other party takes no events now");
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// What the third party's dialog says: gone, the consultation or the conference ends.
    async fn on_third(&mut self, st: Option<DialogState>) {
        let gone = match (&st, self.third()) {
            (Some(DialogState::Terminated(id, _)), Some(t)) => id.call_id == t.dialog.id().call_id,
            (None, _) => true,
            _ => false,
        };
        if !gone {
            return;
        }
        match self.phase {
            Phase::Consult(_) => self.consult_end(false).await,
            Phase::Conference(_) => self.conference_end(),
            Phase::Two | Phase::Calling => {}
        }
    }
}

/// The conversation: until either side hangs up (the other is then hung up too) or the CRM
/// hangs up; meanwhile hold, mute, transfers and the parties' re-INVITEs. Returns the call's
/// description for its last event.
pub(super) async fn talk(mut live: Live, mut cmds: mpsc::UnboundedReceiver<CallCommand>) -> (ActiveCall, EndCause) {
    let (handover_tx, mut handovers) = mpsc::unbounded_channel();
    live.handover_tx = handover_tx;
    live.publish_legs();
    live.policy = live.srv.directory.recording_policy(live.meta.tenant).await;
    if live.policy == crate::directory::RecordingPolicy::Always {
        live.record_start();
    }
    enum Ev {
        Handover(Option<Handover>),
        State(usize, Option<DialogState>),
        Command(Option<CallCommand>),
        Media(Option<MediaEvent>),
        Third(Option<DialogState>),
        SupervisorRang(Option<super::supervision::Rang>),
        Supervisor(Option<DialogState>),
    }
    loop {
        let ev = {
            let [s0, s1] = &mut live.states;
            let third = async {
                match &mut live.phase {
                    Phase::Consult(c) => c.third.states.recv().await,
                    Phase::Conference(c) => c.third.states.recv().await,
                    Phase::Two | Phase::Calling => std::future::pending().await,
                }
            };
            let supervisor = live.supervision.next();
            tokio::select! {
                h = handovers.recv() => Ev::Handover(h),
                st = third => Ev::Third(st),
                news = supervisor => match news {
                    super::supervision::News::Rang(r) => Ev::SupervisorRang(r),
                    super::supervision::News::Dialog(st) => Ev::Supervisor(st),
                },
                st = s0.recv() => Ev::State(0, st),
                st = s1.recv() => Ev::State(1, st),
                c = cmds.recv() => Ev::Command(c),
                m = live.media_rx.recv() => Ev::Media(m),
            }
        };
        let flow = match ev {
            Ev::Handover(Some(h)) => live.hand_over(h).await,
            Ev::State(leg, Some(st)) => live.on_state(leg, st).await,
            Ev::Media(Some(MediaEvent::Dtmf { digit, .. })) => {
                live.emit(CallEventKind::Dtmf { digit });
                ControlFlow::Continue(())
            }
            Ev::Handover(None) | Ev::Media(None) => ControlFlow::Continue(()),
            Ev::Third(st) => {
                live.on_third(st).await;
                ControlFlow::Continue(())
            }
            Ev::SupervisorRang(r) => {
                live.supervisor_rang(r.flatten()).await;
                ControlFlow::Continue(())
            }
            Ev::Supervisor(st) => {
                live.on_supervisor(st).await;
                ControlFlow::Continue(())
            }
            // A dialog that is gone cannot talk any more.
            Ev::State(_, None) | Ev::Command(None) => ControlFlow::Break(()),
            Ev::Command(Some(cmd)) => live.command(cmd).await,
        };
        if flow.is_break() {
            break;
        }
    }
    live.supervision_end(true).await;
    match std::mem::replace(&mut live.phase, Phase::Two) {
        Phase::Consult(c) => {
            hang_up(&live.srv, &c.third.dialog).await;
        }
        Phase::Conference(c) => {
            c.mixer.stop();
            hang_up(&live.srv, &c.third.dialog).await;
        }
        Phase::Two | Phase::Calling => {}
    }
    live.record_end().await;
    live.relay.stop();
    for d in &live.dialogs {
        live.srv.dialogs.remove_dialog(&d.id());
    }
    live.srv.legs.remove(&live.meta.call_id);
    let gone = {
        let mut gone = live.srv.gone.lock().expect("gone lock");
        // Every leg's entry goes, whichever said it.
        let removed: Vec<bool> = live.dialogs.iter().map(|d| gone.remove(&d.id().call_id)).collect();
        removed.contains(&true)
    };
    (live.meta, if gone { EndCause::AgentGone } else { EndCause::Answered })
}
