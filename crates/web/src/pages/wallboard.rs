//! The managers' wallboard: queues, agents and calls live (the page re-reads its board on
//! every `board.changed` event, and counts the seconds itself in between), with one button to
//! listen to, whisper in or barge into a call, and the agents' state set from it. `?wall=1`
//! shows the same board in large type without the controls, for a screen on the wall.

use super::{Page, manager_only};
use crate::AppState;
use crate::ctx::Authed;
use crate::error::{ApiError, PageError};
use crate::forms::CsrfJson;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use crm::User;
use crm::agents::status::{AgentState, Reason};
use crm::queues::board::{BOARD_STATES, Wallboard};
use serde::Deserialize;
use telephony::events::SuperviseMode;

/// What the board part of the page shows (the page, and the part alone for live updates).
pub struct Board {
    pub b: Wallboard,
    pub reasons: Vec<Reason>,
    pub wall: bool,
}

impl Board {
    pub fn modes(&self) -> [SuperviseMode; 3] {
        SuperviseMode::ALL
    }

    pub fn states(&self) -> [AgentState; 6] {
        BOARD_STATES
    }

    /// Seconds as m:ss (h:mm:ss from an hour).
    pub fn mmss(&self, secs: impl std::borrow::Borrow<i64>) -> String {
        let s = (*secs.borrow()).max(0);
        if s >= 3600 {
            format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        } else {
            format!("{}:{:02}", s / 60, s % 60)
        }
    }

    pub fn opt_mmss(&self, secs: &Option<i64>) -> String {
        secs.map(|s| self.mmss(s)).unwrap_or_else(|| "–".into())
    }

    pub fn since_secs(&self, t: &chrono::DateTime<chrono::Utc>) -> i64 {
        (self.b.at - *t).num_seconds().max(0)
    }

    pub fn epoch(&self, t: &chrono::DateTime<chrono::Utc>) -> i64 {
        t.timestamp()
    }

    /// A service level against its target: "ok", "low" or "none".
    pub fn sl_class(&self, sl: &Option<u32>, target: &i32) -> &'static str {
        match sl {
            None => "none",
            Some(v) if i64::from(*v) >= i64::from(*target) => "ok",
            Some(_) => "low",
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "wallboard.html")]
pub struct WallboardPage {
    pub p: Page,
    pub board: Board,
}

#[derive(Template, WebTemplate)]
#[template(path = "wallboard_board.html")]
pub struct BoardPart {
    pub p: Page,
    pub board: Board,
}

#[derive(Deserialize, Default)]
pub struct WallQuery {
    #[serde(default)]
    wall: Option<String>,
}

async fn board(st: &AppState, me: &User, q: &WallQuery) -> Result<Board, PageError> {
    manager_only(me)?;
    Ok(Board {
        b: st.crm.wallboard(me).await?,
        reasons: st.crm.status_reasons(me.org_id).await?.into_iter().filter(|r| r.active).collect(),
        wall: q.wall.as_deref().is_some_and(|w| w == "1"),
    })
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<WallQuery>,
) -> Result<WallboardPage, PageError> {
    Ok(WallboardPage { board: board(&st, &me, &q).await?, p: Page::new(&ctx, "nav-wallboard") })
}

/// The board alone, for the page's live updates.
pub async fn part(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<WallQuery>,
) -> Result<BoardPart, PageError> {
    Ok(BoardPart { board: board(&st, &me, &q).await?, p: Page::new(&ctx, "nav-wallboard") })
}

#[derive(Deserialize)]
pub struct SuperviseIn {
    mode: String,
}

/// Listen, whisper or barge (the manager's phones ring first; asked again, the mode changes).
pub async fn supervise(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<String>,
    CsrfJson(b): CsrfJson<SuperviseIn>,
) -> Result<StatusCode, ApiError> {
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "err-invalid").in_language(ctx.lang);
    let mode = SuperviseMode::parse(&b.mode).ok_or_else(bad)?;
    st.crm.supervise(&me, &id, mode).map_err(ApiError::in_(ctx.lang))?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn supervise_end(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<String>,
    CsrfJson(_): CsrfJson<serde::de::IgnoredAny>,
) -> Result<StatusCode, ApiError> {
    st.crm.supervision_end(&me, &id).map_err(ApiError::in_(ctx.lang))?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
pub struct AgentStatusIn {
    /// "available", "log_out", or a reason's id (unavailable for it).
    set: String,
}

/// A manager sets an agent's state: available, unavailable for a reason, or logged out.
pub async fn agent_status(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfJson(b): CsrfJson<AgentStatusIn>,
) -> Result<StatusCode, ApiError> {
    let (available, reason) = match b.set.as_str() {
        "available" => (Some(true), None),
        "log_out" => (None, None),
        r => (Some(false), Some(r.parse::<i64>().unwrap_or(-1))),
    };
    let r = st.crm.set_status_of(&me, crm::UserId(id), available, reason).await;
    r.map_err(ApiError::in_(ctx.lang))?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
pub struct GiveIn {
    user_id: i64,
}

/// A manager gives a waiting caller to an agent now.
pub async fn give(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<String>,
    CsrfJson(b): CsrfJson<GiveIn>,
) -> Result<StatusCode, ApiError> {
    let r = st.crm.hand_waiting_call(&me, &id, crm::UserId(b.user_id)).await;
    r.map_err(ApiError::in_(ctx.lang))?;
    Ok(StatusCode::ACCEPTED)
}
