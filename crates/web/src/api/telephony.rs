//! The organization's telephony over the API (administrators): trunks, numbers, ring groups
//! and dial rules, listed, added, changed and removed with the checks of the pages and the CLI.
//! A trunk's password is written, never read back.

use super::{ApiAdmin, ApiJson};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use crm::sip::trunks::{NewTrunk, NumberRoute};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TrunkOut {
    pub id: i64,
    pub name: String,
    pub host: String,
    pub port: i32,
    /// udp | tcp
    pub transport: String,
    pub username: Option<String>,
    /// Whether a password is set (it is never shown).
    pub has_password: bool,
    /// Addresses calls from this carrier come from.
    pub inbound_addresses: Vec<String>,
    pub register: bool,
}

impl From<crm::sip::trunks::Trunk> for TrunkOut {
    fn from(t: crm::sip::trunks::Trunk) -> Self {
        TrunkOut {
            id: t.id,
            name: t.name,
            host: t.host,
            port: t.port,
            transport: t.transport,
            username: t.username,
            has_password: t.password.is_some(),
            inbound_addresses: t.inbound_addresses.split_whitespace().map(str::to_string).collect(),
            register: t.register,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrunkIn {
    pub name: String,
    pub host: String,
    /// 5060 when absent.
    #[serde(default)]
    pub port: Option<u16>,
    /// udp (default) | tcp
    #[serde(default)]
    pub transport: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// On a change, absent or empty keeps the password the trunk has.
    #[serde(default)]
    pub password: Option<String>,
    /// The host when absent.
    #[serde(default)]
    pub inbound_addresses: Vec<String>,
    #[serde(default)]
    pub register: bool,
}

impl TrunkIn {
    fn trunk(self) -> NewTrunk {
        NewTrunk {
            name: self.name,
            host: self.host,
            port: self.port.unwrap_or(5060),
            transport: self.transport.unwrap_or_else(|| "udp".into()),
            username: self.username,
            password: self.password,
            inbound_addresses: self.inbound_addresses,
            register: self.register,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/trunks", tag = "telephony",
    responses((status = 200, body = Vec<TrunkOut>), (status = 403, body = Problem)))]
pub async fn trunks(State(st): State<AppState>, ApiAdmin(me): ApiAdmin) -> Result<Json<Vec<TrunkOut>>, ApiError> {
    Ok(Json(st.crm.trunks(me.org_id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/trunks", tag = "telephony", request_body = TrunkIn,
    responses((status = 201, body = TrunkOut), (status = 422, body = Problem)))]
pub async fn add_trunk(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    ApiJson(b): ApiJson<TrunkIn>,
) -> Result<(StatusCode, Json<TrunkOut>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.crm.create_trunk(me.org_id, b.trunk()).await?.into())))
}

#[utoipa::path(put, path = "/api/v1/trunks/{id}", tag = "telephony", params(("id" = i64, Path)), request_body = TrunkIn,
    responses((status = 200, body = TrunkOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_trunk(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TrunkIn>,
) -> Result<Json<TrunkOut>, ApiError> {
    Ok(Json(st.crm.update_trunk(me.org_id, id, b.trunk()).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/trunks/{id}", tag = "telephony", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_trunk(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    st.crm.delete_trunk(me.org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct NumberOut {
    pub id: i64,
    /// E.164 digits.
    pub number: String,
    /// Exactly one of the three: where the number rings.
    pub extension: Option<String>,
    pub group_id: Option<i64>,
    pub queue_id: Option<i64>,
}

impl From<crm::sip::trunks::Number> for NumberOut {
    fn from(n: crm::sip::trunks::Number) -> Self {
        NumberOut {
            id: n.id,
            number: n.number,
            extension: n.route_extension,
            group_id: n.route_group_id,
            queue_id: n.route_queue_id,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberIn {
    pub number: String,
    /// Exactly one of the three.
    #[serde(default)]
    pub extension: Option<String>,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default)]
    pub queue_id: Option<i64>,
}

impl NumberIn {
    fn route(&self) -> NumberRoute<'_> {
        NumberRoute::of(self.extension.as_deref(), self.group_id, self.queue_id)
    }
}

#[utoipa::path(get, path = "/api/v1/numbers", tag = "telephony",
    responses((status = 200, body = Vec<NumberOut>), (status = 403, body = Problem)))]
pub async fn numbers(State(st): State<AppState>, ApiAdmin(me): ApiAdmin) -> Result<Json<Vec<NumberOut>>, ApiError> {
    Ok(Json(st.crm.numbers(me.org_id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/numbers", tag = "telephony", request_body = NumberIn,
    responses((status = 201, body = NumberOut), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_number(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    ApiJson(b): ApiJson<NumberIn>,
) -> Result<(StatusCode, Json<NumberOut>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.crm.add_number(me.org_id, &b.number, b.route()).await?.into())))
}

#[utoipa::path(put, path = "/api/v1/numbers/{id}", tag = "telephony", params(("id" = i64, Path)), request_body = NumberIn,
    responses((status = 200, body = NumberOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_number(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NumberIn>,
) -> Result<Json<NumberOut>, ApiError> {
    Ok(Json(st.crm.update_number(me.org_id, id, &b.number, b.route()).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/numbers/{id}", tag = "telephony", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_number(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    st.crm.delete_number(me.org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DialRuleIo {
    /// Digits (a leading + allowed), * and #; the longest rule that matches decides.
    pub prefix: String,
    pub allow: bool,
}

#[utoipa::path(get, path = "/api/v1/dial-rules", tag = "telephony",
    responses((status = 200, body = Vec<DialRuleIo>), (status = 403, body = Problem)))]
pub async fn dial_rules(State(st): State<AppState>, ApiAdmin(me): ApiAdmin) -> Result<Json<Vec<DialRuleIo>>, ApiError> {
    let rules = st.crm.dial_rules(me.org_id).await?;
    Ok(Json(rules.into_iter().map(|(prefix, allow)| DialRuleIo { prefix, allow }).collect()))
}

/// The organization's dial rules become exactly these (checked all first: a bad one changes
/// nothing).
#[utoipa::path(put, path = "/api/v1/dial-rules", tag = "telephony", request_body = Vec<DialRuleIo>,
    responses((status = 200, body = Vec<DialRuleIo>), (status = 422, body = Problem)))]
pub async fn set_dial_rules(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    ApiJson(b): ApiJson<Vec<DialRuleIo>>,
) -> Result<Json<Vec<DialRuleIo>>, ApiError> {
    let rules: Vec<(String, bool)> = b.into_iter().map(|r| (r.prefix, r.allow)).collect();
    st.crm.set_dial_rules(me.org_id, &rules).await?;
    dial_rules(State(st), ApiAdmin(me)).await
}

#[derive(Serialize, ToSchema)]
pub struct GroupOut {
    pub id: i64,
    pub name: String,
    /// Extensions in ringing order.
    pub members: Vec<String>,
    /// All at once (true) or one after another.
    pub parallel: bool,
    /// How long the group (at once) or each member (in order) rings.
    pub ring_seconds: i32,
}

impl From<crm::sip::trunks::RingGroup> for GroupOut {
    fn from(g: crm::sip::trunks::RingGroup) -> Self {
        GroupOut {
            id: g.id,
            name: g.name,
            members: g.members.split(',').filter(|m| !m.is_empty()).map(str::to_string).collect(),
            parallel: g.parallel,
            ring_seconds: g.ring_seconds,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupIn {
    pub name: String,
    pub members: Vec<String>,
    #[serde(default)]
    pub parallel: bool,
    /// 20 when absent.
    #[serde(default)]
    pub ring_seconds: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "telephony",
    responses((status = 200, body = Vec<GroupOut>), (status = 403, body = Problem)))]
pub async fn groups(State(st): State<AppState>, ApiAdmin(me): ApiAdmin) -> Result<Json<Vec<GroupOut>>, ApiError> {
    Ok(Json(st.crm.ring_groups(me.org_id).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "telephony", request_body = GroupIn,
    responses((status = 201, body = GroupOut), (status = 422, body = Problem)))]
pub async fn add_group(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    ApiJson(b): ApiJson<GroupIn>,
) -> Result<(StatusCode, Json<GroupOut>), ApiError> {
    let g = st.crm.create_ring_group(me.org_id, &b.name, &b.members, b.parallel, b.ring_seconds.unwrap_or(20)).await?;
    Ok((StatusCode::CREATED, Json(g.into())))
}

#[utoipa::path(put, path = "/api/v1/groups/{id}", tag = "telephony", params(("id" = i64, Path)), request_body = GroupIn,
    responses((status = 200, body = GroupOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_group(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<GroupIn>,
) -> Result<Json<GroupOut>, ApiError> {
    let ring = b.ring_seconds.unwrap_or(20);
    Ok(Json(st.crm.update_ring_group(me.org_id, id, &b.name, &b.members, b.parallel, ring).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "telephony", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_group(
    State(st): State<AppState>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    st.crm.delete_ring_group(me.org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
