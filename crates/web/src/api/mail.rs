//! The organization's outgoing mail server over the API (administrators), and a test message.

use super::{ApiAdmin, ApiJson};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use crm::organization::mail::MailSettings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailIn {
    pub host: String,
    pub port: u16,
    /// none | starttls | tls
    pub security: String,
    #[serde(default)]
    pub username: String,
    /// Left empty: the stored password stays.
    #[serde(default)]
    pub password: String,
    /// e.g. `Switchboard <noreply@example.com>`
    pub from_address: String,
}

#[derive(Serialize, ToSchema)]
pub struct MailOut {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: String,
    /// Whether a password is stored (it is never shown).
    pub password_set: bool,
    pub from_address: String,
}

#[utoipa::path(get, path = "/api/v1/mail-settings", tag = "settings",
    responses((status = 200, body = MailOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(State(st): State<AppState>, ApiAdmin(me): ApiAdmin) -> Result<Json<MailOut>, ApiError> {
    let s = st.crm.mail_settings(me.org_id).await?.ok_or(crm::CrmError::NotFound)?;
    Ok(Json(MailOut {
        host: s.host,
        port: s.port,
        security: s.security,
        username: s.username,
        password_set: !s.password.is_empty(),
        from_address: s.from_address,
    }))
}

#[utoipa::path(put, path = "/api/v1/mail-settings", tag = "settings", request_body = MailIn,
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    ApiJson(b): ApiJson<MailIn>,
) -> Result<StatusCode, ApiError> {
    let s = MailSettings {
        host: b.host,
        port: b.port,
        security: b.security,
        username: b.username,
        password: b.password,
        from_address: b.from_address,
    };
    st.crm.set_mail_settings(&me, s).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestIn {
    pub to: String,
}

#[utoipa::path(post, path = "/api/v1/mail-settings/test", tag = "settings", request_body = TestIn,
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem), (status = 502, body = Problem)))]
pub async fn test(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    ApiJson(b): ApiJson<TestIn>,
) -> Result<StatusCode, ApiError> {
    if !crm::identity::preferences::valid_email(&b.to) {
        return Err(crm::CrmError::invalid("to", "err-email").into());
    }
    st.crm.send_mail(me.org_id, &b.to, "Switchboard test message", "The outgoing mail settings work.\n").await?;
    Ok(StatusCode::NO_CONTENT)
}
