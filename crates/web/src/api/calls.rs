//! Calls over the API: the calls in progress, click-to-call, and commands on a call.

use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use crm::CrmError;
use serde::{Deserialize, Serialize};
use telephony::events::CallCommand;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CallOut {
    pub call_id: String,
    /// The organization's extension on the call.
    pub extension: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCallIn {
    /// An extension or an outside number.
    pub number: String,
    /// One of the organization's numbers to present; the route's default when absent.
    pub caller_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CallStartedOut {
    pub call_id: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandIn {
    /// answer | hangup | hold | resume | mute | unmute | blind_transfer | consult | consult_complete |
    /// consult_cancel | conference_merge | conference_leave | record_start | record_stop | dtmf
    pub command: String,
    /// For blind_transfer and consult: the extension or number; for dtmf: the keys.
    pub to: Option<String>,
}

impl CommandIn {
    /// The telephony command this asks for, or a clear error.
    pub fn to_command(&self) -> Result<CallCommand, CrmError> {
        let to = self.to.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        Ok(match (self.command.as_str(), to) {
            ("answer", None) => CallCommand::Answer,
            ("hangup", None) => CallCommand::Hangup,
            ("hold", None) => CallCommand::Hold,
            ("resume", None) => CallCommand::Resume,
            ("mute", None) => CallCommand::Mute,
            ("unmute", None) => CallCommand::Unmute,
            ("blind_transfer", Some(to)) => CallCommand::BlindTransfer { to },
            ("consult", Some(to)) => CallCommand::ConsultStart { to },
            ("consult_complete", None) => CallCommand::ConsultComplete,
            ("consult_cancel", None) => CallCommand::ConsultCancel,
            ("conference_merge", None) => CallCommand::ConferenceMerge,
            ("conference_leave", None) => CallCommand::ConferenceLeave,
            ("record_start", None) => CallCommand::RecordStart,
            ("record_stop", None) => CallCommand::RecordStop,
            ("dtmf", Some(digits)) if digits.len() <= 32 => CallCommand::SendDtmf { digits },
            _ => return Err(CrmError::invalid("command", "err-call-command")),
        })
    }
}

#[utoipa::path(get, path = "/api/v1/calls", tag = "calls",
    responses((status = 200, body = Vec<CallOut>)))]
pub async fn list(State(st): State<AppState>, ApiUser(me): ApiUser) -> Json<Vec<CallOut>> {
    Json(st.crm.calls_of(&me).into_iter().map(|c| CallOut { call_id: c.call_id, extension: c.extension }).collect())
}

#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", request_body = NewCallIn,
    responses((status = 202, body = CallStartedOut), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<NewCallIn>,
) -> Result<(StatusCode, Json<CallStartedOut>), ApiError> {
    let call_id = st.crm.click_to_call(&me, &b.number, b.caller_id.as_deref()).await?;
    Ok((StatusCode::ACCEPTED, Json(CallStartedOut { call_id })))
}

#[utoipa::path(post, path = "/api/v1/calls/{id}/commands", tag = "calls", params(("id" = String, Path)), request_body = CommandIn,
    responses((status = 202, description = "Sent to the call"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn command(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CommandIn>,
) -> Result<StatusCode, ApiError> {
    let cmd = b.to_command()?;
    st.crm.command_call(&me, &id, cmd)?;
    Ok(StatusCode::ACCEPTED)
}
