//! The missed-calls screen: one row per caller, each opening onto its history and its actions
//! (call back, SMS, hide, restore); the view filter, last-status and period filters, pages;
//! the statistics (SVG pies whose slices open the matching list) and the managers' settings.

use super::charts::{Slice, pie};
use super::{FormErrors, Page};
use crate::AppState;
use crate::api::missed::MissedQuery;
use crate::ctx::{Authed, url_pairs};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use crate::i18n::tr;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::missed::{LastStatus, MissedCall, MissedPage, MissedSettings, MissedState, MissedStep, MissedView};
use crm::{CrmError, Role};
use serde::Deserialize;
use std::collections::HashMap;

pub struct Row {
    pub call: MissedCall,
    pub history: Vec<MissedStep>,
}

#[derive(Template, WebTemplate)]
#[template(path = "missed.html")]
pub struct ListPage {
    pub p: Page,
    pub q: MissedQuery,
    pub page: MissedPage,
    pub rows: Vec<Row>,
    pub names: HashMap<i64, String>,
    pub numbers: Vec<String>,
    pub may_hide: bool,
    pub manager: bool,
    pub error: Option<String>,
    /// The list's query string, carried by the row forms so the list comes back as it was.
    pub back: String,
}

impl ListPage {
    pub fn views(&self) -> [MissedView; 4] {
        MissedView::ALL
    }

    pub fn statuses(&self) -> [LastStatus; 4] {
        LastStatus::ALL
    }

    pub fn view_href(&self, v: &MissedView) -> String {
        format!("/missed?{}", query_string(&MissedQuery { view: v.as_str().into(), page: None, ..self.q.clone() }))
    }

    pub fn page_href(&self, n: u64) -> String {
        format!("/missed?{}", query_string(&MissedQuery { page: Some(n), ..self.q.clone() }))
    }

    pub fn pages(&self) -> u64 {
        self.page.total.div_ceil(self.page.per_page).max(1)
    }

    pub fn current_view(&self) -> &str {
        if self.q.view.is_empty() { MissedView::default().as_str() } else { &self.q.view }
    }

    pub fn who(&self, id: &Option<i64>) -> String {
        match id {
            Some(id) => self.names.get(id).cloned().unwrap_or_else(|| format!("#{id}")),
            None => "Switchboard".into(),
        }
    }
}

pub fn query_string(q: &MissedQuery) -> String {
    let mut pairs: Vec<(&str, String)> = vec![];
    for (k, v) in [("view", &q.view), ("status", &q.status), ("from", &q.from), ("to", &q.to)] {
        if !v.is_empty() {
            pairs.push((k, v.clone()));
        }
    }
    if let Some(n) = q.page.filter(|n| *n > 1) {
        pairs.push(("page", n.to_string()));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub async fn list(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<MissedQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, PageError> {
    let filter = match q.filter() {
        Ok(f) => f,
        Err(e) => return Err(PageError::from(e)),
    };
    let page = st.crm.missed_page(me.org_id, &filter).await?;
    let ids: Vec<i64> = page.items.iter().map(|m| m.id).collect();
    let mut histories = st.crm.missed_histories(me.org_id, &ids).await?;
    let rows = page
        .items
        .iter()
        .map(|m| Row { call: m.clone(), history: histories.remove(&m.id).unwrap_or_default() })
        .collect();
    let names = st.crm.users(me.org_id).await?;
    let names = names.into_iter().map(|u| (u.id.0, u.full_name)).collect();
    let numbers = st.crm.numbers(me.org_id).await?;
    let may_hide = st.crm.may_hide_missed(&me).await?;
    let error = uri
        .query()
        .and_then(|q| url_pairs(q).into_iter().find(|(k, _)| k == "err").map(|(_, v)| v))
        .filter(|k| k.starts_with("err-") && crate::i18n::tr_has(ctx.lang, k))
        .map(|k| tr(ctx.lang, &k));
    let back = query_string(&q);
    let pg = ListPage {
        p: Page::new(&ctx, "nav-missed").with_flash(uri.query()),
        q,
        page,
        rows,
        names,
        numbers: numbers.into_iter().map(|n| n.number).collect(),
        may_hide,
        manager: me.is_manager(),
        error,
        back,
    };
    Ok(pg.into_response())
}

#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    back: String,
    #[serde(default)]
    caller_id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    reason: String,
}

/// Back to the list as it was, with a confirmation or an error.
fn back_to_list(back: &str, key: &str, value: &str) -> Response {
    let q: MissedQuery = serde_urlencoded::from_str(back).unwrap_or_default();
    let mut s = query_string(&q);
    if !s.is_empty() {
        s.push('&');
    }
    s.push_str(&serde_urlencoded::to_string([(key, value)]).unwrap_or_default());
    Redirect::to(&format!("/missed?{s}")).into_response()
}

fn done(r: Result<(), CrmError>, f: &ActionForm, ok: &str) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(back_to_list(&f.back, "ok", ok)),
        Err(e @ (CrmError::NotFound | CrmError::Forbidden | CrmError::Store(_))) => Err(PageError::from(e)),
        Err(e) => Ok(back_to_list(&f.back, "err", e.code())),
    }
}

pub async fn callback(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    let r = st.crm.missed_callback(&me, id, Some(f.caller_id.as_str())).await.map(|_| ());
    done(r, &f, "missed-callback-started")
}

pub async fn sms(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    let r = st.crm.missed_sms(&me, id, &f.text).await.map(|_| ());
    done(r, &f, "missed-sms-recorded")
}

pub async fn hide(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    let r = st.crm.hide_missed(&me, id, &f.reason).await.map(|_| ());
    done(r, &f, "missed-hidden")
}

pub async fn restore(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    let r = st.crm.restore_missed(&me, id).await.map(|_| ());
    done(r, &f, "missed-restored")
}

#[derive(Template, WebTemplate)]
#[template(path = "missed_stats.html")]
pub struct StatsPage {
    pub p: Page,
    pub q: MissedQuery,
    pub status_chart: String,
    pub removal_chart: String,
}

pub async fn stats(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<MissedQuery>,
) -> Result<StatsPage, PageError> {
    let filter = q.filter().map_err(PageError::from)?;
    let s = st.crm.missed_stats(me.org_id, &filter).await?;
    let period = MissedQuery { from: q.from.clone(), to: q.to.clone(), ..Default::default() };
    let href = |view: &str, status: &str| {
        let q = MissedQuery { view: view.into(), status: status.into(), ..period.clone() };
        format!("/missed?{}", query_string(&q))
    };
    let colors = ["#16a34a", "#2563eb", "#f59e0b", "#9ca3af"];
    let lang = ctx.lang;
    let status_slices: Vec<Slice> = s
        .by_status
        .iter()
        .zip(colors)
        .map(|((k, n), color)| Slice {
            label: tr(lang, &format!("missed-status-{}", k.as_str())),
            count: *n,
            color,
            href: href(MissedView::All.as_str(), k.as_str()),
        })
        .collect();
    let removal_slices = vec![
        Slice {
            label: tr(lang, "missed-removal-auto"),
            count: s.removed,
            color: "#16a34a",
            href: href(MissedState::Removed.as_str(), ""),
        },
        Slice {
            label: tr(lang, "missed-removal-manual"),
            count: s.hidden,
            color: "#f59e0b",
            href: href(MissedState::Hidden.as_str(), ""),
        },
        Slice {
            label: tr(lang, "missed-removal-listed"),
            count: s.listed,
            color: "#dc2626",
            href: href(MissedState::Visible.as_str(), ""),
        },
    ];
    Ok(StatsPage {
        p: Page::new(&ctx, "nav-missed"),
        status_chart: pie(&tr(lang, "missed-chart-status"), &status_slices),
        removal_chart: pie(&tr(lang, "missed-chart-removal"), &removal_slices),
        q,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "missed_settings.html")]
pub struct SettingsPage {
    pub p: Page,
    pub s: MissedSettings,
    pub errors: FormErrors,
}

pub async fn settings(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    OriginalUri(uri): OriginalUri,
) -> Result<SettingsPage, PageError> {
    super::manager_only(&me)?;
    let s = st.crm.missed_settings(me.org_id).await?;
    Ok(SettingsPage { p: Page::new(&ctx, "nav-missed").with_flash(uri.query()), s, errors: FormErrors::default() })
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    retention_days: String,
    #[serde(default)]
    min_callback_seconds: String,
    #[serde(default)]
    hide_role: String,
    #[serde(default)]
    email_offered: Option<String>,
}

pub async fn save_settings(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let s = MissedSettings {
        retention_days: f.retention_days.trim().parse().unwrap_or(-1),
        min_callback_seconds: f.min_callback_seconds.trim().parse().unwrap_or(-1),
        hide_role: Role::parse(&f.hide_role).unwrap_or(Role::Manager),
        email_offered: f.email_offered.is_some(),
    };
    match st.crm.set_missed_settings(&me, s).await {
        Ok(_) => Ok(Redirect::to("/missed/settings?ok=settings-saved").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden)) => Err(PageError::from(e)),
        Err(e) => {
            let errors = FormErrors::from_crm(&e, ctx.lang);
            Ok((status_of(&e), SettingsPage { p: Page::new(&ctx, "nav-missed"), s, errors }).into_response())
        }
    }
}
