//! The JSON API under /api/v1 for integrations: bearer API tokens, problem details on error,
//! and its OpenAPI document at /api/v1/openapi.json.

pub mod call_lists;
pub mod calls;
pub mod events;
pub mod mail;
pub mod missed;
pub mod preferences;
pub mod queues;
pub mod telephony;
pub mod tokens;
pub mod users;

use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::{Json, Router};
use crm::User;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The user an API token stands for.
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(secret) = secret else { return Err(ApiError::new(StatusCode::UNAUTHORIZED, "err-auth")) };
        match state.crm.authenticate_token(secret).await? {
            Some(u) => Ok(ApiUser(u)),
            None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "err-auth")),
        }
    }
}

/// An API user with the administrator role.
pub struct ApiAdmin(pub User);

impl FromRequestParts<AppState> for ApiAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ApiUser(u) = ApiUser::from_request_parts(parts, state).await?;
        if u.is_admin() { Ok(ApiAdmin(u)) } else { Err(ApiError::new(StatusCode::FORBIDDEN, "err-forbidden")) }
    }
}

/// A JSON body whose rejection is a problem document, not plain text.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(r) => {
                let status =
                    if r.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE { r.status() } else { StatusCode::BAD_REQUEST };
                Err(ApiError::new(status, "err-json"))
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API token (sbt_…)")).build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard API", description = "Contact-center CRM with its own telephony."),
    paths(
        users::me, users::list, users::create, users::get, users::update,
        tokens::list, tokens::create, tokens::revoke,
        events::publish,
        calls::list, calls::create, calls::command,
        missed::list, missed::get, missed::hide, missed::restore, missed::callback, missed::sms,
        missed::settings, missed::set_settings, missed::stats,
        preferences::get, preferences::set, mail::get, mail::set, mail::test,
        telephony::trunks, telephony::add_trunk, telephony::change_trunk, telephony::remove_trunk,
        telephony::numbers, telephony::add_number, telephony::change_number, telephony::remove_number,
        telephony::dial_rules, telephony::set_dial_rules,
        telephony::groups, telephony::add_group, telephony::change_group, telephony::remove_group,
        queues::list, queues::create, queues::change, queues::remove, queues::waiting, queues::hand,
        queues::my_status, queues::set_my_status, queues::agents, queues::set_status_of,
        queues::supervise, queues::end_supervision,
        call_lists::lists, call_lists::create_list, call_lists::add_numbers, call_lists::categories,
        call_lists::add_category, call_lists::outcomes, call_lists::add_outcome, call_lists::next, call_lists::held, call_lists::dialing, call_lists::set_dialing,
        call_lists::give_outcome, call_lists::number,
    ),
    components(schemas(Problem, users::UserOut, users::NewUserIn, users::UserPatchIn, tokens::TokenOut, tokens::NewTokenIn, tokens::TokenCreatedOut, events::EventIn, calls::CallOut, calls::NewCallIn, calls::CallStartedOut, calls::CommandIn, missed::MissedOut, missed::MissedListOut, missed::StepOut, missed::MissedDetailOut, missed::HideIn, missed::CallbackIn, missed::SmsIn, missed::SettingsIo, missed::StatsOut, preferences::PreferencesIo, mail::MailIn, mail::MailOut, mail::TestIn, telephony::TrunkOut, telephony::TrunkIn, telephony::NumberOut, telephony::NumberIn, telephony::DialRuleIo, telephony::GroupOut, telephony::GroupIn, queues::ExitIo, queues::MemberIo, queues::QueueOut, queues::QueueIn, queues::WaitingOut, queues::HandIn, queues::StatusOut, queues::StatusIn, queues::AgentOut, queues::SuperviseIn, call_lists::ListOut, call_lists::ListIn, call_lists::NumberIn, call_lists::NumbersIn, call_lists::AddedOut, call_lists::NamedOut, call_lists::OutcomeIn, call_lists::OutcomeOut, call_lists::ListNumberOut, call_lists::GiveOutcomeIn, call_lists::AttemptOut, call_lists::NumberDetailOut)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "err-not-found")
}

pub fn router() -> Router<AppState> {
    use axum::routing::{delete, get, post, put};
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(users::me))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::get).patch(users::update))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/events", post(events::publish))
        .route("/calls", get(calls::list).post(calls::create))
        .route("/calls/{id}/commands", post(calls::command))
        .route("/missed", get(missed::list))
        .route("/missed/{id}", get(missed::get))
        .route("/missed/{id}/hide", post(missed::hide))
        .route("/missed/{id}/restore", post(missed::restore))
        .route("/missed/{id}/callback", post(missed::callback))
        .route("/missed/{id}/sms", post(missed::sms))
        .route("/missed-settings", get(missed::settings).put(missed::set_settings))
        .route("/missed-stats", get(missed::stats))
        .route("/me/preferences", get(preferences::get).put(preferences::set))
        .route("/mail-settings", get(mail::get).put(mail::set))
        .route("/mail-settings/test", post(mail::test))
        .route("/trunks", get(telephony::trunks).post(telephony::add_trunk))
        .route("/trunks/{id}", put(telephony::change_trunk).delete(telephony::remove_trunk))
        .route("/numbers", get(telephony::numbers).post(telephony::add_number))
        .route("/numbers/{id}", put(telephony::change_number).delete(telephony::remove_number))
        .route("/dial-rules", get(telephony::dial_rules).put(telephony::set_dial_rules))
        .route("/groups", get(telephony::groups).post(telephony::add_group))
        .route("/groups/{id}", put(telephony::change_group).delete(telephony::remove_group))
        .route("/call-lists", get(call_lists::lists).post(call_lists::create_list))
        .route("/call-lists/categories", get(call_lists::categories).post(call_lists::add_category))
        .route("/call-lists/outcomes", get(call_lists::outcomes).post(call_lists::add_outcome))
        .route("/call-lists/next", post(call_lists::next))
        .route("/call-lists/held", get(call_lists::held))
        .route("/call-lists/dialing", get(call_lists::dialing).put(call_lists::set_dialing))
        .route("/call-lists/{id}/numbers", post(call_lists::add_numbers))
        .route("/call-lists/numbers/{id}", get(call_lists::number))
        .route("/call-lists/numbers/{id}/outcome", post(call_lists::give_outcome))
        .route("/queues", get(queues::list).post(queues::create))
        .route("/queues/waiting", get(queues::waiting))
        .route("/queues/waiting/{call_id}/hand", post(queues::hand))
        .route("/queues/{id}", put(queues::change).delete(queues::remove))
        .route("/me/status", get(queues::my_status).put(queues::set_my_status))
        .route("/agents", get(queues::agents))
        .route("/agents/{id}/status", put(queues::set_status_of))
        .route("/calls/{id}/supervision", post(queues::supervise).delete(queues::end_supervision))
        .fallback(not_found)
}
