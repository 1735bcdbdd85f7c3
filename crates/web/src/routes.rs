//! Every route of the app, in one place. Routes that take an `{id}` are walked by the
//! organization-isolation test (web/tests/it/isolation.rs), which reads this file.

use crate::pages::{
    account, agent, areas, campaigns, cases, contacts, imports, login, mail, missed, organization, queues, search,
    start, telephony, users, wallboard,
};
use crate::{AppState, api, ops, sse};
use axum::Router;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub fn router(state: AppState) -> Router {
    // Metrics recorded before the recorder exists are lost: install it with the first router.
    ops::prometheus();
    let pages = Router::new()
        .route("/", get(login::root))
        .route("/login", get(login::show).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/agent", get(agent::show))
        .route("/agent/dial", post(agent::dial))
        .route("/agent/dialing", get(agent::dialing))
        .route("/agent/calls/live", get(agent::live))
        .route("/agent/calls/{id}/command", post(agent::command))
        .route("/agent/status", post(agent::set_status))
        .route("/agent/status/ready", post(agent::ready))
        .route("/agent/status/log-out", post(agent::log_out))
        .route("/agent/workspace", post(agent::set_workspace))
        .route("/agent/handling", post(agent::open_handling))
        .route("/agent/handling/save", post(agent::save_handling))
        .route("/agent/calls", get(agent::log::calls))
        .route("/agent/recordings/{id}", get(agent::log::recording))
        .route("/agent/stats", get(agent::log::stats))
        .route("/agent/phonebook", get(agent::phonebook::show).post(agent::phonebook::add))
        .route("/agent/phonebook/{id}/delete", post(agent::phonebook::remove))
        .route("/agent/settings", get(agent::settings::show))
        .route("/agent/settings/reasons", post(agent::settings::add_reason))
        .route("/agent/settings/reasons/{id}/retire", post(agent::settings::retire_reason))
        .route("/agent/settings/tags", post(agent::settings::add_tag))
        .route("/agent/settings/pop", post(agent::settings::set_pop_url))
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route("/contacts/new", get(contacts::new))
        .route("/contacts/import/{id}", get(imports::show))
        .route("/contacts/import/{id}/check", post(imports::check))
        .route("/contacts/import/{id}/run", post(imports::run))
        .route("/contacts/import/{id}/undo", post(imports::undo))
        .route("/contacts/{id}", get(contacts::card).post(contacts::update))
        .route("/contacts/{id}/edit", get(contacts::edit))
        .route("/contacts/{id}/delete", post(contacts::delete))
        .route("/contacts/{id}/restore", post(contacts::restore))
        .route("/contacts/{id}/merge", post(contacts::merge))
        .route("/cases", get(cases::list).post(cases::create))
        .route("/cases/{id}", get(cases::show).post(cases::update))
        .route("/attachments/{id}", get(cases::download))
        .route("/campaigns", get(campaigns::list).post(campaigns::save_campaign))
        .route("/campaigns/new", get(campaigns::new_campaign))
        .route("/campaigns/{id}", get(campaigns::edit_campaign).post(campaigns::save_campaign))
        .route("/processes", post(campaigns::save_process))
        .route("/processes/new", get(campaigns::new_process))
        .route("/processes/{id}", get(campaigns::edit_process).post(campaigns::save_process))
        .route("/search/save", post(search::save))
        .route("/search/{id}/delete", post(search::delete))
        .route("/agent/case", post(cases::from_call))
        .route("/missed", get(missed::list))
        .route("/missed/stats", get(missed::stats))
        .route("/missed/settings", get(missed::settings).post(missed::save_settings))
        .route("/missed/{id}/callback", post(missed::callback))
        .route("/missed/{id}/sms", post(missed::sms))
        .route("/missed/{id}/hide", post(missed::hide))
        .route("/missed/{id}/restore", post(missed::restore))
        .route("/call-lists", get(|a| async { areas::area(a, "nav-call-lists") }))
        .route("/activities", get(|a| async { areas::area(a, "nav-activities") }))
        .route("/reports", get(|a| async { areas::area(a, "nav-reports") }))
        .route("/admin/start", get(start::show))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/new", get(users::new))
        .route("/admin/users/{id}", get(users::edit).post(users::update))
        .route("/admin/users/{id}/deactivate", post(users::deactivate))
        .route("/admin/users/{id}/phone", post(users::phone))
        .route("/admin/users/{id}/caller-ids", post(users::caller_ids))
        .route("/admin/users/{id}/activate", post(users::activate))
        .route("/admin/mail", get(mail::show).post(mail::save))
        .route("/admin/organization", get(organization::show).post(organization::save))
        .route("/wallboard", get(wallboard::show))
        .route("/wallboard/board", get(wallboard::part))
        .route("/wallboard/calls/{id}/supervise", post(wallboard::supervise))
        .route("/wallboard/calls/{id}/supervise/end", post(wallboard::supervise_end))
        .route("/wallboard/agents/{id}/status", post(wallboard::agent_status))
        .route("/queues", get(queues::show).post(queues::create))
        .route("/queues/wrap-up", post(queues::wrap_up))
        .route("/queues/{id}", get(queues::edit).post(queues::update))
        .route("/admin/telephony", get(telephony::show))
        .route("/admin/telephony/sip-domain", post(telephony::sip_domain))
        .route("/admin/telephony/trunks", post(telephony::add_trunk))
        .route("/admin/telephony/numbers", post(telephony::add_number))
        .route("/admin/telephony/groups", post(telephony::add_group))
        .route("/admin/telephony/rules", post(telephony::add_rule))
        .route("/admin/telephony/rules/preset", post(telephony::rule_preset))
        .route("/admin/telephony/recording", post(telephony::recording))
        .route("/account", get(account::show))
        // The one-time password form is the account page, which shows only the password part then.
        .route("/account/password", get(account::show).post(account::change_password))
        .route("/account/language", post(account::change_language))
        .route("/account/preferences", post(account::change_preferences))
        .route("/account/phone", post(account::phone))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/events", get(sse::events))
        .route("/phone", get(crate::phone::connect))
        .route("/static/app.css", get(ops::css))
        .route("/static/app.js", get(ops::js))
        .route("/static/agent.js", get(ops::agent_js))
        .route("/static/wallboard.js", get(ops::wallboard_js))
        .route("/static/phone.js", get(ops::phone_js))
        .fallback(login::not_found);

    // Uploads stream to a file: their own, larger limit.
    let uploads = Router::new()
        .route("/contacts/import", get(imports::list).post(imports::upload))
        .layer(axum::extract::DefaultBodyLimit::max(crm::contacts::import::MAX_FILE as usize + (1 << 20)));
    let attachments = Router::new()
        .route("/cases/{id}/attachments", post(cases::attach))
        .layer(axum::extract::DefaultBodyLimit::max(crm::cases::MAX_ATTACHMENT as usize + (1 << 20)));
    Router::new()
        .merge(pages)
        .nest("/api/v1", api::router())
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .layer(RequestBodyLimitLayer::new(2 << 20))
        .merge(uploads)
        .merge(attachments)
        .layer(axum::middleware::from_fn(crate::error::error_pages))
        .layer(axum::middleware::from_fn(ops::track))
        // Every request gets an id: its log lines carry it (the span), the answer names it in
        // `x-request-id`, and an error page shows it.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            let id = req
                .extensions()
                .get::<tower_http::request_id::RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
