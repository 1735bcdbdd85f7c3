//! The caller's own API tokens.

use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use crm::TokenId;
use crm::identity::tokens::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

impl From<ApiToken> for TokenOut {
    fn from(t: ApiToken) -> Self {
        TokenOut {
            id: t.id.0,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked: t.revoked,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenCreatedOut {
    /// The secret; shown this once.
    pub token: String,
    pub info: TokenOut,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<TokenOut>)))]
pub async fn list(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<TokenOut>>, ApiError> {
    Ok(Json(st.crm.tokens(me.org_id, me.id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenIn,
    responses((status = 201, body = TokenCreatedOut), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<NewTokenIn>,
) -> Result<(StatusCode, Json<TokenCreatedOut>), ApiError> {
    let (token, t) = st.crm.create_token(&me, &b.name).await?;
    Ok((StatusCode::CREATED, Json(TokenCreatedOut { token, info: t.into() })))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 200, body = TokenOut), (status = 404, body = Problem)))]
pub async fn revoke(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<TokenOut>, ApiError> {
    Ok(Json(st.crm.revoke_token(&me, TokenId(id)).await?.into()))
}
