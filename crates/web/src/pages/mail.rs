//! Administrators set the organization's outgoing mail server, and send a test message.

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
use crm::organization::mail::MailSettings;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "admin_mail.html")]
pub struct MailPage {
    pub p: Page,
    pub s: MailSettings,
    pub password_set: bool,
    pub errors: FormErrors,
}

impl MailPage {
    pub fn securities(&self) -> [&'static str; 3] {
        ["starttls", "tls", "none"]
    }
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    errors: FormErrors,
    typed: Option<MailSettings>,
) -> Result<MailPage, PageError> {
    let Some(me) = &ctx.user else { return Err(PageError::redirect("/login")) };
    let stored = st.crm.mail_settings(me.org_id).await?;
    let password_set = stored.as_ref().is_some_and(|s| !s.password.is_empty());
    let s = typed.or(stored).unwrap_or(MailSettings { port: 587, security: "starttls".into(), ..Default::default() });
    Ok(MailPage { p: Page::new(ctx, "nav-mail"), s, password_set, errors })
}

pub async fn show(
    State(st): State<AppState>,
    Admin(ctx, _): Admin,
    OriginalUri(uri): OriginalUri,
) -> Result<MailPage, PageError> {
    let mut pg = page(&st, &ctx, FormErrors::default(), None).await?;
    pg.p = pg.p.with_flash(uri.query());
    Ok(pg)
}

#[derive(Deserialize)]
pub struct MailForm {
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    from_address: String,
    /// Set by the "send a test message" button: where to.
    #[serde(default)]
    test_to: String,
}

pub async fn save(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<MailForm>,
) -> Result<Response, PageError> {
    let s = MailSettings {
        host: f.host,
        port: f.port.trim().parse().unwrap_or(0),
        security: f.security,
        username: f.username,
        password: f.password,
        from_address: f.from_address,
    };
    let mut r = st.crm.set_mail_settings(&me, s.clone()).await;
    let test = f.test_to.trim();
    if r.is_ok() && !test.is_empty() {
        r = if crm::identity::preferences::valid_email(test) {
            st.crm.send_mail(me.org_id, test, "Switchboard test message", "The outgoing mail settings work.\n").await
        } else {
            Err(CrmError::invalid("test_to", "err-email"))
        };
        if r.is_ok() {
            return Ok(Redirect::to("/admin/mail?ok=mail-test-sent").into_response());
        }
    }
    match r {
        Ok(()) => Ok(Redirect::to("/admin/mail?ok=settings-saved").into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            let mut errors = FormErrors::from_crm(&e, ctx.lang);
            if let CrmError::MailFailed(why) = &e {
                errors.general = Some(format!("{} {why}", crate::i18n::tr(ctx.lang, e.code())));
            }
            Ok((status_of(&e), page(&st, &ctx, errors, Some(s)).await?).into_response())
        }
    }
}
