//! Phonebooks (`/agent/phonebook`): the organization's directory and the user's own
//! phonebook, searched together; every number dials with one click.

use super::super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::calls::phonebook::Entry;
use crm::{CrmError, User};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct BookQuery {
    #[serde(default)]
    pub q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent_phonebook.html")]
pub struct BookPage {
    pub p: Page,
    pub q: String,
    pub directory: Vec<Entry>,
    pub personal: Vec<Entry>,
    pub errors: FormErrors,
}

impl BookPage {
    pub fn shown(&self, n: &str) -> String {
        self.p.number(n)
    }
}

async fn page(st: &AppState, ctx: &Ctx, me: &User, q: String, errors: FormErrors) -> Result<BookPage, PageError> {
    let directory = st.crm.directory(me, &q, 200).await?;
    let personal = st.crm.personal_phonebook(me, &q).await?;
    Ok(BookPage { p: Page::new(ctx, "nav-agent"), q, directory, personal, errors })
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<BookQuery>,
) -> Result<BookPage, PageError> {
    page(&st, &ctx, &me, q.q, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    number: String,
}

pub async fn add(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<EntryForm>,
) -> Result<Response, PageError> {
    match st.crm.add_personal_entry(&me, &f.name, &f.number).await {
        Ok(_) => Ok(Redirect::to("/agent/phonebook").into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            let errors = FormErrors::from_crm(&e, ctx.lang);
            Ok((status_of(&e), page(&st, &ctx, &me, String::new(), errors).await?).into_response())
        }
    }
}

pub async fn remove(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    st.crm.remove_personal_entry(&me, id).await?;
    Ok(Redirect::to("/agent/phonebook").into_response())
}
