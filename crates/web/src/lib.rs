//! HTTP for Switchboard: the pages agents and managers use, the JSON API for integrations,
//! server-sent events for live updates, and the health and metrics endpoints.
//! No business rule lives here: handlers turn HTTP into `crm` calls and back.

pub mod api;
pub mod ctx;
pub mod error;
pub mod escape;
pub mod forms;
pub mod headers;
pub mod i18n;
pub mod ops;
pub mod pages;
pub mod phone;
pub mod routes;
pub mod sse;

use crm::Crm;
use std::net::SocketAddr;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone)]
pub struct AppState {
    pub crm: Crm,
    /// Mark cookies Secure (set when Switchboard is served over HTTPS).
    pub secure_cookies: bool,
    /// How often an open event stream checks that its session still lives.
    pub session_check: std::time::Duration,
    /// The browser phones (none: the page has no phone, e.g. without telephony).
    pub phones: Option<webphone::Gateway>,
    /// Sessions ended on this node (log-out): their open streams and phone sockets close at
    /// once, without waiting for their next check.
    pub ended: tokio::sync::broadcast::Sender<String>,
    /// The token `/metrics` asks for (none: it answers only this machine, not through a proxy).
    pub metrics_token: Option<String>,
}

impl AppState {
    pub fn new(crm: Crm, secure_cookies: bool) -> AppState {
        AppState {
            crm,
            secure_cookies,
            session_check: std::time::Duration::from_secs(15),
            phones: None,
            ended: tokio::sync::broadcast::channel(64).0,
            metrics_token: None,
        }
    }
}

/// Serves the app on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = routes::router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
