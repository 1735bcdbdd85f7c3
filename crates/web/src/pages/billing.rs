//! Billing (`/billing`, seed 003's "outbound billing" and "inbound billing" sections): the
//! organization's answered outside calls of one direction over days — priced by each trunk's
//! rate table — filtered by agent and campaign, with totals per day, agent and campaign, and
//! exported exactly as filtered; managers keep the rate tables on the same page. The rules are
//! crm's (`crm::billing`).

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::{Authed, Ctx};
use crate::error::{PageError, status_of};
use crate::forms::{CsrfForm, field};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use crm::billing::rates::{Rate, RateDirection, show_amount};
use crm::billing::{Billing, BillingFilter, RateIn};
use crm::outbound::CallList;
use crm::outbound::access::Section;
use crm::{CrmError, User};
use serde::Deserialize;

/// The billing filter, as the page's form and links carry it.
#[derive(Deserialize, Default, Clone)]
pub struct BillingQuery {
    /// `out` (default) or `in`.
    #[serde(default)]
    pub dir: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub list: String,
    /// For the export: utf-8 (default), windows-1250, windows-1255.
    #[serde(default)]
    pub encoding: String,
}

impl BillingQuery {
    pub fn inbound(&self) -> bool {
        self.dir == "in"
    }

    /// The query string of this filter (for the export and the direction's tabs).
    pub fn link(&self) -> String {
        let pairs =
            [("dir", &self.dir), ("from", &self.from), ("to", &self.to), ("agent", &self.agent), ("list", &self.list)];
        pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "billing.html")]
pub struct BillingPage {
    pub p: Page,
    pub manager: bool,
    pub q: BillingQuery,
    /// The days shown (the filter's, or this month's).
    pub from: String,
    pub to: String,
    /// The user may open each direction.
    pub outbound: bool,
    pub inbound: bool,
    pub billing: Option<Billing>,
    pub agents: Vec<User>,
    pub lists: Vec<CallList>,
    /// Managers: the trunks and their rates.
    pub trunks: Vec<(i64, String)>,
    pub rates: Vec<Rate>,
    pub errors: FormErrors,
    /// The form whose error shows.
    pub failed: String,
}

impl BillingPage {
    pub fn money(&self, amount: &i64) -> String {
        show_amount(*amount, 2)
    }

    pub fn rate_amount(&self, amount: &i64) -> String {
        show_amount(*amount, 4)
    }

    /// Seconds as h:mm:ss.
    pub fn duration(&self, seconds: &i64) -> String {
        let s = *seconds;
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    }

    /// More calls match than are shown.
    pub fn more_than_shown(&self) -> bool {
        self.billing.as_ref().is_some_and(|b| b.total.calls > b.rows.len() as u64)
    }

    pub fn trunk_name(&self, id: &i64) -> String {
        self.trunks.iter().find(|(t, _)| t == id).map(|(_, n)| n.clone()).unwrap_or_default()
    }

    pub fn err(&self, form: &str, field: &str) -> String {
        if self.failed == form { self.errors.field(field) } else { String::new() }
    }
}

fn filter(q: &BillingQuery, today: NaiveDate) -> Result<BillingFilter, CrmError> {
    let day = |s: &str, field: &'static str, default: NaiveDate| -> Result<NaiveDate, CrmError> {
        if s.trim().is_empty() {
            return Ok(default);
        }
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| CrmError::invalid(field, "err-date"))
    };
    let id = |s: &str, field: &'static str| -> Result<Option<i64>, CrmError> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        s.trim().parse().map(Some).map_err(|_| CrmError::invalid(field, "err-out-of-range"))
    };
    let month_start = today.with_day0(0).unwrap_or(today);
    Ok(BillingFilter {
        direction: if q.inbound() { RateDirection::Inbound } else { RateDirection::Outbound },
        from: day(&q.from, "from", month_start)?,
        to: day(&q.to, "to", today)?,
        agent: id(&q.agent, "agent")?,
        list: id(&q.list, "list")?,
    })
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    me: &User,
    mut q: BillingQuery,
    flash: Option<&str>,
    refused: Option<(&str, CrmError)>,
) -> Result<Response, PageError> {
    let org = me.org_id;
    let sections = st.crm.sections_of(me).await?;
    let (outbound, inbound) =
        (sections.contains(&Section::OutboundBilling), sections.contains(&Section::InboundBilling));
    if !outbound && !inbound {
        return Err(CrmError::Forbidden.into());
    }
    // The direction the user may open, the asked one first.
    if q.inbound() && !inbound || !q.inbound() && !outbound {
        q.dir = if outbound { String::new() } else { "in".into() };
    }
    let today = st.crm.org_day(org, None).await?.0;
    let manager = me.is_manager();
    let mut p = BillingPage {
        p: Page::new(ctx, "nav-call-lists").with_flash(flash),
        manager,
        q: q.clone(),
        from: String::new(),
        to: String::new(),
        outbound,
        inbound,
        billing: None,
        agents: if manager { st.crm.users(org).await?.into_iter().filter(|u| u.active).collect() } else { vec![] },
        lists: st.crm.call_lists(org).await?,
        trunks: if manager { st.crm.trunks(org).await?.into_iter().map(|t| (t.id, t.name)).collect() } else { vec![] },
        rates: if manager { st.crm.trunk_rates(org).await? } else { vec![] },
        errors: FormErrors::default(),
        failed: String::new(),
    };
    let shown = filter(&q, today).inspect(|f| {
        p.from = f.from.format("%Y-%m-%d").to_string();
        p.to = f.to.format("%Y-%m-%d").to_string();
    });
    let status = match shown {
        Ok(f) => match st.crm.billing(me, &f).await {
            Ok(b) => {
                p.billing = Some(b);
                None
            }
            Err(e @ CrmError::Invalid(_)) => {
                p.errors = FormErrors::from_crm(&e, ctx.lang);
                p.failed = "filter".into();
                Some(status_of(&e))
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => {
            p.errors = FormErrors::from_crm(&e, ctx.lang);
            p.failed = "filter".into();
            Some(status_of(&e))
        }
    };
    if let Some((form, e)) = refused {
        p.errors = FormErrors::from_crm(&e, ctx.lang);
        p.failed = form.into();
        return Ok((status_of(&e), p).into_response());
    }
    Ok(match status {
        Some(s) => (s, p).into_response(),
        None => p.into_response(),
    })
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<BillingQuery>,
    uri: axum::http::Uri,
) -> Result<Response, PageError> {
    page(&st, &ctx, &me, q, uri.query(), None).await
}

/// Exactly the filtered calls as CSV, in the encoding asked for.
pub async fn export(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<BillingQuery>,
) -> Result<Response, PageError> {
    let today = st.crm.org_day(me.org_id, None).await?.0;
    let f = filter(&q, today)?;
    let t = |k: &str| crate::i18n::tr(ctx.lang, k);
    let headers = [
        "billing-time",
        "lists-number",
        "lists-agent",
        "billing-campaign",
        "billing-trunk",
        "billing-seconds",
        "billing-billed",
        "billing-cost",
        "billing-currency",
    ]
    .iter()
    .map(|k| t(k))
    .collect();
    let table = st.crm.export_billing(&me, &f, headers).await?;
    let name = if q.inbound() { "inbound" } else { "outbound" };
    super::call_lists::csv_download(&table, &q.encoding, &format!("switchboard-billing-{name}.csv"))
}

/// Managers add a rate (or change the one of the same trunk, direction and prefix).
pub async fn save_rate(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let get = |k: &str| field(&pairs, k);
    let r = RateIn {
        trunk_id: get("trunk_id").parse().unwrap_or(0),
        direction: get("direction"),
        prefix: get("prefix"),
        per_minute: get("per_minute"),
        first_seconds: get("first_seconds"),
        increment_seconds: get("increment_seconds"),
        connect_fee: get("connect_fee"),
    };
    match st.crm.save_rate(&me, r).await {
        Ok(_) => Ok(Redirect::to("/billing?ok=settings-saved#rates").into_response()),
        Err(e @ (CrmError::Store(_) | CrmError::Forbidden)) => Err(e.into()),
        Err(e) => page(&st, &ctx, &me, BillingQuery::default(), None, Some(("rate", e))).await,
    }
}

/// Managers take a rate out.
pub async fn delete_rate(
    State(st): State<AppState>,
    Authed(_ctx, me): Authed,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    st.crm.delete_rate(&me, id).await?;
    Ok(Redirect::to("/billing?ok=settings-saved#rates").into_response())
}
