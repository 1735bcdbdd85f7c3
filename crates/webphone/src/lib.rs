//! The browser phone. Each signed-in user's pages share one phone here: a SIP user agent that
//! registers with Switchboard's own SIP server as the user's extension (so the B2BUA rings,
//! holds, transfers and records it exactly as a desk phone, and forks a call to both when the
//! user has both), and bridges each call's audio to the page over WebRTC (str0m: ICE-lite,
//! DTLS-SRTP, G.711 passed through). The page signals over its own authenticated WebSocket
//! ([`signal`]); it never holds a SIP password.
//!
//! A page that goes away mid-call (a reload, a navigation, a lost connection) leaves the call
//! here: after [`GatewaySettings::hold_after`] the customer hears music on hold, a page of the
//! same user that comes back within [`GatewaySettings::grace`] takes the call back, and after
//! that the call is ended with the reason "the agent's browser is gone".

mod bridge;
mod phone;
pub mod signal;

use media::RtpPorts;
use phone::{PhoneInput, Registry};
use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::{Method, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::TransportLayer;
use rsipstack::transport::udp::UdpConnection;
use signal::{FromPage, ToPage};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Switchboard's SIP server (the gateway registers and calls there, over loopback).
    pub sip_server: SocketAddr,
    /// The address browsers send their media to (our ICE candidate).
    pub media_ip: IpAddr,
    /// Media ports are taken from this range.
    pub rtp_ports: (u16, u16),
    /// How long a page may be away from a call before the customer hears music on hold.
    pub hold_after: Duration,
    /// How long a page may be away before the phone gives up its call (and its registration).
    pub grace: Duration,
    /// The SIP server's key for this process's own user agent: with it the phones register
    /// and call without the SIP password (which may change under them), and no trunk or
    /// scanner guard can take their address for someone else's (`telephony::internal`).
    pub internal_key: Option<telephony::InternalKey>,
}

impl GatewaySettings {
    pub fn new(sip_server: SocketAddr, media_ip: IpAddr) -> GatewaySettings {
        GatewaySettings {
            sip_server,
            media_ip,
            rtp_ports: (30000, 40000),
            hold_after: Duration::from_millis(1500),
            grace: Duration::from_secs(60),
            internal_key: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("browser phone: {0}")]
    Stack(#[from] rsipstack::Error),
    #[error("browser phone: binding its SIP address: {0}")]
    Bind(String),
}

/// Who a page's phone is: the extension and the SIP secret it registers with (read by the
/// server from the user's record; never sent to the page).
#[derive(Debug, Clone)]
pub struct PhoneLogin {
    /// One phone per key: the pages of one user share it.
    pub key: String,
    /// The organization's SIP domain.
    pub domain: String,
    pub extension: String,
    pub secret: String,
    /// Every call to this phone is answered at once (the user's choice).
    pub auto_answer: bool,
}

/// What every phone shares.
pub(crate) struct Inner {
    pub dialogs: Arc<DialogLayer>,
    pub endpoint: rsipstack::transaction::endpoint::EndpointInnerRef,
    /// Our SIP address (in our Contacts).
    pub local: SocketAddr,
    pub settings: GatewaySettings,
    pub ports: RtpPorts,
    pub registry: Registry,
    next_page: AtomicU64,
}

/// Counts of what the browser phones hold (see [`Gateway::live`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Live {
    /// Phones running (one per signed-in user with a page open, or within its grace).
    pub phones: usize,
    /// WebRTC ↔ RTP bridges alive (one per browser-phone call with audio).
    pub bridges: usize,
    /// SIP dialogs of the phones' user agent.
    pub dialogs: usize,
    /// Its SIP transactions running, and finished ones kept for retransmissions.
    pub transactions: usize,
    pub finished_transactions: usize,
    /// Media ports of the browser phones' range held (None where /proc is missing).
    pub rtp_ports: Option<usize>,
}

/// The browser phones of this node.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
    cancel: CancellationToken,
}

impl Gateway {
    /// Starts the gateway's SIP user agent on loopback.
    pub async fn start(settings: GatewaySettings) -> Result<Gateway, GatewayError> {
        let cancel = CancellationToken::new();
        let transports = TransportLayer::new(cancel.child_token());
        let bind: SocketAddr = if settings.sip_server.is_ipv6() { "[::1]:0" } else { "127.0.0.1:0" }
            .parse()
            .map_err(|_| GatewayError::Bind("loopback".into()))?;
        let udp = UdpConnection::create_connection(bind, None, Some(cancel.child_token()))
            .await
            .map_err(|e| GatewayError::Bind(e.to_string()))?;
        let local: SocketAddr =
            udp.get_addr().addr.to_string().parse().map_err(|_| GatewayError::Bind("no address".into()))?;
        transports.add_transport(udp.into());
        let endpoint = EndpointBuilder::new()
            .with_user_agent(concat!("Switchboard-browser-phone/", env!("CARGO_PKG_VERSION")))
            .with_transport_layer(transports)
            .with_cancel_token(cancel.child_token())
            .build();
        let mut incoming = endpoint.incoming_transactions()?;
        let ports = RtpPorts::new(settings.media_ip, settings.rtp_ports.0, settings.rtp_ports.1);
        let inner = Arc::new(Inner {
            dialogs: Arc::new(DialogLayer::new(endpoint.inner.clone())),
            endpoint: endpoint.inner.clone(),
            local,
            settings,
            ports,
            registry: Registry::default(),
            next_page: AtomicU64::new(1),
        });
        tokio::spawn(async move { endpoint.serve().await });
        let gw = inner.clone();
        tokio::spawn(async move {
            while let Some(tx) = incoming.recv().await {
                tokio::spawn(dispatch(gw.clone(), tx));
            }
        });
        tracing::info!(%local, "browser phones: SIP user agent on loopback");
        Ok(Gateway { inner, cancel })
    }

    /// A page of `login`'s user connects: it takes the user's phone over (another page that
    /// had it is told so), and hears of calls from now on.
    pub fn attach(&self, login: PhoneLogin) -> PageLink {
        let id = self.inner.next_page.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        let phone = phone::attach(&self.inner, login, id, tx);
        PageLink { id, rx, phone }
    }

    /// What the browser phones hold now (for `/metrics`): with no browser-phone call up,
    /// bridges, dialogs, transactions and media ports are all 0.
    pub fn live(&self) -> Live {
        let stats = self.inner.endpoint.get_stats();
        Live {
            phones: self.inner.registry.len(),
            bridges: bridge::BRIDGES.load(Ordering::Relaxed),
            dialogs: self.inner.dialogs.len(),
            transactions: stats.running_transactions,
            finished_transactions: stats.finished_transactions,
            rtp_ports: self.inner.ports.in_use(),
        }
    }

    pub fn shutdown(&self) {
        self.cancel.cancel();
    }
}

/// One page's connection to its user's phone; dropping it tells the phone the page left.
pub struct PageLink {
    id: u64,
    pub rx: mpsc::UnboundedReceiver<ToPage>,
    phone: mpsc::UnboundedSender<PhoneInput>,
}

impl PageLink {
    pub fn send(&self, msg: FromPage) {
        let _ = self.phone.send(PhoneInput::Page { page: self.id, msg });
    }
}

impl Drop for PageLink {
    fn drop(&mut self) {
        let _ = self.phone.send(PhoneInput::Detach { page: self.id });
    }
}

/// A request to the gateway: inside a dialog to it, or a new call to one of its phones (the
/// Request-URI names the phone's Contact).
async fn dispatch(gw: Arc<Inner>, mut tx: Transaction) {
    if let Some(mut dialog) = gw.dialogs.match_dialog(&tx) {
        if let Err(e) = dialog.handle(&mut tx).await {
            tracing::debug!("browser phone: in-dialog {}: {e}", tx.original.method);
        }
        return;
    }
    let result = match tx.original.method {
        Method::Invite => {
            let token = tx.original.uri.auth.as_ref().map(|a| a.user.clone()).unwrap_or_default();
            match gw.registry.deliver(&token, Box::new(tx)) {
                Ok(()) => return,
                Err(mut tx) => tx.reply(StatusCode::NotFound).await,
            }
        }
        Method::Options => tx.reply(StatusCode::OK).await,
        Method::Ack => return,
        _ => tx.reply(StatusCode::CallTransactionDoesNotExist).await,
    };
    if let Err(e) = result {
        tracing::debug!("browser phone: answering: {e}");
    }
}
