//! What managers set for the workspace (`/agent/settings`): the reasons for being unavailable,
//! the tags of the call handling window, and the screen-pop URL template.

use super::super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use crm::agents::status::Reason;
use crm::calls::handling::Tag;
use crm::{CrmError, User};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "agent_settings.html")]
pub struct SettingsPage {
    pub p: Page,
    pub reasons: Vec<Reason>,
    pub tags: Vec<Tag>,
    pub pop_url: String,
    pub errors: FormErrors,
}

async fn page(st: &AppState, ctx: &Ctx, me: &User, errors: FormErrors) -> Result<SettingsPage, PageError> {
    if !me.is_manager() {
        return Err(PageError::new(StatusCode::FORBIDDEN, "err-forbidden"));
    }
    Ok(SettingsPage {
        p: Page::new(ctx, "nav-agent"),
        reasons: st.crm.status_reasons(me.org_id).await?.into_iter().filter(|r| r.active).collect(),
        tags: st.crm.call_tags(me.org_id).await?.into_iter().filter(|t| t.active).collect(),
        pop_url: st.crm.org(me.org_id).await?.screen_pop_url,
        errors,
    })
}

pub async fn show(State(st): State<AppState>, Authed(ctx, me): Authed) -> Result<SettingsPage, PageError> {
    page(&st, &ctx, &me, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    screen_pop_url: String,
}

async fn done(st: &AppState, ctx: &Ctx, me: &User, r: Result<(), CrmError>) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to("/agent/settings").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => Ok((status_of(&e), page(st, ctx, me, FormErrors::from_crm(&e, ctx.lang)).await?).into_response()),
    }
}

pub async fn add_reason(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<NameForm>,
) -> Result<Response, PageError> {
    let r = st.crm.add_status_reason(&me, &f.name).await.map(|_| ());
    done(&st, &ctx, &me, r).await
}

pub async fn retire_reason(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    let r = st.crm.retire_status_reason(&me, id).await;
    done(&st, &ctx, &me, r).await
}

pub async fn add_tag(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<NameForm>,
) -> Result<Response, PageError> {
    let r = st.crm.add_call_tag(&me, &f.name).await.map(|_| ());
    done(&st, &ctx, &me, r).await
}

pub async fn set_pop_url(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<NameForm>,
) -> Result<Response, PageError> {
    let r = st.crm.set_screen_pop_url(&me, &f.screen_pop_url).await;
    done(&st, &ctx, &me, r).await
}
