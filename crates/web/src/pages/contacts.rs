//! Contacts: the list with a search, a new contact (from a screen pop, with the number filled
//! in), and the contact card with its calls and the notes put on them. The CRM issue extends
//! these into the full screens (edit, duplicates, cases, import).

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx, url_pairs};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::CrmError;
use crm::calls::handling::CallNote;
use crm::contacts::{Contact, NewContact};
use crm::search::{CONTACT_FIELDS, Cond, Found, SavedSearch, Target};
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
    pub lq: super::search::ListQuery,
    pub found: Found<Contact>,
    pub fields: &'static [&'static str],
    pub target: &'static str,
    pub base: &'static str,
    pub saved: Vec<SavedSearch>,
    pub deleted: Vec<Contact>,
    pub show_deleted: bool,
}

impl ListPage {
    pub fn pages(&self) -> u64 {
        self.found.total.div_ceil(self.found.per_page).max(1)
    }
}

pub async fn list(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, PageError> {
    let mut lq = super::search::ListQuery::parse(uri.query());
    if !lq.q.trim().is_empty() && lq.conds.is_empty() {
        // The quick search: a number among the phones; else text anywhere (a name, a company, an
        // e-mail address); two letters: the start of a last name.
        let q = lq.q.trim().to_string();
        let (field, op) = if q.chars().filter(char::is_ascii_digit).count() >= 3 {
            ("phone", "contains")
        } else if q.chars().count() >= 3 {
            ("any", "contains")
        } else {
            ("last_name", "starts")
        };
        lq.conds.push(Cond { field: field.into(), op: op.into(), value: q });
    }
    let found = match st.crm.search_contacts(me.org_id, &lq.conds, lq.page, 50).await {
        Ok(f) => f,
        Err(e @ CrmError::Invalid(_)) => return Err(PageError::from(e)),
        Err(e) => return Err(PageError::from(e)),
    };
    let show_deleted = uri.query().is_some_and(|q| url_pairs(q).iter().any(|(k, _)| k == "deleted"));
    let deleted = if show_deleted { st.crm.deleted_contacts(me.org_id).await? } else { vec![] };
    let saved = st.crm.saved_searches(&me, Target::Contacts).await?;
    Ok(ListPage {
        p: Page::new(&ctx, "nav-contacts").with_flash(uri.query()),
        lq,
        found,
        fields: &CONTACT_FIELDS,
        target: "contacts",
        base: "/contacts",
        saved,
        deleted,
        show_deleted,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "contact_form.html")]
pub struct FormPage {
    pub p: Page,
    pub c: NewContact,
    pub errors: FormErrors,
    /// Where the form posts: `/contacts` (new) or `/contacts/{id}` (edit).
    pub action: String,
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
    FormPage { p: Page::new(ctx, "nav-contacts"), c, errors, action: "/contacts".into() }
}

fn as_new(c: &Contact) -> NewContact {
    NewContact {
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        company: c.company.clone(),
        phone1: c.phone1.clone(),
        phone2: c.phone2.clone(),
        email: c.email.clone(),
        notes: c.notes.clone(),
    }
}

pub async fn edit(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<crm::ContactId>,
) -> Result<FormPage, PageError> {
    let c = st.crm.contact(me.org_id, id).await?;
    Ok(FormPage { action: format!("/contacts/{id}"), ..form(&ctx, as_new(&c), FormErrors::default()) })
}

pub async fn update(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<crm::ContactId>,
    CsrfForm(c): CsrfForm<NewContact>,
) -> Result<Response, PageError> {
    match st.crm.update_contact(me.org_id, id, c.clone()).await {
        Ok(c) => Ok(Redirect::to(&format!("/contacts/{}", c.id)).into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => {
            let pg =
                FormPage { action: format!("/contacts/{id}"), ..form(&ctx, c, FormErrors::from_crm(&e, ctx.lang)) };
            Ok((status_of(&e), pg).into_response())
        }
    }
}

pub async fn delete(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<crm::ContactId>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    st.crm.delete_contact(me.org_id, id).await?;
    Ok(Redirect::to("/contacts?ok=contact-deleted").into_response())
}

pub async fn restore(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<crm::ContactId>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    st.crm.restore_contact(me.org_id, id).await?;
    Ok(Redirect::to(&format!("/contacts/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    other: crm::ContactId,
}

pub async fn merge(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<crm::ContactId>,
    CsrfForm(f): CsrfForm<MergeForm>,
) -> Result<Response, PageError> {
    st.crm.merge_contacts(me.org_id, id, f.other).await?;
    Ok(Redirect::to(&format!("/contacts/{id}?ok=contact-merged")).into_response())
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
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
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
    pub cases: Vec<(crm::cases::Case, String)>,
    pub duplicates: Vec<Contact>,
    /// The campaigns the user may open cases in.
    pub campaigns: Vec<crm::cases::campaigns::Campaign>,
}

impl CardPage {
    pub fn shown(&self, n: &str) -> String {
        self.p.number(n)
    }
}

pub async fn card(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<crm::ContactId>,
    OriginalUri(uri): OriginalUri,
) -> Result<CardPage, PageError> {
    let c = st.crm.contact(me.org_id, id).await?;
    let calls = st
        .crm
        .contact_calls(me.org_id, id, 50)
        .await?
        .into_iter()
        .map(|(r, who)| CallRow {
            at: super::when_in(ctx.lang, ctx.tz, &r.started_at),
            kind: r.kind.as_str().into(),
            who: who.unwrap_or(r.extension),
            talk: crm::agents::status::hms(&i64::from(r.talk_seconds)),
        })
        .collect();
    let mut notes = vec![];
    for n in [&c.phone1_e164, &c.phone2_e164].into_iter().filter(|n| !n.is_empty()) {
        notes.extend(st.crm.notes_for_number(me.org_id, n, 20).await?);
    }
    let statuses = st.crm.status_names(me.org_id).await?;
    let cases = st
        .crm
        .contact_cases(me.org_id, id)
        .await?
        .into_iter()
        .map(|k| {
            let s = statuses.get(&k.status_id).cloned().unwrap_or_default();
            (k, s)
        })
        .collect();
    let duplicates = st.crm.duplicates_of(me.org_id, &c).await?;
    let campaigns = st
        .crm
        .campaigns(me.org_id)
        .await?
        .into_iter()
        .filter(|k| k.active && (me.is_manager() || (k.agents_may_add && k.agents.contains(&me.id.0))))
        .collect();
    Ok(CardPage {
        p: Page::new(&ctx, "nav-contacts").with_flash(uri.query()),
        c,
        calls,
        notes,
        cases,
        duplicates,
        campaigns,
    })
}
