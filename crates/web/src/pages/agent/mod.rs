//! The agent workspace (`/agent`): availability, the live call panel with every call control,
//! the dialer, the call handling windows, the latest calls and today's shift statistics. The
//! page's script (`static/agent.js`) drives calls through the JSON endpoints here (session
//! cookie plus the CSRF token in a header).

pub mod log;
pub mod phonebook;
pub mod settings;

use super::Page;
use crate::AppState;
use crate::api::calls::CommandIn;
use crate::ctx::Authed;
use crate::error::{ApiError, PageError};
use crate::forms::CsrfJson;
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use crm::agents::status::{Reason, ShiftStats, Status, hms};
use crm::calls::handling::{CallNote, Tag};
use crm::calls::log::{CallLogFilter, LoggedCall};
use crm::identity::preferences::{Preferences, Workspace};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "agent.html")]
pub struct AgentPage {
    pub p: Page,
    pub status: Status,
    pub reasons: Vec<Reason>,
    pub prefs: Preferences,
    pub numbers: Vec<String>,
    pub stats: ShiftStats,
    pub recent: Vec<LoggedCall>,
    pub windows: Vec<CallNote>,
    pub tags: Vec<Tag>,
    pub manager: bool,
    /// Texts the script needs, as JSON.
    pub i18n: String,
    /// The user's calls in progress, as JSON, for a page (re)loaded mid-call.
    pub live: String,
}

impl AgentPage {
    pub fn hms(&self, secs: &i64) -> String {
        hms(secs)
    }

    pub fn hms32(&self, secs: &i32) -> String {
        hms(&i64::from(*secs))
    }

    /// A call's type as a mark (its name is beside it for screen readers, and its title).
    pub fn kind_mark(&self, k: &crm::calls::log::CallKind) -> &'static str {
        use crm::calls::log::CallKind;
        match k {
            CallKind::Incoming => "↓",
            CallKind::Outgoing => "↑",
            CallKind::Internal => "↔",
            CallKind::Missed => "✕",
            CallKind::Test => "✓",
        }
    }

    pub fn shown(&self, n: &str) -> String {
        self.p.number(n)
    }
}

/// Message keys the agent script shows.
const SCRIPT_TEXTS: &[&str] = &[
    "call-ringing",
    "call-talking",
    "call-held",
    "call-consulting",
    "call-conference",
    "call-muted",
    "call-ended",
    "call-unknown",
    "call-new-contact",
    "call-choose-contact",
    "call-open-card",
    "call-need-number",
    "call-open-crm",
    "agent-available",
    "agent-unavailable",
    "agent-state-logged_out",
    "agent-state-available",
    "agent-state-reserved",
    "agent-state-in_call",
    "agent-state-wrap_up",
    "agent-state-unavailable",
];

pub async fn show(State(st): State<AppState>, Authed(ctx, me): Authed) -> Result<AgentPage, PageError> {
    let status = st.crm.agent_status(&me).await?;
    let reasons = st.crm.status_reasons(me.org_id).await?.into_iter().filter(|r| r.active).collect();
    let prefs = st.crm.preferences(&me).await?;
    let numbers = st.crm.caller_ids(&me).await?;
    let stats = st.crm.shift_stats(&me, None).await?;
    let recent = st.crm.call_log(&me, &CallLogFilter { limit: 10, ..Default::default() }).await?;
    let windows = st.crm.open_windows(&me).await?;
    let tags = st.crm.call_tags(me.org_id).await?.into_iter().filter(|t| t.active).collect();
    let texts: serde_json::Map<String, serde_json::Value> =
        SCRIPT_TEXTS.iter().map(|k| (k.to_string(), crate::i18n::tr(ctx.lang, k).into())).collect();
    Ok(AgentPage {
        p: Page::new(&ctx, "nav-agent"),
        status,
        reasons,
        prefs,
        numbers,
        stats,
        recent,
        windows,
        tags,
        manager: me.is_manager(),
        i18n: serde_json::Value::Object(texts).to_string().replace("</", "<\\/"),
        live: live_calls(&st, &me, &ctx.country),
    })
}

/// The user's calls in progress as their panel shows them (the calls of the live messages).
fn live_calls(st: &AppState, me: &crm::User, country: &str) -> String {
    serde_json::to_string(&st.crm.call_views(me, country)).unwrap_or_else(|_| "[]".into()).replace("</", "<\\/")
}

/// The user's calls in progress as they see them, for the call bar of a page opened mid-call.
pub async fn live(State(st): State<AppState>, Authed(ctx, me): Authed) -> Json<Vec<crm::calls::view::CallView>> {
    Json(st.crm.call_views(&me, &ctx.country))
}

/// How a clicked number is dialled for this user: at once, or through the dialer with the
/// organization's numbers to present (and the dialer's words in the user's language).
pub async fn dialing(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
) -> Result<Json<serde_json::Value>, PageError> {
    let prefs = st.crm.preferences(&me).await?;
    let numbers: Vec<serde_json::Value> = st
        .crm
        .caller_ids(&me)
        .await?
        .into_iter()
        .map(|n| serde_json::json!({ "shown": format!("+{n}"), "number": n }))
        .collect();
    let t = |k: &str| crate::i18n::tr(ctx.lang, k);
    Ok(Json(serde_json::json!({
        "dial_at_once": prefs.dial_at_once,
        "caller_ids": numbers,
        "texts": {
            "title": t("dial-dialog-title"), "dial": t("agent-dial"), "cancel": t("dial-dialog-cancel"),
            "number": t("agent-number"), "caller_id": t("caller-id"), "default_caller_id": t("caller-id-default"),
        },
    })))
}

#[derive(Deserialize)]
pub struct DialIn {
    number: String,
    #[serde(default)]
    caller_id: Option<String>,
}

/// The dialer (and every click-to-call link): rings the user's phone, then the number.
pub async fn dial(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfJson(b): CsrfJson<DialIn>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let call_id =
        st.crm.click_to_call(&me, &b.number, b.caller_id.as_deref()).await.map_err(ApiError::in_(ctx.lang))?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "call_id": call_id }))))
}

/// A button of the call panel.
pub async fn command(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<String>,
    CsrfJson(b): CsrfJson<serde_json::Value>,
) -> Result<StatusCode, ApiError> {
    st.crm.command_call(&me, &id, CommandIn::parse(b)?)?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
pub struct StatusIn {
    available: bool,
    #[serde(default)]
    reason_id: Option<i64>,
}

pub async fn set_status(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfJson(b): CsrfJson<StatusIn>,
) -> Result<Json<Status>, ApiError> {
    Ok(Json(st.crm.set_agent_status(&me, b.available, b.reason_id).await?))
}

/// The agent is ready before their after-call work time is up.
pub async fn ready(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfJson(_): CsrfJson<serde::de::IgnoredAny>,
) -> Result<Json<Status>, ApiError> {
    Ok(Json(st.crm.end_wrap_up(&me).await?))
}

/// The agent stops taking queue calls.
pub async fn log_out(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfJson(_): CsrfJson<serde::de::IgnoredAny>,
) -> Result<Json<Status>, ApiError> {
    Ok(Json(st.crm.log_out_agent(&me).await?))
}

pub async fn set_workspace(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfJson(b): CsrfJson<Workspace>,
) -> Result<Json<Preferences>, ApiError> {
    Ok(Json(st.crm.set_workspace(&me, b).await?))
}

#[derive(Deserialize)]
pub struct OpenIn {
    call_id: String,
}

/// Opens the call handling window for a call (by hand).
pub async fn open_handling(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfJson(b): CsrfJson<OpenIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let note = st.crm.open_handling(&me, &b.call_id).await?;
    window_json(&st, &me, note).await.map(Json)
}

/// A window with what it shows: the contact and the notes of earlier calls with the number.
async fn window_json(st: &AppState, me: &crm::User, note: CallNote) -> Result<serde_json::Value, ApiError> {
    let contact = match note.contact_id {
        Some(id) => st.crm.contact(me.org_id, crm::ContactId(id)).await.ok(),
        None => None,
    };
    let earlier: Vec<CallNote> = st
        .crm
        .notes_for_number(me.org_id, &note.number, 5)
        .await?
        .into_iter()
        .filter(|n| n.call_id != note.call_id)
        .collect();
    let country = st.crm.org_country(me.org_id).await?;
    Ok(serde_json::json!({
        "shown": crm::contacts::phone::display(&note.number, &country),
        "window": note,
        "contact": contact.map(|c| serde_json::json!({"id": c.id, "name": c.name(), "company": c.company, "email": c.email, "phone1": c.phone1})),
        "earlier": earlier,
    }))
}

#[derive(Deserialize)]
pub struct SaveIn {
    call_id: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    finish: bool,
}

pub async fn save_handling(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfJson(b): CsrfJson<SaveIn>,
) -> Result<Json<CallNote>, ApiError> {
    Ok(Json(st.crm.save_handling(&me, &b.call_id, &b.tags, &b.notes, b.finish).await?))
}
