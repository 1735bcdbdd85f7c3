//! Administrators set the organization's name, time zone and default country.

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Admin, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::CrmError;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "admin_org.html")]
pub struct OrgPage {
    pub p: Page,
    pub f: OrgForm,
    pub now: chrono::DateTime<chrono::Utc>,
    pub errors: FormErrors,
}

impl OrgPage {
    pub fn zones(&self) -> impl Iterator<Item = &'static str> {
        crm::TZ_VARIANTS.iter().map(|z| z.name())
    }

    /// (code, "PL (+48)") of the countries whose numbers Switchboard knows.
    pub fn countries(&self) -> Vec<(&'static str, String)> {
        crm::contacts::phone::countries()
            .map(|c| (c, format!("{c} (+{})", crm::contacts::phone::calling_code(c).unwrap_or(""))))
            .collect()
    }
}

#[derive(Deserialize, Default)]
pub struct OrgForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub default_country: String,
}

async fn page(st: &AppState, ctx: &Ctx, errors: FormErrors, typed: Option<OrgForm>) -> Result<OrgPage, PageError> {
    let Some(me) = &ctx.user else { return Err(PageError::redirect("/login")) };
    let o = st.crm.org(me.org_id).await?;
    let f = typed.unwrap_or(OrgForm { name: o.name, time_zone: o.time_zone, default_country: o.default_country });
    Ok(OrgPage { p: Page::new(ctx, "nav-organization"), f, now: chrono::Utc::now(), errors })
}

pub async fn show(
    State(st): State<AppState>,
    Admin(ctx, _): Admin,
    OriginalUri(uri): OriginalUri,
) -> Result<OrgPage, PageError> {
    let mut pg = page(&st, &ctx, FormErrors::default(), None).await?;
    pg.p = pg.p.with_flash(uri.query());
    Ok(pg)
}

pub async fn save(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<OrgForm>,
) -> Result<Response, PageError> {
    match st.crm.set_org_settings(&me, &f.name, &f.time_zone, &f.default_country).await {
        Ok(_) => Ok(Redirect::to("/admin/organization?ok=settings-saved").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::NotFound)) => Err(PageError::from(e)),
        Err(e) => {
            Ok((status_of(&e), page(&st, &ctx, FormErrors::from_crm(&e, ctx.lang), Some(f)).await?).into_response())
        }
    }
}
