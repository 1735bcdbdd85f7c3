//! Publishing an event to the organization's browsers (for integrations and operators).

use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use crm::{Audience, CrmError, Event, Role, UserId};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    /// The event name browsers receive, e.g. "notice": letters, digits, '.', '-', '_'.
    pub kind: String,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub data: serde_json::Value,
    /// A user id to reach only that user.
    pub user_id: Option<i64>,
    /// admin | manager | agent: that role and those above it.
    pub role: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = EventIn,
    responses((status = 202, description = "Published"), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn publish(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<EventIn>,
) -> Result<StatusCode, ApiError> {
    if !me.is_manager() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "err-forbidden"));
    }
    let audience = match (b.user_id, b.role) {
        (Some(id), None) => {
            st.crm.user(me.org_id, UserId(id)).await?;
            Audience::User(UserId(id))
        }
        (None, Some(r)) => Audience::Role(Role::parse(&r).map_err(|e| CrmError::Invalid(vec![e]))?),
        (None, None) => Audience::Organization,
        (Some(_), Some(_)) => return Err(CrmError::invalid("role", "err-invalid").into()),
    };
    st.crm.publish_from_outside(Event { org_id: me.org_id, audience, kind: b.kind, data: b.data }).await?;
    Ok(StatusCode::ACCEPTED)
}
