//! Operations: the health check, Prometheus metrics, request counting, static assets.

use crate::AppState;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// The process-wide Prometheus recorder (a process may serve several apps in tests).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub async fn healthz(State(st): State<AppState>) -> Response {
    match st.crm.store().ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok", "version": crate::VERSION})).into_response(),
        Err(e) => {
            tracing::error!("health check: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable"}))).into_response()
        }
    }
}

/// Whether the metrics may be read by this request: with the configured token (`Authorization:
/// Bearer …`) from anywhere; without one, only from this machine and not through a proxy (a
/// proxy on the same machine says whom it forwards for).
fn may_read_metrics(st: &AppState, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) -> bool {
    match &st.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| crate::forms::constant_time_eq(t.trim().as_bytes(), token.as_bytes())),
        None => {
            peer.ip().is_loopback()
                && !headers.contains_key("x-forwarded-for")
                && !headers.contains_key(header::FORWARDED)
        }
    }
}

/// `/metrics/sip`: each SIP dialog and running transaction, one line each — what stands
/// behind the `switchboard_sip_dialogs` and `switchboard_sip_transactions` gauges.
pub async fn sip_detail(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    if !may_read_metrics(&st, peer, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut text = st.crm.telephony_live_detail().join("\n");
    text.push('\n');
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

pub async fn metrics(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    if !may_read_metrics(&st, peer, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Call events waiting for the store (`crm::calls::spool`): 0 when nothing is held back.
    metrics::gauge!("switchboard_call_events_spooled").set(st.crm.call_events_spooled() as f64);
    // What calls hold while they are up: each back to 0 when no call is up.
    if let Some(l) = st.crm.telephony_live() {
        metrics::gauge!("switchboard_calls").set(l.calls as f64);
        metrics::gauge!("switchboard_sip_dialogs").set(l.dialogs as f64);
        metrics::gauge!("switchboard_sip_transactions").set(l.transactions as f64);
        metrics::gauge!("switchboard_sip_transactions_finished").set(l.finished_transactions as f64);
        metrics::gauge!("switchboard_sip_waiting_ack").set(l.waiting_ack as f64);
        metrics::gauge!("switchboard_call_legs").set(l.legs as f64);
        metrics::gauge!("switchboard_relays").set(l.relays as f64);
        metrics::gauge!("switchboard_sip_tcp_connections").set(l.tcp_connections as f64);
        if let Some(p) = l.rtp_ports {
            metrics::gauge!("switchboard_rtp_ports_in_use").set(p as f64);
        }
    }
    // The browser phones: bridges, dialogs, transactions and ports back to 0 with no call up.
    if let Some(l) = st.phones.as_ref().map(|g| g.live()) {
        metrics::gauge!("switchboard_browser_phones").set(l.phones as f64);
        metrics::gauge!("switchboard_browser_phone_bridges").set(l.bridges as f64);
        metrics::gauge!("switchboard_browser_phone_sip_dialogs").set(l.dialogs as f64);
        metrics::gauge!("switchboard_browser_phone_sip_transactions").set(l.transactions as f64);
        metrics::gauge!("switchboard_browser_phone_sip_transactions_finished").set(l.finished_transactions as f64);
        if let Some(p) = l.rtp_ports {
            metrics::gauge!("switchboard_browser_phone_rtp_ports_in_use").set(p as f64);
        }
    }
    let rt = tokio::runtime::Handle::current().metrics();
    metrics::gauge!("switchboard_tasks").set(rt.num_alive_tasks() as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], prometheus().render()).into_response()
}

pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "path" => path)
        .record(start.elapsed().as_secs_f64());
    res
}

const CSS: &str = include_str!("../static/app.css");
const JS: &str = include_str!("../static/app.js");
const AGENT_JS: &str = include_str!("../static/agent.js");
const WALLBOARD_JS: &str = include_str!("../static/wallboard.js");
const PHONE_JS: &str = include_str!("../static/phone.js");

pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], CSS)
        .into_response()
}

pub async fn js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], JS)
        .into_response()
}

pub async fn phone_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        PHONE_JS,
    )
        .into_response()
}

pub async fn wallboard_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        WALLBOARD_JS,
    )
        .into_response()
}

pub async fn agent_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        AGENT_JS,
    )
        .into_response()
}
