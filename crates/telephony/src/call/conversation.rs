//! A call in conversation: hold, mute, re-INVITEs, recording, DTMF, blind and attended
//! transfer, conference, and handing a party over to another call (REFER with Replaces).

use super::*;

/// Our SDP for one leg, to answer the party's re-INVITEs.
#[derive(Clone)]
pub(super) struct LegSdp {
    pub(super) local: SocketAddr,
    pub(super) codecs: Vec<u8>,
    pub(super) event_pt: Option<u8>,
    pub(super) session: u64,
}

/// One side of a call, handed from one call to another (REFER with Replaces).
pub(crate) struct Party {
    pub(super) dialog: InviteDialog,
    pub(super) states: DialogStateReceiver,
    pub(super) socket: Arc<tokio::net::UdpSocket>,
    pub(super) remote: Option<SocketAddr>,
    pub(super) sdp: LegSdp,
    /// Who the party is: its number or extension.
    pub(super) name: String,
    pub(super) extension: Option<String>,
}

/// A call in conversation: its two sides, each with its dialog, state channel and SDP, and the
/// relay between them. Side 0 faced the caller at first, side 1 the callee; a transfer replaces
/// the agent's side.
pub(super) struct Live<'a> {
    pub(super) srv: &'a Shared,
    pub(super) meta: Meta,
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
    /// An attended transfer in progress: the agent talking to a third party.
    pub(super) consult: Option<Consult>,
    /// A three-way conference: the mixer and the third party's dialog.
    pub(super) conference: Option<Conference>,
    /// Where other calls ask this one to hand over a party.
    pub(super) handover_tx: mpsc::UnboundedSender<Handover>,
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

impl<'a> Live<'a> {
    /// A call that has just been answered: its two sides and the relay between them.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        srv: &'a Shared,
        meta: Meta,
        relay: Relay,
        dialogs: [InviteDialog; 2],
        states: [DialogStateReceiver; 2],
        sdps: [LegSdp; 2],
        agent: usize,
        media: (mpsc::UnboundedSender<MediaEvent>, mpsc::UnboundedReceiver<MediaEvent>),
    ) -> Live<'a> {
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
            consult: None,
            conference: None,
            handover_tx: mpsc::unbounded_channel().0,
        }
    }
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
            meta: self.meta.clone(),
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
                let third = Third { dialog, states, to: to.to_string(), local, event_pt: answer.event_pt, extension };
                self.consult = Some(Consult { third, relay, _music: music });
                false
            }
        }
    }

    /// Second press: the waiting party talks to the consulted one; the agent is hung up.
    async fn consult_complete(&mut self) {
        let Some(c) = self.consult.take() else { return };
        let pt = self.sdps[1 - self.agent].codecs[0];
        let other = Leg::shared(c.relay.socket(1), c.relay.remote(1), pt).with_events(c.third.event_pt);
        c.relay.stop();
        let _ = self.dialogs[self.agent].bye().await;
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
        self.srv.calls.answered(&self.meta.call_id, self.meta.extension.clone());
        self.publish_legs();
        self.meta.emit(self.srv, CallEventKind::Transferred { to: third.to });
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
        let party = c.third.to.clone();
        self.conference = Some(Conference { mixer: Mixer::start(legs), third: c.third });
        self.held = [false; 2];
        self.meta.emit(self.srv, CallEventKind::ConferenceJoined { party });
    }

    /// The agent leaves the conference: the other party talks on with the third one, who takes
    /// the agent's place in this call (as after an attended transfer).
    async fn conference_leave(&mut self) {
        let Some(c) = self.conference.take() else { return };
        let pt = self.sdps[1 - self.agent].codecs[0];
        let third = Leg::shared(c.mixer.socket(2), c.mixer.remote(2), pt).with_events(c.third.event_pt);
        c.mixer.stop();
        let _ = self.dialogs[self.agent].bye().await;
        self.rejoin(third);
        self.takes_over(c.third, pt, self.sdps[self.agent].session);
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
            let _ = c.third.dialog.bye().await;
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
                let to = to.to_string();
                let third = Third { dialog, states, to, local, event_pt: answer.event_pt, extension };
                self.takes_over(third, pt, self.sdps[stays].session);
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
pub(super) async fn talk(mut live: Live<'_>, mut cmds: mpsc::UnboundedReceiver<CallCommand>) -> Meta {
    live.srv.calls.answered(&live.meta.call_id, live.meta.extension.clone());
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
                    Some(c) => c.third.states.recv().await,
                    None => std::future::pending().await,
                }
            };
            let third = async {
                match live.conference.as_mut() {
                    Some(c) => c.third.states.recv().await,
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
                    (Some(DialogState::Terminated(id, _)), Some(c)) => id.call_id == c.third.dialog.id().call_id,
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
                    (Some(DialogState::Terminated(id, _)), Some(c)) => id.call_id == c.third.dialog.id().call_id,
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
                CallCommand::ConferenceLeave => {
                    live.conference_leave().await;
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
        let _ = c.third.dialog.bye().await;
    }
    if let Some(c) = live.conference.take() {
        c.mixer.stop();
        let _ = c.third.dialog.bye().await;
    }
    live.record_stop().await;
    live.relay.stop();
    for d in &live.dialogs {
        live.srv.dialogs.remove_dialog(&d.id());
    }
    live.meta
}
