//! Queues, agents' states and supervision over the API: managers set up queues and their
//! members, see who waits and hand a caller to an agent, see every agent's state and set it,
//! and supervise calls; every user reads and sets their own state. The checks are the pages'.

use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use crm::queues::{MemberForm, QueueForm, Strategy};
use crm::{CrmError, UserId};
use serde::{Deserialize, Serialize};
use telephony::events::SuperviseMode;
use telephony::queue::QueueExit;
use utoipa::ToSchema;

/// Where callers go who leave a queue without an agent.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExitIo {
    /// Told the line is busy and let go.
    HangUp,
    /// Rung through to an extension.
    Extension { extension: String },
    /// Into another queue.
    Queue { queue_id: i64 },
}

impl From<QueueExit> for ExitIo {
    fn from(e: QueueExit) -> Self {
        match e {
            QueueExit::HangUp => ExitIo::HangUp,
            QueueExit::Extension(extension) => ExitIo::Extension { extension },
            QueueExit::Queue(queue_id) => ExitIo::Queue { queue_id },
        }
    }
}

impl From<ExitIo> for QueueExit {
    fn from(e: ExitIo) -> Self {
        match e {
            ExitIo::HangUp => QueueExit::HangUp,
            ExitIo::Extension { extension } => QueueExit::Extension(extension),
            ExitIo::Queue { queue_id } => QueueExit::Queue(queue_id),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIo {
    pub user_id: i64,
    /// 0 is offered first.
    #[serde(default)]
    pub penalty: i32,
}

#[derive(Serialize, ToSchema)]
pub struct QueueOut {
    pub id: i64,
    pub name: String,
    /// longest_idle | round_robin | in_order | ring_all | fewest_calls | weighted_random
    pub strategy: String,
    pub ring_seconds: i32,
    pub max_wait_seconds: i32,
    pub max_waiting: i32,
    pub wrap_up_seconds: i32,
    pub priority: i32,
    pub service_level_seconds: i32,
    pub service_level_target: i32,
    pub leave_when_empty: bool,
    pub exit: ExitIo,
    pub announce_seconds: i32,
    /// en | pl | he
    pub language: String,
    /// 0: no callback offered.
    pub callback_minutes: i32,
    /// In the order offers follow.
    pub members: Vec<MemberIo>,
}

impl From<crm::queues::QueueConf> for QueueOut {
    fn from(c: crm::queues::QueueConf) -> Self {
        let f = QueueForm::from(&c.queue);
        QueueOut {
            id: c.queue.id,
            name: f.name,
            strategy: f.strategy.as_str().into(),
            ring_seconds: f.ring_seconds,
            max_wait_seconds: f.max_wait_seconds,
            max_waiting: f.max_waiting,
            wrap_up_seconds: f.wrap_up_seconds,
            priority: f.priority,
            service_level_seconds: f.service_level_seconds,
            service_level_target: f.service_level_target,
            leave_when_empty: f.leave_when_empty,
            exit: f.exit.into(),
            announce_seconds: f.announce_seconds,
            language: f.language.as_str().into(),
            callback_minutes: f.callback_minutes,
            members: c.members.iter().map(|m| MemberIo { user_id: m.user_id, penalty: m.penalty }).collect(),
        }
    }
}

/// A queue as a manager sets it; an absent field takes the default a new queue has.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueIn {
    pub name: String,
    #[serde(default)]
    pub strategy: Option<String>,
    #[serde(default)]
    pub ring_seconds: Option<i32>,
    #[serde(default)]
    pub max_wait_seconds: Option<i32>,
    #[serde(default)]
    pub max_waiting: Option<i32>,
    #[serde(default)]
    pub wrap_up_seconds: Option<i32>,
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub service_level_seconds: Option<i32>,
    #[serde(default)]
    pub service_level_target: Option<i32>,
    #[serde(default)]
    pub leave_when_empty: Option<bool>,
    #[serde(default)]
    pub exit: Option<ExitIo>,
    #[serde(default)]
    pub announce_seconds: Option<i32>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub callback_minutes: Option<i32>,
    /// When present, the members replace the queue's.
    #[serde(default)]
    pub members: Option<Vec<MemberIo>>,
}

impl QueueIn {
    fn form(self) -> Result<(QueueForm, Option<Vec<MemberForm>>), ApiError> {
        let d = QueueForm::default();
        let strategy = match self.strategy {
            None => d.strategy,
            Some(s) => Strategy::parse(&s).ok_or(CrmError::invalid("strategy", "err-out-of-range"))?,
        };
        let language = match self.language {
            None => d.language,
            Some(l) => crm::Language::parse(&l).map_err(|_| CrmError::invalid("language", "err-out-of-range"))?,
        };
        let form = QueueForm {
            name: self.name,
            strategy,
            ring_seconds: self.ring_seconds.unwrap_or(d.ring_seconds),
            max_wait_seconds: self.max_wait_seconds.unwrap_or(d.max_wait_seconds),
            max_waiting: self.max_waiting.unwrap_or(d.max_waiting),
            wrap_up_seconds: self.wrap_up_seconds.unwrap_or(d.wrap_up_seconds),
            priority: self.priority.unwrap_or(d.priority),
            service_level_seconds: self.service_level_seconds.unwrap_or(d.service_level_seconds),
            service_level_target: self.service_level_target.unwrap_or(d.service_level_target),
            leave_when_empty: self.leave_when_empty.unwrap_or(d.leave_when_empty),
            exit: self.exit.map(Into::into).unwrap_or(d.exit),
            announce_seconds: self.announce_seconds.unwrap_or(d.announce_seconds),
            language,
            callback_minutes: self.callback_minutes.unwrap_or(d.callback_minutes),
        };
        Ok((form, self.members.map(members)))
    }
}

fn members(m: Vec<MemberIo>) -> Vec<MemberForm> {
    m.into_iter().map(|m| MemberForm { user_id: UserId(m.user_id), penalty: m.penalty }).collect()
}

#[utoipa::path(get, path = "/api/v1/queues", tag = "queues",
    responses((status = 200, body = Vec<QueueOut>), (status = 403, body = Problem)))]
pub async fn list(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<QueueOut>>, ApiError> {
    if !me.is_manager() {
        return Err(CrmError::Forbidden.into());
    }
    let confs = st.crm.queue_confs(me.org_id).await?;
    Ok(Json(confs.into_iter().filter(|c| c.queue.active).map(Into::into).collect()))
}

async fn save(st: &AppState, me: &crm::User, id: Option<i64>, b: QueueIn) -> Result<QueueOut, ApiError> {
    let (form, members) = b.form()?;
    if let Some(id) = id {
        // Checked before anything changes: a queue of another organization is not found.
        st.crm.queue_conf(me.org_id, id).await?;
    }
    if let Some(m) = &members {
        // The members are checked before the queue is saved: bad input changes nothing.
        st.crm.check_queue_members(me, m).await?;
    }
    let q = st.crm.save_queue(me, id, form).await?;
    if let Some(m) = members {
        st.crm.set_queue_members(me, q.id, &m).await?;
    }
    Ok(st.crm.queue_conf(me.org_id, q.id).await?.into())
}

#[utoipa::path(post, path = "/api/v1/queues", tag = "queues", request_body = QueueIn,
    responses((status = 201, body = QueueOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<QueueIn>,
) -> Result<(StatusCode, Json<QueueOut>), ApiError> {
    Ok((StatusCode::CREATED, Json(save(&st, &me, None, b).await?)))
}

#[utoipa::path(put, path = "/api/v1/queues/{id}", tag = "queues", params(("id" = i64, Path)), request_body = QueueIn,
    responses((status = 200, body = QueueOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<QueueIn>,
) -> Result<Json<QueueOut>, ApiError> {
    Ok(Json(save(&st, &me, Some(id), b).await?))
}

#[utoipa::path(delete, path = "/api/v1/queues/{id}", tag = "queues", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    st.crm.delete_queue(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct WaitingOut {
    pub call_id: String,
    pub queue_id: i64,
    /// The caller's number.
    pub caller: String,
    pub entered_at: DateTime<Utc>,
    /// An agent's phone rings for them now.
    pub ringing: bool,
    /// Off the line, to be called back when their turn comes.
    pub callback: bool,
}

#[utoipa::path(get, path = "/api/v1/queues/waiting", tag = "queues",
    responses((status = 200, body = Vec<WaitingOut>), (status = 403, body = Problem)))]
pub async fn waiting(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<WaitingOut>>, ApiError> {
    if !me.is_manager() {
        return Err(CrmError::Forbidden.into());
    }
    let w = st.crm.waiting_callers(me.org_id).await?;
    Ok(Json(
        w.into_iter()
            .map(|c| WaitingOut {
                call_id: c.call_id,
                queue_id: c.queue,
                caller: c.from,
                entered_at: c.entered,
                ringing: c.ringing,
                callback: c.callback,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandIn {
    pub user_id: i64,
}

#[utoipa::path(post, path = "/api/v1/queues/waiting/{call_id}/hand", tag = "queues", params(("call_id" = String, Path)),
    request_body = HandIn,
    responses((status = 202), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn hand(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(call_id): Path<String>,
    ApiJson(b): ApiJson<HandIn>,
) -> Result<StatusCode, ApiError> {
    st.crm.hand_waiting_call(&me, &call_id, UserId(b.user_id)).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Serialize, ToSchema)]
pub struct StatusOut {
    /// The user chose to take queue calls.
    pub available: bool,
    /// logged_out | available | reserved | in_call | wrap_up | unavailable
    pub state: String,
    pub reason_id: Option<i64>,
    pub reason: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub wrap_until: Option<DateTime<Utc>>,
}

impl From<crm::agents::status::Status> for StatusOut {
    fn from(s: crm::agents::status::Status) -> Self {
        StatusOut {
            available: s.available,
            state: s.state.as_str().into(),
            reason_id: s.reason_id,
            reason: s.reason,
            since: s.since,
            wrap_until: s.wrap_until,
        }
    }
}

/// What a user (or a manager for them) chooses: available, unavailable for one of the
/// organization's reasons, or logged out of the queues.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum StatusIn {
    Available,
    Unavailable { reason_id: i64 },
    LoggedOut,
}

impl StatusIn {
    fn parts(&self) -> (Option<bool>, Option<i64>) {
        match self {
            StatusIn::Available => (Some(true), None),
            StatusIn::Unavailable { reason_id } => (Some(false), Some(*reason_id)),
            StatusIn::LoggedOut => (None, None),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/me/status", tag = "agents",
    responses((status = 200, body = StatusOut), (status = 401, body = Problem)))]
pub async fn my_status(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<StatusOut>, ApiError> {
    Ok(Json(st.crm.agent_status(&me).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/me/status", tag = "agents", request_body = StatusIn,
    responses((status = 200, body = StatusOut), (status = 422, body = Problem)))]
pub async fn set_my_status(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<StatusIn>,
) -> Result<Json<StatusOut>, ApiError> {
    let s = match b.parts() {
        (None, _) => st.crm.log_out_agent(&me).await?,
        (Some(a), reason) => st.crm.set_agent_status(&me, a, reason).await?,
    };
    Ok(Json(s.into()))
}

#[derive(Serialize, ToSchema)]
pub struct AgentOut {
    pub user_id: i64,
    pub name: String,
    pub extension: String,
    /// logged_out | available | reserved | in_call | wrap_up | unavailable
    pub state: String,
    pub since: DateTime<Utc>,
    pub reason: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/agents", tag = "agents",
    responses((status = 200, body = Vec<AgentOut>), (status = 403, body = Problem)))]
pub async fn agents(State(st): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<Vec<AgentOut>>, ApiError> {
    let now = st.crm.agents_now(&me).await?;
    Ok(Json(
        now.into_iter()
            .map(|a| AgentOut {
                user_id: a.user_id.0,
                name: a.name,
                extension: a.extension,
                state: a.state.as_str().into(),
                since: a.since,
                reason: a.reason,
            })
            .collect(),
    ))
}

#[utoipa::path(put, path = "/api/v1/agents/{id}/status", tag = "agents", params(("id" = i64, Path)), request_body = StatusIn,
    responses((status = 200, body = StatusOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_status_of(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<StatusIn>,
) -> Result<Json<StatusOut>, ApiError> {
    let (available, reason) = b.parts();
    Ok(Json(st.crm.set_status_of(&me, UserId(id), available, reason).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperviseIn {
    /// listen (nobody hears the manager) | whisper (only the agent) | barge (both sides)
    pub mode: String,
}

#[utoipa::path(post, path = "/api/v1/calls/{id}/supervision", tag = "agents", params(("id" = String, Path)),
    request_body = SuperviseIn,
    responses((status = 202), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn supervise(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SuperviseIn>,
) -> Result<StatusCode, ApiError> {
    let mode = SuperviseMode::parse(&b.mode).ok_or(CrmError::invalid("mode", "err-out-of-range"))?;
    st.crm.supervise(&me, &id, mode)?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(delete, path = "/api/v1/calls/{id}/supervision", tag = "agents", params(("id" = String, Path)),
    responses((status = 202), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn end_supervision(
    State(st): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    st.crm.supervision_end(&me, &id)?;
    Ok(StatusCode::ACCEPTED)
}
