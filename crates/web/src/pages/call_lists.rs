//! Call lists (`/call-lists`, seed 003): an agent works the numbers handed to them — the next
//! number, a call, the outcome (a callback's day and hour in the organization's time zone) —
//! and managers start lists, paste numbers into them, and define categories, outcomes and how
//! agents work. The rules are crm's (`crm::outbound`).

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::CsrfForm;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use crm::outbound::access::{DEFAULT_SECTIONS, Section};
use crm::outbound::base::{Bulk, NumberFilter};
use crm::outbound::compliance::{Profile, ProfileIn};
use crm::outbound::dialer::DialMode;
use crm::outbound::lease::NotNow;
use crm::outbound::{CallList, Category, Kind, ListCounts, ListNumber, ListSettings, NewNumber, Outcome};
use crm::{CrmError, User};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ListsQuery {
    /// `none`: "next number" found nothing to call.
    #[serde(default)]
    pub next: String,
    /// The preset the new profile's form starts from.
    #[serde(default)]
    pub preset: String,
    /// Digits to find on the do-not-call list.
    #[serde(default)]
    pub dnc: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "call_lists.html")]
pub struct ListsPage {
    pub p: Page,
    pub manager: bool,
    pub held: Vec<ListNumber>,
    pub can_take_more: bool,
    pub nothing_left: bool,
    pub outcomes: Vec<Outcome>,
    pub categories: Vec<Category>,
    pub lists: Vec<(CallList, ListCounts)>,
    pub settings: ListSettings,
    /// Each active agent with the categories they may work (none: every one) and the sections
    /// they may open.
    pub agents: Vec<(User, Vec<i64>, Vec<Section>)>,
    pub sections: &'static [Section],
    /// The user may work the lists (the dialer section).
    pub dialer: bool,
    /// The user may open a billing section.
    pub billing: bool,
    /// Managers: how many numbers are never called, the newest (or those found), the search.
    pub dnc_count: u64,
    pub dnc: Vec<crm::outbound::dnc::DncNumber>,
    pub dnc_q: String,
    /// Some open list is dialled progressively or predictively; the user is dialing now.
    pub progressive: bool,
    pub dialing: bool,
    pub dial_modes: [DialMode; 3],
    pub kinds: &'static [Kind],
    /// The compliance profiles, and the new profile's form.
    pub profiles: Vec<Profile>,
    pub profile_form: ProfileIn,
    pub preset: String,
    pub errors: FormErrors,
    /// The form the errors are about (`work`, `list`, `numbers-ID`, `outcome`, `category`,
    /// `settings`).
    pub failed: String,
}

impl ListsPage {
    pub fn err(&self, form: &str, field: &str) -> String {
        if self.failed == form { self.errors.field(field) } else { String::new() }
    }

    pub fn general(&self, form: &str) -> Option<String> {
        if self.failed == form { self.errors.general.clone() } else { None }
    }

    pub fn category_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.categories.iter().find(|c| c.id == id)).map(|c| c.name.clone()).unwrap_or_default()
    }

    pub fn outcome_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.outcomes.iter().find(|o| o.id == id)).map(|o| o.name.clone()).unwrap_or_default()
    }

    pub fn profile_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.profiles.iter().find(|p| p.id == id)).map(|p| p.name.clone()).unwrap_or_default()
    }

    pub fn presets(&self) -> Vec<&'static str> {
        super::list_rules::preset_keys()
    }

    pub fn hhmm(&self, m: &i32) -> String {
        super::list_rules::hhmm(m)
    }

    pub fn percent(&self, permille: &i32) -> String {
        super::list_rules::percent(permille)
    }

    pub fn days_of(&self, p: &Profile) -> Vec<u32> {
        super::list_rules::days_of(p)
    }

    pub fn week(&self) -> [u32; 7] {
        [1, 2, 3, 4, 5, 6, 7]
    }

    pub fn active_outcomes(&self) -> Vec<&Outcome> {
        self.outcomes.iter().filter(|o| o.active).collect()
    }
}

async fn page(st: &AppState, ctx: &Ctx, me: &User, nothing_left: bool) -> Result<ListsPage, PageError> {
    page_with(st, ctx, me, nothing_left, "").await
}

async fn page_with(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    nothing_left: bool,
    preset: &str,
) -> Result<ListsPage, PageError> {
    let org = me.org_id;
    let sections = st.crm.sections_of(me).await?;
    let dialer = sections.contains(&Section::Dialer);
    let billing = sections.iter().any(|s| matches!(s, Section::InboundBilling | Section::OutboundBilling));
    let held = if dialer { st.crm.held_numbers(me).await? } else { vec![] };
    let settings = st.crm.list_settings(org).await?;
    let counts = if me.is_manager() { st.crm.list_counts(org).await? } else { Default::default() };
    let mut agents = vec![];
    if me.is_manager() {
        let mut cats = st.crm.agents_categories(org).await?;
        let mut sections = st.crm.agents_sections(org).await?;
        for u in st.crm.users(org).await?.into_iter().filter(|u| u.active && !u.is_manager()) {
            let c = cats.remove(&u.id.0).unwrap_or_default();
            let s = sections.remove(&u.id.0).unwrap_or_else(|| DEFAULT_SECTIONS.to_vec());
            agents.push((u, c, s));
        }
    }
    let lists = if me.is_manager() {
        let lists = st.crm.call_lists(org).await?;
        lists.into_iter().map(|l| (counts.get(&l.id).copied().unwrap_or_default(), l)).map(|(c, l)| (l, c)).collect()
    } else {
        vec![]
    };
    let (preset_key, profile_form) = super::list_rules::preset_for(preset, &st.crm.org(org).await?.default_country);
    Ok(ListsPage {
        p: Page::new(ctx, "nav-call-lists"),
        manager: me.is_manager(),
        can_take_more: held.len() < settings.max_held.max(1) as usize,
        held,
        nothing_left,
        outcomes: st.crm.list_outcomes(org).await?,
        categories: st.crm.list_categories(org).await?,
        lists,
        settings,
        agents,
        sections: Section::ALL,
        dialer,
        billing,
        dnc_count: if me.is_manager() { st.crm.dnc_count(org).await? } else { 0 },
        dnc: if me.is_manager() { st.crm.dnc_numbers(me, "", 20).await? } else { vec![] },
        dnc_q: String::new(),
        progressive: st.crm.call_lists(org).await?.iter().any(|l| l.active && l.dial_mode != DialMode::Preview),
        dialing: st.crm.is_dialing(me),
        dial_modes: [DialMode::Preview, DialMode::Progressive, DialMode::Predictive],
        kinds: Kind::ALL,
        profiles: if me.is_manager() { st.crm.compliance_profiles(org).await? } else { vec![] },
        profile_form,
        preset: preset_key.to_string(),
        errors: FormErrors::default(),
        failed: String::new(),
    })
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<ListsQuery>,
    uri: axum::http::Uri,
) -> Result<ListsPage, PageError> {
    let mut p = page_with(&st, &ctx, &me, q.next == "none", &q.preset).await?;
    p.p = p.p.with_flash(uri.query());
    if me.is_manager() && !q.dnc.trim().is_empty() {
        p.dnc = st.crm.dnc_numbers(&me, &q.dnc, 100).await?;
        p.dnc_q = q.dnc.trim().to_string();
    }
    Ok(p)
}

/// The page again with the error of form `failed` (bad input changes nothing).
pub(super) async fn refused(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    failed: &str,
    e: CrmError,
) -> Result<Response, PageError> {
    if matches!(e, CrmError::Store(_) | CrmError::Forbidden) {
        return Err(e.into());
    }
    let mut p = page(st, ctx, me, false).await?;
    p.errors = FormErrors::from_crm(&e, ctx.lang);
    p.failed = failed.into();
    Ok((status_of(&e), p).into_response())
}

/// The agent starts or stops dialing (progressive and predictive lists).
pub async fn dialing(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if crate::forms::field(&pairs, "on") == "1" {
        if let Err(e) = st.crm.start_dialing(&me).await {
            return refused(&st, &ctx, &me, "work", e).await;
        }
    } else {
        st.crm.stop_dialing(&me);
    }
    Ok(Redirect::to("/call-lists#work").into_response())
}

pub async fn next(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    match st.crm.next_number(&me).await {
        Ok(Some(_)) => Ok(Redirect::to("/call-lists#work").into_response()),
        Ok(None) => Ok(Redirect::to("/call-lists?next=none#work").into_response()),
        Err(e) => refused(&st, &ctx, &me, "work", e).await,
    }
}

/// A day and hour as the organization's clocks show it (`2026-12-08T10:00`), in UTC.
fn local_time(tz: crm::Tz, s: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok()?;
    tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

pub async fn give_outcome(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| crate::forms::field(&pairs, k);
    let outcome = get("outcome_id").parse().unwrap_or(0);
    let at = get("callback_at");
    let callback_at = if at.trim().is_empty() {
        None
    } else {
        match local_time(ctx.tz, &at) {
            Some(t) => Some(t),
            None => {
                return refused(&st, &ctx, &me, "work", CrmError::invalid("callback_at", "err-callback-time")).await;
            }
        }
    };
    match st.crm.give_outcome(&me, id, outcome, callback_at, &get("note"), None).await {
        Ok(_) => Ok(Redirect::to("/call-lists?ok=lists-outcome-saved#work").into_response()),
        Err(e @ CrmError::NotFound) => Err(e.into()),
        Err(e) => refused(&st, &ctx, &me, "work", e).await,
    }
}

pub async fn create_list(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let get = |k: &str| crate::forms::field(&pairs, k);
    match st.crm.create_call_list(&me, &get("name"), &get("description")).await {
        Ok(_) => Ok(Redirect::to("/call-lists?ok=lists-created#lists").into_response()),
        Err(e) => refused(&st, &ctx, &me, "list", e).await,
    }
}

/// Numbers pasted one per line: `number`, or `number;name` (a tab or a comma also separates).
fn pasted(text: &str, category_id: Option<i64>, consent: bool) -> Vec<NewNumber> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (number, name) = l.split_once([';', '\t', ',']).unwrap_or((l, ""));
            NewNumber { typed: number.trim().into(), name: name.trim().into(), category_id, consent }
        })
        .collect()
}

pub async fn add_numbers(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    // Another organization's list is not found, whatever the form holds.
    st.crm.call_list(me.org_id, id).await?;
    let get = |k: &str| crate::forms::field(&pairs, k);
    let rows = pasted(&get("numbers"), get("category_id").parse().ok(), get("consent") == "1");
    let form = format!("numbers-{id}");
    if rows.is_empty() {
        return refused(&st, &ctx, &me, &form, CrmError::invalid("numbers", "err-numbers-none")).await;
    }
    match st.crm.add_list_numbers(&me, id, &rows).await {
        Ok(a) if !a.invalid.is_empty() => {
            // The valid ones went in; the lines that are no phone number are named.
            let lines = a.invalid.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
            let mut p = page(&st, &ctx, &me, false).await?;
            p.failed = form;
            p.errors.general = Some(crate::i18n::tr_args(
                ctx.lang,
                "lists-added-some",
                &[("added", a.added.into()), ("duplicates", a.duplicates.into()), ("lines", lines.into())],
            ));
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        Ok(_) => Ok(Redirect::to("/call-lists?ok=lists-numbers-added#lists").into_response()),
        Err(e @ CrmError::NotFound) => Err(e.into()),
        Err(e) => refused(&st, &ctx, &me, &form, e).await,
    }
}

pub async fn add_category(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let name = pairs.iter().find(|(n, _)| n == "name").map(|(_, v)| v.clone()).unwrap_or_default();
    match st.crm.add_list_category(&me, &name).await {
        Ok(_) => Ok(Redirect::to("/call-lists?ok=lists-category-added#categories").into_response()),
        Err(e) => refused(&st, &ctx, &me, "category", e).await,
    }
}

pub async fn add_outcome(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let get = |k: &str| crate::forms::field(&pairs, k);
    let Some(kind) = Kind::parse(&get("kind")) else {
        return refused(&st, &ctx, &me, "outcome", CrmError::invalid("kind", "err-out-of-range")).await;
    };
    let minutes = get("retry_minutes").trim().parse().unwrap_or(0);
    let added = match st.crm.add_list_outcome(&me, &get("name"), kind, minutes).await {
        Ok(o) if get("success") == "1" => st.crm.set_outcome_success(&me, o.id, true).await,
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    };
    match added {
        Ok(()) => Ok(Redirect::to("/call-lists?ok=lists-outcome-added#outcomes").into_response()),
        Err(e) => refused(&st, &ctx, &me, "outcome", e).await,
    }
}

pub async fn save_settings(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let get = |k: &str| crate::forms::field(&pairs, k);
    let s = ListSettings {
        org_id: me.org_id.0,
        max_held: get("max_held").trim().parse().unwrap_or(0),
        release_at_day_end: pairs.iter().any(|(n, _)| n == "release_at_day_end"),
        callback_owner_minutes: get("callback_owner_minutes").trim().parse().unwrap_or(-1),
    };
    match st.crm.set_list_settings(&me, s).await {
        Ok(_) => Ok(Redirect::to("/call-lists?ok=settings-saved#list-settings").into_response()),
        Err(e) => refused(&st, &ctx, &me, "settings", e).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pasted_numbers_take_a_name_after_a_separator() {
        let rows = super::pasted("600 100 001;Nowak\n\n+48 600 100 002\t Kowalska \n600100003", None, false);
        let got: Vec<(&str, &str)> = rows.iter().map(|r| (r.typed.as_str(), r.name.as_str())).collect();
        assert_eq!(got, [("600 100 001", "Nowak"), ("+48 600 100 002", "Kowalska"), ("600100003", "")]);
    }
}

/// The number base's filter, as the page's form and links carry it.
#[derive(Deserialize, Default, Clone)]
pub struct BaseQuery {
    #[serde(default)]
    pub list: String,
    /// A category's id, `none` (without one), or empty (any).
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: String,
    /// For the export: utf-8 (default), windows-1250, windows-1255.
    #[serde(default)]
    pub encoding: String,
}

impl BaseQuery {
    /// The query string of this filter (for pages and the export).
    pub fn link(&self) -> String {
        let pairs = [
            ("list", &self.list),
            ("category", &self.category),
            ("agent", &self.agent),
            ("outcome", &self.outcome),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    }
}

/// `""` any, `none` none, else an id.
fn choice(s: &str, field: &'static str) -> Result<Option<Option<i64>>, CrmError> {
    match s.trim() {
        "" => Ok(None),
        "none" => Ok(Some(None)),
        v => v.parse().map(|id| Some(Some(id))).map_err(|_| CrmError::invalid(field, "err-out-of-range")),
    }
}

async fn base_filter(st: &AppState, me: &User, q: &BaseQuery) -> Result<NumberFilter, CrmError> {
    let day = |s: &str, field: &'static str| -> Result<Option<chrono::NaiveDate>, CrmError> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| CrmError::invalid(field, "err-date"))
    };
    let mut f = NumberFilter {
        list: choice(&q.list, "list")?.flatten(),
        category: choice(&q.category, "category")?,
        agent: choice(&q.agent, "agent")?,
        outcome: choice(&q.outcome, "outcome")?,
        ..Default::default()
    };
    if let Some(d) = day(&q.from, "from")? {
        f.modified_from = Some(st.crm.org_day(me.org_id, Some(d)).await?.1);
    }
    if let Some(d) = day(&q.to, "to")? {
        f.modified_to = Some(st.crm.org_day(me.org_id, Some(d)).await?.2);
    }
    Ok(f)
}

#[derive(Template, WebTemplate)]
#[template(path = "call_list_numbers.html")]
pub struct BasePage {
    pub p: Page,
    pub q: BaseQuery,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub rows: Vec<ListNumber>,
    /// Why each row is not handed out now (none: it would be).
    pub why: Vec<Option<NotNow>>,
    pub lists: Vec<CallList>,
    pub categories: Vec<Category>,
    pub outcomes: Vec<Outcome>,
    pub agents: Vec<User>,
    pub errors: FormErrors,
}

impl BasePage {
    pub fn list_name(&self, id: &i64) -> String {
        self.lists.iter().find(|l| l.id == *id).map(|l| l.name.clone()).unwrap_or_default()
    }

    pub fn category_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.categories.iter().find(|c| c.id == id)).map(|c| c.name.clone()).unwrap_or_default()
    }

    pub fn outcome_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.outcomes.iter().find(|o| o.id == id)).map(|o| o.name.clone()).unwrap_or_default()
    }

    pub fn agent_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.agents.iter().find(|u| u.id.0 == id)).map(|u| u.full_name.clone()).unwrap_or_default()
    }

    pub fn err(&self, field: &str) -> String {
        self.errors.field(field)
    }

    /// Why row `i` is not handed out now, in the user's words (empty: it would be).
    pub fn why_text(&self, i: &usize) -> String {
        let lang = self.p.lang;
        let who = |u: i64| {
            let n = self.agent_name(&Some(u));
            if n.is_empty() { format!("#{u}") } else { n }
        };
        let with = |key: &str, args: Vec<(&'static str, String)>| {
            let args: Vec<(&'static str, fluent_templates::fluent_bundle::FluentValue<'static>)> =
                args.into_iter().map(|(k, v)| (k, v.into())).collect();
            crate::i18n::tr_args(lang, key, &args)
        };
        match self.why.get(*i).cloned().flatten() {
            None => String::new(),
            Some(NotNow::Done) => crate::i18n::tr(lang, "lists-why-done"),
            Some(NotNow::DoNotCall) => crate::i18n::tr(lang, "lists-why-dnc"),
            Some(NotNow::ListInactive) => crate::i18n::tr(lang, "lists-why-list"),
            Some(NotNow::HeldBy { user: crm::outbound::dialer::DIALER }) => crate::i18n::tr(lang, "lists-why-dialing"),
            Some(NotNow::HeldBy { user }) => with("lists-why-held", vec![("who", who(user))]),
            Some(NotNow::NotBefore { at }) => with("lists-why-not-before", vec![("when", self.p.when(&at))]),
            Some(NotNow::OwnedBy { user, until: Some(t) }) => {
                with("lists-why-owned", vec![("who", who(user)), ("when", self.p.when(&t))])
            }
            Some(NotNow::OwnedBy { user, until: None }) => with("lists-why-assigned", vec![("who", who(user))]),
            Some(NotNow::NoConsent) => crate::i18n::tr(lang, "lists-why-consent"),
            Some(NotNow::Blocked { until }) => with("lists-why-blocked", vec![("when", self.p.when(&until))]),
            Some(NotNow::OutsideWindow { country }) => with("lists-why-window", vec![("country", country)]),
            Some(NotNow::AttemptsUsed { until }) => with("lists-why-attempts", vec![("when", self.p.when(&until))]),
        }
    }
}

async fn base_page(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    q: BaseQuery,
    flash: Option<&str>,
    refused: Option<CrmError>,
) -> Result<Response, PageError> {
    super::manager_only(me)?;
    let org = me.org_id;
    let mut p = BasePage {
        p: Page::new(ctx, "nav-call-lists").with_flash(flash),
        q: q.clone(),
        total: 0,
        page: 1,
        pages: 1,
        rows: vec![],
        why: vec![],
        lists: st.crm.call_lists(org).await?,
        categories: st.crm.list_categories(org).await?,
        outcomes: st.crm.list_outcomes(org).await?,
        agents: st.crm.users(org).await?.into_iter().filter(|u| u.active).collect(),
        errors: FormErrors::default(),
    };
    let f = match base_filter(st, me, &q).await {
        Ok(f) => f,
        Err(e @ CrmError::Invalid(_)) => {
            p.errors = FormErrors::from_crm(&e, ctx.lang);
            return Ok((status_of(&e), p).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let page = q.page.parse().unwrap_or(1).max(1);
    let r = st.crm.number_base(me, &f, page, 100).await?;
    p.pages = r.total.div_ceil(r.per_page).max(1);
    p.why = st.crm.why_not_now_of(org, &r.rows).await?;
    (p.total, p.page, p.rows) = (r.total, r.page, r.rows);
    Ok(match refused {
        Some(e) => {
            p.errors = FormErrors::from_crm(&e, ctx.lang);
            (status_of(&e), p).into_response()
        }
        None => p.into_response(),
    })
}

pub async fn numbers(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<BaseQuery>,
    uri: axum::http::Uri,
) -> Result<Response, PageError> {
    base_page(&st, &ctx, &me, q, uri.query(), None).await
}

/// Exactly the filtered numbers as CSV, in the encoding asked for.
pub async fn export_numbers(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<BaseQuery>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let f = base_filter(&st, &me, &q).await?;
    let t = |k: &str| crate::i18n::tr(ctx.lang, k);
    let headers = [
        "lists-number",
        "lists-as-typed",
        "lists-name",
        "lists-list",
        "lists-category",
        "lists-agent",
        "lists-outcome",
        "lists-next-call",
        "lists-attempts",
        "lists-modified",
    ]
    .iter()
    .map(|k| t(k))
    .collect();
    let table = st.crm.export_numbers(&me, &f, headers).await?;
    csv_download(&table, &q.encoding, "switchboard-numbers.csv")
}

/// A table as a CSV file to download, in the encoding asked for (utf-8, windows-1250,
/// windows-1255).
pub(super) fn csv_download(
    table: &crm::reports::export::Table,
    encoding: &str,
    file: &str,
) -> Result<Response, PageError> {
    let (bytes, charset) = table.to_csv_named(encoding)?;
    let mime = format!("text/csv; charset={}", charset.to_lowercase());
    let disposition = format!("attachment; filename=\"{file}\"");
    Ok(([(axum::http::header::CONTENT_TYPE, mime), (axum::http::header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

/// A bulk action on the ticked rows, or on everything the filter matches.
pub async fn bulk(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<BaseQuery>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let get = |k: &str| crate::forms::field(&pairs, k);
    let mut f = base_filter(&st, &me, &q).await?;
    if get("scope") != "all" {
        f.ids = Some(pairs.iter().filter(|(k, _)| k == "id").filter_map(|(_, v)| v.parse().ok()).collect());
    }
    let target = |field: &'static str| choice(&get(field), field).map(Option::flatten);
    let action = match get("action").as_str() {
        "category" => target("category_to").map(Bulk::SetCategory),
        "assign" => target("agent_to").map(Bulk::Assign),
        "delete" => Ok(Bulk::Delete),
        _ => Err(CrmError::invalid("action", "err-out-of-range")),
    };
    let done = match action {
        Ok(a) => st.crm.bulk_numbers(&me, &f, a).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => {
            let link = q.link();
            let sep = if link.is_empty() { "" } else { "&" };
            Ok(Redirect::to(&format!("/call-lists/numbers?{link}{sep}ok=lists-bulk-done")).into_response())
        }
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden)) => Err(e.into()),
        Err(e) => base_page(&st, &ctx, &me, q, None, Some(e)).await,
    }
}

/// Managers set which sections each agent may open and which categories they may work (none
/// ticked: every category).
pub async fn save_agent_access(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let users = st.crm.users(me.org_id).await?;
    for u in users.iter().filter(|u| u.active && !u.is_manager()) {
        let values = |prefix: &str| {
            let key = format!("{prefix}_{}", u.id.0);
            pairs.iter().filter(move |(k, _)| *k == key).map(|(_, v)| v.as_str()).collect::<Vec<_>>()
        };
        let cats: Vec<i64> = values("cat").iter().filter_map(|v| v.parse().ok()).collect();
        let sections: Vec<Section> = values("sec").iter().filter_map(|v| Section::parse(v)).collect();
        let saved = match st.crm.set_agent_categories(&me, u.id, &cats).await {
            Ok(()) => st.crm.set_agent_sections(&me, u.id, &sections).await,
            Err(e) => Err(e),
        };
        if let Err(e) = saved {
            return refused(&st, &ctx, &me, "agents", e).await;
        }
    }
    Ok(Redirect::to("/call-lists?ok=settings-saved#agent-categories").into_response())
}

/// Managers retire an outcome (offered no more; history keeps its name).
pub async fn retire_outcome(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    st.crm.retire_list_outcome(&me, id).await?;
    Ok(Redirect::to("/call-lists?ok=lists-retired#outcomes").into_response())
}

/// Managers retire a category (offered no more; numbers keep it).
pub async fn retire_category(
    State(st): State<AppState>,
    Authed(_, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    st.crm.retire_list_category(&me, id).await?;
    Ok(Redirect::to("/call-lists?ok=lists-retired#categories").into_response())
}

/// Managers paste numbers onto the do-not-call list: all or none (the lines that are no number
/// are named).
pub async fn add_dnc(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    match st.crm.add_dnc_numbers(&me, &crate::forms::field(&pairs, "numbers")).await {
        Ok(Ok(_)) => Ok(Redirect::to("/call-lists?ok=lists-dnc-added#dnc").into_response()),
        Ok(Err(crm::outbound::dnc::BadLines(lines))) => {
            let mut p = page(&st, &ctx, &me, false).await?;
            let lines = lines.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let text = crate::i18n::tr_args(ctx.lang, "err-dnc-lines", &[("lines", lines.into())]);
            p.errors =
                FormErrors { fields: vec![("numbers", text)], general: Some(crate::i18n::tr(ctx.lang, "err-invalid")) };
            p.failed = "dnc".into();
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        Err(e) => refused(&st, &ctx, &me, "dnc", e).await,
    }
}

/// Managers take a number off the do-not-call list.
pub async fn remove_dnc(
    State(st): State<AppState>,
    Authed(_ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    st.crm.remove_dnc_number(&me, id).await?;
    Ok(Redirect::to("/call-lists?ok=lists-dnc-removed#dnc").into_response())
}
