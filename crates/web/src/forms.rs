//! Form posts with CSRF protection: the form's hidden `csrf` field must match the session's
//! token, and a browser-sent Origin must be this site. Together with SameSite=Lax cookies,
//! a page on another site can neither read nor forge a form.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::PageError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// Whether the request's Origin (when the browser sent one) is this site.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else { return false };
    origin.split_once("://").map(|(_, h)| h.trim_end_matches('/') == host).unwrap_or(false)
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let forbidden = || PageError::new(StatusCode::FORBIDDEN, "err-csrf", ctx.lang);
        if !same_origin(&parts.headers) {
            return Err(forbidden());
        }
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .map_err(|_| PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "err-invalid", ctx.lang))?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| forbidden())?;
        let expected = ctx.csrf();
        if expected.is_empty() || !constant_time_eq(field.csrf.as_bytes(), expected.as_bytes()) {
            return Err(forbidden());
        }
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "err-invalid", ctx.lang))?;
        Ok(CsrfForm(value))
    }
}

/// A JSON body from the page's own script: the session's CSRF token must come in the
/// `X-CSRF-Token` header, and a browser-sent Origin must be this site.
pub struct CsrfJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfJson<T> {
    type Rejection = crate::error::ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        use crate::error::ApiError;
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| ApiError::new(StatusCode::UNAUTHORIZED, "err-auth"))?;
        if ctx.user.is_none() {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "err-auth"));
        }
        let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        let expected = ctx.csrf();
        if !same_origin(&parts.headers)
            || expected.is_empty()
            || !constant_time_eq(sent.as_bytes(), expected.as_bytes())
        {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "err-csrf"));
        }
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "err-invalid"))?;
        let value = serde_json::from_slice(&bytes).map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "err-json"))?;
        Ok(CsrfJson(value))
    }
}
