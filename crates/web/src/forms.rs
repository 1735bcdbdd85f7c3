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

/// The first value of field `name` in a form's pairs.
pub fn value(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

/// The first value of field `name`, or "" when the form has none.
pub fn field(pairs: &[(String, String)], name: &str) -> String {
    value(pairs, name).unwrap_or_default()
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// Whether the request's Origin (when the browser sent one) is this site: the same host and
/// port, and the scheme the request came over (`https` is another site than `http`).
pub fn same_origin(headers: &HeaderMap, https: bool) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else { return false };
    let scheme = if https { "https" } else { "http" };
    origin.split_once("://").is_some_and(|(s, h)| s.eq_ignore_ascii_case(scheme) && h.trim_end_matches('/') == host)
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let forbidden = || PageError::new(StatusCode::FORBIDDEN, "err-csrf");
        if !same_origin(&parts.headers, ctx.https) {
            return Err(forbidden());
        }
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .map_err(|_| PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "err-invalid"))?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| forbidden())?;
        let expected = ctx.csrf();
        if expected.is_empty() || !constant_time_eq(field.csrf.as_bytes(), expected.as_bytes()) {
            return Err(forbidden());
        }
        let value =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "err-invalid"))?;
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
        if !same_origin(&parts.headers, ctx.https)
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

/// A multipart form with one file, as it arrived: the CSRF token was checked before the file
/// (its `csrf` field must come first), the file is streamed to a temporary file (empty when none
/// came) and removed when this is dropped.
pub struct Upload {
    /// The text fields but `csrf`.
    pub fields: Vec<(String, String)>,
    pub path: std::path::PathBuf,
    pub file_name: String,
    pub content_type: String,
    /// More than the limit came (the file holds the first part only).
    pub too_large: bool,
}

impl Upload {
    pub fn field(&self, name: &str) -> String {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// Reads the form, streaming its `file` field into `dir`, at most `max` bytes.
    pub async fn read(
        ctx: &Ctx,
        headers: &HeaderMap,
        mut form: axum::extract::Multipart,
        dir: &std::path::Path,
        max: u64,
    ) -> Result<Upload, PageError> {
        use tokio::io::AsyncWriteExt;
        let forbidden = || PageError::new(StatusCode::FORBIDDEN, "err-csrf");
        let bad = || PageError::new(StatusCode::BAD_REQUEST, "err-invalid");
        if !same_origin(headers, ctx.https) {
            return Err(forbidden());
        }
        tokio::fs::create_dir_all(dir).await.map_err(|_| bad())?;
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let mut up = Upload {
            fields: vec![],
            path: dir.join(format!("upload-{}-{stamp}", std::process::id())),
            file_name: String::new(),
            content_type: String::new(),
            too_large: false,
        };
        let mut out = tokio::fs::File::create(&up.path).await.map_err(|_| bad())?;
        let expected = ctx.csrf();
        let mut csrf_ok = false;
        while let Some(mut field) = form.next_field().await.map_err(|_| bad())? {
            let name = field.name().unwrap_or("").to_string();
            match name.as_str() {
                "csrf" => {
                    let v = field.text().await.map_err(|_| bad())?;
                    csrf_ok = !expected.is_empty() && constant_time_eq(v.as_bytes(), expected.as_bytes());
                }
                _ if !csrf_ok => return Err(forbidden()),
                "file" => {
                    up.file_name = field.file_name().unwrap_or("").to_string();
                    up.content_type = field.content_type().unwrap_or("").to_string();
                    let mut size = 0u64;
                    while let Some(chunk) = field.chunk().await.map_err(|_| bad())? {
                        size += chunk.len() as u64;
                        if size > max {
                            up.too_large = true;
                            break;
                        }
                        out.write_all(&chunk).await.map_err(|_| bad())?;
                    }
                }
                _ => {
                    let v = field.text().await.map_err(|_| bad())?;
                    up.fields.push((name, v));
                }
            }
        }
        out.flush().await.map_err(|_| bad())?;
        if !csrf_ok {
            return Err(forbidden());
        }
        Ok(up)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
