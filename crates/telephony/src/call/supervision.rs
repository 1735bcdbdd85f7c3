//! A manager supervising a call in conversation: their phones ring while the call goes on;
//! answered, the call's two sides and the supervisor meet in a mixer where the supervisor
//! hears both, the agent hears the supervisor when they whisper or barge, and the other party
//! only when they barge. Holding, transferring or consulting ends the supervision first (the
//! supervisor is hung up); the call's recording keeps the two sides, not the supervisor.
//! The call holds its supervision in one state (`Supervising`); the call's description
//! (`meta.supervisor`) is only shown from it.

use super::conversation::{Live, Phase};
use super::*;
use crate::events::{SuperviseMode, Supervisor};
use tokio::sync::oneshot;

/// The call's supervision.
pub(super) enum Supervising {
    Nobody,
    /// A manager's phones ring; the two sides talk on meanwhile.
    Ringing {
        extension: String,
        mode: SuperviseMode,
        ring: Ringing,
    },
    /// The manager is in the call: the three meet in a mixer (the call's relay is stopped).
    Joined {
        extension: String,
        mode: SuperviseMode,
        s: Supervision,
    },
}

/// What the supervision has to say to the call.
pub(super) enum News {
    /// The supervisor's phones stopped ringing.
    Rang(Option<Rang>),
    /// The supervisor's dialog (gone: `None`).
    Dialog(Option<DialogState>),
}

impl Supervising {
    pub(super) fn joined(&self) -> bool {
        matches!(self, Supervising::Joined { .. })
    }

    /// The mixer the three meet in, when the supervisor is in the call.
    pub(super) fn mixer(&self) -> Option<&Mixer> {
        match self {
            Supervising::Joined { s, .. } => Some(&s.mixer),
            _ => None,
        }
    }

    /// The call's description of it.
    fn shown(&self) -> Option<Supervisor> {
        match self {
            Supervising::Nobody => None,
            Supervising::Ringing { extension, mode, .. } => {
                Some(Supervisor { extension: extension.clone(), mode: *mode, joined: false })
            }
            Supervising::Joined { extension, mode, .. } => {
                Some(Supervisor { extension: extension.clone(), mode: *mode, joined: true })
            }
        }
    }

    /// The next thing it has to say (never, when nobody supervises).
    pub(super) async fn next(&mut self) -> News {
        match self {
            Supervising::Ringing { ring, .. } => News::Rang((&mut ring.done).await.ok()),
            Supervising::Joined { s, .. } => News::Dialog(s.states.recv().await),
            Supervising::Nobody => std::future::pending().await,
        }
    }
}

/// The supervisor in the call: the mixer of the three, and the supervisor's dialog.
pub(super) struct Supervision {
    /// Members: the call's side 0, side 1 (as its legs), the supervisor (2).
    pub(super) mixer: Mixer,
    pub(super) dialog: InviteDialog,
    pub(super) states: DialogStateReceiver,
    local: SocketAddr,
    session: u64,
}

/// What ringing the supervisor's phones came to (None: no RTP port was free).
pub(super) type Rang = Option<Rung>;

/// The supervisor's phones ringing (the call goes on meanwhile).
pub(super) struct Ringing {
    /// A `Hangup` here cancels the ringing.
    cancel: mpsc::UnboundedSender<CallCommand>,
    pub(super) done: oneshot::Receiver<Rang>,
}

const SUPERVISOR: usize = 2;

impl Live {
    /// Shows the supervision in the call's description (and the list of calls in progress).
    fn show_supervision(&mut self) {
        self.meta.supervisor = self.supervision.shown();
        self.srv.calls.update(&self.meta);
    }

    /// A manager asks to supervise: rings their phones, unless the call is not two sides
    /// talking, already supervised, or theirs.
    pub(super) fn supervise(&mut self, extension: String, mode: SuperviseMode) {
        let talking = matches!(self.phase, Phase::Two) && !self.held.iter().any(|h| *h);
        let free = matches!(self.supervision, Supervising::Nobody);
        if !talking || !free || self.meta.extension.as_deref() == Some(extension.as_str()) {
            tracing::info!(%extension, "SIP: supervision refused: the call is not two sides talking, or is supervised");
            return;
        }
        let targets = phones_of(&self.srv, self.meta.tenant, &extension);
        if targets.is_empty() {
            tracing::info!(%extension, "SIP: supervision refused: the supervisor has no registered phone");
            return;
        }
        let other = if self.agent == 0 { &self.meta.to } else { &self.meta.from };
        let host = self.srv.contact.host_with_port.to_string();
        let plan = Plan {
            meta: self.meta.clone(),
            // The supervisor's phone shows whom the agent talks to.
            caller_uri: uri(&format!("sip:{other}@{host}")),
            stages: vec![],
            credential: None,
            headers: auto_answer_headers(&self.srv),
        };
        let (cancel, mut cancel_rx) = mpsc::unbounded_channel();
        let (done_tx, done) = oneshot::channel();
        let srv = self.srv.clone();
        tokio::spawn(async move {
            let rung = ring_party(&srv, &plan, targets, Some(&mut cancel_rx)).await;
            if let Err(Some(Rung { stage: Stage::Answered { dialog, .. }, .. })) = done_tx.send(rung) {
                hang_up(&srv, &dialog).await; // the call ended meanwhile
            }
        });
        self.supervision = Supervising::Ringing { extension, mode, ring: Ringing { cancel, done } };
        self.show_supervision();
    }

    /// The supervisor's phones stopped ringing: answered, the supervisor joins (if the call is
    /// still two sides talking); otherwise nothing changes.
    pub(super) async fn supervisor_rang(&mut self, rang: Rang) {
        let Supervising::Ringing { extension, mode, .. } =
            std::mem::replace(&mut self.supervision, Supervising::Nobody)
        else {
            return;
        };
        let Some(Rung {
            stage: Stage::Answered { dialog, response, states, signal, .. },
            socket: sock,
            local,
            session,
        }) = rang
        else {
            self.show_supervision();
            return;
        };
        let pcm = [media::rtp::PT_PCMU, media::rtp::PT_PCMA];
        let answer =
            sdp::parse(&response.body).and_then(|m| m.codecs.iter().find(|c| pcm.contains(c)).map(|c| (m.addr, *c)));
        let talking = matches!(self.phase, Phase::Two) && !self.held.iter().any(|h| *h);
        let Some((addr, pt)) = answer.filter(|_| talking) else {
            hang_up(&self.srv, &dialog).await;
            self.show_supervision();
            return;
        };
        let side = |i: usize| Leg::shared(self.relay.socket(i), self.relay.peer(i), self.sdps[i].codecs[0]);
        let legs = vec![side(0), side(1), Leg::new(sock, addr, pt).signalled_from(signal)];
        self.relay.stop();
        let mixer = Mixer::start(legs);
        if let Some(rec) = &self.recording {
            mixer.record(Some((rec.tap(), vec![Some(0), Some(1), None])));
        }
        let s = Supervision { mixer, dialog, states, local, session };
        self.supervision = Supervising::Joined { extension: extension.clone(), mode, s };
        self.meta.supervisor = self.supervision.shown();
        self.hearing();
        self.emit(CallEventKind::Supervised { supervisor: extension, mode });
    }

    /// Who hears whom in the mixer, from the supervisor's mode and the agent's microphone.
    pub(super) fn hearing(&self) {
        let Supervising::Joined { s, mode, .. } = &self.supervision else { return };
        let (agent, other) = (self.agent, 1 - self.agent);
        s.mixer.set_hears(agent, SUPERVISOR, mode.agent_hears());
        s.mixer.set_hears(other, SUPERVISOR, mode.customer_hears());
        s.mixer.set_hears(other, agent, !self.meta.muted);
    }

    /// The supervisor switches to `mode` (while ringing too: they join in it).
    pub(super) fn supervision_mode(&mut self, to: SuperviseMode) {
        let (Supervising::Ringing { mode, extension, .. } | Supervising::Joined { mode, extension, .. }) =
            &mut self.supervision
        else {
            return;
        };
        if *mode == to {
            return;
        }
        *mode = to;
        let extension = extension.clone();
        if self.supervision.joined() {
            self.meta.supervisor = self.supervision.shown();
            self.hearing();
            self.emit(CallEventKind::Supervised { supervisor: extension, mode: to });
        } else {
            self.show_supervision();
        }
    }

    /// The supervisor leaves (`hang_up`: their phone is hung up; they hung up themselves
    /// otherwise); the two sides talk on through a relay again. Nothing when nobody supervises.
    pub(super) async fn supervision_end(&mut self, hang_up: bool) {
        let (extension, s) = match std::mem::replace(&mut self.supervision, Supervising::Nobody) {
            Supervising::Nobody => return,
            Supervising::Ringing { ring, .. } => {
                let _ = ring.cancel.send(CallCommand::Hangup);
                // Answered just before the cancel: that phone is hung up.
                if let Ok(Ok(Some(Rung { stage: Stage::Answered { dialog, .. }, .. }))) =
                    tokio::time::timeout(Duration::from_secs(3), ring.done).await
                {
                    super::hang_up(&self.srv, &dialog).await;
                }
                self.show_supervision();
                return;
            }
            Supervising::Joined { extension, s, .. } => (extension, s),
        };
        self.meta.supervisor = None;
        s.mixer.stop();
        if hang_up {
            super::hang_up(&self.srv, &s.dialog).await;
        } else {
            self.srv.dialogs.remove_dialog(&s.dialog.id());
        }
        let side = |i: usize| {
            Leg::shared(s.mixer.socket(i), s.mixer.peer(i), self.sdps[i].codecs[0]).with_events(self.sdps[i].event_pt)
        };
        let (music, events) = (self.srv.music.clone(), Some(self.media_tx.clone()));
        self.relay = Relay::start_with_events(side(0), side(1), music, events);
        if let Some(rec) = &self.recording {
            self.relay.record(Some(rec.tap()));
        }
        if self.meta.muted {
            self.relay.set_passes(self.agent, false);
        }
        self.emit(CallEventKind::SupervisionEnded { supervisor: extension });
    }

    /// What the supervisor's dialog says: gone, the supervision ends; a re-INVITE is answered
    /// with the same audio.
    pub(super) async fn on_supervisor(&mut self, st: Option<DialogState>) {
        let Supervising::Joined { s, .. } = &self.supervision else { return };
        let call_id = s.dialog.id().call_id.clone();
        match st {
            None => self.supervision_end(false).await,
            Some(DialogState::Terminated(id, _)) if id.call_id == call_id => self.supervision_end(false).await,
            Some(DialogState::Updated(id, _, handle)) if id.call_id == call_id => {
                let codecs = [media::rtp::PT_PCMU, media::rtp::PT_PCMA];
                let body = sdp::build(s.local, &codecs, None, SdpDirection::SendRecv, s.session, 2);
                let headers = vec![Header::ContentType(ContentType::new("application/sdp"))];
                let _ = handle.respond(StatusCode::OK, Some(headers), Some(body.into_bytes())).await;
            }
            Some(DialogState::Info(_, _, handle) | DialogState::Options(_, _, handle)) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            _ => {}
        }
    }
}
