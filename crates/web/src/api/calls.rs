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

/// A command on a call in progress; `command` names it, and only the commands that need a
/// number (`to`) or keys (`digits`) take one.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandIn {
    /// A ringing call: the agent's phone answers by itself (where it can).
    Answer,
    Hangup,
    /// The other party hears music.
    Hold,
    Resume,
    Mute,
    Unmute,
    /// Hands the other party to an extension or number; the agent leaves.
    BlindTransfer {
        to: String,
    },
    /// Rings a third party while the other one waits with music (attended transfer or conference).
    Consult {
        to: String,
    },
    /// The other party talks to the consulted one; the agent leaves.
    ConsultComplete,
    ConsultCancel,
    /// All three talk together.
    ConferenceMerge,
    /// The agent leaves; the other two talk on.
    ConferenceLeave,
    RecordStart,
    RecordStop,
    /// Keys (0-9, *, #, A-D) played to the other party.
    Dtmf {
        #[serde(alias = "to")]
        digits: String,
    },
}

impl CommandIn {
    /// The command a JSON body asks for, or a clear error (an unknown command, a missing or
    /// empty number).
    pub fn parse(body: serde_json::Value) -> Result<CallCommand, CrmError> {
        let bad = || CrmError::invalid("command", "err-call-command");
        let given = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty()).ok_or_else(bad);
        Ok(match serde_json::from_value::<CommandIn>(body).map_err(|_| bad())? {
            CommandIn::Answer => CallCommand::Answer,
            CommandIn::Hangup => CallCommand::Hangup,
            CommandIn::Hold => CallCommand::Hold,
            CommandIn::Resume => CallCommand::Resume,
            CommandIn::Mute => CallCommand::Mute,
            CommandIn::Unmute => CallCommand::Unmute,
            CommandIn::BlindTransfer { to } => CallCommand::BlindTransfer { to: given(to)? },
            CommandIn::Consult { to } => CallCommand::ConsultStart { to: given(to)? },
            CommandIn::ConsultComplete => CallCommand::ConsultComplete,
            CommandIn::ConsultCancel => CallCommand::ConsultCancel,
            CommandIn::ConferenceMerge => CallCommand::ConferenceMerge,
            CommandIn::ConferenceLeave => CallCommand::ConferenceLeave,
            CommandIn::RecordStart => CallCommand::RecordStart,
            CommandIn::RecordStop => CallCommand::RecordStop,
            CommandIn::Dtmf { digits } => {
                let digits = given(digits)?;
                if digits.len() > 32 {
                    return Err(bad());
                }
                CallCommand::SendDtmf { digits }
            }
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
    ApiJson(b): ApiJson<serde_json::Value>,
) -> Result<StatusCode, ApiError> {
    let cmd = CommandIn::parse(b)?;
    st.crm.command_call(&me, &id, cmd)?;
    Ok(StatusCode::ACCEPTED)
}
