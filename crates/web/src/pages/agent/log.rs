//! The user's call log (`/agent/calls`): filters by type and date, recordings played in the
//! page; and the shift statistics (`/agent/stats`), which managers see for every agent.

use super::super::Page;
use crate::AppState;
use crate::api::missed::day;
use crate::ctx::Authed;
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use crm::agents::status::{ShiftStats, hms};
use crm::calls::log::{CallKind, CallLogFilter, LoggedCall};
use crm::{CrmError, User, UserId};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct LogQuery {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// `everyone`: the organization's calls (managers).
    #[serde(default)]
    pub whose: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent_calls.html")]
pub struct LogPage {
    pub p: Page,
    pub q: LogQuery,
    pub calls: Vec<LoggedCall>,
    pub numbers: Vec<String>,
    /// A manager may see everyone's calls; then each row names its user.
    pub manager: bool,
    pub everyone: bool,
    pub names: std::collections::HashMap<String, String>,
}

impl LogPage {
    pub fn kinds(&self) -> &'static [CallKind] {
        CallKind::ALL
    }

    pub fn hms(&self, secs: &i32) -> String {
        hms(&i64::from(*secs))
    }

    pub fn shown(&self, n: &str) -> String {
        self.p.number(n)
    }

    /// Who took part: the user of the extension (the extension when unknown).
    pub fn who(&self, ext: &str) -> String {
        self.names.get(ext).cloned().unwrap_or_else(|| ext.to_string())
    }
}

pub async fn calls(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<LogQuery>,
) -> Result<LogPage, PageError> {
    let kind = match q.kind.as_str() {
        "" => None,
        k => Some(CallKind::parse(k).ok_or_else(|| PageError::from(CrmError::invalid("kind", "err-call-kind")))?),
    };
    let everyone = me.is_manager() && q.whose == "everyone";
    let mut f = CallLogFilter { kind, limit: 500, everyone, ..Default::default() };
    if let Some(d) = day(&q.from, "from")? {
        f.from = Some(st.crm.org_day(me.org_id, Some(d)).await?.1);
    }
    if let Some(d) = day(&q.to, "to")? {
        f.to = Some(st.crm.org_day(me.org_id, Some(d)).await?.2);
    }
    let calls = st.crm.call_log(&me, &f).await?;
    let numbers = st.crm.numbers(me.org_id).await?.into_iter().map(|n| n.number).collect();
    let names = if everyone {
        st.crm.users(me.org_id).await?.into_iter().map(|u| (u.extension.as_str().to_string(), u.full_name)).collect()
    } else {
        Default::default()
    };
    Ok(LogPage { p: Page::new(&ctx, "nav-agent"), q, calls, numbers, manager: me.is_manager(), everyone, names })
}

/// A recording of a call in the user's log, as audio/wav (managers: any of the organization's).
pub async fn recording(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let path = st.crm.call_recording(&me, id).await?;
    let bytes = tokio::fs::read(&path).await.map_err(|_| PageError::new(StatusCode::NOT_FOUND, "err-not-found"))?;
    Ok(([(header::CONTENT_TYPE, "audio/wav"), (header::CACHE_CONTROL, "private, max-age=3600")], Body::from(bytes))
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct StatsQuery {
    #[serde(default)]
    pub day: String,
}

pub struct AgentStats {
    pub user: User,
    pub stats: ShiftStats,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent_stats.html")]
pub struct StatsPage {
    pub p: Page,
    pub day: String,
    pub rows: Vec<AgentStats>,
}

impl StatsPage {
    pub fn hms(&self, secs: &i64) -> String {
        hms(secs)
    }
}

/// Today's (or `day`'s) shift statistics: one's own; managers see every agent's.
pub async fn stats(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<StatsQuery>,
) -> Result<StatsPage, PageError> {
    let d = day(&q.day, "day")?;
    let users = if me.is_manager() {
        st.crm.users(me.org_id).await?.into_iter().filter(|u| u.active).collect()
    } else {
        vec![st.crm.user(me.org_id, UserId(me.id.0)).await?]
    };
    let mut rows = vec![];
    for u in users {
        let stats = st.crm.shift_stats(&u, d).await?;
        rows.push(AgentStats { user: u, stats });
    }
    let day = rows.first().map(|r| r.stats.day.clone()).unwrap_or_default();
    Ok(StatsPage { p: Page::new(&ctx, "nav-agent"), day, rows })
}
