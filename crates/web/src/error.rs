//! Errors as the user sees them: a page in their language, or JSON problem details
//! (RFC 9457) in the API. The status of each domain error is decided here, once.

use crate::i18n::tr;
use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use crm::{CrmError, FieldError, Language};
use serde::Serialize;

pub fn status_of(e: &CrmError) -> StatusCode {
    match e {
        CrmError::NotFound => StatusCode::NOT_FOUND,
        CrmError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        CrmError::Conflict(_) => StatusCode::CONFLICT,
        CrmError::InvalidCredentials | CrmError::AmbiguousOrganization => StatusCode::UNAUTHORIZED,
        CrmError::LoginLocked => StatusCode::TOO_MANY_REQUESTS,
        CrmError::NoFreeLicences | CrmError::Forbidden => StatusCode::FORBIDDEN,
        CrmError::CallRefused(_) => StatusCode::CONFLICT,
        CrmError::MailFailed(_) => StatusCode::BAD_GATEWAY,
        CrmError::Store(_) | CrmError::Export(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn log_internal(e: &CrmError) {
    match e {
        CrmError::Store(s) => tracing::error!("store error: {s}"),
        CrmError::Export(s) => tracing::error!("export error: {s}"),
        _ => {}
    }
}

/// An error page, or a redirect (to the log-in page, say). Handlers return it with `?`; the
/// page itself is written by `error_pages`, which knows the user's language and the request id.
#[derive(Debug)]
pub enum PageError {
    Page { status: StatusCode, code: &'static str },
    Redirect(String),
}

impl PageError {
    pub fn new(status: StatusCode, code: &'static str) -> PageError {
        PageError::Page { status, code }
    }

    pub fn redirect(to: &str) -> PageError {
        PageError::Redirect(to.to_string())
    }
}

impl From<CrmError> for PageError {
    fn from(e: CrmError) -> PageError {
        log_internal(&e);
        PageError::Page { status: status_of(&e), code: e.code() }
    }
}

/// What went wrong, for `error_pages` to write up: the response's extension.
#[derive(Debug, Clone, Copy)]
struct Fault(&'static str);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Redirect(to) => Redirect::to(&to).into_response(),
            PageError::Page { status, code } => {
                let mut res = status.into_response();
                res.extensions_mut().insert(Fault(code));
                res
            }
        }
    }
}

/// The language of the request's user, once `Ctx` has found it (the error page speaks it).
#[derive(Clone, Default)]
pub struct LanguageSlot(std::sync::Arc<std::sync::OnceLock<Language>>);

impl LanguageSlot {
    pub fn set(&self, lang: Language) {
        let _ = self.0.set(lang);
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: Language,
    title: String,
    message: String,
    request_id: String,
}

impl ErrorPage {
    fn t(&self, key: &str) -> String {
        tr(self.lang, key)
    }
}

/// Writes the error pages: in the user's language (or the browser's, for a visitor), with the
/// request id that the log lines of the request carry too.
pub async fn error_pages(mut req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    // What the browser asks for, kept (cheaply) for a visitor's error page.
    let (uri, accept) = (req.uri().clone(), req.headers().get(header::ACCEPT_LANGUAGE).cloned());
    let slot = LanguageSlot::default();
    req.extensions_mut().insert(slot.clone());
    let request_id = req
        .extensions()
        .get::<tower_http::request_id::RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_string();
    let res = next.run(req).await;
    let Some(Fault(code)) = res.extensions().get::<Fault>().copied() else { return res };
    let lang = slot.0.get().copied().unwrap_or_else(|| {
        let mut headers = axum::http::HeaderMap::new();
        if let Some(v) = accept {
            headers.insert(header::ACCEPT_LANGUAGE, v);
        }
        crate::ctx::guess_language(&uri, &headers)
    });
    let status = res.status();
    let title_key = if status == StatusCode::NOT_FOUND { "not-found-title" } else { "error-title" };
    let page = ErrorPage { lang, title: tr(lang, title_key), message: tr(lang, code), request_id };
    let body = page.render().unwrap_or_else(|_| tr(lang, code));
    let (mut parts, _) = res.into_parts();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// Problem details for the JSON API (RFC 9457), in English.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The message id, stable for programs.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub fields: Vec<FieldError>,
    /// Said after the message, e.g. why the telephony side refused a call.
    pub reason: Option<String>,
    /// The language of the messages.
    pub lang: Language,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> ApiError {
        ApiError { status, code, fields: vec![], reason: None, lang: Language::En }
    }

    /// Spoken in `lang` (for the page's own JSON calls; the API speaks English).
    pub fn in_language(mut self, lang: Language) -> ApiError {
        self.lang = lang;
        self
    }

    /// A domain error as a page's JSON call reports it, in `lang`: `.map_err(ApiError::in_(lang))`.
    pub fn in_(lang: Language) -> impl Fn(CrmError) -> ApiError {
        move |e| ApiError::from(e).in_language(lang)
    }
}

impl From<CrmError> for ApiError {
    fn from(e: CrmError) -> Self {
        log_internal(&e);
        let status = status_of(&e);
        let code = e.code();
        let (fields, reason) = match e {
            CrmError::Invalid(v) => (v, None),
            CrmError::Conflict(f) => (vec![f], None),
            CrmError::CallRefused(why) | CrmError::MailFailed(why) => (vec![], Some(why)),
            _ => (vec![], None),
        };
        ApiError { status, code, fields, reason, lang: Language::En }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let lang = self.lang;
        let p = Problem {
            kind: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("Error").into(),
            status: self.status.as_u16(),
            detail: match &self.reason {
                Some(r) => format!("{} ({r})", tr(lang, self.code)),
                None => tr(lang, self.code),
            },
            code: self.code.into(),
            errors: self
                .fields
                .iter()
                .map(|f| FieldProblem { field: f.field.into(), code: f.code.into(), message: tr(lang, f.code) })
                .collect(),
        };
        let mut r = (self.status, Json(p)).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        r
    }
}
