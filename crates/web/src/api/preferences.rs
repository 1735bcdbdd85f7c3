//! The user's own preferences over the API (the notification address and e-mails).

use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use crm::identity::preferences::Preferences;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesIo {
    /// Where notifications go (may be empty).
    #[serde(default)]
    pub email: String,
    /// An e-mail for every new missed call (when the organization offers it).
    #[serde(default)]
    pub missed_email: bool,
}

#[utoipa::path(get, path = "/api/v1/me/preferences", tag = "users", responses((status = 200, body = PreferencesIo)))]
pub async fn get(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<PreferencesIo>, ApiError> {
    let p = st.crm.preferences(&me).await?;
    Ok(Json(PreferencesIo { email: p.email, missed_email: p.missed_email }))
}

#[utoipa::path(put, path = "/api/v1/me/preferences", tag = "users", request_body = PreferencesIo,
    responses((status = 200, body = PreferencesIo), (status = 422, body = Problem)))]
pub async fn set(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<PreferencesIo>,
) -> Result<Json<PreferencesIo>, ApiError> {
    let p = st
        .crm
        .set_preferences(&me, Preferences { email: b.email, missed_email: b.missed_email, ..Default::default() })
        .await?;
    Ok(Json(PreferencesIo { email: p.email, missed_email: p.missed_email }))
}
