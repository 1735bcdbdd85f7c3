//! The browser phone's signalling: a WebSocket of the page's own session at `/phone`. The page
//! sends its WebRTC offers and commands, the user's phone (crate `webphone`) answers; the SIP
//! secret stays on the server. The socket closes soon after the session ends.

use crate::AppState;
use crate::ctx::Authed;
use crate::error::PageError;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use webphone::signal::{FromPage, ToPage};
use webphone::{PageLink, PhoneLogin};

pub async fn connect(
    State(st): State<AppState>,
    Authed(ctx, user): Authed,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, PageError> {
    // Another site's page must not open this user's phone with the user's cookie.
    if !same_origin(&headers, ctx.https) {
        return Err(PageError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let Some(phones) = st.phones.clone() else {
        return Err(PageError::new(StatusCode::NOT_FOUND, "not-found"));
    };
    if !user.phone_type.in_browser() {
        return Err(PageError::new(StatusCode::CONFLICT, "phone-not-in-browser"));
    }
    let setup = st.crm.phone_setup(&user, user.id, true).await?;
    let prefs = st.crm.preferences(&user).await?;
    let login = PhoneLogin {
        auto_answer: prefs.auto_answer,
        key: format!("{}:{}", user.org_id, user.id),
        domain: setup.domain,
        extension: setup.username,
        secret: setup.password.unwrap_or_default(),
    };
    let ended = crate::ctx::session_ended(&st, &ctx);
    let country = ctx.country.clone();
    Ok(ws.on_upgrade(move |socket| relay(socket, phones.attach(login), ended, country)))
}

/// Whether the request's Origin, which browsers always send on WebSocket requests, is this
/// server's own (the forms' check, with the Origin required).
fn same_origin(headers: &HeaderMap, https: bool) -> bool {
    headers.contains_key(header::ORIGIN) && crate::forms::same_origin(headers, https)
}

/// `country`: the organization's, for the number a ringing call shows.
async fn relay(
    mut socket: WebSocket,
    mut link: PageLink,
    ended: impl std::future::Future<Output = ()>,
    country: String,
) {
    tokio::pin!(ended);
    loop {
        tokio::select! {
            m = socket.recv() => match m {
                Some(Ok(Message::Text(t))) => match serde_json::from_str::<FromPage>(&t) {
                    Ok(msg) => link.send(msg),
                    Err(_) => {
                        let err = ToPage::Error { message: "not a phone message".into() };
                        if send(&mut socket, &err, &country).await.is_err() {
                            break;
                        }
                    }
                },
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            out = link.rx.recv() => match out {
                Some(msg) => {
                    let replaced = msg == ToPage::Replaced;
                    if send(&mut socket, &msg, &country).await.is_err() || replaced {
                        break;
                    }
                }
                None => break,
            },
            _ = &mut ended => break,
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

/// A message to the page; a ringing call's number comes with how the organization's people
/// read it (`shown`).
async fn send(socket: &mut WebSocket, msg: &ToPage, country: &str) -> Result<(), axum::Error> {
    let mut value = serde_json::to_value(msg).unwrap_or_default();
    if let ToPage::Incoming { from, .. } = msg {
        value["shown"] = crm::contacts::phone::display(from, country).into();
    }
    socket.send(Message::Text(value.to_string().into())).await
}

#[cfg(test)]
mod tests {
    use super::same_origin;
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn only_the_servers_own_pages_may_open_the_phone() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("pbx.example:8080"));
        assert!(!same_origin(&h, true), "no Origin: refused");
        h.insert(header::ORIGIN, HeaderValue::from_static("https://pbx.example:8080"));
        assert!(same_origin(&h, true));
        assert!(!same_origin(&h, false), "an https page against a plain-http server");
        h.insert(header::ORIGIN, HeaderValue::from_static("http://pbx.example:8080"));
        assert!(same_origin(&h, false));
        assert!(!same_origin(&h, true), "an http page against a server behind https");
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h, true));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://pbx.example:8080.evil.example"));
        assert!(!same_origin(&h, true));
    }
}
