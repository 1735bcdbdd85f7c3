//! One user's browser phone: its registration, its one call (ringing, dialling or in
//! conversation) and the page that has it now. A task per phone; pages and SIP reach it by
//! messages.

use crate::Inner;
use crate::PhoneLogin;
use crate::bridge::{Bridge, BridgeEvent, Codec};
use crate::signal::{EndReason, FromPage, ToPage};
use media::rtp::{PT_PCMA, PT_PCMU};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, DialogStateSender, TransactionHandle};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::dialog::registration::{Registration, backoff_interval, refresh_interval};
use rsipstack::sip::headers::untyped::ContentType;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Response, StatusCode, StatusCodeKind, Transport, Uri};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use telephony::sdp::{self, Direction};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

pub(crate) enum PhoneInput {
    Attach {
        page: u64,
        tx: mpsc::UnboundedSender<ToPage>,
        login: PhoneLogin,
    },
    Detach {
        page: u64,
    },
    Page {
        page: u64,
        msg: FromPage,
    },
    /// A new call to this phone.
    Invite(Box<Transaction>),
    /// The registration stands (or not).
    Registered(bool),
    /// Our INVITE (after `Dial`) got its final answer.
    Dialled(Option<Response>),
}

/// The phones of this node: by user key, and by the token in their Contact.
#[derive(Default)]
pub(crate) struct Registry {
    phones: Mutex<HashMap<String, (String, mpsc::UnboundedSender<PhoneInput>)>>,
}

impl Registry {
    /// Phones running.
    pub fn len(&self) -> usize {
        self.phones.lock().expect("phones lock").len()
    }

    /// Hands a new INVITE to the phone whose Contact it names.
    pub fn deliver(&self, token: &str, tx: Box<Transaction>) -> Result<(), Box<Transaction>> {
        let phones = self.phones.lock().expect("phones lock");
        match phones.values().find(|(t, _)| t == token) {
            Some((_, phone)) => phone.send(PhoneInput::Invite(tx)).map_err(|e| match e.0 {
                PhoneInput::Invite(tx) => tx,
                _ => unreachable!("sent an invite"),
            }),
            None => Err(tx),
        }
    }
}

/// Gives the page `page` the phone of `login`'s user, starting the phone if it is not running.
pub(crate) fn attach(
    gw: &Arc<Inner>,
    login: PhoneLogin,
    page: u64,
    tx: mpsc::UnboundedSender<ToPage>,
) -> mpsc::UnboundedSender<PhoneInput> {
    let mut phones = gw.registry.phones.lock().expect("phones lock");
    if let Some((_, phone)) = phones.get(&login.key)
        && phone.send(PhoneInput::Attach { page, tx: tx.clone(), login: login.clone() }).is_ok()
    {
        return phone.clone();
    }
    let token = format!("web-{:016x}", rand::random::<u64>());
    let (phone_tx, rx) = mpsc::unbounded_channel();
    let _ = phone_tx.send(PhoneInput::Attach { page, tx, login: login.clone() });
    phones.insert(login.key.clone(), (token.clone(), phone_tx.clone()));
    let phone = Phone::new(gw.clone(), login, token, phone_tx.clone());
    tokio::spawn(phone.run(rx));
    phone_tx
}

/// The one call of a phone.
enum Call {
    Idle,
    Ringing { dialog: InviteDialog, from: String, codec: Codec, relay: Option<SocketAddr>, auto: bool },
    Dialling { dialog: Option<InviteDialog>, number: String, offer: String, rtp: Option<UdpSocket> },
    Talking(Talk),
}

struct Talk {
    dialog: InviteDialog,
    bridge: Bridge,
    with: String,
    /// Held by us because the page went away.
    held: bool,
    session: u64,
    version: u64,
}

struct Phone {
    gw: Arc<Inner>,
    login: PhoneLogin,
    token: String,
    contact: Uri,
    me: mpsc::UnboundedSender<PhoneInput>,
    page: Option<(u64, mpsc::UnboundedSender<ToPage>)>,
    away_since: Option<Instant>,
    registered: bool,
    call: Call,
    states: (DialogStateSender, DialogStateReceiver),
    bridge_events: (mpsc::UnboundedSender<BridgeEvent>, mpsc::UnboundedReceiver<BridgeEvent>),
}

impl Phone {
    fn new(gw: Arc<Inner>, login: PhoneLogin, token: String, me: mpsc::UnboundedSender<PhoneInput>) -> Phone {
        let contact = Uri::try_from(format!("sip:{token}@{}", gw.local).as_str()).unwrap_or_default();
        Phone {
            gw,
            login,
            token,
            contact,
            me,
            page: None,
            away_since: Some(Instant::now()),
            registered: false,
            call: Call::Idle,
            states: mpsc::unbounded_channel(),
            bridge_events: mpsc::unbounded_channel(),
        }
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<PhoneInput>) {
        let mut registration =
            tokio::spawn(keep_registered(self.gw.clone(), self.login.clone(), self.contact.clone(), self.me.clone()));
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                Some(input) = rx.recv() => self.on_input(input).await,
                Some(st) = self.states.1.recv() => self.on_dialog(st).await,
                Some(ev) = self.bridge_events.1.recv() => self.on_bridge(ev),
                _ = tick.tick() => {
                    if self.on_tick().await && self.leave(&rx) {
                        break;
                    }
                }
            }
        }
        registration.abort();
        let _ = (&mut registration).await;
        unregister(&self.gw, &self.login, &self.contact).await;
        tracing::debug!(key = %self.login.key, token = %self.token, "browser phone: gone");
    }

    /// Leaves the registry unless something is waiting for the phone.
    fn leave(&self, rx: &mpsc::UnboundedReceiver<PhoneInput>) -> bool {
        let mut phones = self.gw.registry.phones.lock().expect("phones lock");
        if !rx.is_empty() {
            return false;
        }
        if phones.get(&self.login.key).is_some_and(|(t, _)| *t == self.token) {
            phones.remove(&self.login.key);
        }
        true
    }

    fn tell(&self, msg: ToPage) {
        if let Some((_, tx)) = &self.page {
            let _ = tx.send(msg);
        }
    }

    async fn on_input(&mut self, input: PhoneInput) {
        match input {
            PhoneInput::Attach { page, tx, login } => {
                if let Some((_, old)) = self.page.replace((page, tx)) {
                    let _ = old.send(ToPage::Replaced);
                }
                self.away_since = None;
                self.login.secret = login.secret;
                self.login.auto_answer = login.auto_answer;
                if self.registered {
                    self.tell(ToPage::Ready { extension: self.login.extension.clone() });
                }
                match &self.call {
                    Call::Ringing { from, auto, .. } => {
                        let msg = ToPage::Incoming { from: from.clone(), auto: *auto };
                        self.tell(msg)
                    }
                    Call::Talking(t) => self.tell(ToPage::Resume { with: t.with.clone() }),
                    _ => {}
                }
            }
            PhoneInput::Detach { page } => {
                if self.page.as_ref().is_some_and(|(p, _)| *p == page) {
                    self.page = None;
                    self.away_since = Some(Instant::now());
                    if let Call::Dialling { .. } = self.call {
                        self.hang_up(EndReason::PageGone).await;
                    }
                }
            }
            PhoneInput::Page { page, msg } => {
                if self.page.as_ref().is_some_and(|(p, _)| *p == page) {
                    self.on_page(msg).await;
                }
            }
            PhoneInput::Invite(tx) => self.on_invite(tx).await,
            PhoneInput::Registered(ok) => {
                if ok && !self.registered {
                    self.tell(ToPage::Ready { extension: self.login.extension.clone() });
                }
                self.registered = ok;
            }
            PhoneInput::Dialled(resp) => self.on_dialled(resp).await,
        }
    }

    async fn on_page(&mut self, msg: FromPage) {
        match msg {
            FromPage::Answer { sdp } => self.answer(sdp).await,
            FromPage::Dial { number, sdp } => self.dial(number, sdp).await,
            FromPage::Hangup => self.hang_up(EndReason::Hangup).await,
            FromPage::Dtmf { digits } => {
                if let Call::Talking(t) = &self.call {
                    t.bridge.dtmf(&digits);
                }
            }
            FromPage::Stats => {
                if let Call::Talking(t) = &self.call {
                    self.tell(ToPage::Stats { stats: t.bridge.stats() });
                }
            }
        }
    }

    /// A call for this phone: it rings if the phone is free.
    async fn on_invite(&mut self, mut tx: Box<Transaction>) {
        if !matches!(self.call, Call::Idle) {
            let _ = tx.reply(StatusCode::BusyHere).await;
            return;
        }
        let req = tx.original.clone();
        let Some(offer) = sdp::parse(&req.body) else {
            let _ = tx.reply(StatusCode::NotAcceptableHere).await;
            return;
        };
        let Some(pt) = offer.codecs.iter().copied().find(|c| *c == PT_PCMU || *c == PT_PCMA) else {
            let _ = tx.reply(StatusCode::NotAcceptableHere).await;
            return;
        };
        let dialog = match self.gw.dialogs.get_or_create_server_invite(
            &tx,
            self.states.0.clone(),
            None,
            Some(self.contact.clone()),
        ) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("browser phone: cannot make a dialog: {e}");
                let _ = tx.reply(StatusCode::ServerInternalError).await;
                return;
            }
        };
        {
            let mut d = dialog.clone();
            tokio::spawn(async move {
                let _ = d.handle(&mut tx).await;
            });
        }
        let _ = dialog.ringing(None, None);
        let auto = self.login.auto_answer || server_asks_auto_answer(&req);
        let from = req
            .from_header()
            .ok()
            .and_then(|f| f.typed().ok())
            .and_then(|f| f.uri.auth.map(|a| a.user))
            .unwrap_or_default();
        let codec = Codec { pt, event_pt: offer.event_pt };
        self.tell(ToPage::Incoming { from: from.clone(), auto });
        self.call = Call::Ringing { dialog, from, codec, relay: offer.addr, auto };
    }

    /// The page's offer: answers the ringing call, or takes the call in progress back.
    async fn answer(&mut self, offer: String) {
        match std::mem::replace(&mut self.call, Call::Idle) {
            Call::Ringing { dialog, from, codec, relay, .. } => {
                let rtp = match self.gw.ports.bind().await {
                    Ok(s) => s,
                    Err(e) => return self.fail(dialog, &e.to_string()),
                };
                let started = Bridge::start(
                    &self.gw.ports,
                    self.gw.settings.media_ip,
                    rtp,
                    &offer,
                    codec,
                    relay,
                    self.bridge_events.0.clone(),
                )
                .await;
                let (bridge, answer) = match started {
                    Ok(b) => b,
                    Err(e) => return self.fail(dialog, &e.to_string()),
                };
                let session = rand::random::<u32>() as u64;
                let ours = sdp::build(bridge.rtp_local, &[codec.pt], codec.event_pt, Direction::SendRecv, session, 1);
                if dialog.accept(Some(sdp_headers()), Some(ours.into_bytes())).is_err() {
                    self.forget(&dialog);
                    self.tell(ToPage::Ended { reason: EndReason::Cancelled });
                    return;
                }
                self.tell(ToPage::Sdp { sdp: answer });
                self.call = Call::Talking(Talk { dialog, bridge, with: from, held: false, session, version: 1 });
            }
            Call::Talking(mut t) => {
                match t.bridge.renew(offer).await {
                    Ok(answer) => self.tell(ToPage::Sdp { sdp: answer }),
                    Err(e) => self.tell(ToPage::Error { message: e.to_string() }),
                }
                if t.held {
                    reinvite(&mut t, Direction::SendRecv).await;
                }
                self.call = Call::Talking(t);
            }
            other => {
                self.call = other;
                self.tell(ToPage::Error { message: "no call to answer".into() });
            }
        }
    }

    fn fail(&mut self, dialog: InviteDialog, why: &str) {
        tracing::warn!("browser phone: cannot answer: {why}");
        let _ = dialog.reject(Some(StatusCode::ServiceUnavailable), None);
        self.forget(&dialog);
        self.tell(ToPage::Ended { reason: EndReason::MediaFailed });
    }

    /// Calls `number` from the user's extension, through the B2BUA as any phone would.
    async fn dial(&mut self, number: String, offer: String) {
        if !matches!(self.call, Call::Idle) {
            self.tell(ToPage::Error { message: "a call is in progress".into() });
            return;
        }
        let number: String =
            number.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '*' | '#')).collect();
        if number.is_empty() {
            self.tell(ToPage::Ended { reason: EndReason::Failed });
            return;
        }
        let rtp = match self.gw.ports.bind().await {
            Ok(s) => s,
            Err(_) => return self.tell(ToPage::Ended { reason: EndReason::MediaFailed }),
        };
        let local = rtp.local_addr().map(|a| a.port()).unwrap_or(0);
        let local = SocketAddr::new(self.gw.settings.media_ip, local);
        let ours =
            sdp::build(local, &[PT_PCMU, PT_PCMA], Some(101), Direction::SendRecv, rand::random::<u32>() as u64, 1);
        let domain = &self.login.domain;
        let opt = InviteOption {
            caller: uri(&format!("sip:{}@{domain}", self.login.extension)),
            callee: uri(&format!("sip:{number}@{domain}")),
            destination: Some(server_addr(&self.gw)),
            content_type: Some("application/sdp".into()),
            offer: Some(ours.into_bytes()),
            contact: self.contact.clone(),
            credential: Some(self.credential()),
            headers: self.gw.settings.internal_key.as_ref().map(|k| vec![k.header()]),
            ..Default::default()
        };
        match self.gw.dialogs.do_invite_async(opt, self.states.0.clone()) {
            Ok((dialog, join)) => {
                let me = self.me.clone();
                tokio::spawn(async move {
                    let resp = join.await.ok().and_then(|r| r.ok()).and_then(|(_, resp)| resp);
                    let _ = me.send(PhoneInput::Dialled(resp));
                });
                self.call = Call::Dialling { dialog: Some(dialog), number, offer, rtp: Some(rtp) };
            }
            Err(e) => {
                tracing::warn!("browser phone: INVITE failed: {e}");
                self.tell(ToPage::Ended { reason: EndReason::Failed });
            }
        }
    }

    async fn on_dialled(&mut self, resp: Option<Response>) {
        let Call::Dialling { dialog, number, offer, rtp } = std::mem::replace(&mut self.call, Call::Idle) else {
            return;
        };
        let (Some(dialog), Some(rtp)) = (dialog, rtp) else { return };
        let resp = match resp {
            Some(r) if r.status_code.kind() == StatusCodeKind::Successful => r,
            Some(r) => {
                self.forget(&dialog);
                let busy = matches!(r.status_code, StatusCode::BusyHere | StatusCode::BusyEverywhere);
                self.tell(ToPage::Ended { reason: if busy { EndReason::Busy } else { EndReason::Failed } });
                return;
            }
            None => {
                self.forget(&dialog);
                self.tell(ToPage::Ended { reason: EndReason::Failed });
                return;
            }
        };
        let answer = sdp::parse(&resp.body);
        let Some((answer, pt)) = answer.and_then(|a| {
            let pt = a.codecs.iter().copied().find(|c| *c == PT_PCMU || *c == PT_PCMA)?;
            Some((a, pt))
        }) else {
            let _ = dialog.bye().await;
            self.forget(&dialog);
            self.tell(ToPage::Ended { reason: EndReason::Failed });
            return;
        };
        let codec = Codec { pt, event_pt: answer.event_pt };
        let started = Bridge::start(
            &self.gw.ports,
            self.gw.settings.media_ip,
            rtp,
            &offer,
            codec,
            answer.addr,
            self.bridge_events.0.clone(),
        )
        .await;
        match started {
            Ok((bridge, sdp)) => {
                self.tell(ToPage::Sdp { sdp });
                let session = rand::random::<u32>() as u64;
                self.call = Call::Talking(Talk { dialog, bridge, with: number, held: false, session, version: 1 });
            }
            Err(e) => {
                tracing::warn!("browser phone: {e}");
                let _ = dialog.bye().await;
                self.forget(&dialog);
                self.tell(ToPage::Ended { reason: EndReason::MediaFailed });
            }
        }
    }

    /// Refuses, cancels or hangs up the call, whichever it is.
    async fn hang_up(&mut self, reason: EndReason) {
        match std::mem::replace(&mut self.call, Call::Idle) {
            Call::Idle => {}
            Call::Ringing { dialog, .. } => {
                let _ = dialog.reject(Some(StatusCode::BusyHere), None);
                self.forget(&dialog);
            }
            Call::Dialling { dialog, .. } => {
                if let Some(d) = dialog {
                    let _ = d.cancel().await;
                    self.forget(&d);
                }
            }
            Call::Talking(t) => {
                let _ = if reason == EndReason::PageGone {
                    t.dialog.bye_with_reason("SIP;cause=480;text=\"agent's browser gone\"".into()).await
                } else {
                    t.dialog.bye().await
                };
                self.forget(&t.dialog);
            }
        }
        self.tell(ToPage::Ended { reason });
    }

    async fn on_dialog(&mut self, st: DialogState) {
        let ours = match &self.call {
            Call::Ringing { dialog, .. } | Call::Talking(Talk { dialog, .. }) => Some(dialog.id().call_id.clone()),
            Call::Dialling { dialog: Some(d), .. } => Some(d.id().call_id.clone()),
            _ => None,
        };
        match st {
            DialogState::Terminated(id, _) if Some(&id.call_id) == ours.as_ref() => {
                let reason = match self.call {
                    Call::Ringing { .. } => EndReason::Cancelled,
                    Call::Dialling { .. } => return, // the final answer says how it ended
                    _ => EndReason::Hangup,
                };
                if let Call::Ringing { dialog, .. } | Call::Talking(Talk { dialog, .. }) =
                    std::mem::replace(&mut self.call, Call::Idle)
                {
                    self.forget(&dialog);
                }
                self.tell(ToPage::Ended { reason });
            }
            DialogState::Early(id, _) if Some(&id.call_id) == ours.as_ref() => self.tell(ToPage::Progress),
            DialogState::Updated(id, req, handle) if Some(&id.call_id) == ours.as_ref() => {
                self.reinvited(&req, handle).await
            }
            DialogState::Info(_, _, handle) | DialogState::Options(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            _ => {}
        }
    }

    /// The B2BUA moved the media (a transfer, a new relay): follow it.
    async fn reinvited(&mut self, req: &rsipstack::sip::Request, handle: TransactionHandle) {
        let Call::Talking(t) = &mut self.call else {
            let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await;
            return;
        };
        let offer = sdp::parse(&req.body);
        if let Some(o) = &offer {
            t.bridge.set_relay(o.addr);
        }
        let dir = match offer.map(|o| o.direction) {
            Some(Direction::SendOnly) => Direction::RecvOnly,
            Some(Direction::Inactive) => Direction::Inactive,
            _ if t.held => Direction::SendOnly,
            _ => Direction::SendRecv,
        };
        t.version += 1;
        let ours = sdp::build(t.bridge.rtp_local, &[t.bridge_codec()], t.bridge_event(), dir, t.session, t.version);
        let _ = handle.respond(StatusCode::OK, Some(sdp_headers()), Some(ours.into_bytes())).await;
    }

    fn on_bridge(&mut self, ev: BridgeEvent) {
        match ev {
            BridgeEvent::Connected => self.tell(ToPage::Connected),
            BridgeEvent::Lost => tracing::debug!(key = %self.login.key, "browser phone: WebRTC lost"),
        }
    }

    /// Every quarter second: a page away too long puts the call on hold, then gives it up.
    /// Returns true when the phone has nothing left to do.
    async fn on_tick(&mut self) -> bool {
        let Some(since) = self.away_since else { return false };
        let away = since.elapsed();
        if let Call::Talking(t) = &mut self.call
            && !t.held
            && away >= self.gw.settings.hold_after
        {
            reinvite(t, Direction::SendOnly).await;
        }
        if away < self.gw.settings.grace {
            return false;
        }
        match self.call {
            Call::Talking(_) => {
                tracing::info!(key = %self.login.key, "browser phone: the page stayed away; the call is given up");
                self.hang_up(EndReason::PageGone).await;
                true
            }
            Call::Idle => true,
            _ => false,
        }
    }

    /// The call's dialog is over: out of the gateway's dialog layer (nothing of a call stays).
    fn forget(&self, dialog: &InviteDialog) {
        self.gw.dialogs.remove_dialog(&dialog.id());
    }

    fn credential(&self) -> Credential {
        Credential {
            username: self.login.extension.clone(),
            password: self.login.secret.clone(),
            realm: None,
            ..Default::default()
        }
    }
}

impl Talk {
    fn bridge_codec(&self) -> u8 {
        self.bridge.codec().pt
    }
    fn bridge_event(&self) -> Option<u8> {
        self.bridge.codec().event_pt
    }
}

/// Holds (sendonly) or resumes the call from our side: the B2BUA plays music to the other
/// party while we hold.
async fn reinvite(t: &mut Talk, dir: Direction) {
    t.version += 1;
    let body = sdp::build(t.bridge.rtp_local, &[t.bridge_codec()], t.bridge_event(), dir, t.session, t.version);
    match t.dialog.reinvite(Some(sdp_headers()), Some(body.into_bytes())).await {
        Ok(_) => t.held = dir == Direction::SendOnly,
        Err(e) => tracing::info!("browser phone: re-INVITE: {e}"),
    }
}

fn sdp_headers() -> Vec<Header> {
    vec![Header::ContentType(ContentType::new("application/sdp"))]
}

fn uri(s: &str) -> Uri {
    Uri::try_from(s).unwrap_or_default()
}

fn server_addr(gw: &Inner) -> SipAddr {
    SipAddr { r#type: Some(Transport::Udp), addr: gw.settings.sip_server.into() }
}

fn registration(gw: &Inner, login: &PhoneLogin, contact: &Uri) -> Registration {
    let credential = Credential {
        username: login.extension.clone(),
        password: login.secret.clone(),
        realm: None,
        ..Default::default()
    };
    let mut reg = Registration::new(gw.endpoint.clone(), Some(credential));
    reg.outbound_proxy = Some(gw.settings.sip_server);
    reg.extra_headers = gw.settings.internal_key.iter().map(|k| k.header()).collect();
    reg.contact = Some(rsipstack::sip::typed::Contact { display_name: None, uri: contact.clone(), params: vec![] });
    reg
}

/// How long a registration asks to last: short, so a node that dies leaves no phone behind
/// for long.
const EXPIRES: u32 = 120;

/// Registers the phone's Contact as the extension, refreshing before expiry.
async fn keep_registered(gw: Arc<Inner>, login: PhoneLogin, contact: Uri, me: mpsc::UnboundedSender<PhoneInput>) {
    let mut reg = registration(&gw, &login, &contact);
    let server = uri(&format!("sip:{}", login.domain));
    let mut failures = 0;
    loop {
        let ok = matches!(reg.register(server.clone(), Some(EXPIRES)).await,
            Ok(r) if r.status_code.kind() == StatusCodeKind::Successful);
        let _ = me.send(PhoneInput::Registered(ok));
        let wait = if ok {
            failures = 0;
            refresh_interval(reg.expires().max(60))
        } else {
            failures += 1;
            tracing::warn!(extension = %login.extension, domain = %login.domain, "browser phone: registration refused");
            backoff_interval(failures)
        };
        tokio::time::sleep(wait).await;
    }
}

async fn unregister(gw: &Inner, login: &PhoneLogin, contact: &Uri) {
    let mut reg = registration(gw, login, contact);
    let server = uri(&format!("sip:{}", login.domain));
    let _ = tokio::time::timeout(Duration::from_secs(5), reg.register(server, Some(0))).await;
}

/// Whether Switchboard's own SIP server asks this phone to answer by itself (a supervision, a
/// click-to-call's agent leg, an agent's "answer" from the panel): only its Call-Info
/// `answer-after=0` or Alert-Info `info=alert-autoanswer`, which the B2BUA sets on the legs it
/// makes and never copies from a caller. Nothing an outside party controls counts — a caller ID
/// (From display name or user part), a Subject, any other header saying "autoanswer".
fn server_asks_auto_answer(req: &rsipstack::sip::Request) -> bool {
    req.headers.iter().any(|h| match h {
        Header::CallInfo(v) => v.value().to_ascii_lowercase().replace(' ', "").contains(";answer-after=0"),
        Header::AlertInfo(v) => v.value().to_ascii_lowercase().replace(' ', "").contains(";info=alert-autoanswer"),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::server_asks_auto_answer;

    fn invite(extra: &str) -> rsipstack::sip::Request {
        let text = format!(
            "INVITE sip:web-1@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
             {extra}To: <sip:101@acme>\r\nCall-ID: a@b\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        rsipstack::sip::Request::try_from(text.as_bytes()).expect("a request")
    }

    /// The attack: a caller ID that says "answer" in every way a header can. The page must
    /// ring, not answer.
    #[test]
    fn a_caller_id_cannot_make_the_browser_phone_answer_by_itself() {
        for from in [
            "From: \"answer-after=0\" <sip:48600111222@carrier>;tag=1\r\n",
            "From: \"x;info=alert-autoanswer\" <sip:alert-autoanswer@carrier>;tag=1\r\n",
            "From: <sip:answer-after=0@carrier>;tag=1\r\n",
            "From: <sip:1@carrier>;tag=1\r\nSubject: ;answer-after=0\r\nX-Info: ;info=alert-autoanswer\r\n",
        ] {
            assert!(!server_asks_auto_answer(&invite(from)), "{from}");
        }
    }

    #[test]
    fn the_servers_own_auto_answer_headers_are_honoured() {
        let from = "From: <sip:1@carrier>;tag=1\r\n";
        let call_info = format!("{from}Call-Info: <sip:127.0.0.1:5060>;answer-after=0\r\n");
        let alert_info = format!("{from}Alert-Info: <http://localhost>;info=alert-autoanswer\r\n");
        assert!(server_asks_auto_answer(&invite(&call_info)));
        assert!(server_asks_auto_answer(&invite(&alert_info)));
        assert!(!server_asks_auto_answer(&invite(from)));
    }
}
