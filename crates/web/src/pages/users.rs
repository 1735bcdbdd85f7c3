//! The users admin page: list, create, edit (role, extension, passwords, language), deactivate.

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::Admin;
use crate::error::PageError;
use crate::forms::CsrfForm;
use crate::i18n::tr_args;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::identity::users::{NewUser, UserUpdate};
use crm::{CrmError, FieldError, User, UserId};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub p: Page,
    pub users: Vec<User>,
    pub licences: String,
}

pub async fn list(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    OriginalUri(uri): OriginalUri,
) -> Result<UsersPage, PageError> {
    let users = st.crm.users(me.org_id).await?;
    let org = st.crm.org(me.org_id).await?;
    let used = st.crm.seats_in_use(me.org_id).await?;
    let licences =
        tr_args(ctx.lang, "users-licences", &[("used", (used as i64).into()), ("total", (org.seats as i64).into())]);
    Ok(UsersPage { p: Page::new(&ctx, "nav-users").with_flash(uri.query()), users, licences })
}

/// The form's values, kept when it is shown again with errors (passwords are not).
#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub extension: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_repeat: String,
    #[serde(default)]
    pub sip_password: String,
    #[serde(default)]
    pub phone_type: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_form.html")]
pub struct UserFormPage {
    pub p: Page,
    pub editing: Option<UserId>,
    pub action: String,
    pub v: UserForm,
    pub errors: FormErrors,
    /// The user's phone set-up (when editing).
    pub phone: Option<super::account::PhoneCard>,
    /// The organization's numbers, and whether the user may present each (when editing).
    pub caller_ids: Vec<(String, bool)>,
    /// Whether numbers are listed for the user (else all may be presented).
    pub caller_ids_listed: bool,
}

fn form_page(ctx: &crate::ctx::Ctx, editing: Option<UserId>, mut v: UserForm, errors: FormErrors) -> UserFormPage {
    v.password.clear();
    v.password_repeat.clear();
    let action = match editing {
        Some(id) => format!("/admin/users/{id}"),
        None => "/admin/users".into(),
    };
    UserFormPage {
        p: Page::new(ctx, "nav-users"),
        editing,
        action,
        v,
        errors,
        phone: None,
        caller_ids: vec![],
        caller_ids_listed: false,
    }
}

fn mismatch(f: &UserForm) -> Option<CrmError> {
    (f.password != f.password_repeat)
        .then(|| CrmError::Invalid(vec![FieldError { field: "password_repeat", code: "err-password-mismatch" }]))
}

pub async fn new(Admin(ctx, _): Admin) -> UserFormPage {
    let v = UserForm {
        role: "agent".into(),
        language: ctx.lang.as_str().into(),
        phone_type: crm::PhoneType::Browser.as_str().into(),
        ..Default::default()
    };
    form_page(&ctx, None, v, FormErrors::default())
}

pub async fn create(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    CsrfForm(f): CsrfForm<UserForm>,
) -> Result<Response, PageError> {
    let new = NewUser {
        username: f.username.clone(),
        full_name: f.full_name.clone(),
        extension: f.extension.clone(),
        role: f.role.clone(),
        language: f.language.clone(),
        password: f.password.clone(),
        sip_password: f.sip_password.trim().to_string(),
        must_change_password: false,
        phone_type: f.phone_type.clone(),
    };
    // A mismatch is reported with every other mistake of the form, not instead of them.
    let result = match mismatch(&f) {
        Some(CrmError::Invalid(m)) => {
            Err(CrmError::Invalid(crm::identity::users::check_new_user(&new).into_iter().chain(m).collect()))
        }
        _ => st.crm.create_user(me.org_id, new).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/users?ok=user-created").into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            Ok((crate::error::status_of(&e), form_page(&ctx, None, f, FormErrors::from_crm(&e, ctx.lang)))
                .into_response())
        }
    }
}

pub async fn edit(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
) -> Result<UserFormPage, PageError> {
    let setup = st.crm.phone_setup(&me, UserId(id), false).await?;
    let mut page = edit_page(&st, &ctx, setup);
    with_caller_ids(&st, &me, &mut page).await?;
    Ok(page)
}

async fn with_caller_ids(st: &AppState, me: &User, page: &mut UserFormPage) -> Result<(), PageError> {
    let Some(id) = page.editing else { return Ok(()) };
    let listed = st.crm.listed_caller_ids(me, id).await?;
    page.caller_ids_listed = !listed.is_empty();
    page.caller_ids = st
        .crm
        .numbers(me.org_id)
        .await?
        .into_iter()
        .map(|n| {
            let on = listed.contains(&n.number);
            (n.number, on)
        })
        .collect();
    Ok(())
}

/// Which of the organization's numbers the user may present (none ticked: all).
pub async fn caller_ids(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let numbers: Vec<String> = f.into_iter().filter(|(k, _)| k == "number").map(|(_, v)| v).collect();
    match st.crm.set_caller_ids(&me, UserId(id), &numbers).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?ok=user-saved")).into_response()),
        Err(e @ (CrmError::Invalid(_) | CrmError::Conflict(_))) => {
            let setup = st.crm.phone_setup(&me, UserId(id), false).await?;
            let mut page = edit_page(&st, &ctx, setup);
            with_caller_ids(&st, &me, &mut page).await?;
            page.errors = FormErrors::from_crm(&e, ctx.lang);
            Ok((crate::error::status_of(&e), page).into_response())
        }
        Err(e) => Err(PageError::from(e)),
    }
}

/// The form of an existing user, with their phone set-up.
fn edit_page(st: &AppState, ctx: &crate::ctx::Ctx, setup: crm::identity::phone_setup::PhoneSetup) -> UserFormPage {
    let u = &setup.user;
    let v = UserForm {
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        extension: u.extension.to_string(),
        role: u.role.as_str().into(),
        language: u.language.as_str().into(),
        phone_type: u.phone_type.as_str().into(),
        ..Default::default()
    };
    let mut page = form_page(ctx, Some(u.id), v, FormErrors::default());
    page.phone = Some(super::account::PhoneCard::of(st, setup));
    page
}

/// The user's phone set-up: the SIP password shown, or a new one made.
pub async fn phone(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<super::account::PhoneForm>,
) -> Result<UserFormPage, PageError> {
    let setup = match f.action.as_str() {
        "new" => st.crm.new_sip_password(&me, UserId(id)).await?,
        _ => st.crm.phone_setup(&me, UserId(id), true).await?,
    };
    let mut page = edit_page(&st, &ctx, setup);
    with_caller_ids(&st, &me, &mut page).await?;
    if f.action == "new" {
        page.p.flash = Some(crate::i18n::tr(ctx.lang, "phone-new-password-made"));
    }
    Ok(page)
}

pub async fn update(
    State(st): State<AppState>,
    Admin(ctx, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<UserForm>,
) -> Result<Response, PageError> {
    let id = UserId(id);
    // Unknown ids are 404 before any validation, so nothing is revealed about them.
    let current = st.crm.user(me.org_id, id).await?;
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    let result = match mismatch(&f) {
        Some(e) => Err(e),
        None => {
            let upd = UserUpdate {
                full_name: Some(f.full_name.clone()),
                extension: Some(f.extension.clone()),
                role: Some(f.role.clone()),
                language: Some(f.language.clone()),
                password: non_empty(&f.password),
                sip_password: non_empty(&f.sip_password).map(|s| s.trim().to_string()),
                active: None,
                phone_type: non_empty(&f.phone_type),
                // A new password ends the user's sessions; an administrator setting their own
                // keeps the one they set it from.
                keep_session: ctx.session.as_ref().filter(|_| id == me.id).map(|s| s.id_hash.clone()),
                revoke_tokens: false,
            };
            st.crm.update_user(me.org_id, id, upd).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/users?ok=user-saved").into_response()),
        Err(e @ CrmError::Store(_)) => Err(PageError::from(e)),
        Err(e) => {
            let v = UserForm { username: current.username, ..f };
            Ok((crate::error::status_of(&e), form_page(&ctx, Some(id), v, FormErrors::from_crm(&e, ctx.lang)))
                .into_response())
        }
    }
}

async fn set_active(st: &AppState, me: &User, id: i64, active: bool) -> Result<Response, PageError> {
    let upd = UserUpdate { active: Some(active), ..Default::default() };
    match st.crm.update_user(me.org_id, UserId(id), upd).await {
        Ok(_) => {
            Ok(Redirect::to(if active { "/admin/users?ok=user-activated" } else { "/admin/users?ok=user-deactivated" })
                .into_response())
        }
        Err(e) => Err(PageError::from(e)),
    }
}

pub async fn deactivate(
    State(st): State<AppState>,
    Admin(_, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    set_active(&st, &me, id, false).await
}

pub async fn activate(
    State(st): State<AppState>,
    Admin(_, me): Admin,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, PageError> {
    set_active(&st, &me, id, true).await
}
