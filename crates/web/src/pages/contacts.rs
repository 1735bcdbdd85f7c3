//! Contacts: the list with a search, a new contact (from a screen pop, with the number filled
//! in), and the contact card with its calls and the notes put on them. The CRM issue extends
//! these into the full screens (edit, duplicates, cases, import).

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::CrmError;
use crm::contacts::{Contact, NewContact};
use crm::handling::CallNote;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts.html")]
pub struct ListPage {
    pub p: Page,
    pub q: String,
    pub contacts: Vec<Contact>,
}

pub async fn list(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<ListQuery>,
) -> Result<ListPage, PageError> {
    let contacts = st.crm.find_contacts(me.org_id, &q.q, 200).await.map_err(|e| PageError::from_crm(e, ctx.lang))?;
    Ok(ListPage { p: Page::new(&ctx, "nav-contacts"), q: q.q, contacts })
}

#[derive(Template, WebTemplate)]
#[template(path = "contact_form.html")]
pub struct FormPage {
    pub p: Page,
    pub c: NewContact,
    pub errors: FormErrors,
}

impl FormPage {
    /// (field, label key, value) of the form's one-line fields.
    pub fn fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let c = &self.c;
        vec![
            ("first_name", "contact-first-name", c.first_name.clone()),
            ("last_name", "contact-last-name", c.last_name.clone()),
            ("company", "contact-company", c.company.clone()),
            ("phone1", "contact-phone1", c.phone1.clone()),
            ("phone2", "contact-phone2", c.phone2.clone()),
            ("email", "field-email", c.email.clone()),
        ]
    }
}

fn form(ctx: &Ctx, c: NewContact, errors: FormErrors) -> FormPage {
    FormPage { p: Page::new(ctx, "nav-contacts"), c, errors }
}

pub async fn new(Authed(ctx, _): Authed, Query(q): Query<ListQuery>) -> FormPage {
    form(&ctx, NewContact { phone1: q.phone, ..Default::default() }, FormErrors::default())
}

pub async fn create(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(c): CsrfForm<NewContact>,
) -> Result<Response, PageError> {
    match st.crm.create_contact(me.org_id, c.clone()).await {
        Ok(c) => Ok(Redirect::to(&format!("/contacts/{}", c.id)).into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from_crm(e, ctx.lang)),
        Err(e) => Ok((status_of(&e), form(&ctx, c, FormErrors::from_crm(&e, ctx.lang))).into_response()),
    }
}

pub struct CallRow {
    pub at: String,
    pub kind: String,
    pub who: String,
    pub talk: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contact_card.html")]
pub struct CardPage {
    pub p: Page,
    pub c: Contact,
    pub calls: Vec<CallRow>,
    pub notes: Vec<CallNote>,
}

impl CardPage {
    pub fn shown(&self, n: &str) -> String {
        super::missed::shown_number(n)
    }
}

pub async fn card(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
) -> Result<CardPage, PageError> {
    let err = |e| PageError::from_crm(e, ctx.lang);
    let c = st.crm.contact(me.org_id, id).await.map_err(err)?;
    let calls = st
        .crm
        .contact_calls(me.org_id, id, 50)
        .await
        .map_err(err)?
        .into_iter()
        .map(|(r, who)| CallRow {
            at: r.started_at.format("%Y-%m-%d %H:%M").to_string(),
            kind: r.kind,
            who: who.unwrap_or(r.extension),
            talk: crm::agent_status::hms(&i64::from(r.talk_seconds)),
        })
        .collect();
    let mut notes = vec![];
    for n in [&c.phone1_e164, &c.phone2_e164].into_iter().filter(|n| !n.is_empty()) {
        notes.extend(st.crm.notes_for_number(me.org_id, n, 20).await.map_err(err)?);
    }
    Ok(CardPage { p: Page::new(&ctx, "nav-contacts"), c, calls, notes })
}
