//! Who is asking: the session behind the cookie, its user, and the language to answer in.
//! Loaded once per request and cached in the request's extensions.

use crate::AppState;
use crate::error::PageError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use crm::{Language, Session, User};

pub const SESSION_COOKIE: &str = "sb_session";
/// The last log-in name, so the next log-in form is filled in (as the seed toolbar does).
pub const LAST_LOGIN_COOKIE: &str = "sb_last_login";

#[derive(Clone)]
pub struct Ctx {
    pub session: Option<Session>,
    pub user: Option<User>,
    pub lang: Language,
    /// The user's organization's time zone (UTC for nobody): times are shown in it.
    pub tz: crm::Tz,
    /// The organization's country (ISO 3166; empty for nobody): numbers are shown as its people
    /// read them.
    pub country: String,
    /// The request came over HTTPS (Switchboard set up behind TLS, or the proxy says so).
    pub https: bool,
}

impl Ctx {
    pub fn csrf(&self) -> String {
        self.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default()
    }
}

/// The language for someone not logged in: `?lang=`, else the browser's preference.
pub fn guess_language(uri: &axum::http::Uri, headers: &axum::http::HeaderMap) -> Language {
    if let Some(q) = uri.query() {
        for (k, v) in url_pairs(q) {
            if k == "lang"
                && let Ok(l) = Language::parse(&v)
            {
                return l;
            }
        }
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept
        .split(',')
        .filter_map(|p| p.split(';').next())
        .filter_map(|tag| Language::parse(tag.trim().split('-').next().unwrap_or("")).ok())
        .next()
        .unwrap_or_default()
}

pub fn url_pairs(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default()
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(c) = parts.extensions.get::<Ctx>() {
            return Ok(c.clone());
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let https = state.secure_cookies
            || parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let mut ctx = Ctx {
            session: None,
            user: None,
            lang: guess_language(&parts.uri, &parts.headers),
            tz: crm::Tz::UTC,
            country: String::new(),
            https,
        };
        if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
            let crm = &state.crm;
            if let Some(s) = crm.session(&token).await? {
                ctx.user = crm.session_user(&s).await?;
                ctx.lang = match &ctx.user {
                    Some(u) => u.language,
                    None => s.language,
                };
                if let Some(u) = &ctx.user {
                    ctx.tz = crm.org_tz(u.org_id).await?;
                    ctx.country = crm.org_country(u.org_id).await?;
                }
                ctx.session = Some(s);
            }
        }
        if let Some(slot) = parts.extensions.get::<crate::error::LanguageSlot>() {
            slot.set(ctx.lang);
        }
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

/// A logged-in user. Others are sent to the log-in page; a user holding a one-time password
/// is sent to change it first.
pub struct Authed(pub Ctx, pub User);

impl FromRequestParts<AppState> for Authed {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let Some(user) = ctx.user.clone() else {
            return Err(PageError::redirect("/login"));
        };
        let path = parts.uri.path();
        if user.must_change_password && !matches!(path, "/account/password" | "/logout") {
            return Err(PageError::redirect("/account/password"));
        }
        Ok(Authed(ctx, user))
    }
}

/// A logged-in administrator; anyone else gets 403.
pub struct Admin(pub Ctx, pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Authed(ctx, user) = Authed::from_request_parts(parts, state).await?;
        if !user.is_admin() {
            return Err(PageError::new(StatusCode::FORBIDDEN, "err-forbidden"));
        }
        Ok(Admin(ctx, user))
    }
}

/// Resolves soon after the request's session ends (log-out, deactivation, expiry): a
/// long-lived stream of that session (events, the phone socket) closes with it.
pub fn session_ended(st: &AppState, ctx: &Ctx) -> impl std::future::Future<Output = ()> + Send + use<> {
    let crm = st.crm.clone();
    let every = st.session_check;
    let session = ctx.session.as_ref().map(|s| s.id_hash.clone());
    let mut ended = st.ended.subscribe();
    async move {
        loop {
            // A log-out on this node says so at once; another node's, or a session ended by a
            // new password, is seen at the next check.
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                e = ended.recv() => match e {
                    Ok(id) if Some(&id) == session.as_ref() => return,
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => tokio::time::sleep(every).await,
                },
            }
            let Some(id) = &session else { return };
            match crm.session_by_hash(id).await {
                Ok(Some(s)) if crm.session_user(&s).await.ok().flatten().is_some() => continue,
                Ok(_) => return,
                Err(e) => tracing::warn!("checking a long-lived stream's session: {e}"),
            }
        }
    }
}

pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token)).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).build()
}

pub fn last_login_cookie(identifier: &str, secure: bool) -> Cookie<'static> {
    Cookie::build((LAST_LOGIN_COOKIE, identifier.trim().to_string()))
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie_max_age_days(365))
        .build()
}

fn cookie_max_age_days(days: i64) -> cookie::time::Duration {
    cookie::time::Duration::days(days)
}
