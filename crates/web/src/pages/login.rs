//! Log-in and log-out. The form posts to an anonymous session (which holds its CSRF token);
//! a successful log-in ends that session and starts a new one with a new id.

use super::Page;
use crate::AppState;
use crate::ctx::{Ctx, LAST_LOGIN_COOKIE, last_login_cookie, session_cookie};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use crate::i18n::tr;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, OriginalUri, State};
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
    let mut jar = jar;
    match &ctx.session {
        Some(s) if s.language != lang => st.crm.set_session_language(s, lang).await?,
        Some(_) => {}
        None => {
            let (token, s) = st.crm.anonymous_session(lang).await?;
            jar = jar.add(session_cookie(token, ctx.https));
            ctx.session = Some(s);
        }
    }
    let identifier = jar.get(LAST_LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let page = LoginPage { p: Page::new(&ctx, "").with_flash(uri.query()), identifier, error: None };
    Ok((jar, page).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
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
    CsrfForm(f): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
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
            let to = if done.user.must_change_password { "/account/password" } else { "/" };
            Ok((jar, Redirect::to(to)).into_response())
        }
        Err(e @ crm::CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            let mut ctx = ctx;
            ctx.lang = lang;
            let page = LoginPage {
                p: Page::new(&ctx, ""),
                identifier: f.identifier.trim().to_string(),
                error: Some(tr(lang, e.code())),
            };
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
