//! Cases: the list with combined-condition search, a case (#123) with its status, assignee,
//! notes, attachments and timeline, a new case from a contact, and from a call in progress.

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{ApiError, PageError, status_of};
use crate::forms::{CsrfForm, CsrfJson, Upload};
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use crm::CrmError;
use crm::cases::{Attachment, Case, MAX_ATTACHMENT, TimelineEntry};
use crm::search::{CASE_FIELDS, Found, SavedSearch, Target};
use serde::Deserialize;
use std::collections::HashMap;

pub struct Row {
    pub case: Case,
    pub contact: String,
    pub status: String,
    pub campaign: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
pub struct ListPage {
    pub p: Page,
    pub lq: super::search::ListQuery,
    pub found: Found<Case>,
    pub rows: Vec<Row>,
    pub fields: &'static [&'static str],
    pub target: &'static str,
    pub base: &'static str,
    pub saved: Vec<SavedSearch>,
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
    let lq = super::search::ListQuery::parse(uri.query());
    let found = match st.crm.search_cases(me.org_id, &lq.conds, lq.page, 50).await {
        Ok(f) => f,
        Err(e @ CrmError::Invalid(_)) => return Err(PageError::from(e)),
        Err(e) => return Err(PageError::from(e)),
    };
    let statuses = st.crm.status_names(me.org_id).await?;
    let campaigns: HashMap<i64, String> =
        st.crm.campaigns(me.org_id).await?.into_iter().map(|c| (c.id, c.name)).collect();
    let mut rows = vec![];
    for k in &found.items {
        let contact = st.crm.contact(me.org_id, k.contact_id).await.map(|c| c.name()).unwrap_or_default();
        rows.push(Row {
            case: k.clone(),
            contact,
            status: statuses.get(&k.status_id).cloned().unwrap_or_default(),
            campaign: campaigns.get(&k.campaign_id).cloned().unwrap_or_default(),
        });
    }
    let saved = st.crm.saved_searches(&me, Target::Cases).await?;
    Ok(ListPage {
        p: Page::new(&ctx, "nav-cases"),
        lq,
        found,
        rows,
        fields: &CASE_FIELDS,
        target: "cases",
        base: "/cases",
        saved,
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct NewCaseForm {
    #[serde(default)]
    contact_id: crm::ContactId,
    #[serde(default)]
    campaign_id: i64,
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfForm(f): CsrfForm<NewCaseForm>,
) -> Result<Response, PageError> {
    let k = st.crm.create_case(&me, f.contact_id, f.campaign_id, &f.name).await?;
    Ok(Redirect::to(&format!("/cases/{}", k.id)).into_response())
}

#[derive(Deserialize)]
pub struct FromCallIn {
    number: String,
    #[serde(default)]
    call_id: String,
}

/// The call panel's one click: a case for the caller, opened in a new tab by the page.
pub async fn from_call(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    CsrfJson(b): CsrfJson<FromCallIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let k = st.crm.create_case_from_call(&me, &b.number, &b.call_id).await?;
    Ok(Json(serde_json::json!({ "id": k.id, "number": k.number })))
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePage {
    pub p: Page,
    pub k: Case,
    pub contact: crm::contacts::Contact,
    pub campaign: crm::cases::campaigns::Campaign,
    pub statuses: Vec<crm::cases::processes::Status>,
    pub users: Vec<crm::User>,
    pub timeline: Vec<TimelineEntry>,
    pub attachments: Vec<Attachment>,
    pub names: HashMap<i64, String>,
    pub errors: FormErrors,
}

impl CasePage {
    pub fn who(&self, id: &Option<i64>) -> String {
        id.and_then(|i| self.names.get(&i).cloned()).unwrap_or_default()
    }

    pub fn is_assignee(&self, u: &crm::User) -> bool {
        self.k.assignee_id == Some(u.id.0)
    }

    pub fn kb(&self, size: &i64) -> String {
        format!("{:.1} kB", *size as f64 / 1024.0)
    }
}

async fn page(st: &AppState, ctx: &Ctx, id: crm::CaseId, errors: FormErrors) -> Result<CasePage, PageError> {
    let Some(me) = &ctx.user else { return Err(PageError::redirect("/login")) };
    let k = st.crm.case(me.org_id, id).await?;
    let contact = st.crm.contact(me.org_id, k.contact_id).await?;
    let campaign = st.crm.campaign(me.org_id, k.campaign_id).await?;
    let statuses = st.crm.process(me.org_id, campaign.process_id).await?.statuses;
    let users = st.crm.users(me.org_id).await?;
    let names = users.iter().map(|u| (u.id.0, u.full_name.clone())).collect();
    let timeline = st.crm.case_timeline(me.org_id, id).await?;
    let attachments = st.crm.attachments(me.org_id, id).await?;
    Ok(CasePage {
        p: Page::new(ctx, "nav-cases"),
        k,
        contact,
        campaign,
        statuses,
        users,
        timeline,
        attachments,
        names,
        errors,
    })
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, _): Authed,
    Path(id): Path<crm::CaseId>,
) -> Result<CasePage, PageError> {
    page(&st, &ctx, id, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct CaseForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status_id: Option<i64>,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    note: String,
}

pub async fn update(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<crm::CaseId>,
    CsrfForm(f): CsrfForm<CaseForm>,
) -> Result<Response, PageError> {
    let assignee = match f.assignee_id.as_str() {
        "" => Some(None),
        a => Some(Some(a.parse().unwrap_or(-1))),
    };
    match st.crm.update_case(&me, id, Some(&f.name), f.status_id, assignee, Some(&f.note)).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => Ok((status_of(&e), page(&st, &ctx, id, FormErrors::from_crm(&e, ctx.lang)).await?).into_response()),
    }
}

/// An attachment: multipart with `csrf` before the file.
pub async fn attach(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<crm::CaseId>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    // Another organization's case is not found, whatever the body.
    st.crm.case(me.org_id, id).await?;
    let bad = || PageError::new(StatusCode::BAD_REQUEST, "err-invalid");
    let form = <Multipart as axum::extract::FromRequest<AppState>>::from_request(req, &st).await.map_err(|_| bad())?;
    let up = Upload::read(&ctx, &headers, form, &st.crm.files().join("tmp"), MAX_ATTACHMENT).await?;
    let r = if up.too_large {
        Err(CrmError::invalid("file", "err-attachment-size"))
    } else {
        st.crm.attach_file(&me, id, &up.file_name, &up.content_type, &up.path).await
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => Ok((status_of(&e), page(&st, &ctx, id, FormErrors::from_crm(&e, ctx.lang)).await?).into_response()),
    }
}

/// An attachment's file, as a download.
pub async fn download(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (a, path) = st.crm.attachment(me.org_id, id).await?;
    let bytes = tokio::fs::read(&path).await.map_err(|_| PageError::new(StatusCode::NOT_FOUND, "err-not-found"))?;
    let disposition = format!("attachment; filename*=UTF-8''{}", utf8_percent(&a.file_name));
    Ok((
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        Body::from(bytes),
    )
        .into_response())
}

fn utf8_percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
