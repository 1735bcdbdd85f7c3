//! Server-sent events: the live feed of a logged-in browser, filtered to what its user may see.
//! The stream ends soon after its session does (log-out, deactivation, expiry).

use crate::AppState;
use crate::ctx::Authed;
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::{Stream, StreamExt, stream};
use std::convert::Infallible;
use tokio_stream::wrappers::BroadcastStream;

pub async fn events(
    State(st): State<AppState>,
    Authed(ctx, user): Authed,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    // Subscribe before answering, so nothing published after the "ready" event is missed.
    let rx = st.crm.bus().subscribe();
    metrics::gauge!("sse_clients").increment(1.0);
    let guard = ClientGuard;
    let ready = stream::once(async { Ok(SseEvent::default().event("ready").data("{}")) });
    // The badge starts from the current count; later changes come as events.
    let visible = st.crm.missed_visible(user.org_id).await.unwrap_or(0);
    let badge = stream::once(async move {
        Ok(SseEvent::default().event("missed.changed").data(serde_json::json!({ "visible": visible }).to_string()))
    });
    let live = BroadcastStream::new(rx).filter_map(move |r| {
        let _ = &guard;
        let out = match r {
            Ok(ev) if ev.visible_to(&user) => {
                Some(Ok(SseEvent::default().event(ev.kind.clone()).data(ev.data.to_string())))
            }
            // A slow client that missed events is told so, and the page reloads its state.
            Err(_) => Some(Ok(SseEvent::default().event("lagged").data("{}"))),
            Ok(_) => None,
        };
        async move { out }
    });
    let ended = crate::ctx::session_ended(&st, &ctx);
    Sse::new(ready.chain(badge).chain(live).take_until(ended)).keep_alive(KeepAlive::default())
}

struct ClientGuard;

impl Drop for ClientGuard {
    fn drop(&mut self) {
        metrics::gauge!("sse_clients").decrement(1.0);
    }
}
