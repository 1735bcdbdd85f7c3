//! Missed calls over the API: the list (visible, hidden, removed or all) and one row with its
//! history.

use super::ApiUser;
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, Query, State};
use crm::CrmError;
use crm::missed::{MissedCall, MissedStep, MissedView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    view: String,
}

#[derive(Serialize, ToSchema)]
pub struct MissedOut {
    pub id: i64,
    pub caller: String,
    pub called_number: String,
    pub count: i32,
    #[schema(value_type = String)]
    pub first_at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = String)]
    pub last_at: chrono::DateTime<chrono::Utc>,
    /// visible | hidden | removed
    pub state: String,
    pub removed_cause: Option<String>,
}

impl From<MissedCall> for MissedOut {
    fn from(m: MissedCall) -> Self {
        MissedOut {
            id: m.id,
            caller: m.caller,
            called_number: m.called_number,
            count: m.count,
            first_at: m.first_at,
            last_at: m.last_at,
            state: m.state,
            removed_cause: m.removed_cause,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StepOut {
    #[schema(value_type = String)]
    pub at: chrono::DateTime<chrono::Utc>,
    /// missed | callback | sms | hidden | restored | removed
    pub kind: String,
    pub user_id: Option<i64>,
    pub detail: String,
}

impl From<MissedStep> for StepOut {
    fn from(s: MissedStep) -> Self {
        StepOut { at: s.at, kind: s.kind, user_id: s.user_id, detail: s.detail }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MissedDetailOut {
    #[serde(flatten)]
    pub call: MissedOut,
    pub history: Vec<StepOut>,
}

#[utoipa::path(get, path = "/api/v1/missed", tag = "missed calls",
    params(("view" = Option<String>, Query, description = "visible (default) | hidden | removed | all")),
    responses((status = 200, body = Vec<MissedOut>), (status = 422, body = Problem)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<MissedOut>>, ApiError> {
    let view = MissedView::parse(&q.view).ok_or_else(|| CrmError::invalid("view", "err-missed-view"))?;
    Ok(Json(st.crm.missed_calls(me.org_id, view, 500).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/missed/{id}", tag = "missed calls", params(("id" = i64, Path)),
    responses((status = 200, body = MissedDetailOut), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<MissedDetailOut>, ApiError> {
    let (call, steps) = st.crm.missed_call(me.org_id, id).await?;
    Ok(Json(MissedDetailOut { call: call.into(), history: steps.into_iter().map(Into::into).collect() }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideIn {
    /// Why the row is hidden (kept in its history).
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/missed/{id}/hide", tag = "missed calls", params(("id" = i64, Path)), request_body = HideIn,
    responses((status = 200, body = MissedOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn hide(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
    super::ApiJson(b): super::ApiJson<HideIn>,
) -> Result<Json<MissedOut>, ApiError> {
    Ok(Json(st.crm.hide_missed(&me, id, &b.reason).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/missed/{id}/restore", tag = "missed calls", params(("id" = i64, Path)),
    responses((status = 200, body = MissedOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn restore(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<MissedOut>, ApiError> {
    Ok(Json(st.crm.restore_missed(&me, id).await?.into()))
}
