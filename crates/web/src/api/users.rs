//! Users over the API: read for every user, write for administrators.

use super::{ApiAdmin, ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use crm::identity::users::{NewUser, UserUpdate};
use crm::{User, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub extension: String,
    /// admin | manager | agent
    pub role: String,
    /// en | pl | he
    pub language: String,
    pub active: bool,
    /// browser | sip | both
    pub phone_type: String,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            id: u.id.0,
            username: u.username,
            full_name: u.full_name,
            extension: u.extension.to_string(),
            role: u.role.as_str().into(),
            language: u.language.as_str().into(),
            active: u.active,
            phone_type: u.phone_type.as_str().into(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserIn {
    pub username: String,
    pub full_name: String,
    pub extension: String,
    pub role: String,
    #[serde(default)]
    pub language: String,
    pub password: String,
    /// Generated when absent.
    #[serde(default)]
    pub sip_password: String,
    /// browser | sip | both (browser when absent)
    #[serde(default)]
    pub phone_type: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UserPatchIn {
    pub full_name: Option<String>,
    pub extension: Option<String>,
    pub role: Option<String>,
    pub language: Option<String>,
    pub password: Option<String>,
    pub sip_password: Option<String>,
    pub active: Option<bool>,
    /// browser | sip | both
    pub phone_type: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = UserOut), (status = 401, body = Problem)))]
pub async fn me(ApiUser(u): ApiUser) -> Json<UserOut> {
    Json(u.into())
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserOut>), (status = 401, body = Problem)))]
pub async fn list(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<UserOut>>, ApiError> {
    Ok(Json(st.crm.users(me.org_id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserIn,
    responses((status = 201, body = UserOut), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    ApiJson(b): ApiJson<NewUserIn>,
) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let new = NewUser {
        username: b.username,
        full_name: b.full_name,
        extension: b.extension,
        role: b.role,
        language: b.language,
        password: b.password,
        sip_password: b.sip_password,
        must_change_password: false,
        phone_type: b.phone_type,
    };
    Ok((StatusCode::CREATED, Json(st.crm.create_user(me.org_id, new).await?.into())))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<UserOut>, ApiError> {
    Ok(Json(st.crm.user(me.org_id, UserId(id)).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserPatchIn,
    responses((status = 200, body = UserOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UserPatchIn>,
) -> Result<Json<UserOut>, ApiError> {
    let upd = UserUpdate {
        full_name: b.full_name,
        extension: b.extension,
        role: b.role,
        language: b.language,
        password: b.password,
        sip_password: b.sip_password,
        active: b.active,
        phone_type: b.phone_type,
        // A new password set over the API ends every session of the user.
        keep_session: None,
        revoke_tokens: false,
    };
    Ok(Json(st.crm.update_user(me.org_id, UserId(id), upd).await?.into()))
}
