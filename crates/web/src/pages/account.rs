//! The user's own account: password (and the forced change of a one-time password),
//! language, notifications, what a desk phone needs to register, and API tokens.

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::identity::tokens::ApiToken;
use crm::identity::users::UserUpdate;
use crm::{CrmError, FieldError, Language, TokenId, User};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub p: Page,
    pub must_change: bool,
    pub tokens: Vec<ApiToken>,
    pub new_token: Option<String>,
    pub errors: FormErrors,
    pub prefs: crm::identity::preferences::Preferences,
    pub missed_email_offered: bool,
    pub phone: PhoneCard,
}

/// What a desk phone or softphone needs (the SIP password only when asked for).
pub struct PhoneCard {
    pub setup: crm::identity::phone_setup::PhoneSetup,
    /// Where the SIP server listens (empty when telephony does not run on this node).
    pub server: String,
    pub port: String,
}

impl PhoneCard {
    pub fn of(st: &AppState, setup: crm::identity::phone_setup::PhoneSetup) -> PhoneCard {
        let addr = st.crm.sip_address();
        PhoneCard {
            setup,
            server: addr.map(|a| a.ip().to_string()).unwrap_or_default(),
            port: addr.map(|a| a.port().to_string()).unwrap_or_default(),
        }
    }
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    errors: FormErrors,
    new_token: Option<String>,
) -> Result<AccountPage, PageError> {
    let setup = st.crm.phone_setup(me, me.id, false).await?;
    page_with(st, ctx, me, errors, new_token, setup).await
}

async fn page_with(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    errors: FormErrors,
    new_token: Option<String>,
    setup: crm::identity::phone_setup::PhoneSetup,
) -> Result<AccountPage, PageError> {
    let tokens = st.crm.tokens(me.org_id, me.id).await?;
    let prefs = st.crm.preferences(me).await?;
    let missed_email_offered = st.crm.missed_settings(me.org_id).await?.email_offered;
    Ok(AccountPage {
        p: Page::new(ctx, ""),
        must_change: me.must_change_password,
        tokens,
        new_token,
        errors,
        prefs,
        missed_email_offered,
        phone: PhoneCard::of(st, setup),
    })
}

#[derive(Deserialize)]
pub struct PhoneForm {
    /// `show` the SIP password, make a `new` one, or ring a `test` call.
    #[serde(default)]
    pub action: String,
}

/// The phone card with its SIP password shown (a POST: the password is never in a URL or a
/// cached page), or a new one made.
pub async fn phone(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<PhoneForm>,
) -> Result<AccountPage, PageError> {
    if f.action == "test" {
        let setup = st.crm.phone_setup(&me, me.id, false).await?;
        let mut pg = page_with(&st, &ctx, &me, FormErrors::default(), None, setup).await?;
        let said = match st.crm.test_call(&me).await {
            Ok(()) => "phone-test-ringing",
            Err(e) => {
                tracing::info!(user = %me.username, "test call refused: {e}");
                "phone-test-no-phone"
            }
        };
        pg.p.flash = Some(crate::i18n::tr(ctx.lang, said));
        return Ok(pg);
    }
    let setup = match f.action.as_str() {
        "new" => st.crm.new_sip_password(&me, me.id).await?,
        _ => st.crm.phone_setup(&me, me.id, true).await?,
    };
    let mut pg = page_with(&st, &ctx, &me, FormErrors::default(), None, setup).await?;
    if f.action == "new" {
        pg.p.flash = Some(crate::i18n::tr(ctx.lang, "phone-new-password-made"));
    }
    Ok(pg)
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    OriginalUri(uri): OriginalUri,
) -> Result<AccountPage, PageError> {
    let mut pg = page(&st, &ctx, &me, FormErrors::default(), None).await?;
    pg.p = pg.p.with_flash(uri.query());
    Ok(pg)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
    /// "Also revoke my API tokens" ticked.
    #[serde(default)]
    revoke_tokens: Option<String>,
}

pub async fn change_password(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let result = if f.password != f.password_repeat {
        Err(CrmError::Invalid(vec![FieldError { field: "password_repeat", code: "err-password-mismatch" }]))
    } else {
        let revoke = f.revoke_tokens.is_some();
        st.crm.change_own_password(&me, &f.current_password, &f.password, ctx.session.as_ref(), revoke).await
    };
    match result {
        Ok(_) if me.must_change_password => Ok(Redirect::to("/agent?ok=password-changed").into_response()),
        Ok(_) => Ok(Redirect::to("/account?ok=password-changed").into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            let pg = page(&st, &ctx, &me, FormErrors::from_crm(&e, ctx.lang), None).await?;
            Ok((status_of(&e), pg).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

pub async fn change_language(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<LanguageForm>,
) -> Result<Response, PageError> {
    let lang = Language::parse(&f.language).map_err(|e| PageError::from(CrmError::Invalid(vec![e])))?;
    st.crm
        .update_user(me.org_id, me.id, UserUpdate { language: Some(lang.as_str().into()), ..Default::default() })
        .await?;
    if let Some(s) = &ctx.session {
        st.crm.set_session_language(s, lang).await?;
    }
    Ok(Redirect::to("/account?ok=language-changed").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> Result<Response, PageError> {
    match st.crm.create_token(&me, &f.name).await {
        // Shown once, on this response only; never in a URL.
        Ok((secret, _)) => Ok(page(&st, &ctx, &me, FormErrors::default(), Some(secret)).await?.into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            Ok((status_of(&e), page(&st, &ctx, &me, FormErrors::from_crm(&e, ctx.lang), None).await?).into_response())
        }
    }
}

pub async fn revoke_token(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    st.crm.revoke_token(&me, TokenId(id)).await?;
    Ok(Redirect::to("/account?ok=token-revoked").into_response())
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    missed_email: Option<String>,
}

pub async fn change_preferences(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(f): CsrfForm<PreferencesForm>,
) -> Result<Response, PageError> {
    let p = crm::identity::preferences::Preferences {
        email: f.email,
        missed_email: f.missed_email.is_some(),
        ..Default::default()
    };
    match st.crm.set_preferences(&me, p).await {
        Ok(_) => Ok(Redirect::to("/account?ok=settings-saved").into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            Ok((status_of(&e), page(&st, &ctx, &me, FormErrors::from_crm(&e, ctx.lang), None).await?).into_response())
        }
    }
}
