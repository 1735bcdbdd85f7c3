//! The call lists' statistics (`/call-lists/stats`, seed 003; managers): per day for all agents
//! or one (a month by day), per list with its dialer's abandonment over the profile's window,
//! and the evidence of every abandoned call. The figures are crm's
//! (`crm::outbound::stats`).

use super::{FormErrors, Page};
use crate::AppState;
use crate::ctx::Authed;
use crate::error::{PageError, status_of};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use crm::outbound::stats::ListStatistics;
use crm::outbound::{CallList, Outcome};
use crm::{CrmError, User};
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct StatsQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub agent: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "list_stats.html")]
pub struct StatsPage {
    pub p: Page,
    pub q: StatsQuery,
    pub from: String,
    pub to: String,
    pub stats: Option<ListStatistics>,
    pub agents: Vec<User>,
    pub outcomes: Vec<Outcome>,
    pub lists: Vec<CallList>,
    pub errors: FormErrors,
}

impl StatsPage {
    /// Seconds as h:mm:ss.
    pub fn duration(&self, seconds: &i64) -> String {
        let s = *seconds;
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    }

    pub fn count(&self, outcomes: &std::collections::BTreeMap<i64, u64>, id: &i64) -> u64 {
        outcomes.get(id).copied().unwrap_or(0)
    }

    pub fn list_name(&self, id: &i64) -> String {
        self.lists.iter().find(|l| l.id == *id).map(|l| l.name.clone()).unwrap_or_default()
    }

    /// A share as "2.5%" (the sign kept with its number in a right-to-left page).
    pub fn percent(&self, share: &f64) -> String {
        format!("{:.1}%", share * 100.0)
    }

    /// A window of hours, in the user's words.
    pub fn hours(&self, h: &i64) -> String {
        crate::i18n::tr_args(self.p.lang, "stats-hours", &[("hours", (*h).into())])
    }

    pub fn per_hour(&self, v: &Option<f64>) -> String {
        v.map(|v| format!("{v:.1}")).unwrap_or_default()
    }

    pub fn err(&self, field: &str) -> String {
        self.errors.field(field)
    }
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PageError> {
    super::manager_only(&me)?;
    let org = me.org_id;
    let today = st.crm.org_day(org, None).await?.0;
    let mut p = StatsPage {
        p: Page::new(&ctx, "nav-call-lists"),
        q: q.clone(),
        from: String::new(),
        to: String::new(),
        stats: None,
        agents: st.crm.users(org).await?.into_iter().filter(|u| u.active).collect(),
        outcomes: st.crm.list_outcomes(org).await?,
        lists: st.crm.call_lists(org).await?,
        errors: FormErrors::default(),
    };
    let day = |s: &str, field: &'static str, default: NaiveDate| -> Result<NaiveDate, CrmError> {
        if s.trim().is_empty() {
            return Ok(default);
        }
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| CrmError::invalid(field, "err-date"))
    };
    let agent = match q.agent.trim() {
        "" => Ok(None),
        a => a.parse().map(Some).map_err(|_| CrmError::invalid("agent", "err-out-of-range")),
    };
    let asked = (day(&q.from, "from", today.with_day0(0).unwrap_or(today)), day(&q.to, "to", today), agent);
    let got = match asked {
        (Ok(from), Ok(to), Ok(agent)) => {
            p.from = from.format("%Y-%m-%d").to_string();
            p.to = to.format("%Y-%m-%d").to_string();
            st.crm.list_statistics(&me, from, to, agent).await
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
    };
    match got {
        Ok(s) => {
            p.stats = Some(s);
            Ok(p.into_response())
        }
        Err(e @ CrmError::Invalid(_)) => {
            p.errors = FormErrors::from_crm(&e, ctx.lang);
            Ok((status_of(&e), p).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
