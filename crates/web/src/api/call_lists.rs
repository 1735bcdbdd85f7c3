//! Outbound call lists over the API: managers start lists, add numbers, define categories and
//! outcomes; an agent asks for the next number and gives it back with an outcome; every
//! number says why it is not handed out now. The rules are crm's (`crm::outbound`).

use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use crm::CrmError;
use crm::outbound::lease::NotNow;
use crm::outbound::{Kind, NewNumber};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ListOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub active: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListIn {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberIn {
    /// As typed: national or international, spaces and dashes allowed.
    pub number: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category_id: Option<i64>,
    /// The callee agreed to be called (a list whose profile requires consent calls only these).
    #[serde(default)]
    pub consent: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumbersIn {
    pub numbers: Vec<NumberIn>,
}

#[derive(Serialize, ToSchema)]
pub struct AddedOut {
    pub added: u32,
    /// Already in the list (a number is in a list once).
    pub duplicates: u32,
    /// The places (from 1) of the rows that are no phone number.
    pub invalid: Vec<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct NamedOut {
    pub id: i64,
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeIn {
    pub name: String,
    /// final | retry | callback | dnc
    pub kind: String,
    /// For a retry: after how many minutes (1 to 10080).
    #[serde(default)]
    pub retry_minutes: i32,
}

#[derive(Serialize, ToSchema)]
pub struct OutcomeOut {
    pub id: i64,
    pub name: String,
    /// final | retry | callback | dnc
    pub kind: String,
    pub retry_minutes: i32,
}

#[derive(Serialize, ToSchema)]
pub struct ListNumberOut {
    pub id: i64,
    pub list_id: i64,
    /// E.164 digits.
    pub number: String,
    pub typed: String,
    pub name: String,
    pub contact_id: Option<i64>,
    pub category_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub outcome_id: Option<i64>,
    pub next_call_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub done: bool,
    pub held_by: Option<i64>,
    pub modified_at: DateTime<Utc>,
}

impl From<crm::outbound::ListNumber> for ListNumberOut {
    fn from(n: crm::outbound::ListNumber) -> Self {
        ListNumberOut {
            id: n.id,
            list_id: n.list_id,
            number: n.number,
            typed: n.typed,
            name: n.name,
            contact_id: n.contact_id,
            category_id: n.category_id,
            agent_id: n.agent_id,
            outcome_id: n.outcome_id,
            next_call_at: n.next_call_at,
            attempts: n.attempts,
            done: n.done,
            held_by: n.leased_by,
            modified_at: n.modified_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveOutcomeIn {
    pub outcome_id: i64,
    /// For a callback: when (in the future).
    #[serde(default)]
    pub callback_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub note: String,
    /// The call made to the number, when there was one.
    #[serde(default)]
    pub call_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AttemptOut {
    pub at: DateTime<Utc>,
    pub user_id: i64,
    pub outcome_id: i64,
    pub next_call_at: Option<DateTime<Utc>>,
    pub call_id: Option<String>,
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct NumberDetailOut {
    pub number: ListNumberOut,
    /// Why it is not handed out now (absent: it would be): done, do_not_call, list_inactive,
    /// held_by (user), blocked (until), not_before (at), owned_by (user, until), no_consent,
    /// outside_window (country), attempts_used (until).
    #[schema(value_type = Option<Object>)]
    pub not_now: Option<NotNow>,
    pub history: Vec<AttemptOut>,
}

fn managers(me: &crm::User) -> Result<(), ApiError> {
    if me.is_manager() { Ok(()) } else { Err(CrmError::Forbidden.into()) }
}

#[utoipa::path(get, path = "/api/v1/call-lists", tag = "call lists",
    responses((status = 200, body = Vec<ListOut>), (status = 403, body = Problem)))]
pub async fn lists(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<ListOut>>, ApiError> {
    managers(&me)?;
    let lists = st.crm.call_lists(me.org_id).await?;
    Ok(Json(
        lists
            .into_iter()
            .map(|l| ListOut { id: l.id, name: l.name, description: l.description, active: l.active })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/call-lists", tag = "call lists", request_body = ListIn,
    responses((status = 201, body = ListOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_list(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<ListIn>,
) -> Result<(StatusCode, Json<ListOut>), ApiError> {
    let l = st.crm.create_call_list(&me, &b.name, &b.description).await?;
    Ok((StatusCode::CREATED, Json(ListOut { id: l.id, name: l.name, description: l.description, active: l.active })))
}

#[utoipa::path(post, path = "/api/v1/call-lists/{id}/numbers", tag = "call lists", params(("id" = i64, Path)),
    request_body = NumbersIn,
    responses((status = 200, body = AddedOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_numbers(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NumbersIn>,
) -> Result<Json<AddedOut>, ApiError> {
    let rows: Vec<NewNumber> = b
        .numbers
        .into_iter()
        .map(|n| NewNumber { typed: n.number, name: n.name, category_id: n.category_id, consent: n.consent })
        .collect();
    let a = st.crm.add_list_numbers(&me, id, &rows).await?;
    Ok(Json(AddedOut { added: a.added, duplicates: a.duplicates, invalid: a.invalid }))
}

#[utoipa::path(get, path = "/api/v1/call-lists/categories", tag = "call lists",
    responses((status = 200, body = Vec<NamedOut>)))]
pub async fn categories(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<NamedOut>>, ApiError> {
    let c = st.crm.list_categories(me.org_id).await?;
    Ok(Json(c.into_iter().filter(|c| c.active).map(|c| NamedOut { id: c.id, name: c.name }).collect()))
}

#[utoipa::path(post, path = "/api/v1/call-lists/categories", tag = "call lists", request_body = ListIn,
    responses((status = 201, body = NamedOut), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn add_category(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<ListIn>,
) -> Result<(StatusCode, Json<NamedOut>), ApiError> {
    let c = st.crm.add_list_category(&me, &b.name).await?;
    Ok((StatusCode::CREATED, Json(NamedOut { id: c.id, name: c.name })))
}

#[utoipa::path(get, path = "/api/v1/call-lists/outcomes", tag = "call lists",
    responses((status = 200, body = Vec<OutcomeOut>)))]
pub async fn outcomes(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<OutcomeOut>>, ApiError> {
    let o = st.crm.list_outcomes(me.org_id).await?;
    Ok(Json(
        o.into_iter()
            .filter(|o| o.active)
            .map(|o| OutcomeOut {
                id: o.id,
                name: o.name,
                kind: o.kind.as_str().into(),
                retry_minutes: o.retry_minutes,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/call-lists/outcomes", tag = "call lists", request_body = OutcomeIn,
    responses((status = 201, body = OutcomeOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_outcome(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<OutcomeIn>,
) -> Result<(StatusCode, Json<OutcomeOut>), ApiError> {
    let kind = Kind::parse(&b.kind).ok_or(CrmError::invalid("kind", "err-out-of-range"))?;
    let o = st.crm.add_list_outcome(&me, &b.name, kind, b.retry_minutes).await?;
    let out = OutcomeOut { id: o.id, name: o.name, kind: o.kind.as_str().into(), retry_minutes: o.retry_minutes };
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(post, path = "/api/v1/call-lists/next", tag = "call lists",
    responses((status = 200, body = ListNumberOut), (status = 204, description = "nothing left to call"),
        (status = 409, body = Problem)))]
pub async fn next(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Response, ApiError> {
    Ok(match st.crm.next_number(&me).await? {
        Some(n) => Json(ListNumberOut::from(n)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Whether the agent dials progressively now.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DialingIo {
    pub dialing: bool,
}

#[utoipa::path(get, path = "/api/v1/call-lists/dialing", tag = "call lists",
    responses((status = 200, body = DialingIo)))]
pub async fn dialing(State(st): State<AppState>, ApiUser(me): ApiUser) -> Json<DialingIo> {
    Json(DialingIo { dialing: st.crm.is_dialing(&me) })
}

/// Starts or stops the agent's progressive dialing: while on, and while they hold no number,
/// the next number of the lists set to progressive is called (their phone first).
#[utoipa::path(put, path = "/api/v1/call-lists/dialing", tag = "call lists", request_body = DialingIo,
    responses((status = 200, body = DialingIo), (status = 403, body = Problem)))]
pub async fn set_dialing(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<DialingIo>,
) -> Result<Json<DialingIo>, ApiError> {
    if b.dialing {
        st.crm.start_dialing(&me).await?;
    } else {
        st.crm.stop_dialing(&me);
    }
    Ok(Json(DialingIo { dialing: st.crm.is_dialing(&me) }))
}

#[utoipa::path(get, path = "/api/v1/call-lists/held", tag = "call lists",
    responses((status = 200, body = Vec<ListNumberOut>)))]
pub async fn held(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<ListNumberOut>>, ApiError> {
    Ok(Json(st.crm.held_numbers(&me).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/call-lists/numbers/{id}/outcome", tag = "call lists", params(("id" = i64, Path)),
    request_body = GiveOutcomeIn,
    responses((status = 200, body = ListNumberOut), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn give_outcome(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<GiveOutcomeIn>,
) -> Result<Json<ListNumberOut>, ApiError> {
    let n = st.crm.give_outcome(&me, id, b.outcome_id, b.callback_at, &b.note, b.call_id.as_deref()).await?;
    Ok(Json(n.into()))
}

#[utoipa::path(get, path = "/api/v1/call-lists/numbers/{id}", tag = "call lists", params(("id" = i64, Path)),
    responses((status = 200, body = NumberDetailOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn number(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<NumberDetailOut>, ApiError> {
    managers(&me)?;
    let n = st.crm.list_number(me.org_id, id).await?;
    let not_now = st.crm.why_not_now(me.org_id, id).await?;
    let history = st
        .crm
        .number_history(me.org_id, id)
        .await?
        .into_iter()
        .map(|a| AttemptOut {
            at: a.at,
            user_id: a.user_id,
            outcome_id: a.outcome_id,
            next_call_at: a.next_call_at,
            call_id: a.call_id,
            note: a.note,
        })
        .collect();
    Ok(Json(NumberDetailOut { number: n.into(), not_now, history }))
}
