//! The SIP server: UDP and TCP on one address, rsipstack's transaction layer underneath, and
//! a dispatch of each new request to the part of ours that handles its method.

use crate::control::{CallError, Calls};
use crate::digest::Nonces;
use crate::directory::SipDirectory;
use crate::events::{ActiveCall, CallCommand, CallEvent};
use crate::guard::Guard;
use crate::location::Location;
use crate::shared::{Shared, source_of};
use media::{Music, RtpPorts};
use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::Uri;
use rsipstack::sip::headers::untyped::{Accept, Allow, RetryAfter};
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::TransportLayer;
use rsipstack::transport::udp::UdpConnection;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct SipSettings {
    /// UDP and TCP listen here (port 0: any free port, the same for both).
    pub addr: SocketAddr,
    /// The address put in SDP for our RTP; by default the SIP address (127.0.0.1 when that is
    /// unspecified).
    pub media_ip: Option<IpAddr>,
    /// RTP ports are taken from this range (even ports).
    pub rtp_ports: (u16, u16),
    /// How long a call rings before it counts as not answered.
    pub ring_timeout: Duration,
    /// Music on hold; a melody made here when not given.
    pub music: Option<Music>,
    /// Where recordings are written (a folder per organization); recording is refused without.
    pub recordings: Option<std::path::PathBuf>,
    /// Calls up at once per organization and per extension.
    pub limits: crate::admission::Limits,
    /// SIP TCP connections open at once, per address and in all, and how soon one must speak.
    pub tcp: crate::tcp::TcpLimits,
    /// The queue announcements' recorded words (`prompts.rs`); none: queues say nothing.
    pub prompts: Option<std::path::PathBuf>,
}

impl SipSettings {
    pub fn new(addr: SocketAddr) -> SipSettings {
        SipSettings {
            addr,
            media_ip: None,
            rtp_ports: (20000, 30000),
            ring_timeout: Duration::from_secs(30),
            music: None,
            recordings: None,
            limits: Default::default(),
            tcp: Default::default(),
            prompts: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SipError {
    #[error("SIP: {0}")]
    Stack(#[from] rsipstack::Error),
    #[error("SIP: binding {0}: {1}")]
    Bind(SocketAddr, String),
}

/// What this server holds now, for `/metrics`: every figure is back to 0 when no call is up
/// (registrations aside).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Live {
    /// Calls in progress (the list the CRM commands).
    pub calls: usize,
    /// SIP dialogs the dialog layer knows.
    pub dialogs: usize,
    /// SIP transactions running, and finished ones kept for retransmissions (timer K/J/I).
    pub transactions: usize,
    pub finished_transactions: usize,
    /// Server INVITEs waiting for the ACK of their 2xx.
    pub waiting_ack: usize,
    /// Calls whose legs are known for a handover (REFER with Replaces).
    pub legs: usize,
    /// Media relays alive, and RTP ports of the range held (None where /proc is missing).
    pub relays: usize,
    pub rtp_ports: Option<usize>,
    /// SIP TCP connections open.
    pub tcp_connections: usize,
}

pub struct SipServer {
    cancel: CancellationToken,
    endpoint: rsipstack::transaction::endpoint::EndpointInnerRef,
    addr: SocketAddr,
    pub location: Arc<Location>,
    events: broadcast::Sender<CallEvent>,
    shared: Arc<Shared>,
    registrations: crate::trunk_registration::Status,
    tcp: crate::tcp::TcpGauge,
}

/// Binds UDP and TCP on one address. With port 0 the port is the one UDP got, tried again with
/// another when TCP cannot have it (a connection of another program may hold it).
async fn bind_both(
    want: SocketAddr,
    cancel: &CancellationToken,
) -> Result<(UdpConnection, tokio::net::TcpListener, SocketAddr), SipError> {
    let mut tries = 0;
    loop {
        let udp = UdpConnection::create_connection(want, None, Some(cancel.child_token()))
            .await
            .map_err(|e| SipError::Bind(want, e.to_string()))?;
        let addr: SocketAddr =
            udp.get_addr().addr.to_string().parse().map_err(|_| SipError::Bind(want, "no address".into()))?;
        match tokio::net::TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp, addr)),
            Err(_) if want.port() == 0 && tries < 20 => tries += 1,
            Err(e) => return Err(SipError::Bind(addr, e.to_string())),
        }
    }
}

const ALLOWED: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, INFO, UPDATE";

impl SipServer {
    pub async fn start(settings: SipSettings, directory: Arc<dyn SipDirectory>) -> Result<SipServer, SipError> {
        let cancel = CancellationToken::new();
        let transports = TransportLayer::new(cancel.child_token());
        let (udp, tcp_listener, addr) = bind_both(settings.addr, &cancel).await?;
        transports.add_transport(udp.into());
        let endpoint = EndpointBuilder::new()
            .with_user_agent(crate::USER_AGENT)
            .with_transport_layer(transports)
            .with_cancel_token(cancel.child_token())
            .build();
        let mut incoming = endpoint.incoming_transactions()?;
        let location = Arc::new(Location::default());
        let media_ip = settings.media_ip.unwrap_or(if addr.ip().is_unspecified() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            addr.ip()
        });
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            directory,
            location: location.clone(),
            nonces: Nonces::random(),
            guard: Guard::default(),
            internal: crate::InternalKey::random(),
            echoes: Default::default(),
            admission: crate::admission::Admission::new(settings.limits),
            dialogs: Arc::new(DialogLayer::new(endpoint.inner.clone())),
            ports: RtpPorts::new(media_ip, settings.rtp_ports.0, settings.rtp_ports.1),
            media_ip,
            contact: Uri::try_from(format!("sip:switchboard@{addr}").as_str())
                .map_err(|e| SipError::Bind(addr, e.to_string()))?,
            events: events.clone(),
            ring_timeout: settings.ring_timeout,
            calls: Calls::default(),
            legs: Default::default(),
            music: settings.music.clone().unwrap_or_else(Music::default_melody),
            recordings: settings.recordings.clone(),
            prompts: crate::prompts::Prompts::new(settings.prompts.clone()),
            gone: Default::default(),
        });
        let server_shared = shared.clone();
        let endpoint_inner = endpoint.inner.clone();
        // TCP is ours to accept (limits; see tcp.rs): rsipstack gets each connection that passes.
        // Our Via over TCP names the UDP listener's address, which is the same.
        let tcp = crate::tcp::serve_listener(tcp_listener, settings.tcp, endpoint.inner.clone(), cancel.child_token())
            .map_err(|e| SipError::Bind(addr, e.to_string()))?;
        let registrations = crate::trunk_registration::Status::default();
        crate::trunk_registration::start(
            endpoint.inner.clone(),
            shared.directory.clone(),
            registrations.clone(),
            cancel.child_token(),
        );
        tokio::spawn(async move { endpoint.serve().await });
        let purge = location.clone();
        let purge_cancel = cancel.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
            while !purge_cancel.is_cancelled() {
                tick.tick().await;
                purge.purge();
            }
        });
        tokio::spawn(async move {
            while let Some(tx) = incoming.recv().await {
                let shared = shared.clone();
                tokio::spawn(dispatch(shared, tx));
            }
        });
        tracing::info!(%addr, "SIP server listening (UDP and TCP)");
        Ok(SipServer {
            cancel,
            endpoint: endpoint_inner,
            addr,
            location,
            events,
            shared: server_shared,
            registrations,
            tcp,
        })
    }

    /// Whether the registration of trunk `id` at its carrier stands (None: not registering).
    pub fn trunk_registered(&self, id: i64) -> Option<bool> {
        self.registrations.lock().expect("status lock").get(&id).copied()
    }

    /// Commands a call of `tenant` in progress.
    pub fn command(&self, tenant: i64, call_id: &str, cmd: CallCommand) -> Result<(), CallError> {
        self.shared.calls.send(tenant, call_id, cmd)
    }

    /// Click-to-call: rings the agent's phones, then whom they asked for; returns the call id.
    pub async fn originate(&self, o: crate::call::Originate) -> Result<String, CallError> {
        crate::call::originate(self.shared.clone(), o).await
    }

    /// The automatic dialer's call: the customer first, then the agent the CRM names when they
    /// answer (see `call::dialer`); what becomes of it comes on the returned channel.
    pub async fn dial(
        &self,
        d: crate::call::DialOut,
    ) -> Result<tokio::sync::mpsc::UnboundedReceiver<crate::call::DialReport>, CallError> {
        crate::call::dial(self.shared.clone(), d).await
    }

    /// Rings the phones of `extension` with the echo test (a prompt, then what is said comes
    /// back); returns at once.
    /// `answered`: the user dialled it (their phones answer it by themselves).
    pub async fn test_call(&self, tenant: crate::Tenant, extension: &str, answered: bool) -> Result<(), CallError> {
        crate::call::test_call(self.shared.clone(), tenant, extension.to_string(), answered).await
    }

    /// What the server holds now (see `Live`).
    pub fn live(&self) -> Live {
        let stats = self.endpoint.get_stats();
        Live {
            calls: self.shared.calls.len(),
            dialogs: self.shared.dialogs.len(),
            transactions: stats.running_transactions,
            finished_transactions: stats.finished_transactions,
            waiting_ack: stats.waiting_ack,
            legs: self.shared.legs.len(),
            relays: media::live::relays(),
            rtp_ports: self.shared.ports.in_use(),
            tcp_connections: self.tcp.open(),
        }
    }

    /// What the SIP side holds, one line each: every dialog (id and state) and every running
    /// transaction (its key) — for an operator asking why a gauge of `live` is not back at 0.
    pub fn live_detail(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .shared
            .dialogs
            .all_dialog_ids()
            .into_iter()
            .map(|id| match self.shared.dialogs.get_dialog_with(&id) {
                Some(d) => format!("dialog {id} {}", d.state()),
                None => format!("dialog {id} gone"),
            })
            .collect();
        let keys = self.endpoint.get_running_transactions().unwrap_or_default();
        lines.extend(keys.into_iter().map(|k| format!("transaction {k}")));
        lines
    }

    /// The calls of `tenant` in progress.
    pub fn calls(&self, tenant: i64) -> Vec<ActiveCall> {
        self.shared.calls.list(tenant)
    }

    /// Every call event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CallEvent> {
        self.events.subscribe()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address our SDP gives for media.
    /// The key this process's browser phones carry (see [`crate::internal`]).
    pub fn internal_key(&self) -> crate::InternalKey {
        self.shared.internal.clone()
    }

    pub fn media_ip(&self) -> IpAddr {
        self.shared.media_ip
    }

    pub fn shutdown(&self) {
        self.cancel.cancel();
    }
}

impl Drop for SipServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn dispatch(srv: Arc<Shared>, mut tx: Transaction) {
    let internal = srv.internal.vouches(&tx.original);
    if !internal
        && let Some(src) = source_of(&tx)
        && srv.guard.is_banned(src.ip())
    {
        return; // no answer at all: a scanner learns nothing
    }
    // Requests inside a dialog (ACK, BYE, re-INVITE, CANCEL of a ringing call) go to it.
    if let Some(mut dialog) = srv.dialogs.match_dialog(&tx) {
        if tx.original.method == Method::Bye
            && tx.original.headers.iter().any(|h| h.to_string().contains(crate::shared::BROWSER_GONE))
        {
            let mut gone = srv.gone.lock().expect("gone lock");
            if gone.len() > 10_000 {
                gone.clear(); // never read back: such BYEs came for no call of ours
            }
            gone.insert(crate::call::call_id_of(&tx.original));
        }
        if let Err(e) = dialog.handle(&mut tx).await {
            tracing::debug!("SIP: in-dialog {}: {e}", tx.original.method);
        }
        return;
    }
    if matches!(tx.original.method, Method::Register | Method::Invite) && !srv.directory.ready().await {
        // Who is who cannot be read (the database is down and nothing was read before): say
        // so and when to try again, never "unknown" or "wrong password".
        let headers = vec![Header::RetryAfter(RetryAfter::new("5"))];
        if let Err(e) = tx.reply_with(StatusCode::ServiceUnavailable, headers, None).await {
            tracing::debug!("SIP: answering 503: {e}");
        }
        return;
    }
    let result = match tx.original.method {
        Method::Register => crate::registrar::handle(&srv, &mut tx).await,
        Method::Options => {
            let headers = vec![Header::Allow(Allow::new(ALLOWED)), Header::Accept(Accept::new("application/sdp"))];
            tx.reply_with(StatusCode::OK, headers, None).await
        }
        Method::Invite => {
            // Carriers are known by address; everyone else is a phone and must authenticate
            // (the browser phones of this process by their key, whatever a trunk claims).
            let trunks = match source_of(&tx) {
                Some(src) if !internal => srv.directory.trunks_for_source(src.ip()).await,
                _ => vec![],
            };
            if trunks.is_empty() {
                crate::call::from_phone(srv.clone(), tx).await;
            } else {
                crate::call::from_trunk(srv.clone(), tx, trunks).await;
            }
            return;
        }
        Method::Ack => return,
        Method::Bye | Method::Cancel => tx.reply(StatusCode::CallTransactionDoesNotExist).await,
        _ => tx.reply(StatusCode::MethodNotAllowed).await,
    };
    if let Err(e) = result {
        tracing::debug!("SIP: answering {}: {e}", tx.original.method);
    }
}
