//! The managers' reports: a period (whole days), cut by hour, day or month — every call (the
//! default: through a queue or not, with the missed calls), per queue, per agent, per campaign;
//! a chart, the totals, the detail, and the same table as CSV or XLSX. The figures and
//! their definitions are crm's (`crm::reports`, `crm::queues::figures`).

use super::charts::{Series, bars};
use super::{FormErrors, Page, manager_only};
use crate::AppState;
use crate::ctx::Authed;
use crate::error::PageError;
use crate::i18n::tr;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use crm::agents::status::hms;
use crm::reports::calls::CallReport;
use crm::reports::campaigns::CampaignRow;
use crm::reports::export::Table;
use crm::reports::{AgentRow, Grouping, Period, QueueReport};
use crm::{CrmError, Language, User};
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct ReportQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub view: String,
    #[serde(default)]
    pub format: String,
}

/// The report's views, in the order of their tabs; the first is the default.
pub const VIEWS: [&str; 4] = ["calls", "queues", "agents", "campaigns"];

impl ReportQuery {
    /// The view asked for (the default when none or unknown).
    pub fn view(&self) -> &'static str {
        VIEWS.iter().copied().find(|v| *v == self.view).unwrap_or(VIEWS[0])
    }

    pub fn agents(&self) -> bool {
        self.view() == "agents"
    }

    /// The query string of this report (for the other view and the downloads).
    pub fn link(&self, view: &str, format: &str) -> String {
        let mut q = format!("from={}&to={}&by={}&view={view}", self.from, self.to, self.by);
        if !format.is_empty() {
            q.push_str(&format!("&format={format}"));
        }
        q
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub p: Page,
    pub q: ReportQuery,
    pub groupings: [Grouping; 3],
    pub views: [&'static str; 4],
    pub calls: Option<CallReport>,
    pub queues: Option<QueueReport>,
    pub agents: Vec<AgentRow>,
    pub campaigns: Vec<CampaignRow>,
    pub chart: String,
    pub errors: FormErrors,
}

impl ReportsPage {
    pub fn err(&self, field: &str) -> String {
        self.errors.field(field)
    }

    pub fn mmss(&self, secs: impl std::borrow::Borrow<i64>) -> String {
        hms(secs.borrow())
    }

    pub fn opt_mmss(&self, secs: &Option<i64>) -> String {
        secs.as_ref().map(hms).unwrap_or_else(|| "–".into())
    }

    pub fn pct(&self, v: &Option<u32>) -> String {
        v.map(|v| format!("{v}%")).unwrap_or_else(|| "–".into())
    }
}

/// The period asked for, filled in with the last seven days and by day.
async fn period(st: &AppState, me: &User, q: &mut ReportQuery) -> Result<Period, CrmError> {
    let (today, _, _) = st.crm.org_day(me.org_id, None).await?;
    if q.from.trim().is_empty() {
        q.from = (today - Duration::days(6)).to_string();
    }
    if q.to.trim().is_empty() {
        q.to = today.to_string();
    }
    let by = Grouping::parse(&q.by).unwrap_or(Grouping::Day);
    q.by = by.as_str().into();
    let from =
        NaiveDate::parse_from_str(q.from.trim(), "%Y-%m-%d").map_err(|_| CrmError::invalid("from", "err-date"))?;
    let to = NaiveDate::parse_from_str(q.to.trim(), "%Y-%m-%d").map_err(|_| CrmError::invalid("to", "err-date"))?;
    let p = Period { from, to, by };
    p.check()?;
    Ok(p)
}

pub async fn show(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(mut q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    manager_only(&me)?;
    let mut page = ReportsPage {
        p: Page::new(&ctx, "nav-reports"),
        q: q.clone(),
        groupings: Grouping::ALL,
        views: VIEWS,
        calls: None,
        queues: None,
        agents: vec![],
        campaigns: vec![],
        chart: String::new(),
        errors: FormErrors::default(),
    };
    let p = match period(&st, &me, &mut q).await {
        Ok(p) => p,
        Err(e @ CrmError::Invalid(_)) => {
            page.errors = FormErrors::from_crm(&e, ctx.lang);
            page.q = q;
            return Ok((crate::error::status_of(&e), page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    page.q = q.clone();
    match q.view() {
        "agents" => page.agents = st.crm.report_agents(&me, p).await?,
        "campaigns" => page.campaigns = st.crm.report_campaigns(&me, p).await?,
        "queues" => {
            let r = st.crm.report_queues(&me, p).await?;
            page.chart = chart(ctx.lang, &r);
            page.queues = Some(r);
        }
        _ => {
            let r = st.crm.report_calls(&me, p).await?;
            page.chart = calls_chart(ctx.lang, &r);
            page.calls = Some(r);
        }
    }
    Ok(page.into_response())
}

/// Incoming calls answered and not, and outgoing calls, per bucket.
fn calls_chart(lang: Language, r: &CallReport) -> String {
    let buckets: Vec<String> = r.rows.iter().map(|x| x.bucket.clone()).collect();
    let of = |f: &dyn Fn(&crm::reports::calls::CallRow) -> u32| -> Vec<u64> {
        r.rows.iter().map(|x| u64::from(f(x))).collect()
    };
    let series = [
        Series { label: tr(lang, "reports-in-answered"), color: "#1e7b34", values: of(&|x| x.incoming_answered) },
        Series {
            label: tr(lang, "reports-in-unanswered"),
            color: "#b3261e",
            values: of(&|x| x.incoming - x.incoming_answered),
        },
        Series { label: tr(lang, "reports-outgoing"), color: "#1f5fa8", values: of(&|x| x.outgoing) },
    ];
    bars(&tr(lang, "reports-calls-chart"), &buckets, &series)
}

/// Answered and abandoned callers per bucket, all queues together.
fn chart(lang: Language, r: &QueueReport) -> String {
    let mut buckets: Vec<String> = r.rows.iter().map(|x| x.bucket.clone()).collect();
    buckets.dedup();
    let sum = |f: &dyn Fn(&crm::reports::QueueRow) -> u32| -> Vec<u64> {
        buckets.iter().map(|b| r.rows.iter().filter(|x| &x.bucket == b).map(|x| u64::from(f(x))).sum()).collect()
    };
    let series = [
        Series { label: tr(lang, "wall-answered"), color: "#1e7b34", values: sum(&|x| x.figures.answered) },
        Series { label: tr(lang, "wall-abandoned"), color: "#b3261e", values: sum(&|x| x.figures.abandoned) },
    ];
    bars(&tr(lang, "reports-chart"), &buckets, &series)
}

/// The report as a file: CSV or XLSX of the detail table, headers in the user's language.
pub async fn export(
    State(st): State<AppState>,
    Authed(ctx, me): Authed,
    Query(mut q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    manager_only(&me)?;
    let p = period(&st, &me, &mut q).await?;
    let t = |k: &str| tr(ctx.lang, k);
    let table = if q.view() == "calls" {
        let r = st.crm.report_calls(&me, p).await?;
        Table {
            title: t("reports-calls-view"),
            headers: [
                "reports-bucket",
                "reports-incoming",
                "reports-in-answered",
                "reports-outgoing",
                "reports-out-answered",
                "reports-internal",
                "wall-talk",
            ]
            .iter()
            .map(|k| t(k))
            .collect(),
            rows: r
                .rows
                .into_iter()
                .map(|x| {
                    vec![
                        x.bucket.into(),
                        x.incoming.into(),
                        x.incoming_answered.into(),
                        x.outgoing.into(),
                        x.outgoing_answered.into(),
                        x.internal.into(),
                        x.talk_secs.into(),
                    ]
                })
                .collect(),
        }
    } else if q.view() == "campaigns" {
        let rows = st.crm.report_campaigns(&me, p).await?;
        Table {
            title: t("reports-campaigns"),
            headers: ["campaign", "reports-opened", "reports-closed", "reports-open-now", "reports-successes"]
                .iter()
                .map(|k| t(k))
                .collect(),
            rows: rows
                .into_iter()
                .map(|r| {
                    let s: Vec<String> = r.successes.iter().map(|(n, c)| format!("{n}: {c}")).collect();
                    vec![r.name.into(), r.opened.into(), r.closed.into(), r.open_now.into(), s.join(", ").into()]
                })
                .collect(),
        }
    } else if q.agents() {
        let rows = st.crm.report_agents(&me, p).await?;
        Table {
            title: t("reports-agents"),
            headers: [
                "wall-agent",
                "field-extension",
                "reports-logged",
                "agent-state-available",
                "agent-state-in_call",
                "agent-state-wrap_up",
                "agent-state-unavailable",
                "reports-occupancy",
                "reports-incoming",
                "reports-outgoing",
                "reports-internal",
                "reports-missed",
                "wall-talk",
            ]
            .iter()
            .map(|k| t(k))
            .collect(),
            rows: rows
                .into_iter()
                .map(|r| {
                    vec![
                        r.name.into(),
                        r.extension.into(),
                        r.logged_secs.into(),
                        r.available_secs.into(),
                        r.in_call_secs.into(),
                        r.wrap_up_secs.into(),
                        r.unavailable_secs.into(),
                        r.occupancy.into(),
                        r.incoming.into(),
                        r.outgoing.into(),
                        r.internal.into(),
                        r.missed.into(),
                        r.talk_secs.into(),
                    ]
                })
                .collect(),
        }
    } else {
        let r = st.crm.report_queues(&me, p).await?;
        Table {
            title: t("reports-queues"),
            headers: [
                "reports-bucket",
                "wall-queue",
                "wall-received",
                "wall-answered",
                "wall-abandoned",
                "reports-short-abandoned",
                "reports-timeouts",
                "reports-refused",
                "reports-sl",
                "reports-asa-secs",
                "reports-aht-secs",
            ]
            .iter()
            .map(|k| t(k))
            .collect(),
            rows: r
                .rows
                .into_iter()
                .map(|x| {
                    let f = x.figures;
                    vec![
                        x.bucket.into(),
                        x.queue.into(),
                        f.received.into(),
                        f.answered.into(),
                        f.abandoned.into(),
                        f.short_abandoned.into(),
                        f.timeouts.into(),
                        f.refused.into(),
                        x.service_level.into(),
                        x.asa_secs.into(),
                        x.aht_secs.into(),
                    ]
                })
                .collect(),
        }
    };
    let name = format!("switchboard-{}-{}-{}", q.view(), p.from, p.to);
    let (bytes, mime, ext) = if q.format == "xlsx" {
        (table.to_xlsx()?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    } else {
        (table.to_csv()?, "text/csv; charset=utf-8", "csv")
    };
    let disposition = format!("attachment; filename=\"{name}.{ext}\"");
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}
