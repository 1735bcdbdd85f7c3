//! SIP over TCP: our own accept loop in front of rsipstack's stream transport, so that no one
//! party can hold every descriptor of the process. A connection is refused beyond a number per
//! address and a number in all, and closed when its first bytes do not come within a few
//! seconds (a half-open or silent connection); once it speaks, rsipstack serves it and closes
//! it after 300 s without a byte.

use rsipstack::sip::transport::Transport;
use rsipstack::transaction::endpoint::EndpointInnerRef;
use rsipstack::transport::tcp::TcpConnection;
use rsipstack::transport::{SipAddr, SipConnection};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// How many SIP TCP connections may be open, and how soon a new one must speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    /// Connections from one IP address (an office behind one NAT address shares it).
    pub per_address: usize,
    /// Connections in all.
    pub total: usize,
    /// A connection that has sent nothing this long after it opened is closed.
    pub first_bytes: Duration,
}

impl Default for TcpLimits {
    fn default() -> TcpLimits {
        TcpLimits { per_address: 50, total: 2_000, first_bytes: Duration::from_secs(5) }
    }
}

/// Connections open now, per address and in all.
#[derive(Debug, Default)]
struct Open {
    per_address: HashMap<IpAddr, usize>,
    total: usize,
}

/// One connection's place in `Open`: given back when dropped.
struct Seat {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut open = self.open.lock().expect("tcp seats");
        open.total -= 1;
        if let Some(n) = open.per_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.per_address.remove(&self.ip);
            }
        }
    }
}

/// Takes a seat for a connection from `ip`, or None when a limit is reached.
fn take_seat(open: &Arc<Mutex<Open>>, limits: &TcpLimits, ip: IpAddr) -> Option<Seat> {
    let mut o = open.lock().expect("tcp seats");
    let here = o.per_address.get(&ip).copied().unwrap_or(0);
    if o.total >= limits.total || here >= limits.per_address {
        return None;
    }
    o.total += 1;
    *o.per_address.entry(ip).or_default() += 1;
    Some(Seat { open: open.clone(), ip })
}

/// The SIP TCP connections open now (for `/metrics`).
#[derive(Debug, Clone, Default)]
pub struct TcpGauge(Arc<Mutex<Open>>);

impl TcpGauge {
    pub fn open(&self) -> usize {
        self.0.lock().expect("tcp seats").total
    }
}

/// Serves `listener` until `cancel`: each connection that passes the limits is handed to the
/// endpoint's transport layer (rsipstack reads it, and takes it out when it closes).
pub fn serve_listener(
    listener: TcpListener,
    limits: TcpLimits,
    endpoint: EndpointInnerRef,
    cancel: CancellationToken,
) -> std::io::Result<TcpGauge> {
    let gauge = TcpGauge::default();
    let open = gauge.0.clone();
    let local = SipAddr { r#type: Some(Transport::Tcp), addr: listener.local_addr()?.into() };
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = cancel.cancelled() => break,
                a = listener.accept() => a,
            };
            let (stream, from) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "SIP TCP accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some(seat) = take_seat(&open, &limits, from.ip()) else {
                tracing::debug!(%from, "SIP TCP connection refused: too many open");
                drop(stream);
                continue;
            };
            let (endpoint, local, token) = (endpoint.clone(), local.clone(), cancel.child_token());
            tokio::spawn(serve(stream, seat, limits.first_bytes, endpoint, local, token));
        }
    });
    Ok(gauge)
}

/// Waits for the connection's first bytes, then hands it to rsipstack and holds its seat until
/// rsipstack lets it go.
async fn serve(
    stream: TcpStream,
    seat: Seat,
    first_bytes: Duration,
    endpoint: EndpointInnerRef,
    local: SipAddr,
    token: CancellationToken,
) {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(first_bytes, stream.peek(&mut byte)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return, // silent, closed or failed: dropped with its seat
    }
    let connection = match TcpConnection::from_stream(stream, local, Some(token.clone())) {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "SIP TCP connection");
            return;
        }
    };
    endpoint.transport_layer.add_connection(SipConnection::Tcp(connection));
    // rsipstack cancels the connection's token when it takes the connection out.
    token.cancelled().await;
    drop(seat);
}
