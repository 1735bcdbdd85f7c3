//! One side of a call as a call task holds it: its dialog and dialog states, its media socket
//! and address, and our SDP for it. A party can be handed from one call to another.

use rsipstack::dialog::dialog::DialogStateReceiver;
use rsipstack::dialog::invite_dialog::InviteDialog;
use std::net::SocketAddr;
use std::sync::Arc;

/// Our SDP for one leg, to answer the party's re-INVITEs.
#[derive(Clone)]
pub(crate) struct LegSdp {
    pub(crate) local: SocketAddr,
    pub(crate) codecs: Vec<u8>,
    pub(crate) event_pt: Option<u8>,
    pub(crate) session: u64,
}

/// One side of a call, handed from one call to another (REFER with Replaces).
pub(crate) struct Party {
    pub(crate) dialog: InviteDialog,
    pub(crate) states: DialogStateReceiver,
    pub(crate) socket: Arc<tokio::net::UdpSocket>,
    pub(crate) remote: media::peer::Peer,
    pub(crate) sdp: LegSdp,
    /// Who the party is: its number or extension.
    pub(crate) name: String,
    pub(crate) extension: Option<String>,
}
