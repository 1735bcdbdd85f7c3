//! Log-in and log-out. Showing the log-in page stores nothing: its CSRF token is a random value
//! in a cookie of its own (`sb_login`, for `/login` only), which the form must send back
//! (double submit, with the Origin check every form has). A successful log-in starts a new
//! session with a new id and ends any the browser held before.

use super::Page;
use crate::AppState;
use crate::ctx::{Ctx, LAST_LOGIN_COOKIE, last_login_cookie, session_cookie};
use crate::error::{PageError, status_of};
use crate::forms::{CsrfForm, constant_time_eq, same_origin};
use crate::i18n::tr;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Form, OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use crm::Language;
use crm::identity::auth::LoginRequest;
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub p: Page,
    pub identifier: String,
    pub error: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, PageError> {
    if ctx.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let asked = uri.query().and_then(|q| {
        crate::ctx::url_pairs(q).into_iter().find(|(k, _)| k == "lang").and_then(|(_, v)| Language::parse(&v).ok())
    });
    let lang = asked.unwrap_or(ctx.lang);
    let mut ctx = ctx;
    ctx.lang = lang;
    if let Some(s) = ctx.session.as_ref().filter(|s| s.language != lang) {
        st.crm.set_session_language(s, lang).await?;
    }
    // The token already in the browser is kept (several tabs of the log-in page all work).
    let token = form_token(&jar).unwrap_or_else(crm::identity::password::random_token);
    let jar = jar.add(login_cookie(token.clone(), ctx.https));
    let identifier = jar.get(LAST_LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let mut page = LoginPage { p: Page::new(&ctx, "").with_flash(uri.query()), identifier, error: None };
    page.p.csrf = token;
    Ok((jar, page).into_response())
}

/// The cookie that holds the log-in form's CSRF token.
pub const LOGIN_COOKIE: &str = "sb_login";

fn login_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGIN_COOKIE, token))
        .path("/login")
        .http_only(true)
        .same_site(axum_extra::extract::cookie::SameSite::Strict)
        .secure(secure)
        .build()
}

/// The log-in form's token in the browser's cookie, when it is one of ours in shape.
fn form_token(jar: &CookieJar) -> Option<String> {
    let v = jar.get(LOGIN_COOKIE)?.value();
    (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())).then(|| v.to_string())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    language: String,
}

pub async fn submit(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ctx: Ctx,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let token = form_token(&jar);
    let sent_back = token.as_deref().is_some_and(|t| constant_time_eq(t.as_bytes(), f.csrf.as_bytes()));
    if !same_origin(&headers, ctx.https) || !sent_back {
        return Err(PageError::new(StatusCode::FORBIDDEN, "err-csrf"));
    }
    let lang = Language::parse(&f.language).unwrap_or(ctx.lang);
    let address = peer.ip().to_string();
    let req = LoginRequest {
        identifier: &f.identifier,
        password: &f.password,
        address: &address,
        language: lang,
        previous: ctx.session.as_ref(),
    };
    match st.crm.login(req).await {
        Ok(done) => {
            let jar = jar.add(session_cookie(done.token, ctx.https)).add(last_login_cookie(&f.identifier, ctx.https));
            // An administrator with first steps still to take lands on Getting started.
            let to = if done.user.must_change_password {
                "/account/password"
            } else if st.crm.has_first_steps(&done.user).await.unwrap_or(false) {
                "/admin/start"
            } else {
                "/"
            };
            Ok((jar, Redirect::to(to)).into_response())
        }
        Err(e @ crm::CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            let mut ctx = ctx;
            ctx.lang = lang;
            let mut page = LoginPage {
                p: Page::new(&ctx, ""),
                identifier: f.identifier.trim().to_string(),
                error: Some(tr(lang, e.code())),
            };
            page.p.csrf = token.unwrap_or_default();
            Ok((status_of(&e), page).into_response())
        }
    }
}

pub async fn logout(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    if let Some(s) = &ctx.session {
        st.crm.end_session(s).await?;
        let _ = st.ended.send(s.id_hash.clone());
    }
    let jar = jar.remove(Cookie::build(crate::ctx::SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to(&format!("/login?ok=logged-out&lang={}", ctx.lang.as_str()))).into_response())
}

pub async fn root(ctx: Ctx) -> Redirect {
    Redirect::to(if ctx.user.is_some() { "/agent" } else { "/login" })
}

// The user is loaded all the same: the page speaks their language.
pub async fn not_found(_: Ctx) -> PageError {
    PageError::new(StatusCode::NOT_FOUND, "err-not-found")
}
