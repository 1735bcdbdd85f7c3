//! Missed calls over the API: the list (view, last status, period, pages), one row with its
//! history, the row's actions (callback, SMS, hide, restore), the organization's settings and
//! the statistics.

use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use crm::missed::{LastStatus, MissedCall, MissedFilter, MissedSettings, MissedStep, MissedView};
use crm::{CrmError, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The list's filter, as the API and the page take it.
#[derive(Deserialize, Default, Clone, IntoParams)]
pub struct MissedQuery {
    /// visible (default) | hidden | removed | all
    #[serde(default)]
    pub view: String,
    /// called_back | sms_sent | tried | never_tried
    #[serde(default)]
    pub status: String,
    /// First day (YYYY-MM-DD, UTC) of the latest miss.
    #[serde(default)]
    pub from: String,
    /// Last day (YYYY-MM-DD, UTC) of the latest miss, included.
    #[serde(default)]
    pub to: String,
    /// From 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// 1–500, default 50.
    #[serde(default)]
    pub per_page: Option<u64>,
}

/// A day as forms and queries give it (YYYY-MM-DD; empty: none).
pub fn day(s: &str, field: &'static str) -> Result<Option<NaiveDate>, CrmError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map(Some).map_err(|_| CrmError::invalid(field, "err-date"))
}

/// The start of a day in UTC.
fn utc_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

impl MissedQuery {
    pub fn filter(&self) -> Result<MissedFilter, CrmError> {
        let view = MissedView::parse(&self.view).ok_or_else(|| CrmError::invalid("view", "err-missed-view"))?;
        let status = match self.status.as_str() {
            "" => None,
            s => Some(LastStatus::parse(s).ok_or_else(|| CrmError::invalid("status", "err-missed-view"))?),
        };
        Ok(MissedFilter {
            view,
            status,
            from: day(&self.from, "from")?.map(utc_start),
            to: day(&self.to, "to")?.map(|d| utc_start(d) + chrono::Duration::days(1)),
            page: self.page.unwrap_or(1),
            per_page: self.per_page.unwrap_or(50),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct MissedOut {
    pub id: i64,
    pub caller: String,
    pub called_number: String,
    pub count: i32,
    #[schema(value_type = String)]
    pub first_at: DateTime<Utc>,
    #[schema(value_type = String)]
    pub last_at: DateTime<Utc>,
    #[schema(schema_with = missed_states)]
    pub state: String,
    #[schema(schema_with = removal_causes)]
    pub removed_cause: Option<String>,
    #[schema(schema_with = last_statuses)]
    pub last_status: String,
}

/// A string that is one of `values` (the document lists the type's own values: no list to keep).
fn choices(values: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .build()
}

fn missed_states() -> utoipa::openapi::Object {
    choices(crm::missed::MissedState::ALL.iter().map(|s| s.as_str()))
}

fn removal_causes() -> utoipa::openapi::Object {
    choices(crm::missed::RemovalCause::ALL.iter().map(|s| s.as_str()))
}

fn last_statuses() -> utoipa::openapi::Object {
    choices(LastStatus::ALL.iter().map(|s| s.as_str()))
}

fn step_kinds() -> utoipa::openapi::Object {
    choices(crm::missed::StepKind::ALL.iter().map(|s| s.as_str()))
}

fn step_results() -> utoipa::openapi::Object {
    choices(crm::missed::StepResult::ALL.iter().map(|s| s.as_str()))
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
            state: m.state.as_str().into(),
            removed_cause: m.removed_cause.map(|c| c.as_str().into()),
            last_status: m.last_status.as_str().into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MissedListOut {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub items: Vec<MissedOut>,
}

#[derive(Serialize, ToSchema)]
pub struct StepOut {
    #[schema(value_type = String)]
    pub at: DateTime<Utc>,
    #[schema(schema_with = step_kinds)]
    pub kind: String,
    pub user_id: Option<i64>,
    pub detail: String,
    /// A callback's result (absent while it runs); an SMS's.
    #[schema(schema_with = step_results)]
    pub result: Option<String>,
}

impl From<MissedStep> for StepOut {
    fn from(s: MissedStep) -> Self {
        StepOut {
            at: s.at,
            kind: s.kind.as_str().into(),
            user_id: s.user_id,
            detail: s.detail,
            result: s.result.map(|r| r.as_str().into()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MissedDetailOut {
    #[serde(flatten)]
    pub call: MissedOut,
    pub history: Vec<StepOut>,
}

#[utoipa::path(get, path = "/api/v1/missed", tag = "missed calls", params(MissedQuery),
    responses((status = 200, body = MissedListOut), (status = 422, body = Problem)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Query(q): Query<MissedQuery>,
) -> Result<Json<MissedListOut>, ApiError> {
    let p = st.crm.missed_page(me.org_id, &q.filter()?).await?;
    Ok(Json(MissedListOut {
        total: p.total,
        page: p.page,
        per_page: p.per_page,
        items: p.items.into_iter().map(Into::into).collect(),
    }))
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
    ApiJson(b): ApiJson<HideIn>,
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

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CallbackIn {
    /// One of the organization's numbers to present; the route's default when absent.
    pub caller_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/missed/{id}/callback", tag = "missed calls", params(("id" = i64, Path)), request_body = CallbackIn,
    responses((status = 202, body = super::calls::CallStartedOut), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn callback(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CallbackIn>,
) -> Result<(StatusCode, Json<super::calls::CallStartedOut>), ApiError> {
    let call_id = st.crm.missed_callback(&me, id, b.caller_id.as_deref()).await?;
    Ok((StatusCode::ACCEPTED, Json(super::calls::CallStartedOut { call_id })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsIn {
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/missed/{id}/sms", tag = "missed calls", params(("id" = i64, Path)), request_body = SmsIn,
    responses((status = 201, body = StepOut), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn sms(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SmsIn>,
) -> Result<(StatusCode, Json<StepOut>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.crm.missed_sms(&me, id, &b.text).await?.into())))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIo {
    /// 1–3650
    pub retention_days: i32,
    /// 0–3600
    pub min_callback_seconds: i32,
    /// admin | manager | agent: the least role that may hide and restore
    pub hide_role: String,
    pub email_offered: bool,
}

impl From<MissedSettings> for SettingsIo {
    fn from(s: MissedSettings) -> Self {
        SettingsIo {
            retention_days: s.retention_days,
            min_callback_seconds: s.min_callback_seconds,
            hide_role: s.hide_role.as_str().into(),
            email_offered: s.email_offered,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/missed-settings", tag = "missed calls",
    responses((status = 200, body = SettingsIo)))]
pub async fn settings(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<SettingsIo>, ApiError> {
    Ok(Json(st.crm.missed_settings(me.org_id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/missed-settings", tag = "missed calls", request_body = SettingsIo,
    responses((status = 200, body = SettingsIo), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_settings(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<SettingsIo>,
) -> Result<Json<SettingsIo>, ApiError> {
    let hide_role =
        Role::parse(&b.hide_role).map_err(|e| CrmError::Invalid(vec![crm::FieldError { field: "hide_role", ..e }]))?;
    let s = MissedSettings {
        retention_days: b.retention_days,
        min_callback_seconds: b.min_callback_seconds,
        hide_role,
        email_offered: b.email_offered,
    };
    Ok(Json(st.crm.set_missed_settings(&me, s).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct StatsOut {
    pub called_back: u64,
    pub sms_sent: u64,
    pub tried: u64,
    pub never_tried: u64,
    /// Removed automatically (the caller got through, an answered callback, retention).
    pub removed_automatically: u64,
    pub hidden_by_hand: u64,
    pub still_listed: u64,
}

#[utoipa::path(get, path = "/api/v1/missed-stats", tag = "missed calls", params(MissedQuery),
    responses((status = 200, body = StatsOut), (status = 422, body = Problem)))]
pub async fn stats(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Query(q): Query<MissedQuery>,
) -> Result<Json<StatsOut>, ApiError> {
    let s = st.crm.missed_stats(me.org_id, &q.filter()?).await?;
    let n = |x: LastStatus| s.by_status.iter().find(|(k, _)| *k == x).map(|(_, n)| *n).unwrap_or(0);
    Ok(Json(StatsOut {
        called_back: n(LastStatus::CalledBack),
        sms_sent: n(LastStatus::SmsSent),
        tried: n(LastStatus::Tried),
        never_tried: n(LastStatus::NeverTried),
        removed_automatically: s.removed,
        hidden_by_hand: s.hidden,
        still_listed: s.listed,
    }))
}
